/*
 * maxmemory on a shard: Redis's approximated eviction (evict.c) over this shard's own keys.
 *
 * Memory counted: the sum over all shards of each shard's dataset estimate (Keyspace.datasetBytes(),
 * a running sum of the MEMORY USAGE estimate of every key, kept while maxmemory is set). The
 * process heap is not a usable measure per key in a JS engine (garbage collection moves it in
 * steps of megabytes), so everything that is not the dataset (buffers, backlog, code) counts as
 * Redis's mem_not_counted_for_evict.
 *
 * The shards share a board (a SharedArrayBuffer of Float64, BOARD_STRIDE per shard, each shard
 * writes only its own row; the main thread only reads):
 *
 *   row i: [ dataset bytes | stuck (1 = over the limit and nothing evictable here) | evicted keys |
 *            over since (ms, row 0 only) | ms over before (row 0 only) | - ]
 *
 * Before each client command a shard publishes its bytes and, when the total is over maxmemory and
 * it holds more than its equal share (maxmemory / shards), frees from its own keys what it holds
 * over that share, at most the total excess (at least one key), as Redis's performEvictions does
 * before processing a command. With keys spread by hash slot the shares are even; a shard that
 * holds more (hash tags) may keep more while the total is under maxmemory, and evicts first when
 * it is not. A shard within its share refuses denyoom commands only when no shard over its share
 * can evict. The pool policies sample
 * maxmemory-samples keys per database into an eviction pool of 16 best candidates (idle time for
 * LRU, 255 - frequency for LFU, nearest expiry for volatile-ttl); random policies pick random
 * keys. maxmemory-eviction-tenacity bounds the time spent per call; the rest is done by the
 * shard's cron (Redis's eviction timer). Evicted keys are propagated as DEL (UNLINK with
 * lazyfree-lazy-eviction) before the command that caused the eviction.
 *
 * A command flagged denyoom is refused with -OOM when the total stays over maxmemory: by the main
 * thread under noeviction (or when cannotEvict()), here when nothing could be freed.
 */

import { SLOTS } from '../router/slot.js';
import type { ShardConfig } from './context.js';
import type { Db, Keyspace } from './keyspace.js';
import { ACCESS, lfuDecayed } from './access.js';

export const BOARD_STRIDE = 6;
export const BOARD_BYTES = 0;
export const BOARD_STUCK = 1;
export const BOARD_EVICTED = 2;
/** Shard 0's row only: Date.now() when the total went over maxmemory (0 = not over), and the ms over before. */
export const BOARD_OVER_SINCE = 3;
export const BOARD_OVER_TOTAL = 4;

export function createBoard(shards: number): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * BOARD_STRIDE * shards);
}

const POOL_SIZE = 16;

/**
 * True if over maxmemory nothing can be evicted: every shard holding more than its equal share
 * (maxmemory / shards) found nothing evictable the last time it tried (read by the main thread too).
 */
export function cannotEvict(b: Float64Array, max: number, shards: number): boolean {
  const share = max / shards;
  for (let i = 0; i < b.length; i += BOARD_STRIDE) {
    if (b[i + BOARD_BYTES]! > share && b[i + BOARD_STUCK] === 0) return false;
  }
  return true;
}

interface Candidate {
  db: number;
  key: string;
  score: number;
}

