/*
 * Clients blocked on a shard (BLPOP, BZPOPMIN, XREAD BLOCK ...): parked requests by connection and by
 * key ("db\0key", in arrival order), and the keys made ready since they were last served. The shard
 * re-runs a parked request when one of its keys is ready (serveReadyKeys) and answers it with a
 * null array at its deadline.
 *
 * As redis-server, each key serves its waiters in the order they blocked, whatever other keys they
 * wait on. A client blocked on list or sorted-set keys of several shards waits on the main thread
 * (router/coordinator.ts retries it); here a stand-in (BlockedRequest.standIn) holds its place in
 * the queue of each of its keys: a ready key whose first waiter of its type is a stand-in serves no
 * one until the coordinator has served that client or its wait ended (the stand-in is dropped, and
 * its keys are looked at again).
 */

import { FLAG_DEFER_READY, REP_REPLY } from '../ipc/records.js';
import { STREAM_KEY_GONE } from '../resp/errors.js';
import { RespWriter } from '../resp/writer.js';
import type { BlockedRequest } from './context.js';
import { isAggregate } from './values/types.js';
import type { BlockedSet, ShardHost } from './host.js';

/** The reply of a blocked request that timed out (or CLIENT UNBLOCK ... TIMEOUT). */
export const NULL_ARRAY = Buffer.from('*-1\r\n');

export class BlockedClients implements BlockedSet {
  readonly byKey = new Map<string, BlockedRequest[]>();
  readonly byConn = new Map<number, BlockedRequest>();
  /** "db\0key" made ready for their waiters, to serve. */
  readyKeys: string[] = [];

  add(req: BlockedRequest): void {
    this.byConn.set(req.connId, req);
    for (const k of req.keys) {
      const id = `${req.db}\0${k}`;
      let q = this.byKey.get(id);
      if (!q) {
        q = [];
        this.byKey.set(id, q);
      }
      q.push(req);
    }
  }

  remove(req: BlockedRequest): void {
    this.byConn.delete(req.connId);
    for (const k of req.keys) {
      const id = `${req.db}\0${k}`;
      const q = this.byKey.get(id);
      if (!q) continue;
      const i = q.indexOf(req);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.byKey.delete(id);
    }
  }

  /** A key with XREADGROUP waiters was written, deleted or replaced: let them check it. */
  signalGroupReaders(db: number, key: string): void {
    const id = `${db}\0${key}`;
    const q = this.byKey.get(id);
    if (q && q.some((r) => r.cmd.name === 'xreadgroup') && !this.readyKeys.includes(id)) this.readyKeys.push(id);
  }

  /** A key became ready (pushed to, added to ...). */
  keyReady(db: number, key: string): void {
    if (this.byKey.size === 0) return;
    const id = `${db}\0${key}`;
    if (this.byKey.has(id)) this.readyKeys.push(id);
  }

  /** How many clients are blocked here (stand-ins are counted by the main thread), and with a timeout. */
  counts(): { blocked: number; timed: number } {
    let blocked = 0;
    let timed = 0;
    for (const req of this.byConn.values()) {
      if (req.standIn) continue;
      blocked++;
      if (req.deadline > 0) timed++;
    }
    return { blocked, timed };
  }

  /** Requests whose deadline passed, and ms until the next deadline (at most 1000). */
  due(now: number): { expired: BlockedRequest[]; next: number } {
    let next = 1000;
    const expired: BlockedRequest[] = [];
    for (const req of this.byConn.values()) {
      if (req.deadline === 0) continue;
      if (req.deadline <= now) expired.push(req);
      else next = Math.min(next, req.deadline - now);
    }
    return { expired, next };
  }
}

/** The value type a blocking command of this command group waits for. */
export function waitedType(group: string): string {
  return group === 'sorted-set' ? 'zset' : group === 'stream' ? 'stream' : 'list';
}

