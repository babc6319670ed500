/*
 * Unit tests of a shard's store (src/shard/keyspace.ts, slot-table.ts, src/store/byte-table.ts), both
 * stores (`keyspace-store bytes` and `heap`), without a server: keys kept
 * per hash slot, lazy and active expiry and the signals each write sends (WATCH invalidation,
 * blocked-client readiness, propagation of expired keys), replica expiry (hidden, never deleted),
 * the LRU clock, and the slot tables' row reuse (and the heap table's insertion order).
 */

import { describe, expect, it } from 'vitest';
import { Arena, ByteSlots, ByteTable, HashValue, HeapSlotTable, Keyspace, activeExpire, ListValue, SLOTS, hashSlotOfString, type Db, type KeyspaceHooks, type SlotTable } from './helpers/src.js';

/** A keyspace whose hooks record every signal as "hook:db:key" (in the byte store, or the heap store). */
function keyspace(heap: boolean, databases = 2): { ks: Keyspace; signals: string[] } {
  const signals: string[] = [];
  const hooks: KeyspaceHooks = {
    expired: (db, key) => signals.push(`expired:${db}:${key}`),
    modified: (db, key) => signals.push(`modified:${db}:${key}`),
    ready: (db, key) => signals.push(`ready:${db}:${key}`),
    notify: (db, event, key) => signals.push(`${event}:${db}:${key}`),
  };
  const ks = new Keyspace(databases, hooks, heap);
  ks.now = 1_000_000_000_000;
  return { ks, signals };
}

