/*
 * The idle collection (src/idle-gc.ts): one collection when the thread has been idle for IDLE_MS
 * (its start counting as work) with SLACK_BYTES of old-space slack, YOUNG_BYTES of young generation
 * (or, for the main thread, EXTERNAL_BYTES more external memory than after the last one), none while
 * it works, and no second one until the heap has grown by GROWTH_BYTES. The policy is checked with a
 * stand-in for V8's figures and its collection; the collection itself (the inspector's low-memory
 * one) in fresh node processes, in the main thread and in a worker that never returns to its event
 * loop but to await it, as a shard.
 */

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_BYTES, GROWTH_BYTES, IDLE_MS, IdleCollector, SLACK_BYTES, YOUNG_BYTES, type HeapFigures } from './helpers/src.js';
import { ROOT } from './helpers/server.js';

const MB = 1024 * 1024;

/** A collector over a stand-in heap; `later`: its collection settles when `settle()` is called. */
function collector(heap: HeapFigures, external = false, later = false): { c: IdleCollector; gcs: () => number; settle: () => void } {
  let gcs = 0;
  let settle = (): void => {};
  // what a compacting collection does to the stand-in heap
  const compact = (): void => {
    heap.physical = heap.used + MB;
    heap.external = 2 * MB;
    heap.young = MB / 2;
  };
  const c = new IdleCollector(
    external,
    0,
    () => ({ ...heap }),
    () => () => {
      gcs++;
      if (!later) return compact();
      return new Promise<void>((resolve) => {
        settle = () => {
          compact();
          resolve();
        };
      });
    },
  );
  return { c, gcs: () => gcs, settle: () => settle() };
}

describe('idle collection', () => {
  it('collects once when the thread has been idle for IDLE_MS with SLACK_BYTES of old-space slack, not while it works', () => {
    const heap = { physical: 9 * MB, used: 8 * MB, external: 2 * MB, young: MB };
    const { c, gcs } = collector(heap);
    heap.physical = 23 * MB; // a load
    heap.used = 13 * MB;
    c.worked(1000);
    c.idle(1000 + IDLE_MS - 1);
    expect(gcs()).toBe(0);
    c.worked(1000 + IDLE_MS);
    c.idle(1000 + 2 * IDLE_MS - 1);
    expect(gcs()).toBe(0);
    c.idle(1000 + 2 * IDLE_MS);
    expect(gcs()).toBe(1);
    expect(heap.physical).toBe(14 * MB);
    c.idle(1000 + 10 * IDLE_MS);
    expect(gcs()).toBe(1);
  });

  it('does not collect without enough slack, nor again until the heap has grown by GROWTH_BYTES', () => {
    const heap = { physical: 13 * MB, used: 13 * MB - SLACK_BYTES + 1, external: 0, young: MB };
    const { c, gcs } = collector(heap);
    heap.physical = 20 * MB;
    heap.used = 20 * MB - SLACK_BYTES + 1;
    c.worked(0);
    c.idle(IDLE_MS);
    expect(gcs()).toBe(0);
    heap.physical = 30 * MB;
    heap.used = 20 * MB;
    c.worked(IDLE_MS);
    c.idle(2 * IDLE_MS);
    expect(gcs()).toBe(1); // physical now 21 MB
    // more garbage, but the pages grew by less than GROWTH_BYTES since: no second collection
    heap.physical = 21 * MB + GROWTH_BYTES - 1;
    heap.used = 12 * MB;
    c.worked(3 * IDLE_MS);
    c.idle(4 * IDLE_MS);
    expect(gcs()).toBe(1);
    heap.physical = 21 * MB + GROWTH_BYTES;
    c.worked(5 * IDLE_MS);
    c.idle(6 * IDLE_MS);
    expect(gcs()).toBe(2);
  });

  it('the main thread (external memory counted) collects when its buffers grew by EXTERNAL_BYTES, not by less; a shard does not', () => {
    for (const external of [true, false]) {
      const heap = { physical: 12 * MB, used: 11 * MB, external: 2 * MB, young: MB };
      const { c, gcs } = collector(heap, external);
      heap.external = 2 * MB + EXTERNAL_BYTES - 1;
      c.worked(0);
      c.idle(IDLE_MS);
      expect(gcs()).toBe(0);
      heap.external = 2 * MB + EXTERNAL_BYTES;
      c.worked(IDLE_MS);
      c.idle(2 * IDLE_MS);
      expect(gcs()).toBe(external ? 1 : 0);
    }
  });

  it('a thread whose start left garbage collects once IDLE_MS after it, and never again while no request comes', () => {
    const heap = { physical: 10 * MB, used: 9 * MB, external: 0, young: MB };
    const { c, gcs } = collector(heap, true);
    heap.young = 6 * MB; // the modules loading grew the young generation
    c.idle(IDLE_MS - 1);
    expect(gcs()).toBe(0);
    c.idle(IDLE_MS);
    expect(gcs()).toBe(1);
    heap.physical = 40 * MB;
    heap.external = 40 * MB;
    c.idle(1e9);
    expect(gcs()).toBe(1);
  });

  it('collects when the young generation holds YOUNG_BYTES, however little old-space slack there is', () => {
    const heap = { physical: 12 * MB, used: 12 * MB, external: 0, young: YOUNG_BYTES - 1 };
    const { c, gcs } = collector(heap);
    c.worked(0);
    c.idle(IDLE_MS);
    expect(gcs()).toBe(0);
    heap.young = YOUNG_BYTES;
    c.worked(IDLE_MS);
    c.idle(2 * IDLE_MS);
    expect(gcs()).toBe(1);
    expect(heap.young).toBe(MB / 2);
  });

  it('a collection that finishes later (the inspector\'s) is not started again before it settles, and its figures are taken after it', async () => {
    const heap = { physical: 30 * MB, used: 20 * MB, external: 0, young: 8 * MB };
    const { c, gcs, settle } = collector(heap, false, true);
    c.worked(0);
    const first = c.idle(IDLE_MS);
    expect(first).toBeInstanceOf(Promise);
    heap.young = 8 * MB;
    c.worked(2 * IDLE_MS);
    expect(c.idle(3 * IDLE_MS)).toBeUndefined();
    expect(gcs()).toBe(1);
    settle();
    await first;
    // after it: 21 MB of pages; 4 MB more than that (GROWTH_BYTES) before the slack counts again
    heap.physical = 21 * MB + GROWTH_BYTES - 1;
    heap.used = 10 * MB;
    c.worked(4 * IDLE_MS);
    expect(c.idle(5 * IDLE_MS)).toBeUndefined();
    expect(gcs()).toBe(1);
  });
});

