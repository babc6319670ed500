/*
 * The young generation held at its first size (src/young-gen.ts): V8 doubles an isolate's
 * semi-spaces when objects survive its scavenges; with optimize-for-size yes the server stops that
 * (enableYoungGenerationHold), Node undoes it
 * while a worker thread starts, and shardis sets it again in each new thread's entry (main.ts,
 * shard/thread.ts), while the shards start and on its cron (Node gives no moment after which the
 * flag stays set: set again 500 ms after a worker ended, it was lost again in some loaded runs).
 * Each case runs in a fresh `node` (V8's flags are per process), loading the built module as the
 * server does; the new space's size is V8's own figure.
 */

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startShardis } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

const YOUNG_GEN = path.join(ROOT, 'dist/young-gen.js');

/** Run `body` (an ES module's text, `hold` and `newSpaceMb()` in scope) in a fresh node; its stdout, parsed. */
function inNode(body: string): unknown {
  const src = `
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { enableYoungGenerationHold as hold } from ${JSON.stringify(YOUNG_GEN)};
const newSpaceMb = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
// objects that survive a few scavenges each, as a server's in-flight requests do
const churn = (every = 0) => { let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; if (every > 0 && i % every === 0) hold(); } };
const worker = () => new Promise((resolve) => new Worker('1', { eval: true }).on('exit', resolve));
${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('young generation held at its first size', () => {
  it('holdYoungGeneration keeps the new space at its size through allocation bursts that grow it fourfold or more without it', () => {
    const held = inNode(`
hold();
churn();
const once = newSpaceMb();
churn();
churn();
console.log(JSON.stringify({ once, thrice: newSpaceMb() }));`) as { once: number; thrice: number };
    expect(held.thrice).toBe(held.once);
    const free = inNode(`churn(); churn(); churn(); console.log(JSON.stringify(newSpaceMb()));`) as number;
    expect(free).toBeGreaterThanOrEqual(4 * held.thrice);
  });

  it("a worker thread undoes the hold for the whole process (why the server sets it again: in each shard's entry, while the shards start, on every cron)", () => {
    const undone = inNode(`
hold();
churn();
const before = newSpaceMb();
await worker();
churn();
churn();
console.log(JSON.stringify({ before, after: newSpaceMb() }));`) as { before: number; after: number };
    expect(undone.after).toBeGreaterThan(undone.before);
  });

  it('holdYoungGeneration does nothing until the hold is enabled (a default server lets V8 size its young generations)', () => {
    const r = inNode(`
const { holdYoungGeneration, youngGenerationHeld } = await import(${JSON.stringify(YOUNG_GEN)});
holdYoungGeneration();
churn();
churn();
churn();
console.log(JSON.stringify({ held: youngGenerationHeld(), mb: newSpaceMb() }));`) as { held: boolean; mb: number };
    expect(r.held).toBe(false);
    const held = inNode(`hold(); churn(); churn(); churn(); console.log(JSON.stringify(newSpaceMb()));`) as number;
    expect(r.mb).toBeGreaterThanOrEqual(4 * held);
  });

  it('with optimize-for-size yes a 2-shard server (young generations held) answers a 20k-request pipeline', async () => {
    const srv = await startShardis({ shards: 2, args: ['--optimize-for-size', 'yes'] });
    try {
      const r = await RawClient.connect(srv.port);
      const N = 20_000;
      const parts: string[] = [];
      for (let i = 0; i < N; i++) parts.push(`*3\r\n$3\r\nSET\r\n$${`yg:${i}`.length}\r\nyg:${i}\r\n$32\r\n${'v'.repeat(32)}\r\n`);
      parts.push('*1\r\n$6\r\nDBSIZE\r\n');
      r.write(parts.join(''));
      for (let i = 0; i < N; i++) expect(await r.readRaw()).toBe('+OK\r\n');
      expect(await r.readRaw()).toBe(`:${N}\r\n`);
      r.close();
    } finally {
      await srv.stop();
    }
  });
});
