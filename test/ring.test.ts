/*
 * Unit tests of the SPSC byte ring (src/ipc/ring.ts): empty, full (back-pressure), wrap-around, and a
 * producer and consumer on different threads exchanging a million records without loss or reordering.
 */

import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { createRingBuffer, RingConsumer, RingProducer } from './helpers/src.js';
import { ROOT } from './helpers/server.js';

function put(p: RingProducer, payload: Buffer): boolean {
  const off = p.reserve(payload.length);
  if (off < 0) return false;
  payload.copy(p.data, off);
  p.commit(payload.length);
  return true;
}

function takeAll(c: RingConsumer): string[] {
  const out: string[] = [];
  if (!c.poll()) return out;
  for (let off = c.next(); off >= 0; off = c.next()) out.push(c.data.subarray(off, off + c.recordLength).toString());
  c.release();
  return out;
}

describe('ByteRing', () => {
  it('is empty until the producer publishes', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    expect(c.poll()).toBe(false);
    expect(put(p, Buffer.from('hello'))).toBe(true);
    expect(c.poll()).toBe(false); // committed but not published
    p.publish();
    expect(takeAll(c)).toEqual(['hello']);
    expect(c.poll()).toBe(false);
  });

  it('refuses records when full and accepts them again after release', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const rec = Buffer.alloc(100, 120);
    let n = 0;
    while (put(p, rec)) n++;
    expect(n).toBe(Math.floor(1024 / 104)); // 100 bytes + 4 length, aligned to 8
    expect(p.reserve(100)).toBe(-1);
    p.publish();
    expect(takeAll(c)).toHaveLength(n);
    expect(put(p, rec)).toBe(true);
  });

  it('wraps around the end of the buffer with records intact and in order', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    const got: string[] = [];
    const sent: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = `record-${i}-`.padEnd(10 + (i * 37) % 300, String.fromCharCode(97 + (i % 26)));
      if (!put(p, Buffer.from(s))) {
        p.publish();
        got.push(...takeAll(c));
        expect(put(p, Buffer.from(s))).toBe(true);
      }
      sent.push(s);
    }
    p.publish();
    got.push(...takeAll(c));
    expect(got).toEqual(sent);
  });

  it('occupied() counts published bytes not yet released, from either end (the admin endpoint reads it)', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    expect(p.occupied()).toBe(0);
    put(p, Buffer.alloc(10)); // 4-byte length + 10, padded to 16
    put(p, Buffer.alloc(4)); // 8
    expect(p.occupied()).toBe(0); // not yet published
    p.publish();
    expect(p.occupied()).toBe(24);
    expect(c.occupied()).toBe(24);
    takeAll(c);
    expect(p.occupied()).toBe(0);
  });

  it('rejects a record larger than half the ring', () => {
    const p = new RingProducer(createRingBuffer(1024));
    expect(() => p.reserve(600)).toThrow(RangeError);
  });

  it('wakes a producer waiting for space when the consumer releases (the consumer notifies only a waiting producer)', async () => {
    const sab = createRingBuffer(1024);
    const ringUrl = pathToFileURL(path.join(ROOT, 'dist/ipc/ring.js')).href;
    // the producer fills the ring, says so, then waits for space with a timeout far past the test's:
    // only the consumer's notify can end that wait in time
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.ringUrl).then(({ RingProducer }) => {
        const p = new RingProducer(workerData.sab);
        let n = 0;
        while (p.reserve(8) >= 0) { p.commit(8); n++; }
        p.publish();
        parentPort.postMessage({ full: n });
        while (p.reserve(8) < 0) p.waitForSpace(3_600_000);
        parentPort.postMessage('space');
      });
    `;
    const w = new Worker(code, { eval: true, workerData: { sab, ringUrl } });
    try {
      const full = await new Promise<{ full: number }>((r) => w.once('message', r));
      expect(full.full).toBeGreaterThan(0);
      // let the producer get into its wait before the space is handed back
      await new Promise((r) => setTimeout(r, 100));
      const c = new RingConsumer(sab);
      expect(c.poll()).toBe(true);
      let read = 0;
      for (let off = c.next(); off >= 0; off = c.next()) read++;
      expect(read).toBe(full.full);
      const space = new Promise((r) => w.once('message', r));
      c.release();
      expect(await space).toBe('space');
    } finally {
      // (not awaited: a producer still in its wait would hold terminate() until the wait ends)
      void w.terminate();
    }
  }, 30_000);

  it('carries a million records between threads without loss or reordering', async () => {
    const sab = createRingBuffer(64 * 1024);
    const ringUrl = pathToFileURL(path.join(ROOT, 'dist/ipc/ring.js')).href;
    const N = 1_000_000;
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.ringUrl).then(({ RingProducer }) => {
        const p = new RingProducer(workerData.sab);
        for (let i = 0; i < workerData.n; i++) {
          let off;
          while ((off = p.reserve(8)) < 0) { p.publish(); p.waitForSpace(10); }
          p.data.writeUInt32LE(i, off);
          p.data.writeUInt32LE(i ^ 0x5a5a5a5a, off + 4);
          p.commit(8);
          if ((i & 63) === 63) p.publish();
        }
        p.publish();
        parentPort.postMessage('done');
      });
    `;
    const w = new Worker(code, { eval: true, workerData: { sab, ringUrl, n: N } });
    const c = new RingConsumer(sab);
    let expected = 0;
    let bad = 0;
    let done = false;
    w.once('message', () => (done = true));
    while (expected < N) {
      if (c.poll()) {
        for (let off = c.next(); off >= 0; off = c.next()) {
          const a = c.data.readUInt32LE(off);
          const b = c.data.readUInt32LE(off + 4);
          if (a !== expected || b !== (expected ^ 0x5a5a5a5a) >>> 0) bad++;
          expected++;
        }
        c.release();
      } else {
        await new Promise((r) => setImmediate(r));
        if (done && !c.poll()) break;
      }
    }
    await w.terminate();
    expect(bad).toBe(0);
    expect(expected).toBe(N);
  });
});