/** Redis's evictionTimeLimitUs: microseconds one eviction call may take for a tenacity 0..100. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return 500 * Math.pow(1.15, tenacity - 10);
  return Infinity;
}

export type EvictedSink = (db: number, keys: string[], unlink: boolean) => void;

export class Evictor {
  /** Keys evicted since the last CONFIG RESETSTAT (also on the board). */
  evicted = 0;
  private readonly board: Float64Array;
  private readonly row: number;
  private pool: Candidate[] = [];
  private nextDb = 0;
  private readonly sample: string[] = [];
  private lo = 0;
  private hi = 0;

  constructor(
    private readonly ks: Keyspace,
    private readonly cfg: ShardConfig,
    board: SharedArrayBuffer | undefined,
    index: number,
    private readonly shards: number,
    private readonly sink: EvictedSink,
    /** Called with a key's slot before the key is evicted (copy-on-write of a snapshot in progress). */
    private readonly beforeRemove: (slot: number) => void = () => {},
    /** Called once a key is evicted (its "modified" signal and "evicted" keyspace event). */
    private readonly afterRemove: (db: number, key: string) => void = (db, key) => ks.hooks.modified(db, key),
  ) {
    this.board = board ? new Float64Array(board) : new Float64Array(BOARD_STRIDE * (index + 1));
    this.row = index * BOARD_STRIDE;
    // the hash slots this shard owns: a contiguous range (src/router/slot.ts slotToShardTable)
    while (this.lo < SLOTS && Math.floor((this.lo * shards) / SLOTS) < index) this.lo++;
    this.hi = this.lo;
    while (this.hi < SLOTS && Math.floor((this.hi * shards) / SLOTS) === index) this.hi++;
    this.configure();
  }

  /** Apply the configuration (at start and after every CONFIG SET sent to the shards). */
  configure(): void {
    const c = this.cfg;
    ACCESS.lfu = c.maxmemoryPolicy.endsWith('-lfu');
    ACCESS.logFactor = c.lfuLogFactor;
    ACCESS.decayTime = c.lfuDecayTime;
    this.ks.setTracking(c.maxmemory > 0);
    this.pool = [];
    this.publish();
  }

  /** True if maxmemory applies to this shard now. */
  active(): boolean {
    return this.cfg.maxmemory > 0 && !(this.ks.replica && this.cfg.replicaIgnoreMaxmemory);
  }

  publish(): void {
    const b = this.board;
    b[this.row + BOARD_BYTES] = this.ks.datasetBytes();
    b[this.row + BOARD_EVICTED] = this.evicted;
  }

  resetStats(): void {
    this.evicted = 0;
    const b = this.board;
    b[this.row + BOARD_OVER_TOTAL] = 0;
    if (b[this.row + BOARD_OVER_SINCE]! > 0) b[this.row + BOARD_OVER_SINCE] = Date.now();
    this.publish();
  }

  /**
   * INFO total/current_eviction_exceeded_time: shard 0 notes when the total goes over maxmemory
   * and back under (from its cron, at least every 1000/hz ms, and before its commands).
   */
  private trackExceeded(over: boolean): void {
    if (this.row !== 0) return;
    const b = this.board;
    const since = b[BOARD_OVER_SINCE]!;
    if (over && since === 0) b[BOARD_OVER_SINCE] = Date.now();
    else if (!over && since !== 0) {
      b[BOARD_OVER_TOTAL] = b[BOARD_OVER_TOTAL]! + (Date.now() - since);
      b[BOARD_OVER_SINCE] = 0;
    }
  }

  private total(): number {
    const b = this.board;
    let n = 0;
    for (let i = BOARD_BYTES; i < b.length; i += BOARD_STRIDE) n += b[i]!;
    return n;
  }

  /**
   * Free memory if the total is over maxmemory (Redis's performEvictions). Returns false when over
   * the limit and nothing could be freed here: a denyoom command must then be refused.
   */
  perform(): boolean {
    if (!this.active()) return true;
    this.publish();
    const max = this.cfg.maxmemory;
    const total = this.total();
    const b = this.board;
    this.trackExceeded(total > max);
    if (total <= max) {
      b[this.row + BOARD_STUCK] = 0;
      return true;
    }
    if (this.cfg.maxmemoryPolicy === 'noeviction') return false;
    const mine = b[this.row + BOARD_BYTES]!;
    const share = max / this.shards;
    if (mine <= share) {
      // within its equal share: the shards over theirs evict; refuse only if none of them can
      return !cannotEvict(b, max, this.shards);
    }
    const need = Math.max(1, Math.min(mine - share, total - max));
    const limitMs = evictionTimeLimitUs(this.cfg.maxmemoryEvictionTenacity) / 1000;
    const t0 = performance.now();
    const before = this.ks.datasetBytes();
    const byDb = new Map<number, string[]>();
    let n = 0;
    let exhausted = false;
    while (before - this.ks.datasetBytes() < need) {
      const c = this.pick();
      if (c === null) {
        exhausted = true;
        break;
      }
      const db = this.ks.db(c.db);
      const slot = this.ks.slotOf(c.key);
      this.beforeRemove(slot);
      db.removeAt(c.key, slot);
      this.afterRemove(c.db, c.key);
      this.evicted++;
      let list = byDb.get(c.db);
      if (list === undefined) byDb.set(c.db, (list = []));
      list.push(c.key);
      // tenacity: the cron goes on where this call stopped
      if ((++n & 15) === 0 && performance.now() - t0 > limitMs) break;
    }
    for (const [db, keys] of byDb) this.sink(db, keys, this.cfg.lazyfreeLazyEviction);
    this.publish();
    // out of evictable keys (Redis's cant_free): refuse unless another shard can still evict
    if (exhausted && this.total() > max) {
      b[this.row + BOARD_STUCK] = 1;
      return !cannotEvict(b, max, this.shards);
    }
    b[this.row + BOARD_STUCK] = 0;
    return true;
  }

  /**
   * Eviction outside commands while still over the limit (Redis's eviction timer, which runs again
   * at once while a tenacity-bounded call left work). Returns true if it wants to run again soon.
   */
  cron(): boolean {
    if (!this.active()) {
      this.trackExceeded(false);
      return false;
    }
    this.publish();
    this.trackExceeded(this.total() > this.cfg.maxmemory);
    if (this.cfg.maxmemoryPolicy === 'noeviction') return false;
    if (this.total() <= this.cfg.maxmemory || this.ks.datasetBytes() <= this.cfg.maxmemory / this.shards) return false;
    const before = this.evicted;
    this.perform();
    return this.evicted > before;
  }

  // ---- choosing keys ------------------------------------------------------------------------

  private volatile(): boolean {
    return this.cfg.maxmemoryPolicy.startsWith('volatile-');
  }

  private pick(): Candidate | null {
    const policy = this.cfg.maxmemoryPolicy;
    if (policy.endsWith('-random')) return this.pickRandom();
    return this.pickFromPool();
  }

  private pickRandom(): Candidate | null {
    const dbs = this.ks.dbs;
    const vol = this.volatile();
    for (let tries = 0; tries < dbs.length; tries++) {
      const db = dbs[this.nextDb]!;
      this.nextDb = (this.nextDb + 1) % dbs.length;
      if ((vol ? db.expiresSize : db.size) === 0) continue;
      const out = this.sample;
      out.length = 0;
      this.sampleDb(db, vol, 1, out);
      if (out.length > 0) return { db: db.id, key: out[0]!, score: 0 };
    }
    return null;
  }

  /** Up to n keys of a db (or of its keys with an expiry) from consecutive slots (of this shard's) after a random one. */
  private sampleDb(db: Db, vol: boolean, n: number, out: string[]): void {
    const span = this.hi - this.lo;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span && out.length < n; i++) {
      const s = this.lo + ((start + i) % span);
      const m = vol ? db.expires[s] : db.slots[s];
      if (m === undefined || m.size === 0) continue;
      takeSome(m.keys(), m.size, n - out.length, out);
    }
  }

  private score(db: Db, key: string): number {
    const policy = this.cfg.maxmemoryPolicy;
    if (policy === 'volatile-ttl') return -db.getExpire(key);
    const data = db.slots[this.ks.slotOf(key)]?.accessTime(key) ?? -1;
    if (data < 0) return -Infinity;
    const nowSec = this.ks.clock();
    if (ACCESS.lfu) return 255 - lfuDecayed(data, nowSec);
    return nowSec - data;
  }

  /** Redis's evictionPoolPopulate + best-key selection. */
  private pickFromPool(): Candidate | null {
    const vol = this.volatile();
    const samples = Math.max(1, this.cfg.maxmemorySamples);
    for (;;) {
      for (const db of this.ks.dbs) {
        if ((vol ? db.expiresSize : db.size) === 0) continue;
        const out = this.sample;
        out.length = 0;
        this.sampleDb(db, vol, samples, out);
        for (const key of out) this.offer({ db: db.id, key, score: this.score(db, key) });
      }
      if (this.pool.length === 0) return null;
      // best candidates last; skip the ones that went away meanwhile
      while (this.pool.length > 0) {
        const c = this.pool.pop()!;
        const db = this.ks.db(c.db);
        const exists = vol ? db.getExpire(c.key) >= 0 && db.slots[this.ks.slotOf(c.key)]?.has(c.key) : db.slots[this.ks.slotOf(c.key)]?.has(c.key);
        if (exists) return c;
      }
    }
  }

  private offer(c: Candidate): void {
    const pool = this.pool;
    for (const p of pool) if (p.db === c.db && p.key === c.key) return;
    if (pool.length >= POOL_SIZE && c.score <= pool[0]!.score) return;
    let i = pool.length;
    while (i > 0 && pool[i - 1]!.score > c.score) i--;
    pool.splice(i, 0, c);
    if (pool.length > POOL_SIZE) pool.shift();
  }
}

/** Up to n keys of an iterator of `size`, starting a random distance (< 64) in. */
function takeSome(keys: IterableIterator<string>, size: number, n: number, out: string[]): void {
  let skip = Math.floor(Math.random() * Math.min(size, 64));
  if (skip + n > size) skip = Math.max(0, size - n);
  for (const k of keys) {
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push(k);
    if (--n === 0) break;
  }
}