describe.each([['bytes', false], ['heap', true]] as const)('Keyspace and Db (%s store)', (_, heap) => {
  it('keeps each key in the table of its hash slot (hashtags share one), and drops an emptied slot table', () => {
    const used = (db: Db): number => {
      let n = 0;
      for (let s = 0; s < SLOTS; s++) if (db.store.size(s) > 0) n++;
      return n;
    };
    const { ks } = keyspace(heap);
    const db = ks.db(0);
    db.set('{user1}a', 'x');
    db.set('{user1}b', 'y');
    db.set('other', 'z');
    const slot = hashSlotOfString('{user1}a');
    expect(slot).toBe(hashSlotOfString('user1'));
    expect([...db.slotKeys(slot)!].sort()).toEqual(['{user1}a', '{user1}b']);
    expect([...db.slotKeys(hashSlotOfString('other'))!]).toEqual(['other']);
    expect(used(db)).toBe(2);
    expect(db.dbsize()).toBe(3);
    db.delete('other');
    expect(db.store.size(hashSlotOfString('other'))).toBe(0);
    expect(used(db)).toBe(1);
    if (!heap) expect((db.store as ByteSlots).buckets(hashSlotOfString('other'))).toBe(0);
  });

  it('databases that never held a key hold no per-slot memory; a first write gives them their own, FLUSHDB gives it back', () => {
    const { ks } = keyspace(heap, 16);
    const unused = ks.db(15);
    for (let i = 0; i < 16; i++) expect([ks.db(i).store.ownsTables, ks.db(i).expiries.ownsTables]).toEqual([false, false]);
    ks.db(3).set('k', 'v');
    expect(ks.db(3).store.ownsTables).toBe(true);
    expect(ks.db(3).expiries.ownsTables).toBe(false);
    ks.db(3).setExpire('k', ks.now + 10_000);
    expect(ks.db(3).expiries.ownsTables).toBe(true);
    for (let i = 0; i < 16; i++) if (i !== 3) expect([ks.db(i).store.ownsTables, ks.db(i).expiries.ownsTables]).toEqual([false, false]);
    for (let s = 0; s < SLOTS; s++) expect(unused.store.size(s)).toBe(0);
    ks.db(3).flush();
    expect([ks.db(3).store.ownsTables, ks.db(3).expiries.ownsTables]).toEqual([false, false]);
    ks.db(3).set('again', 'v');
    expect(ks.db(3).get('again')).toBe('v');
    expect(unused.get('again')).toBeUndefined();
  });

  it('databases are independent', () => {
    const { ks } = keyspace(heap);
    ks.db(0).set('k', 'zero');
    ks.db(1).set('k', 'one');
    expect(ks.db(0).get('k')).toBe('zero');
    expect(ks.db(1).get('k')).toBe('one');
    ks.db(1).flush();
    expect(ks.db(0).get('k')).toBe('zero');
    expect(ks.db(1).get('k')).toBeUndefined();
  });

  it('every write signals modified (WATCH); only creating a list or sorted set signals ready (blocked clients)', () => {
    const { ks, signals } = keyspace(heap);
    const db = ks.db(1);
    db.set('s', 'v');
    db.set('l', new ListValue());
    db.set('h', new HashValue());
    db.set('l', new ListValue()); // overwriting an existing key: not a creation
    db.setExpire('s', ks.now + 1000);
    db.persist('s');
    db.modified('h');
    db.delete('h');
    expect(db.delete('h')).toBe(false); // nothing to delete: no signal
    expect(signals).toEqual(['modified:1:s', 'ready:1:l', 'modified:1:l', 'modified:1:h', 'modified:1:l', 'modified:1:s', 'modified:1:s', 'modified:1:h', 'modified:1:h']);
  });

  it('installRaw (a key shipped in from another shard) sends no signal', () => {
    const { ks, signals } = keyspace(heap);
    ks.db(0).installRaw('l', new ListValue(), ks.now + 5000);
    expect(ks.db(0).getExpire('l')).toBe(ks.now + 5000);
    expect(signals).toEqual([]);
  });

  it('set() drops the TTL unless keepTtl; replace() keeps it', () => {
    const { ks } = keyspace(heap);
    const db = ks.db(0);
    db.set('k', 'a');
    db.setExpire('k', ks.now + 10_000);
    db.replace('k', 'b');
    expect(db.getExpire('k')).toBe(ks.now + 10_000);
    db.set('k', 'c');
    expect(db.getExpire('k')).toBe(-1);
    expect(db.expiresSize).toBe(0);
  });

  it('a lookup of an expired key on a master deletes it, counts it and signals expired then modified', () => {
    const { ks, signals } = keyspace(heap);
    const db = ks.db(0);
    db.set('k', 'v');
    db.setExpire('k', ks.now + 100);
    signals.length = 0;
    expect(db.get('k')).toBe('v');
    ks.now += 100; // at the expiry time the key is gone (Redis: when <= now)
    expect(db.isExpired('k')).toBe(true);
    expect(db.get('k')).toBeUndefined();
    expect(signals).toEqual(['expired:0:k', 'modified:0:k']);
    expect(db.dbsize()).toBe(0);
    expect(db.expiresSize).toBe(0);
    expect(ks.expiredKeys).toBe(1);
  });

  it('on a replica an expired key is hidden but kept (the master sends the DEL), and visible to the master stream', () => {
    const { ks, signals } = keyspace(heap);
    ks.replica = true;
    const db = ks.db(0);
    db.set('k', 'v');
    db.setExpire('k', ks.now - 1);
    signals.length = 0;
    expect(db.get('k')).toBeUndefined();
    expect(db.dbsize()).toBe(1);
    ks.applyingMasterStream = true;
    expect(db.get('k')).toBe('v');
    expect(activeExpire(db, 100)).toEqual([0, 0]);
    expect(signals).toEqual([]);
  });

  it('active expiry removes only keys past their time, resumes from its cursor and propagates each', () => {
    const { ks, signals } = keyspace(heap);
    const db = ks.db(0);
    for (let i = 0; i < 50; i++) {
      db.set(`k${i}`, String(i));
      db.setExpire(`k${i}`, ks.now + (i % 2 === 0 ? -1 : 60_000));
    }
    signals.length = 0;
    const [checked, expired] = activeExpire(db, 1_000_000);
    expect(checked).toBe(50);
    expect(expired).toBe(25);
    expect(db.dbsize()).toBe(25);
    expect(signals.filter((s) => s.startsWith('expired:'))).toHaveLength(25);
    for (let i = 0; i < 50; i++) expect(db.peek(`k${i}`) === undefined).toBe(i % 2 === 0);
  });

  it('read() counts keyspace hits and misses and notifies a miss only when asked', () => {
    const { ks, signals } = keyspace(heap);
    const db = ks.db(0);
    db.set('k', 'v');
    db.read('k');
    db.read('nope');
    expect([ks.hits, ks.misses]).toEqual([1, 1]);
    expect(signals.filter((s) => s.startsWith('keymiss'))).toEqual([]);
    ks.notifyNewOrMiss = true;
    db.read('nope');
    db.set('fresh', 'v');
    expect(signals.slice(-3)).toEqual(['keymiss:0:nope', 'new:0:fresh', 'modified:0:fresh']);
  });

  it('the LRU clock is whole seconds: OBJECT IDLETIME counts seconds since the last touching lookup', () => {
    const { ks } = keyspace(heap);
    const db = ks.db(0);
    db.set('k', 'v');
    ks.now += 5_999;
    expect(db.idleSeconds('k')).toBe(5);
    db.get('k', false); // EXISTS / TYPE / TTL do not touch
    expect(db.idleSeconds('k')).toBe(5);
    db.get('k');
    expect(db.idleSeconds('k')).toBe(0);
    db.setIdle('k', 42);
    expect(db.idleSeconds('k')).toBe(42);
    expect(db.idleSeconds('absent')).toBe(0);
  });

  it('APPEND-style in-place changes mark a key raw until it is overwritten or deleted', () => {
    const { ks } = keyspace(heap);
    const db = ks.db(0);
    db.set('k', 'v');
    db.markRaw('k');
    expect(db.isRaw('k')).toBe(true);
    db.set('k', 'w');
    expect(db.isRaw('k')).toBe(false);
    db.markRaw('k');
    db.delete('k');
    db.set('k', 'x');
    expect(db.isRaw('k')).toBe(false);
  });

  it('byte tracking, once on, follows sets, overwrites, expiries and deletes back to zero', () => {
    const { ks } = keyspace(heap);
    const db = ks.db(0);
    db.set('a', 'x'.repeat(100));
    ks.setTracking(true);
    const one = db.bytes;
    expect(one).toBeGreaterThan(100);
    db.set('b', 'y'.repeat(1000));
    expect(db.bytes).toBeGreaterThan(one + 1000);
    db.setExpire('b', ks.now + 1000);
    db.set('b', 'short', true);
    db.delete('b');
    expect(db.bytes).toBe(one);
    db.delete('a');
    expect(db.bytes).toBe(0);
  });
});

