/*
 * maxmemory on a shard: Redis's approximated eviction (evict.c) over this shard's own keys.
 *
 * Memory counted: the used_memory INFO reports, less what Redis leaves out of it for eviction
 * (replicas' output buffers; shardis has no AOF buffer: its appends are written at once), as Redis's
 * getMaxmemoryState. Each thread's share of it is on a board (a SharedArrayBuffer of Float64,
 * BOARD_STRIDE per row, each thread writes only its own row; the main thread only reads the shards'):
 *
 *   row i < shards: [ dataset bytes | stuck (1 = over the limit and nothing evictable here) | evicted
 *                     keys | over since (ms, row 0 only) | ms over before (row 0 only) | base |
 *                     counting (1 = the dataset bytes are kept) ]
 *   row shards (the main thread's): [ - | - | - | - | - | base | - ]
 *
 * A thread's memory is its isolate's heap in use outside the young generation, plus its external
 * memory (ArrayBuffers, Buffers: a shard's arena pages; the main thread's also the rings it shares
 * with the shards), measured (isolateBytes()) while maxmemory is set when the last measure is 10 s
 * old (MEASURE_EVERY_MS), and when INFO / MEMORY STATS ask if the last measure is 1 s old
 * (MEASURE_ASKED_MS: an INFO's gathered statistics leave ~0.4 MB of large garbage on the main
 * thread's heap, which the next INFO would see; a shard's collector may free some between two INFOs)
 * or, for a shard while maxmemory is 0 (its dataset estimate is not kept then), if it ran commands
 * since (measureAsked). A measure also moves by the code and feedback V8 makes for paths run for the first time and
 * by what a scavenge promotes (~0.1-1 MB a thread), so it is not taken more often, nor when the
 * configuration changes: after INFO the figure moves only with the dataset, for a while, as Redis's
 * tests expect (they set maxmemory to INFO's used_memory plus some kB and write past it). The young
 * generation is left out: it holds
 * the garbage of the last requests until the next scavenge frees it (up to 16 MB a thread), which
 * would make the figure jump by megabytes from one request to the next. A shard's row holds its
 * memory at the last sample less its dataset estimate then (base), and its dataset estimate now
 * (Keyspace.datasetBytes(), a running sum of the MEMORY USAGE estimate of every key, kept while
 * maxmemory is set): base + dataset follows every write at once, and is put right at each sample.
 * The used memory is the sum of every row's base and dataset bytes (usedBytes()).
 *
 * Before each client command a shard publishes its bytes and, when the total is over maxmemory,
 * frees from its own keys what it holds over its share of the data maxmemory leaves room for
 * (dataShare: equal shares, the data of shards with nothing left to evict taken out first), at most
 * the total excess (at least one key), as Redis's performEvictions does before processing a
 * command; the main thread has every shard do so before a command while over the limit (evictOp).
 * A shard within its share refuses denyoom commands only when no shard holding data can evict. The
 * pool policies sample
 * maxmemory-samples keys per database into an eviction pool of 16 best candidates (idle time for
 * LRU, 255 - frequency for LFU, nearest expiry for volatile-ttl); random policies pick random
 * keys. maxmemory-eviction-tenacity bounds the time spent per call; the rest is done by the
 * shard's cron (Redis's eviction timer). Evicted keys are propagated as DEL (UNLINK with
 * lazyfree-lazy-eviction) before the command that caused the eviction. A call that evicted records
 * the latency events eviction-del (the longest single key's removal) and eviction-cycle (the whole
 * call), as Redis does, when over latency-monitor-threshold (see onLatency).
 *
 * A command flagged denyoom is refused with -OOM when the total stays over maxmemory: by the main
 * thread under noeviction (or when cannotEvict()), here when nothing could be freed.
 */

import v8 from 'node:v8';
import { SLOTS } from '../router/slot.js';
import type { ShardConfig } from './context.js';
import type { Db, Keyspace } from './keyspace.js';
import { ACCESS, lfuDecayed } from './access.js';
import { arenaSlack } from '../store/arena.js';

