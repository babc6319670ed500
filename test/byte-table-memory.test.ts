/*
 * What a database's byte store keeps on the V8 heap: nothing per slot. Its 16,384 slot tables are
 * words of one shared Int32Array and their bucket arrays arena memory (before, each slot that held a
 * key was a ByteTable object with an Int32Array view: ~200 bytes a slot, 3.3 MB of a 1M-key shard's
 * heap). And a table's bucket arrays go back to the arena as it grows, finishes a resize, or empties.
 */

import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Arena, ByteTable, Keyspace, SLOTS, type KeyspaceHooks } from './helpers/src.js';
import { CLASS_SIZE, classOf } from '../src/store/arena.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const hooks: KeyspaceHooks = { expired: () => {}, modified: () => {}, ready: () => {}, notify: () => {} };

/** Heap used after two full collections. */
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('byte store heap retention', () => {
  it('a key in every one of the 16,384 slots (and an expiry time in each) adds no JS object per slot to the heap', () => {
    const ks = new Keyspace(1, hooks);
    const db = ks.db(0);
    // one key per slot, named beforehand so the key strings are on the heap already
    const keys: string[] = [];
    const seen = new Set<number>();
    for (let i = 0; seen.size < SLOTS; i++) {
      const k = `k${i}`;
      const s = ks.slotOf(k);
      if (seen.has(s)) continue;
      seen.add(s);
      keys.push(k);
    }
    const before = heapUsed();
    for (const k of keys) {
      db.set(k, 'v');
      db.setExpire(k, ks.now + 100_000);
    }
    const grown = heapUsed() - before;
    // 2 x 16,384 tables: before, an object and an Int32Array each, ~6 MB
    expect(grown).toBeLessThan(256 * 1024);
    expect(db.dbsize()).toBe(SLOTS);
    for (const k of keys.slice(0, 100)) expect(db.get(k)).toBe('v');
  });

  it('a table grown over several doublings keeps only its current bucket array in the arena', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    let n = 0;
    while (n < 200 || t.resizing) t.set(`key:${n}`, `value:${n++}`, 1000);
    expect(a.usedBytes - a.entryBytes).toBe(CLASS_SIZE[classOf(t.buckets * 4)]);
    for (let i = 0; i < n; i++) expect(t.get(`key:${i}`)).toBe(`value:${i}`);
  });

  it('a table left mid-resize (no more operations on its slot) finishes it with finishResize, as a shard does when idle, and gives the old bucket array back', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    let n = 0;
    // stop right after a doubling started: both arrays held until operations move every bucket
    while (n < 20 || !t.resizing) t.set(`key:${n}`, `value:${n++}`, 1000);
    const both = a.usedBytes - a.entryBytes;
    expect(both).toBe(CLASS_SIZE[classOf(t.buckets * 4)]! + CLASS_SIZE[classOf(t.buckets * 2)]!);
    expect(t.finishResize()).toBe(true);
    expect(t.resizing).toBe(false);
    expect(t.finishResize()).toBe(false);
    expect(a.usedBytes - a.entryBytes).toBe(CLASS_SIZE[classOf(t.buckets * 4)]);
    for (let i = 0; i < n; i++) expect(t.get(`key:${i}`)).toBe(`value:${i}`);
    for (let i = 0; i < n; i++) t.delete(`key:${i}`);
    expect(a.usedBytes).toBe(0);
  });
});
