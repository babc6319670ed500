/*
 * Unit tests of the byte store (src/store/): the arena's size classes and reuse of freed space, and the
 * per-slot ByteTable checked against a Map model through growth, incremental resize under load,
 * deletes, overwrites that change size class, every value kind, long keys, access data and iteration
 * while a resize is in progress. Expiry on the byte store is covered end to end in expiry.test.ts,
 * which runs on the default store (keyspace-store bytes).
 */

import { describe, expect, it } from 'vitest';
import { Arena, CHUNK_PAGES, CLASS_SIZE, HUGE, MAX_SMALL, PAGE, arenaSlack, classOf } from '../src/store/arena.js';
import { ByteTable, INLINE_MAX } from '../src/store/byte-table.js';
import { Keyspace } from '../src/shard/keyspace.js';
import { activeExpire } from '../src/shard/active-expire.js';
import { ACCESS } from '../src/shard/access.js';
import { Aggregate, type Value } from '../src/shard/values/types.js';
import { HashValue } from '../src/shard/values/hash.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The same value: strings and numbers equal, an aggregate the same object or, for one kept packed in
 * the entry (a small aggregate in its compact encoding, decoded again by get()), the same bytes.
 */
function same(x: Value | undefined, y: Value | undefined): boolean {
  if (x === y) return true;
  if (!(x instanceof Aggregate) || !(y instanceof Aggregate)) return false;
  const px = x.packed();
  const py = y.packed();
  return px !== null && py !== null && Buffer.from(px).equals(Buffer.from(py));
}

function expectSame(t: ByteTable, model: Map<string, Value>): void {
  expect(t.size).toBe(model.size);
  // plain comparisons: vitest's deep equality is slow on 200k entries
  const seen = new Set<string>();
  let wrong = 0;
  t.forEach((v, k) => {
    if (seen.has(k) || !same(model.get(k), v)) wrong++;
    seen.add(k);
  });
  for (const [k, v] of model) if (!same(t.get(k), v)) wrong++;
  expect(wrong).toBe(0);
  expect(seen.size).toBe(model.size);
}

describe('arena', () => {
  it('size classes cover every size up to a quarter page, each the smallest that fits', () => {
    for (let n = 1; n <= MAX_SMALL; n += n < 2000 ? 1 : 97) {
      const c = classOf(n);
      expect(CLASS_SIZE[c]!).toBeGreaterThanOrEqual(n);
      if (c > 0) expect(CLASS_SIZE[c - 1]!).toBeLessThan(n);
    }
    expect(classOf(MAX_SMALL + 1)).toBe(HUGE);
    expect(CLASS_SIZE.length).toBeLessThan(HUGE);
  });

  it('freed entries are reused by allocations of the same class, so pages do not grow', () => {
    const a = new Arena();
    const addrs: number[] = [];
    for (let i = 0; i < 100_000; i++) addrs.push(a.alloc(64));
    const pages = a.pageBytes;
    for (const x of addrs) a.release(x, classOf(64));
    expect(a.live).toBe(0);
    const again = new Set<number>();
    for (let i = 0; i < 100_000; i++) again.add(a.alloc(60));
    expect(a.pageBytes).toBe(pages);
    expect([...again].sort()).toEqual([...addrs].sort());
  });

  it('a class with no free block splits a larger free block (a bucket array a table grew out of) before taking fresh space', () => {
    const a = new Arena();
    const blocks: number[] = [];
    for (let i = 0; i < 10_000; i++) blocks.push(a.allocRaw(128));
    const pages = a.pageBytes;
    const used = a.usedBytes;
    for (const x of blocks) a.releaseRaw(x, classOf(128));
    // 56-byte entries, a class no 128-byte block is of: each block holds two (56 + 72 -> 56 + 16)
    const got = new Set<number>();
    for (let i = 0; i < 20_000; i++) got.add(a.alloc(56));
    expect(got.size).toBe(20_000);
    expect(a.pageBytes).toBe(pages);
    expect(a.usedBytes).toBe(20_000 * 56);
    expect(used).toBe(10_000 * 128);
    // the 16-byte rests are free blocks of their class
    for (let i = 0; i < 10_000; i++) a.allocRaw(16);
    expect(a.pageBytes).toBe(pages);
  });

  it('shared pages are cut from 33 MB chunks, whose pages not handed out yet arenaSlack counts (not in used_memory)', () => {
    const before = arenaSlack.bytes;
    const a = new Arena();
    a.alloc(100);
    expect(a.pageBytes).toBe(PAGE);
    expect(arenaSlack.bytes - before).toBe((CHUNK_PAGES - 1) * PAGE);
    // a page of its own is not cut from the chunk
    const x = a.alloc(MAX_SMALL + 100);
    expect(arenaSlack.bytes - before).toBe((CHUNK_PAGES - 1) * PAGE);
    a.release(x, HUGE);
    const n = [];
    for (let i = 0; i < CHUNK_PAGES * 4; i++) n.push(a.alloc(MAX_SMALL));
    expect(a.pageBytes).toBe((CHUNK_PAGES + 1) * PAGE);
    expect(arenaSlack.bytes - before).toBe((CHUNK_PAGES - 1) * PAGE);
    for (const e of n) a.release(e, classOf(MAX_SMALL));
    a.release(1, classOf(100));
    a.reset();
    expect(arenaSlack.bytes).toBe(before);
  });

  it('an entry larger than a quarter page gets its own page, returned when freed', () => {
    const a = new Arena();
    const x = a.alloc(MAX_SMALL + 100);
    expect(a.pageBytes).toBe(MAX_SMALL + 104);
    a.release(x, HUGE);
    expect(a.pageBytes).toBe(0);
    expect(a.live).toBe(0);
  });
});