export const BOARD_STRIDE = 7;
export const BOARD_BYTES = 0;
export const BOARD_STUCK = 1;
export const BOARD_EVICTED = 2;
/** Shard 0's row only: Date.now() when the total went over maxmemory (0 = not over), and the ms over before. */
export const BOARD_OVER_SINCE = 3;
export const BOARD_OVER_TOTAL = 4;
/** A thread's memory besides its dataset bytes, at its last sample (the main thread's row: all of it). */
export const BOARD_BASE = 5;
/** 1 while the shard keeps its dataset estimate (maxmemory set): its data is in BOARD_BYTES, not in its base. */
export const BOARD_COUNTING = 6;

/** A board for `shards` shard rows and the main thread's row after them. */
export function createBoard(shards: number): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * BOARD_STRIDE * (shards + 1));
}

/**
 * This thread's memory as used_memory counts it: the isolate's heap in use outside the young
 * generation (new_space: mostly the garbage of the last requests) plus its external memory.
 */
export function isolateBytes(): number {
  const h = v8.getHeapStatistics();
  let young = 0;
  for (const sp of v8.getHeapSpaceStatistics()) if (sp.space_name === 'new_space') young = sp.space_used_size;
  return h.used_heap_size - young + h.external_memory - arenaSlack.bytes;
}

/** The memory maxmemory is compared with: every row's base and dataset bytes. */
export function usedBytes(b: Float64Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i += BOARD_STRIDE) n += b[i + BOARD_BYTES]! + b[i + BOARD_BASE]!;
  return n;
}

/**
 * The dataset bytes a shard may keep while the memory is over maxmemory (`total`): what maxmemory
 * leaves for data (less every thread's memory outside it), less the data of the shards that found
 * nothing to evict, shared equally by the others (`me`, the asking shard's row, counts as one of
 * them). Each shard evicts down to it, and not below, however often it is asked.
 */
export function dataShare(b: Float64Array, max: number, total: number, me: number): number {
  let data = 0;
  let stuckData = 0;
  let others = 0;
  for (let i = 0; i < b.length - BOARD_STRIDE; i += BOARD_STRIDE) {
    // a shard that has not taken maxmemory's setting yet still has its data in its base: no share
    // can be told until it has (it has by the next command or two: the setting went first)
    if (b[i + BOARD_COUNTING] === 0) return Infinity;
    data += b[i + BOARD_BYTES]!;
    if (i !== me && b[i + BOARD_STUCK] !== 0) stuckData += b[i + BOARD_BYTES]!;
    else others++;
  }
  return (max - (total - data) - stuckData) / Math.max(1, others);
}

const POOL_SIZE = 16;
/**
 * How long a thread's last measure of its memory stands for INFO / MEMORY STATS (MEASURE_ASKED_MS),
 * and while maxmemory is set (MEASURE_EVERY_MS).
 */
export const MEASURE_ASKED_MS = 1000;
export const MEASURE_EVERY_MS = 10_000;

/**
 * True if over maxmemory nothing can be evicted: every shard holding data found nothing evictable
 * the last time it tried (read by the main thread too).
 */
