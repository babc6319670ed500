/*
 * KeySignals: what a shard does when its keyspace reports a key (the Keyspace's hooks) or its evictor
 * removes one. A key's change reaches WATCH (watches.ts), the stream readers blocked on it (XREADGROUP
 * sees a deleted stream), a shipped command's list of modified keys (shipped.ts) and client-side
 * tracking ("" invalidations); an expiry or eviction is also a keyspace event ("expired", "evicted")
 * and a tracking invalidation by nobody ("!"), and an expiry on a master is propagated as a DEL: with
 * the command that found the key expired (same database), else batched in ExpiredOutside. The events
 * go to the shard's KeyspaceEventLog, which the shard emits ahead of its next reply record.
 */

import { NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW } from '../commands/keyspace-events.js';
import { FLAG_REPLICATED, REP_PROPAGATE } from '../ipc/records.js';
import { RespWriter } from '../resp/writer.js';
import { ExpiredOutside } from './expired.js';
import type { ShardHost } from './host.js';
import type { KeyspaceEventLog } from './keyspace-events.js';
import type { KeyspaceHooks } from './keyspace.js';
import type { ShardConfig } from './context.js';

/** Whether notify-keyspace-events asks for "new" or "keymiss" events (Keyspace.notifyNewOrMiss). */
export const notifiesNewOrMiss = (config: ShardConfig): boolean => (config.notifyFlags & (NOTIFY_NEW | NOTIFY_KEY_MISS)) !== 0;

/** What the signals use of the shard: ShardHost, and whether a command is running now. */
export interface SignalsHost extends ShardHost {
  readonly inCommand: boolean;
}

export class KeySignals implements KeyspaceHooks {
  /** The key being deleted by expiry or eviction (its "modified" signal is reported as "!", not ""). */
  private expiringKey: string | null = null;
  /** DELs of keys expired outside a command (active expiry), per db. */
  private readonly expiredOutside = new ExpiredOutside();

  constructor(
    private readonly s: SignalsHost,
    private readonly events: KeyspaceEventLog,
  ) {}

  expired(db: number, key: string): void {
    const s = this.s;
    if (s.blocked.byKey.size > 0) s.blocked.signalGroupReaders(db, key);
    if (s.expiredLog !== null) s.expiredLog.push(key);
    if (s.config.notifyFlags & NOTIFY_EXPIRED) this.events.record(db, 'expired', key);
    if (s.config.trackWrites) {
      // a deletion by expiry is nobody's write (NOLOOP does not filter it): "!" instead of ""
      this.events.record(db, '!', key);
      this.expiringKey = key;
    }
    if (s.inCommand && db === s.db.id && !(s.flags & FLAG_REPLICATED)) {
      s.p.command(['DEL', key]);
      return;
    }
    if (this.expiredOutside.add(db, key) >= 256 && !s.inCommand) this.flushExpiredOutside();
  }

  /** Send the DELs of keys expired outside a command to the replication stream. */
  flushExpiredOutside(): void {
    this.expiredOutside.flush((db, w) => this.s.emit(REP_PROPAGATE, 0, db, 0, 0, null, w));
  }

  /** As Redis: an evicted key is invalidated as nobody's write ("!"), then "evicted" is notified. */
  evicted(db: number, key: string): void {
    if (this.s.config.trackWrites) {
      this.events.record(db, '!', key);
      this.expiringKey = key;
    }
    this.modified(db, key);
    if (this.s.config.notifyFlags & NOTIFY_EVICTED) this.events.record(db, 'evicted', key);
  }

  /** The evicted keys of db go to the replication stream as one DEL (UNLINK: lazyfree-lazy-eviction) each. */
  propagateEvicted(db: number, keys: readonly string[], unlink: boolean): void {
    const w = new RespWriter(4096);
    for (const k of keys) w.command([unlink ? 'UNLINK' : 'DEL', k]);
    this.s.emit(REP_PROPAGATE, 0, db, 0, 0, null, w);
  }

  modified(db: number, key: string): void {
    const s = this.s;
    if (s.config.trackWrites) {
      if (key === this.expiringKey) this.expiringKey = null;
      else this.events.record(db, '', key);
    }
    if (s.shippedKeys !== null && s.shippedKeys.has(key)) s.shippedModified.add(key);
    if (s.blocked.byKey.size > 0) s.blocked.signalGroupReaders(db, key);
    s.watches.keyModified(db, key);
  }

  ready(db: number, key: string): void {
    this.s.blocked.keyReady(db, key);
  }

  notify(db: number, event: 'new' | 'keymiss', key: string): void {
    if (this.s.config.notifyFlags & (event === 'new' ? NOTIFY_NEW : NOTIFY_KEY_MISS)) this.events.record(db, event, key);
  }

  /** What modified() serves: none of it wanted now. */
  unwatched(): boolean {
    const s = this.s;
    return !s.config.trackWrites && s.shippedKeys === null && s.blocked.byKey.size === 0 && s.watches.watchers.size === 0;
  }
}
