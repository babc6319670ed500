/*
 * Unit tests of a shard's WATCH bookkeeping (src/shard/watches.ts), on a Shard built in-process (no
 * worker thread, no server): which writes make a watching connection's EXEC abort, in which database,
 * what expiry does to a watch, and what FLUSHDB and SWAPDB do. The end-to-end behaviour over sockets:
 * test/transactions.test.ts.
 */

import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARD_CONFIG, Shard, createRingBuffer } from './helpers/src.js';

function shard(): Shard {
  const s = new Shard({
    index: 0,
    shards: 1,
    databases: 16,
    requestRing: createRingBuffer(1024),
    replyRing: createRingBuffer(1024),
    commands: [],
    handlers: {},
    config: { ...DEFAULT_SHARD_CONFIG },
    wakeMain: () => {},
  });
  s.ks.now = 1_000_000_000_000;
  return s;
}

const A = 1; // connection ids
const B = 2;

describe('WATCH on a shard', () => {
  it('a write to a watched key makes only its watchers dirty', () => {
    const s = shard();
    s.watches.watch(A, 0, 'k');
    s.watches.watch(B, 0, 'other');
    expect(s.watches.isTouched(A)).toBe(false);
    s.ks.db(0).set('k', 'v');
    expect(s.watches.isTouched(A)).toBe(true);
    expect(s.watches.isTouched(B)).toBe(false);
  });

  it('every kind of change counts: in-place modification, TTL change, PERSIST, delete', () => {
    for (const change of [
      (s: Shard) => s.ks.db(0).modified('k'),
      (s: Shard) => s.ks.db(0).setExpire('k', s.ks.now + 10_000),
      (s: Shard) => s.ks.db(0).persist('k'),
      (s: Shard) => s.ks.db(0).delete('k'),
    ]) {
      const s = shard();
      s.ks.db(0).set('k', 'v');
      s.ks.db(0).setExpire('k', s.ks.now + 5_000);
      s.watches.watch(A, 0, 'k');
      change(s);
      expect(s.watches.isTouched(A), change.toString()).toBe(true);
    }
  });

  it('a watch is per database: the same key name written in another database does not touch it', () => {
    const s = shard();
    s.watches.watch(A, 3, 'k');
    s.ks.db(0).set('k', 'v');
    expect(s.watches.isTouched(A)).toBe(false);
    s.ks.db(3).set('k', 'v');
    expect(s.watches.isTouched(A)).toBe(true);
  });

  it('a watched key that expires after WATCH aborts EXEC, even before anything deletes it', () => {
    const s = shard();
    s.ks.db(0).set('k', 'v');
    s.ks.db(0).setExpire('k', s.ks.now + 100);
    s.watches.watch(A, 0, 'k');
    expect(s.watches.isTouched(A)).toBe(false);
    s.ks.now += 100;
    expect(s.ks.db(0).peek('k')).toBe('v'); // still stored
    expect(s.watches.isTouched(A)).toBe(true);
  });

  it('a key already expired when watched: its removal is no change, a new value is', () => {
    const s = shard();
    s.ks.db(0).set('k', 'v');
    s.ks.db(0).setExpire('k', s.ks.now - 1);
    s.watches.watch(A, 0, 'k');
    expect(s.watches.isTouched(A)).toBe(false);
    expect(s.ks.db(0).get('k')).toBeUndefined(); // the lookup expires and deletes it
    expect(s.watches.isTouched(A)).toBe(false);
    s.ks.db(0).set('k', 'new');
    expect(s.watches.isTouched(A)).toBe(true);
  });

  it('unwatchAll forgets the watches and the dirty mark of one connection only', () => {
    const s = shard();
    s.watches.watch(A, 0, 'k');
    s.watches.watch(B, 0, 'k');
    s.ks.db(0).set('k', 'v');
    s.watches.unwatchAll(A);
    expect(s.watches.isTouched(A)).toBe(false);
    expect(s.watches.isTouched(B)).toBe(true);
    s.watches.watch(A, 0, 'j');
    s.ks.db(0).set('k', 'w');
    expect(s.watches.isTouched(A)).toBe(false);
    expect(s.watches.watchers.has('0\0k')).toBe(true);
    s.watches.unwatchAll(B);
    expect(s.watches.watchers.has('0\0k')).toBe(false);
  });

  it('FLUSHDB makes dirty the watchers of keys that existed, not of absent keys or other databases', () => {
    const s = shard();
    s.ks.db(0).set('k', 'v');
    s.watches.watch(A, 0, 'k');
    s.watches.watch(B, 0, 'absent');
    s.watches.watch(3, 1, 'k');
    s.watches.dbReplaced(0, null);
    s.ks.db(0).flush();
    expect([s.watches.isTouched(A), s.watches.isTouched(B), s.watches.isTouched(3)]).toEqual([true, false, false]);
  });

  it('SWAPDB makes dirty the watchers of a key that exists in either database', () => {
    const s = shard();
    s.ks.db(1).set('only-in-1', 'v');
    s.watches.watch(A, 0, 'only-in-1');
    s.watches.watch(B, 0, 'nowhere');
    s.watches.dbReplaced(0, 1);
    expect([s.watches.isTouched(A), s.watches.isTouched(B)]).toEqual([true, false]);
  });
});
