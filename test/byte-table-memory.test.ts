/*
 * What a ByteTable keeps on the V8 heap once it has grown: its bucket arrays past 16 buckets are
 * views of arena memory, and the arrays it grew out of must not stay reachable from it (16384 slot
 * tables per database: a small array and its ArrayBuffer each were ~3 MB of a 1M-key shard's heap).
 */

import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Arena, ByteTable } from './helpers/src.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('ByteTable heap retention', () => {
  it('a table loaded with new keys only, grown past its first bucket array, lets that array be collected', async () => {
    const t = new ByteTable(new Arena());
    const first = new WeakRef((t as unknown as { t: Int32Array }).t);
    // new keys only (as a load: no lookup finds its key), enough for several doublings past 16
    // buckets, and then until the last incremental rehash has finished
    let n = 0;
    while (n < 200 || t.resizing) t.set(`key:${n}`, `value:${n++}`, 1000);
    await new Promise((r) => setTimeout(r, 0)); // a WeakRef's target lives to the end of the job that made it
    gc();
    expect(first.deref()).toBeUndefined();
    for (let i = 0; i < n; i++) expect(t.get(`key:${i}`)).toBe(`value:${i}`);
  });

  it('a table left mid-resize (no more operations on its slot) finishes it with finishResize, as a shard does when idle, and lets the old bucket array go', async () => {
    const t = new ByteTable(new Arena());
    let n = 0;
    // stop right after a doubling past 16 buckets started: both arrays held until operations move every bucket
    while (n < 20 || !t.resizing) t.set(`key:${n}`, `value:${n++}`, 1000);
    const old = new WeakRef((t as unknown as { old: Int32Array }).old);
    expect(t.finishResize()).toBe(true);
    expect(t.resizing).toBe(false);
    expect(t.finishResize()).toBe(false);
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(old.deref()).toBeUndefined();
    for (let i = 0; i < n; i++) expect(t.get(`key:${i}`)).toBe(`value:${i}`);
  });
});
