/*
 * WATCH on a shard: which connections watch which keys, and which of them saw a watched key change
 * (their EXEC aborts). Keys are "db\0key". The main thread asks through the watch, unwatch and
 * watch-touched control ops (control.ts); the keyspace's "modified" hook and FLUSHDB / FLUSHALL / SWAPDB report
 * changes.
 */

import type { Keyspace } from './keyspace.js';

export class Watches {
  /** "db\0key" -> watching connections. */
  readonly watchers = new Map<string, Set<number>>();
  /** Connection -> the "db\0key" it watches. */
  private readonly watchedBy = new Map<number, Set<string>>();
  /** Connections whose watched keys changed since WATCH. */
  private readonly touched = new Set<number>();
  /** "connId\0db\0key" of watches on keys already logically expired when WATCH ran (Redis's wk->expired). */
  private readonly staleWatches = new Set<string>();

  constructor(private readonly ks: Keyspace) {}

  /** A key was written, deleted or replaced. */
  keyModified(db: number, key: string): void {
    if (this.watchers.size === 0) return;
    const id = `${db}\0${key}`;
    const set = this.watchers.get(id);
    if (!set) return;
    for (const c of set) {
      if (this.staleWatches.size > 0 && this.staleWatches.has(`${c}\0${id}`)) {
        // watched while already expired: its deletion is no logical change
        if (this.ks.db(db).peek(key) === undefined) this.staleWatches.delete(`${c}\0${id}`);
        continue;
      }
      this.touched.add(c);
    }
  }

  /** True if EXEC must abort for this connection: a watched key changed, or expired since WATCH. */
  isTouched(connId: number): boolean {
    if (this.touched.has(connId)) return true;
    const mine = this.watchedBy.get(connId);
    if (!mine) return false;
    for (const id of mine) {
      if (this.staleWatches.size > 0 && this.staleWatches.has(`${connId}\0${id}`)) continue;
      const sep = id.indexOf('\0');
      if (this.ks.db(Number(id.slice(0, sep))).isExpired(id.slice(sep + 1))) return true;
    }
    return false;
  }

  /**
   * FLUSHDB / FLUSHALL / SWAPDB are about to empty db `emptied` (replacing it with the contents of
   * `replacedWith` for SWAPDB): mark touched the watchers of keys that exist in either, except where an
   * already-expired key gives way to nothing or to another expired key (no logical change).
   */
  dbReplaced(emptied: number, replacedWith: number | null): void {
    if (this.watchers.size === 0) return;
    const from = this.ks.db(emptied);
    const to = replacedWith === null ? null : this.ks.db(replacedWith);
    const prefix = `${emptied}\0`;
    for (const [id, set] of this.watchers) {
      if (!id.startsWith(prefix)) continue;
      const key = id.slice(prefix.length);
      const inFrom = from.peek(key) !== undefined;
      const inTo = to !== null && to.peek(key) !== undefined;
      if (!inFrom && !inTo) continue;
      for (const c of set) {
        const stale = `${c}\0${id}`;
        if (this.staleWatches.has(stale)) {
          if (!inTo) {
            this.staleWatches.delete(stale);
            continue;
          }
          if (to!.isExpired(key)) continue;
        } else if (!inFrom && to!.isExpired(key)) {
          this.staleWatches.add(stale);
          continue;
        }
        this.touched.add(c);
      }
    }
  }

  watch(connId: number, db: number, key: string): void {
    const id = `${db}\0${key}`;
    let set = this.watchers.get(id);
    if (!set) {
      set = new Set();
      this.watchers.set(id, set);
    }
    set.add(connId);
    if (this.ks.db(db).isExpired(key)) this.staleWatches.add(`${connId}\0${id}`);
    let mine = this.watchedBy.get(connId);
    if (!mine) {
      mine = new Set();
      this.watchedBy.set(connId, mine);
    }
    mine.add(id);
  }

  unwatchAll(connId: number): void {
    const mine = this.watchedBy.get(connId);
    if (mine) {
      for (const id of mine) {
        const set = this.watchers.get(id);
        if (set) {
          set.delete(connId);
          if (set.size === 0) this.watchers.delete(id);
        }
        if (this.staleWatches.size > 0) this.staleWatches.delete(`${connId}\0${id}`);
      }
      this.watchedBy.delete(connId);
    }
    this.touched.delete(connId);
  }
}