describe('ByteTable', () => {
  it('grows from empty to 200k keys and finds every one (strings, integers, aggregates)', () => {
    const t = new ByteTable(new Arena());
    const model = new Map<string, Value>();
    for (let i = 0; i < 200_000; i++) {
      const k = `key:${i}`;
      const v: Value = i % 3 === 0 ? i * 7 : i % 3 === 1 ? `value-${i}` : new HashValue();
      if (!t.set(k, v, 1000)) throw new Error(`${k} was not new`);
      model.set(k, v);
    }
    expectSame(t, model);
    expect(t.get('key:absent')).toBeUndefined();
    expect(t.has('key:5')).toBe(true);
  });

  it('resizes incrementally: each operation moves a few buckets, lookups see both tables', () => {
    const t = new ByteTable(new Arena());
    const model = new Map<string, Value>();
    let sawResize = 0;
    for (let i = 0; i < 5000; i++) {
      t.set(`k${i}`, `v${i}`, 0);
      model.set(`k${i}`, `v${i}`);
      if (t.resizing) {
        sawResize++;
        // mid-resize: every key so far is still found
        if (sawResize % 50 === 1) for (const [k, v] of model) expect(t.get(k)).toBe(v);
      }
    }
    expect(sawResize).toBeGreaterThan(100);
    expectSame(t, model);
  });

  it('reserve() (an RDB load announcing its key count) sizes an empty table at once: no resize while those keys go in', () => {
    const t = new ByteTable(new Arena());
    t.reserve(1000);
    expect(t.buckets).toBe(1024);
    expect(t.resizing).toBe(false);
    const model = new Map<string, Value>();
    for (let i = 0; i < 1000; i++) {
      t.set(`k${i}`, `v${i}`, 0);
      model.set(`k${i}`, `v${i}`);
      expect(t.resizing).toBe(false);
    }
    expect(t.buckets).toBe(1024);
    expectSame(t, model);
    // a table that holds keys is not resized by reserve()
    t.reserve(100_000);
    expect(t.buckets).toBe(1024);
  });

  it('random inserts, overwrites and deletes agree with a Map model (resizes up and down under load)', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    const model = new Map<string, Value>();
    const r = rng(42);
    let shrinks = 0;
    let last = t.buckets;
    for (let op = 0; op < 300_000; op++) {
      const k = `user:${Math.floor(r() * 20_000)}`;
      // the second half mostly deletes: the table shrinks
      const x = r();
      if (x < (op < 150_000 ? 0.5 : 0.1)) {
        const len = Math.floor(r() * 3) === 0 ? Math.floor(r() * 600) : Math.floor(r() * 40);
        const v: Value = x < 0.1 ? Math.floor(r() * 1e9) - 5e8 : 'x'.repeat(len);
        // (plain checks: 300k expect() calls take seconds)
        if (t.set(k, v, op) !== !model.has(k)) throw new Error(`set ${k}: wrong "new" answer at op ${op}`);
        model.set(k, v);
      } else if (t.delete(k) !== model.delete(k)) throw new Error(`delete ${k}: wrong answer at op ${op}`);
      if (t.buckets < last) shrinks++;
      last = t.buckets;
    }
    expect(shrinks).toBeGreaterThan(0);
    expectSame(t, model);
    expect(a.live).toBe(model.size);
  });

  it('deleting keys frees their entries and the next inserts reuse the space', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    const v = 'v'.repeat(32);
    for (let i = 0; i < 100_000; i++) t.set(`key:${String(i).padStart(10, '0')}`, v, 0);
    const pages = a.pageBytes;
    for (let i = 0; i < 100_000; i += 2) t.delete(`key:${String(i).padStart(10, '0')}`);
    expect(a.live).toBe(50_000);
    for (let i = 0; i < 50_000; i++) t.set(`new:${String(i).padStart(10, '0')}`, v, 0);
    expect(t.size).toBe(100_000);
    expect(a.pageBytes).toBe(pages);
  });

  it('overwrites in place within a class and move the entry when the class changes', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    for (let i = 0; i < 100; i++) t.set(`k${i}`, 'a', 0);
    t.set('k7', 'b', 0);
    expect(t.get('k7')).toBe('b');
    t.set('k7', 'c'.repeat(1000), 0);
    expect(t.get('k7')).toBe('c'.repeat(1000));
    t.set('k7', 12345, 0);
    expect(t.get('k7')).toBe(12345);
    const h = new HashValue();
    t.set('k7', h, 0);
    expect(t.get('k7')).toBe(h);
    t.set('k7', 'short', 0);
    expect(t.get('k7')).toBe('short');
    expect(a.live).toBe(100);
    expect(a.objs.filter((o) => o !== undefined)).toEqual([]);
    for (let i = 0; i < 100; i++) if (i !== 7) expect(t.get(`k${i}`)).toBe('a');
  });

  it('a 14-byte key with a 32-byte value takes a 56-byte entry (10-byte header)', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('key:0000000001', 'v'.repeat(32), 0);
    expect(a.entryBytes).toBe(56);
    t.set('key:0000000002', 123, 0);
    expect(a.entryBytes).toBe(56 + 32);
  });

  it('keys and values at the short/long length boundaries round-trip, overwritten across them', () => {
    const t = new ByteTable(new Arena());
    const model = new Map<string, Value>();
    for (const kl of [61, 62, 63, 64, 255, 256]) {
      for (const vl of [0, 253, 254, 255, 256, INLINE_MAX]) {
        const k = String.fromCharCode(kl % 256).repeat(kl - 3) + vl.toString().padStart(3, '0').slice(-3);
        t.set(k, 'x'.repeat(vl), 0);
        model.set(k, 'x'.repeat(vl));
      }
    }
    expectSame(t, model);
    for (const [k, v] of model) {
      const shorter = (v as string).length > 200 ? 7 : 'y'.repeat(300);
      t.set(k, shorter, 0);
      model.set(k, shorter);
    }
    expectSame(t, model);
    for (const k of model.keys()) expect(t.delete(k)).toBe(true);
    expect(t.size).toBe(0);
  });

  it('keeps binary keys and values byte for byte, and long keys and values', () => {
    const t = new ByteTable(new Arena());
    const bin = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const longKey = 'K'.repeat(70_000);
    const longVal = 'V'.repeat(INLINE_MAX + 1);
    const huge = 'H'.repeat(300_000);
    t.set(bin, bin, 0);
    t.set('', '', 0);
    t.set(longKey, 'lk', 0);
    t.set('lv', longVal, 0);
    t.set(huge, 1.5, 0);
    expect(t.get(bin)).toBe(bin);
    expect(t.get('')).toBe('');
    expect(t.get(longKey)).toBe('lk');
    expect(t.get('lv')).toBe(longVal);
    expect(t.get(huge)).toBe(1.5);
    expect([...t.keys()].sort()).toEqual([bin, '', longKey, 'lv', huge].sort());
    expect(t.delete(huge)).toBe(true);
    expect(t.delete(longKey)).toBe(true);
    expect(t.get(longKey)).toBeUndefined();
  });

  it('keeps access data per key: touch, overwrite, and LFU counters kept across overwrites', () => {
    const t = new ByteTable(new Arena());
    t.set('a', 'x', 100);
    expect(t.accessTime('a')).toBe(100);
    t.getTouch('a', 200);
    expect(t.accessTime('a')).toBe(200);
    t.set('a', 'y', 300);
    expect(t.accessTime('a')).toBe(300);
    t.setAccessTime('a', -5);
    expect(t.accessTime('a')).toBe(0);
    expect(t.accessTime('b')).toBe(-1);
    ACCESS.lfu = true;
    try {
      t.setAccessData('a', 0x1234_07);
      t.set('a', 'longer value that changes the size class, past 32 bytes', 400);
      expect(t.accessTime('a')).toBe(0x1234_07);
    } finally {
      ACCESS.lfu = false;
    }
  });

  it('iterates every key exactly once while a resize is in progress, and resumes resizing after', () => {
    const t = new ByteTable(new Arena());
    let i = 0;
    while (!t.resizing || t.size < 1000) t.set(`k${i++}`, i, 0);
    const seen: string[] = [];
    for (const k of t.keys()) {
      seen.push(k);
      // lookups during the iteration must not move buckets under it
      t.get(k);
    }
    expect(seen.length).toBe(t.size);
    expect(new Set(seen).size).toBe(t.size);
    const pairs = [...t];
    expect(pairs.length).toBe(t.size);
    for (let n = 0; n < 10_000 && t.resizing; n++) t.get('k0');
    expect(t.resizing).toBe(false);
  });

  it('clear frees every entry and handle', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    for (let i = 0; i < 10_000; i++) t.set(`k${i}`, i % 2 ? new HashValue() : 'v', 0);
    t.clear();
    expect(t.size).toBe(0);
    expect(a.live).toBe(0);
    expect(a.objs.filter((o) => o !== undefined)).toEqual([]);
    expect(t.get('k1')).toBeUndefined();
  });
});