/** Serve clients blocked on keys that became ready, in arrival order, re-running their commands. */
export function serveReadyKeys(shard: ShardHost): void {
  // a cross-shard EXEC or script is running through this shard (or a script inside it): its end
  // serves them
  if (shard.readyHold || shard.flags & FLAG_DEFER_READY) return;
  const saved = { connId: shard.connId, seq: shard.seq, flags: shard.flags, db: shard.db, protocol: shard.protocol };
  const blocked = shard.blocked;
  while (blocked.readyKeys.length > 0) {
    const id = blocked.readyKeys.shift()!;
    const q = blocked.byKey.get(id);
    if (!q) continue;
    // as Redis: only a key of the type a waiter pops from serves it (a list pushed, deleted and set
    // to a string in one transaction wakes nobody; the waiters stay blocked)
    const sep = id.indexOf('\0');
    const v = shard.ks.db(Number(id.slice(0, sep))).get(id.slice(sep + 1), false);
    // as Redis: XREADGROUP waiters of a stream deleted or overwritten are unblocked with an error
    if (v === undefined || !isAggregate(v) || v.type !== 'stream') {
      for (const req of [...q]) if (req.cmd.name === 'xreadgroup') unblock(shard, req.connId, STREAM_KEY_GONE);
    }
    if (v === undefined || !isAggregate(v)) continue;
    // the first waiter that cannot be served means the key is empty again
    for (const req of [...q]) {
      // blocking sorted-set commands (BZPOPMIN ...) pop zsets, XREAD & co read streams, the others
      // pop lists; every stream reader is tried (each waits for IDs of its own)
      if (v.type !== waitedType(req.cmd.group)) continue;
      // the client blocked first waits on keys of several shards: the coordinator serves it
      if (req.standIn) break;
      if (!rerunBlocked(shard, req) && v.type !== 'stream') break;
    }
  }
  shard.connId = saved.connId;
  shard.seq = saved.seq;
  shard.flags = saved.flags;
  shard.db = saved.db;
  shard.protocol = saved.protocol;
}

/** Unblock a connection: reply with `reply` (timeout/null or an error), or silently when null. */
export function unblock(shard: ShardHost, connId: number, reply: Buffer | string | null): boolean {
  const req = shard.blocked.byConn.get(connId);
  if (!req) return false;
  shard.blocked.remove(req);
  if (req.standIn) {
    // the client's wait across shards ended (the main thread answers it): the waiters queued behind
    // it on these keys may be served now
    for (const k of req.keys) shard.blocked.keyReady(req.db, k);
    return true;
  }
  if (reply !== null) {
    shard.intro.unblocked(req.cmd, typeof reply === 'string');
    const w = new RespWriter(64);
    w.proto = req.proto;
    if (typeof reply === 'string') w.error(reply);
    else if (reply === NULL_ARRAY) w.nullArray();
    else w.raw(reply);
    shard.emit(REP_REPLY, 0, req.db, req.connId, req.seq, w, null);
  }
  return true;
}

/** Time out blocked requests whose deadline passed; returns ms until the next deadline. */
export function expireBlocked(shard: ShardHost): number {
  const { expired, next } = shard.blocked.due(Date.now());
  for (const req of expired) unblock(shard, req.connId, NULL_ARRAY);
  return next;
}

/** Re-run a blocked request; true if it was served (and unblocked). */
function rerunBlocked(shard: ShardHost, req: BlockedRequest): boolean {
  shard.connId = req.connId;
  shard.seq = req.seq;
  shard.flags = 0;
  shard.db = shard.ks.db(req.db);
  shard.protocol = req.proto;
  shard.serving = req;
  shard.runArgv(req.argv, req.cmd.id);
  shard.serving = null;
  if (shard.reblocked) {
    shard.p.reset();
    return false;
  }
  shard.blocked.remove(req);
  shard.emit(REP_REPLY, 0, req.db, req.connId, req.seq, shard.w, shard.p);
  shard.p.reset();
  return true;
}
