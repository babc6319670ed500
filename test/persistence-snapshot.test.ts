/*
 * The shard's snapshot (src/shard/snapshot.ts) without a server: how much one pull copies.
 */

import { describe, expect, it, vi } from 'vitest';
import { Keyspace, SLOTS, type KeyspaceHooks } from './helpers/src.js';
import { Snapshot } from '../src/shard/snapshot.js';
import { Pacer } from '../src/persistence/pacer.js';

const hooks: KeyspaceHooks = { expired() {}, modified() {}, ready() {}, notify() {} };

/** A one-database keyspace of n keys (several per hash slot). */
function filled(n: number): Keyspace {
  const ks = new Keyspace(1, hooks);
  ks.now = 1_000_000;
  const db = ks.db(0);
  for (let i = 0; i < n; i++) db.set(`key:${i}`, `value-${i}`);
  return ks;
}

describe('a snapshot pull', () => {
  it('stops after the slot it is copying while a request waits behind it (past its time to give way: 0 here), and a save still ends', () => {
    const ks = filled(50_000);
    const db = ks.db(0);
    const slotSizes: number[] = [];
    for (let s = 0; s < SLOTS; s++) if (db.store.size(s) > 0) slotSizes.push(db.store.size(s));
    const snap = new Snapshot(ks, () => true, () => true, 0);
    // each pull copies the keys of one slot (the last may copy none: it only finds the end)
    const copied: number[] = [];
    for (let complete = false, pulls = 0; !complete && pulls < 2 * SLOTS; pulls++) {
      const before = snap.keys;
      complete = snap.next().complete;
      if (snap.keys > before) copied.push(snap.keys - before);
    }
    expect(copied).toEqual(slotSizes);
    expect(snap.keys).toBe(50_000);
  });

  it('copies many slots when no request waits', () => {
    const ks = filled(50_000);
    const snap = new Snapshot(ks, () => true, () => false, 0);
    snap.next();
    expect(snap.keys).toBeGreaterThan(10 * (50_000 / SLOTS));
  });
});

describe('the pace of a background snapshot', () => {
  it('a full sync waits once its pulls pass their share of the time since it started, until it is back within it; not while within it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    try {
      const pacer = new Pacer(0.5);
      // a 10 ms pull at the start: at half the time, the next may start 20 ms after the start
      vi.advanceTimersByTime(10);
      let done = false;
      void pacer.pulled(performance.now() - 10).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(9);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
      // 20 ms idle, then a 5 ms pull: 15 ms of pulls in 45 ms, within the share
      vi.advanceTimersByTime(20);
      const start = performance.now();
      vi.advanceTimersByTime(5);
      done = false;
      void pacer.pulled(start).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(true);
      // a foreground save (share 1) never waits
      const full = new Pacer(1);
      vi.advanceTimersByTime(50);
      done = false;
      void full.pulled(performance.now() - 50).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a BGSAVE waits after every pull about as long as the pull took (a timer turn at least), however long ago it started', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    try {
      const pacer = new Pacer(0.5, 'each');
      vi.advanceTimersByTime(1000); // idle long since the start: no credit for it
      let done = false;
      void pacer.pulled(performance.now() - 10).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(8);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
      // a short pull: a timer's turn, not a resolved promise
      done = false;
      void pacer.pulled(performance.now()).then(() => (done = true));
      await Promise.resolve();
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
