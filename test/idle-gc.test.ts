/*
 * The idle collection (src/idle-gc.ts): one full collection when the thread has been idle for
 * IDLE_MS with SLACK_BYTES of old-space slack (or, for the main thread, GROWTH_BYTES more external
 * memory than after the last one), none while it works, and no second one until the heap has grown
 * by GROWTH_BYTES. The policy is checked with a stand-in for V8's figures and gc(); real threads
 * running it are every server test.
 */

import { describe, expect, it } from 'vitest';
import { GROWTH_BYTES, IDLE_MS, IdleCollector, SLACK_BYTES, type HeapFigures } from './helpers/src.js';

const MB = 1024 * 1024;

function collector(heap: HeapFigures, external = false): { c: IdleCollector; gcs: () => number } {
  let gcs = 0;
  const c = new IdleCollector(
    external,
    () => ({ ...heap }),
    () => () => {
      gcs++;
      // what a compacting collection does to the stand-in heap
      heap.physical = heap.used + MB;
      heap.external = 2 * MB;
    },
  );
  return { c, gcs: () => gcs };
}

describe('idle collection', () => {
  it('collects once when the thread has been idle for IDLE_MS with SLACK_BYTES of old-space slack, not while it works', () => {
    const heap = { physical: 9 * MB, used: 8 * MB, external: 2 * MB };
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
    const heap = { physical: 13 * MB, used: 13 * MB - SLACK_BYTES + 1, external: 0 };
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

  it('the main thread (external memory counted) collects when its buffers grew by GROWTH_BYTES, a shard does not', () => {
    for (const external of [true, false]) {
      const heap = { physical: 12 * MB, used: 11 * MB, external: 2 * MB };
      const { c, gcs } = collector(heap, external);
      heap.external = 2 * MB + GROWTH_BYTES;
      c.worked(0);
      c.idle(IDLE_MS);
      expect(gcs()).toBe(external ? 1 : 0);
    }
  });

  it('a thread that never received a request never collects', () => {
    const heap = { physical: 10 * MB, used: 9 * MB, external: 0 };
    const { c, gcs } = collector(heap, true);
    heap.physical = 40 * MB;
    heap.external = 40 * MB;
    c.idle(1e9);
    expect(gcs()).toBe(0);
  });
});
