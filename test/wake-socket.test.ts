/*
 * The shards' wake-up call to the main thread (src/server/wake-socket.ts): a byte a worker thread
 * writes to the wake socket's descriptor runs the main thread's callback, with no message posted on
 * any port; and a server whose main thread went to sleep between requests is woken that way.
 */

import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { openWakeSocket } from './helpers/src.js';
import { useServers } from './helpers/fixture.js';
import { waitFor } from './helpers/wait.js';

describe('wake socket', () => {
  it('a byte written to the wake descriptor from a worker thread runs the main thread callback (no port message)', async () => {
    let wakes = 0;
    const fd = await openWakeSocket(() => wakes++);
    expect(fd).toBeGreaterThanOrEqual(0);
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { writeSync } = require('node:fs');
      writeSync(workerData.fd, Buffer.from([1]));
      // wait to be told to go: the wake above must arrive without any message from this thread
      Atomics.wait(new Int32Array(workerData.go), 0, 0, 60000);
    `;
    const go = new SharedArrayBuffer(4);
    const w = new Worker(code, { eval: true, workerData: { fd, go } });
    let messages = 0;
    w.on('message', () => messages++);
    try {
      await waitFor(() => wakes > 0, { what: 'the wake callback' });
      expect(messages).toBe(0);
    } finally {
      Atomics.store(new Int32Array(go), 0, 1);
      Atomics.notify(new Int32Array(go), 0);
      await w.terminate();
    }
  });
});

describe('a sleeping main thread is woken by its shards', () => {
  const ctx = useServers({ shards: 3 });
  it('replies to requests on every shard sent after the main thread went to sleep', async () => {
    const c = ctx.io;
    for (let round = 0; round < 5; round++) {
      // idle: the main thread stops polling and sleeps until a shard wakes it
      await new Promise((r) => setTimeout(r, 50));
      for (let k = 0; k < 12; k++) expect(await c.set(`k${round}:${k}`, String(k))).toBe('OK');
      expect(await c.mget(`k${round}:0`, `k${round}:5`, `k${round}:11`)).toEqual(['0', '5', '11']);
    }
  });
});
