/*
 * Active expiry (Redis's activeExpireCycle), one database at a time: the shard's cron visits slots
 * from the database's cursor and removes the keys whose time has passed, so keys nobody reads again
 * do not stay in memory. Masters only: a replica waits for its master's DELs.
 */

import { SLOTS } from '../router/slot.js';
import type { Db, Keyspace } from './keyspace.js';

/** The keys of one slot whose time has passed, collected first: a table must not change while it is walked. */
const due: string[] = [];

/**
 * Visit slots from db's cursor, removing expired keys, until `maxChecks` keys were checked or every
 * slot was visited once. Returns [checked, expired].
 */
export function activeExpire(db: Db, maxChecks: number): [number, number] {
  let checked = 0;
  let expired = 0;
  const ks = db.ks;
  if (db.expiresSize === 0 || ks.replica) return [0, 0];
  const now = ks.now;
  for (let visited = 0; visited < SLOTS && checked < maxChecks; visited++) {
    const slot = db.expireCursor;
    db.expireCursor = (slot + 1) & (SLOTS - 1);
    const e = db.expiries;
    const n = e.size(slot);
    if (n === 0) continue;
    checked += n;
    e.forEachAt(slot, (at, key) => {
      if (at <= now) due.push(key);
    });
    for (const key of due) {
      db.removeAt(key, slot);
      ks.expiredKeys++;
      ks.hooks.expired(db.id, key);
      ks.hooks.modified(db.id, key);
    }
    expired += due.length;
    due.length = 0;
  }
  return [checked, expired];
}

/**
 * The cron's run of active expiry: each database with keys that expire, in rounds of 200 checked
 * keys, while a good share of the checked keys (a quarter) had expired and within `budgetMs` of ks.now.
 */
export function activeExpireCycle(ks: Keyspace, budgetMs: number): void {
  for (const db of ks.dbs) {
    if (db.expiresSize === 0) continue;
    const until = ks.now + budgetMs;
    for (;;) {
      const [checked, expired] = activeExpire(db, 200);
      if (checked === 0 || expired * 4 < checked || Date.now() >= until) break;
    }
  }
}