/** Run `body` (an ES module's text; `reducingGc`, `IdleCollector`, `churn()`, `youngMb()` in scope) in a fresh node; its stdout, parsed. */
function inNode(body: string): unknown {
  const src = `
import v8 from 'node:v8';
import { Worker, isMainThread } from 'node:worker_threads';
import { IdleCollector, reducingGc } from ${JSON.stringify(path.join(ROOT, 'dist/idle-gc.js'))};
const youngMb = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').physical_space_size / 1048576;
// objects that survive a few scavenges each, as a server's in-flight requests do: the young generation grows
const churn = () => { let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; } };
${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('the idle collection in a real isolate', () => {
  it('gives the young generation a burst grew back (to under YOUNG_BYTES), where a full collection (gc()) keeps it', () => {
    const r = inNode(`
churn();
const grown = youngMb();
await reducingGc()();
const after = youngMb();
console.log(JSON.stringify({ grown, after }));`) as { grown: number; after: number };
    expect(r.grown * MB).toBeGreaterThanOrEqual(2 * YOUNG_BYTES);
    expect(r.after * MB).toBeLessThan(YOUNG_BYTES);
    const gc = JSON.parse(
      spawnSync(process.execPath, ['--expose-gc', '-e', `const v8 = require('v8'); let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; } keep = null; gc(); console.log(JSON.stringify(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').physical_space_size / 1048576));`], { encoding: 'utf8' }).stdout,
    ) as number;
    expect(gc * MB).toBeGreaterThanOrEqual(2 * YOUNG_BYTES);
  });

  it('in a worker thread that only sleeps in Atomics.wait (as a shard), the collection runs while the thread awaits the idle collector', () => {
    // the worker (an ES module, as the process's eval input): a burst, then idle in Atomics.wait,
    // awaiting the collector's collection when it starts one
    const worker = `
import v8 from 'node:v8';
import { parentPort } from 'node:worker_threads';
const youngMb = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').physical_space_size / 1048576;
{
  const { IdleCollector } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/idle-gc.js')).href)});
  const idle = new IdleCollector();
  let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50000) keep = []; }
  keep = null;
  idle.worked(performance.now());
  const grown = youngMb();
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  let after = grown;
  for (let t = 0; t < 500; t++) {
    const collecting = idle.idle(performance.now());
    if (collecting !== undefined) { await collecting; after = youngMb(); break; }
    Atomics.wait(sleep, 0, 0, 10);
  }
  parentPort.postMessage({ grown, after, runs: idle.runs });
}`;
    const r = inNode(`
new Worker(${JSON.stringify(worker)}, { eval: true }).once('message', (m) => { console.log(JSON.stringify(m)); process.exit(0); });`) as { grown: number; after: number; runs: number };
    expect(r.runs).toBe(1);
    expect(r.grown * MB).toBeGreaterThanOrEqual(YOUNG_BYTES);
    expect(r.after * MB).toBeLessThan(YOUNG_BYTES);
  });
});
