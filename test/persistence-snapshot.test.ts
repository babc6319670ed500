/*
 * The shard's snapshot (src/shard/snapshot.ts) without a server: how much one pull copies.
 */

import { describe, expect, it } from 'vitest';
import { Keyspace, SLOTS, type KeyspaceHooks } from './helpers/src.js';
import { Snapshot } from '../src/shard/snapshot.js';

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