export function cannotEvict(b: Float64Array): boolean {
  for (let i = 0; i < b.length - BOARD_STRIDE; i += BOARD_STRIDE) {
    // (a shard that has not taken maxmemory's setting yet may have data to evict)
    if (b[i + BOARD_COUNTING] === 0 || (b[i + BOARD_BYTES]! > 0 && b[i + BOARD_STUCK] === 0)) return false;
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

/** A latency event (Redis's latencyAddSampleIfNeeded): its name and how long it took, in ms. */
export type LatencySink = (event: string, ms: number) => void;

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
  /** Date.now() of the last measure of this thread's memory (see measure()). */
  private sampledAt = 0;

  /**
   * A measure INFO / MEMORY STATS asks for: taken when the last is 1 s old (MEASURE_ASKED_MS) or,
   * while the dataset estimate is not kept (maxmemory 0), when commands ran since (`commands`: the
   * shard's count of them), so that writes since show; not otherwise (a measure moves by garbage
   * promoted or collected meanwhile).
   */
  measureAsked(commands: number): void {
    if (Date.now() - this.sampledAt >= MEASURE_ASKED_MS || (this.cfg.maxmemory === 0 && commands !== this.measuredCommands)) {
      this.measure();
      this.measuredCommands = commands;
    }
  }
  private measuredCommands = -1;
  /** Latency events of eviction (eviction-del, eviction-cycle); set by the shard. */
  onLatency: LatencySink | null = null;

  constructor(
    private readonly ks: Keyspace,
    private readonly cfg: ShardConfig,
    board: SharedArrayBuffer | undefined,
    index: number,
    shards: number,
    private readonly sink: EvictedSink,
    /** Called with a key's slot before the key is evicted (copy-on-write of a snapshot in progress). */
    private readonly beforeRemove: (slot: number) => void = () => {},
    /** Called once a key is evicted (its "modified" signal and "evicted" keyspace event). */
    private readonly afterRemove: (db: number, key: string) => void = (db, key) => ks.hooks.modified(db, key),
  ) {
    this.board = board ? new Float64Array(board) : new Float64Array(BOARD_STRIDE * (index + 2));
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
    // the dataset count starts (or stops) here: the base takes the difference, so the figure stays
    // the one last measured (INFO's) instead of moving by a new measure's noise
    const before = this.ks.datasetBytes();
    this.ks.setTracking(c.maxmemory > 0);
    const base = this.row + BOARD_BASE;
    this.board[base] = this.board[base]! - (this.ks.datasetBytes() - before);
    this.board[this.row + BOARD_COUNTING] = c.maxmemory > 0 ? 1 : 0;
    this.pool = [];
    if (this.sampledAt === 0) this.measure();
    else this.publish();
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

  /** Measure this shard's memory again (its base: the isolate's bytes less the dataset estimate). */
  measure(olderThanMs = 0): void {
    if (olderThanMs > 0 && Date.now() - this.sampledAt < olderThanMs) return;
    const dataset = this.ks.datasetBytes();
    this.board[this.row + BOARD_BASE] = isolateBytes() - dataset;
    this.sampledAt = Date.now();
    this.publish();
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
    return usedBytes(this.board);
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
    const share = dataShare(b, max, total, this.row);
    if (mine <= 0 || mine <= share) {
      // within its share: the shards over theirs evict; refuse only if none of them can
      b[this.row + BOARD_STUCK] = 0;
      return !cannotEvict(b);
    }
    const need = Math.max(1, Math.min(mine - share, total - max));
    const limitMs = evictionTimeLimitUs(this.cfg.maxmemoryEvictionTenacity) / 1000;
    const t0 = performance.now();
    let longestDel = 0;
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
      const d0 = this.onLatency !== null ? performance.now() : 0;
      this.beforeRemove(slot);
      db.removeAt(c.key, slot);
      this.afterRemove(c.db, c.key);
      if (this.onLatency !== null) longestDel = Math.max(longestDel, performance.now() - d0);
      this.evicted++;
      let list = byDb.get(c.db);
      if (list === undefined) byDb.set(c.db, (list = []));
      list.push(c.key);
      // tenacity: the cron goes on where this call stopped
      if ((++n & 15) === 0 && performance.now() - t0 > limitMs) break;
    }
    for (const [db, keys] of byDb) this.sink(db, keys, this.cfg.lazyfreeLazyEviction);
    this.publish();
    if (this.onLatency !== null) {
      this.onLatency('eviction-del', longestDel);
      this.onLatency('eviction-cycle', performance.now() - t0);
    }
    // out of evictable keys (Redis's cant_free): refuse unless another shard can still evict
    if (exhausted && this.total() > max) {
      b[this.row + BOARD_STUCK] = 1;
      return !cannotEvict(b);
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
    this.measure(MEASURE_EVERY_MS);
    this.publish();
    this.trackExceeded(this.total() > this.cfg.maxmemory);
    if (this.cfg.maxmemoryPolicy === 'noeviction') return false;
    if (this.total() <= this.cfg.maxmemory || this.ks.datasetBytes() <= 0) return false;
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
      const m = vol ? db.expiries : db.store;
      const size = m.size(s);
      if (size === 0) continue;
      takeSome(m.keys(s), size, n - out.length, out);
    }
  }

  private score(db: Db, key: string): number {
    const policy = this.cfg.maxmemoryPolicy;
    if (policy === 'volatile-ttl') return -db.getExpire(key);
    const data = db.store.accessTime(this.ks.slotOf(key), key);
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
        const exists = (!vol || db.getExpire(c.key) >= 0) && db.store.has(this.ks.slotOf(c.key), c.key);
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