describe.each([['ByteTable', () => new ByteTable(new Arena())], ['HeapSlotTable', () => new HeapSlotTable()]] as [string, () => SlotTable][])('SlotTable: %s', (_, table) => {
  it('iterates over every entry once; an overwrite replaces the value, not the entry', () => {
    const t = table();
    for (const k of ['c', 'a', 'b']) t.set(k, k, 0);
    t.set('a', 'A', 0);
    expect([...t].sort()).toEqual([['a', 'A'], ['b', 'b'], ['c', 'c']]);
    expect(t.size).toBe(3);
  });

  it('set() says whether the key is new; delete() whether it was there', () => {
    const t = table();
    expect(t.set('k', 1, 0)).toBe(true);
    expect(t.set('k', 2, 0)).toBe(false);
    expect(t.delete('k')).toBe(true);
    expect(t.delete('k')).toBe(false);
    expect(t.get('k')).toBeUndefined();
    expect(t.accessTime('k')).toBe(-1);
  });

  it('rows freed by deletes are reused without mixing up values or access times', () => {
    const t = table();
    for (let i = 0; i < 10; i++) t.set(`k${i}`, i, 100 + i);
    for (let i = 0; i < 10; i += 2) t.delete(`k${i}`);
    for (let i = 0; i < 5; i++) t.set(`n${i}`, `new${i}`, 200 + i);
    for (let i = 1; i < 10; i += 2) {
      expect(t.get(`k${i}`)).toBe(i);
      expect(t.accessTime(`k${i}`)).toBe(100 + i);
    }
    for (let i = 0; i < 5; i++) {
      expect(t.get(`n${i}`)).toBe(`new${i}`);
      expect(t.accessTime(`n${i}`)).toBe(200 + i);
    }
    expect(t.size).toBe(10);
    const seen: string[] = [];
    t.forEach((v, k) => seen.push(`${k}=${String(v)}`));
    expect(seen.sort()).toEqual(['k1=1', 'k3=3', 'k5=5', 'k7=7', 'k9=9', 'n0=new0', 'n1=new1', 'n2=new2', 'n3=new3', 'n4=new4']);
  });

  it('getTouch() records the access; get() does not; setAccessTime() clamps at 0', () => {
    const t = table();
    t.set('k', 'v', 10);
    t.get('k');
    expect(t.accessTime('k')).toBe(10);
    expect(t.getTouch('k', 20)).toBe('v');
    expect(t.accessTime('k')).toBe(20);
    t.setAccessTime('k', -5);
    expect(t.accessTime('k')).toBe(0);
  });
});

describe('HeapSlotTable', () => {
  it('iterates in insertion order; an overwrite keeps the position', () => {
    const t = new HeapSlotTable();
    for (const k of ['c', 'a', 'b']) t.set(k, k, 0);
    t.set('a', 'A', 0);
    expect([...t]).toEqual([['c', 'c'], ['a', 'A'], ['b', 'b']]);
  });
});