describe('Keyspace on the byte store', () => {
  const hooks = { expired() {}, modified() {}, ready() {}, notify() {} };

  it('expires lazily on lookup and actively, freeing the entries and their expiry times (arena entries too)', () => {
    const ks = new Keyspace(1, hooks);
    const db = ks.db(0);
    ks.now = 1_000_000;
    for (let i = 0; i < 1000; i++) {
      db.set(`k${i}`, `v${i}`);
      if (i % 2 === 0) db.setExpire(`k${i}`, ks.now + 10);
    }
    expect(ks.arena!.live).toBe(1500); // 1000 keys, 500 expiry times
    expect(db.getExpire('k2')).toBe(ks.now + 10);
    ks.now += 20;
    expect(db.get('k0')).toBeUndefined();
    expect(db.get('k1')).toBe('v1');
    let expired = 0;
    for (let n = 0; n < 100 && db.expiresSize > 0; n++) expired += activeExpire(db, 1000)[1];
    expect(expired).toBe(499);
    expect(db.size).toBe(500);
    expect(ks.arena!.live).toBe(500);
  });

  it('SET and GET straight from request bytes: writeBytes stores, readBytes finds, both agree with the string path', () => {
    const ks = new Keyspace(1, { ...hooks, unwatched: () => true });
    const db = ks.db(0);
    const req = Buffer.from('xxkey:{tag}1abc-value' + 'L'.repeat(300) + '\u00ff\u0000', 'latin1');
    // key "key:{tag}1" at 2, value "abc-value" at 12 (9 bytes), a 311-byte binary value at 12
    expect(db.writeBytes(req, 2, 10, 12, 9)).toBe(true);
    expect(db.get('key:{tag}1')).toBe('abc-value');
    expect(db.size).toBe(1);
    const e = db.readBytes(req, 2, 10);
    expect(e).toBeGreaterThan(0);
    const t = db.found!;
    expect(t.bytesAt(e).latin1Slice(t.valueOffset(e), t.valueOffset(e) + t.valueLength(e))).toBe('abc-value');
    expect(ks.hits).toBe(1);
    expect(db.writeBytes(req, 2, 10, 12, 311)).toBe(true);
    expect(db.get('key:{tag}1')).toBe('abc-value' + 'L'.repeat(300) + '\u00ff\u0000');
    expect(db.size).toBe(1);
    expect(db.readBytes(req, 3, 9)).toBe(0);
    expect(ks.misses).toBe(1);
    // strings set through the string path are found from bytes, integers included
    db.set('n', 42);
    const n = db.readBytes(Buffer.from('n'), 0, 1);
    expect(db.found!.numberAt(n)).toBe(42);
  });

  it('INCR from request bytes: a new key starts at 0, integer entries change in place, others decline', () => {
    const ks = new Keyspace(1, { ...hooks, unwatched: () => true });
    const db = ks.db(0);
    const req = Buffer.from('xcounter:{a}1y', 'latin1');
    expect(db.incrBytes(req, 1, 12, 5)).toBe(5);
    expect(db.size).toBe(1);
    expect(db.get('counter:{a}1')).toBe(5);
    expect(db.incrBytes(req, 1, 12, -7)).toBe(-2);
    expect(db.get('counter:{a}1')).toBe(-2);
    expect(ks.arena!.live).toBe(1);
    db.set('s', 'text');
    expect(db.incrBytes(Buffer.from('s'), 0, 1, 1)).toBeNull(); // a string: the string path answers (an error)
    db.set('big', 2 ** 53 - 1);
    expect(db.incrBytes(Buffer.from('big'), 0, 3, 1)).toBeNull(); // past 2^53: the bigint path
    expect(db.get('big')).toBe(2 ** 53 - 1);
    for (let i = 0; i < 1000; i++) expect(db.incrBytes(Buffer.from(`{a}n${i % 100}`), 0, `{a}n${i % 100}`.length, 1)).toBe(Math.floor(i / 100) + 1);
    expect(db.size).toBe(103);
  });

  it('the byte paths decline what needs the string path: int-like values, a SET of a key with an expiry time, aggregates, listeners', () => {
    let watched = false;
    const ks = new Keyspace(1, { ...hooks, unwatched: () => !watched });
    const db = ks.db(0);
    const req = Buffer.from('k123h', 'latin1');
    expect(db.writeBytes(req, 0, 1, 1, 3)).toBe(false); // "123": Redis int-encodes it
    db.set('h', new HashValue());
    expect(db.readBytes(req, 4, 1)).toBe(-1); // an aggregate: GET answers WRONGTYPE on the string path
    watched = true;
    expect(db.writeBytes(req, 0, 1, 4, 1)).toBe(false);
    watched = false;
    db.set('k', 'y');
    db.setExpire('k', ks.now + 100_000);
    expect(db.writeBytes(req, 0, 1, 4, 1)).toBe(false); // SET drops the TTL: the string path does
    expect(db.getExpire('k')).toBe(ks.now + 100_000);
    expect(new Keyspace(1, hooks).db(0).writeBytes(req, 0, 1, 4, 1)).toBe(false); // no unwatched(): always watched
    expect(new Keyspace(1, hooks, true).db(0).readBytes(req, 0, 1)).toBe(-1); // the heap store
  });

  it('the byte paths work in a database with expiry times: a key with a time not yet passed is read and incremented from bytes, TTL kept', () => {
    const ks = new Keyspace(1, { ...hooks, unwatched: () => true });
    const db = ks.db(0);
    ks.now = 1_000_000;
    db.set('ttl', 'abc');
    db.setExpire('ttl', ks.now + 1000);
    db.set('n', 5);
    db.setExpire('n', ks.now + 1000);
    db.set('plain', 'p');
    const req = Buffer.from('ttl n plain new 12345', 'latin1');
    const e = db.readBytes(req, 0, 3);
    expect(e).toBeGreaterThan(0);
    expect(db.found!.bytesAt(e).latin1Slice(db.found!.valueOffset(e), db.found!.valueOffset(e) + 3)).toBe('abc');
    expect(db.incrBytes(req, 4, 1, 2)).toBe(7);
    expect(db.getExpire('n')).toBe(ks.now + 1000);
    expect(db.writeBytes(req, 6, 5, 16, 5)).toBe(false); // "12345" would be int-encoded
    expect(db.writeBytes(req, 6, 5, 0, 3)).toBe(true); // a key without a TTL, in a database with some
    expect(db.get('plain')).toBe('ttl');
    expect(db.writeBytes(req, 12, 3, 0, 3)).toBe(true);
    expect(db.getExpire('new')).toBe(-1);
    // once the time has passed, the string path answers (and expires the key)
    ks.now += 1000;
    expect(db.readBytes(req, 0, 3)).toBe(-1);
    expect(db.incrBytes(req, 4, 1, 1)).toBeNull();
    expect(db.get('ttl')).toBeUndefined();
    expect(db.expiresSize).toBe(1);
  });

  it('bucket arrays are arena memory, given back as tables shrink and empty', () => {
    const ks = new Keyspace(1, hooks);
    const db = ks.db(0);
    const a = ks.arena!;
    let entries = 0;
    for (let i = 0; i < 5000; i++) {
      db.set(`{one}k${i}`, 'v');
      entries += CLASS_SIZE[classOf(10 + `{one}k${i}`.length + 1)]!; // header, key, value
    }
    for (let i = 0; i < 10_000; i++) db.get('{one}k1'); // finish the last incremental resize
    db.set('{one}x', 'v');
    entries += CLASS_SIZE[classOf(10 + 6 + 1)]!;
    // one slot's table of 5001 keys: 8192 buckets of 4 bytes in the arena beside the entries
    expect(a.usedBytes - entries).toBe(CLASS_SIZE[classOf(8192 * 4)]);
    expect(a.live).toBe(5001);
    for (let i = 0; i < 5000; i++) db.delete(`{one}k${i}`);
    db.delete('{one}x');
    expect(a.live).toBe(0);
    expect(a.usedBytes).toBe(0);
  });

  it('the maxmemory byte count is the entry size of each key (class and bucket slot), plus the heap size of a value held as an object', () => {
    const ks = new Keyspace(1, hooks);
    const db = ks.db(0);
    ks.setTracking(true);
    db.set('key:0000000001', 'v'.repeat(32));
    expect(db.bytes).toBe(60);
    db.set('key:0000000001', 7);
    expect(db.bytes).toBe(CLASS_SIZE[classOf(10 + 14 + 8)]! + 4);
    const long = 'x'.repeat(INLINE_MAX + 1);
    db.set('key:0000000001', long);
    // a 4-byte handle in the entry, the string on the heap (16-byte header, 8-byte aligned)
    expect(db.bytes).toBe(CLASS_SIZE[classOf(10 + 14 + 4)]! + 4 + ((16 + long.length + 7) & ~7));
    db.delete('key:0000000001');
    expect(db.bytes).toBe(0);
  });

  it('FLUSHALL gives every page back', () => {
    const ks = new Keyspace(2, hooks);
    for (let i = 0; i < 50_000; i++) ks.db(i % 2).set(`k${i}`, 'v'.repeat(20));
    expect(ks.arena!.pageBytes).toBeGreaterThan(0);
    ks.db(0).flush();
    expect(ks.arena!.pageBytes).toBeGreaterThan(0);
    ks.db(1).flush();
    expect(ks.arena!.pageBytes).toBe(0);
    ks.db(0).set('again', 'x');
    expect(ks.db(0).get('again')).toBe('x');
  });
});
