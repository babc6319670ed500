/*
 * The walk over a whole RDB payload, run on a persistence pool thread (rdb-worker.ts) so that no part
 * of parsing a file or a replica's full-sync payload runs on the main thread: it finds each key entry
 * without making an object or string per key (RdbScanner), computes the file's CRC64 as it goes, and
 * groups the entries' own bytes by shard and database in slot order (a window of entries at a time),
 * ready for the shards' "rdbload-raw" (they decode them). Batches go to the main thread through a
 * MessagePort as they fill; the main thread only forwards them to the shards (load.ts).
 *
 * Flow control: `flow` (shared with the main thread) counts the bytes handed over and not yet
 * installed by a shard; the walk waits while more than FLOW_LIMIT are out. The main thread also
 * publishes a stop request there (a shard refused a value), and reads the walk's progress.
 */

import type { MessagePort } from 'node:worker_threads';
import { SLOTS, hashSlot } from '../router/slot.js';
import { Crc64, RDB_OPCODE, RdbScanner, type DeferredChecksum } from '../codec/rdb.js';

/** Int32 fields of WalkTask.flow. */
export const FLOW_BYTES = 0; // bytes handed to the main thread and not yet installed by a shard
export const FLOW_STOP = 1; // set by the main thread: stop walking
export const FLOW_DONE_KB = 2; // progress: kilobytes of the payload walked
export const FLOW_WORDS = 3;

/** Bytes handed over but not yet installed, at most (the walk waits beyond it). */
const FLOW_LIMIT = 16 * 1024 * 1024;
/** Bytes of entries per batch (one "rdbload-raw"). */
const BATCH_BYTES = 256 * 1024;
/**
 * Entries sorted by slot at a time (see walk): ~64 keys per slot per window at ten million keys, so
 * each slot table is installed into in runs of that many (262,144 gave 16, and the shard's inserts
 * took 1.5x the CPU: their tables' buckets were out of cache at each run).
 */
const WINDOW = 1_048_576;
/** Bytes of entries a window holds at most (large values: fewer entries; one larger entry goes alone). */
const WINDOW_BYTES = 32 * 1024 * 1024;

export interface WalkTask {
  walk: true;
  /** The payload's memory (shared: the main thread keeps it, to write it to disk meanwhile). */
  payload: SharedArrayBuffer;
  length: number;
  port: MessagePort;
  flow: Int32Array;
  /** Shard of each hash slot. */
  shardOfSlot: Uint8Array;
  /** Drop keys whose expiry time is before `now` (counted as expired). */
  dropExpired: boolean;
  now: number;
  /** key-load-delay: microseconds to wait per key. */
  keyDelayUs: number;
}

/**
 * A window of entries for the shards: RDB key entries ([EXPIRETIME_MS <ms>] <type> <key> <value>...)
 * of one database in slot order, in `buf`; each batch is one shard's run of whole slots, buf[start, end).
 */
export interface WalkWindow {
  db: number;
  buf: ArrayBuffer;
  /** [shard, start, end, runsStart, runsEnd] per batch, flattened: buf[start, end) and its slot runs. */
  batches: number[];
  /** Per batch, slotRuns[runsStart, runsEnd): (slot, end offset in the batch) int32 LE pairs. */
  slotRuns: ArrayBuffer;
  /** Keys per hash slot the file announces for db (RESIZEDB; 0: unknown): sizes new slot tables. */
  keysPerSlot: number;
}

/** The walk's last message. */
export interface WalkEnd {
  keys: number;
  expired: number;
  aux: [string, string][];
  functions: string[];
  /** Where the RDB data ends (commands may follow in an AOF). */
  end: number;
  /** Why the payload does not load (the scanner's message), if it does not. */
  error?: string;
}

export type WalkMessage = { window: WalkWindow } | { end: WalkEnd };

export function walkPayload(t: WalkTask): number {
  const port = t.port;
  try {
    port.postMessage({ end: walk(t) } satisfies WalkMessage);
  } catch (e) {
    port.postMessage({ end: { keys: 0, expired: 0, aux: [], functions: [], end: 0, error: (e as Error).message ?? String(e) } } satisfies WalkMessage);
  }
  port.close();
  return 0;
}

function walk(t: WalkTask): WalkEnd {
  const payload = Buffer.from(t.payload, 0, t.length);
  const { flow, port, shardOfSlot, now } = t;
  const functions: string[] = [];
  const deferred: DeferredChecksum = { at: -1, stored: 0n };
  const endAt = { at: payload.length };
  const scan = new RdbScanner(payload, functions, endAt, deferred);
  const crc = new Crc64();
  let crcFed = 0;
  let keys = 0;
  let expired = 0;
  let owedUs = 0;
  let n = 0;
  /** RESIZEDB's key count of each database. */
  const dbSizes = new Map<number, number>();

  const stopped = (): boolean => Atomics.load(flow, FLOW_STOP) !== 0;

  // Entries go to the shards a window at a time, grouped by slot (a stable counting sort): keys of
  // one slot go into one table, so installing them in slot order keeps that table in cache, where a
  // file in redis-server's order (each key in another slot) misses on every key. The entries are
  // copied in file order (sequential reads) each to its slot's place in the window's buffer
  // (scattered writes, which do not wait for memory as scattered reads do).
  // an entry takes 3 bytes at least: a small payload needs no full-size window
  const windowCap = Math.min(WINDOW, Math.ceil(t.length / 3) + 1);
  const wFrom = new Float64Array(windowCap);
  const wTo = new Float64Array(windowCap);
  const wAt = new Float64Array(windowCap);
  const wSlot = new Int32Array(windowCap);
  /** Byte offset of each slot's entries in the window's buffer, then each slot's write cursor. */
  const bounds = new Float64Array(SLOTS + 1);
  const cursor = new Float64Array(SLOTS);
  let wn = 0;
  let wBytes = 0;
  let wDb = 0;
  const flushWindow = (): void => {
    if (wn === 0) return;
    bounds.fill(0);
    for (let i = 0; i < wn; i++) bounds[wSlot[i]! + 1]! += wTo[i]! - wFrom[i]! + (wAt[i]! >= 0 ? 9 : 0);
    for (let k = 0; k < SLOTS; k++) bounds[k + 1]! += bounds[k]!;
    const total = bounds[SLOTS]!;
    // wait while the shards are behind (their rings and the main thread hold enough already)
    while (Atomics.load(flow, FLOW_BYTES) > FLOW_LIMIT && !stopped()) {
      const out = Atomics.load(flow, FLOW_BYTES);
      if (out > FLOW_LIMIT) Atomics.wait(flow, FLOW_BYTES, out, 100);
    }
    const blob = Buffer.allocUnsafeSlow(total);
    cursor.set(bounds.subarray(0, SLOTS));
    for (let i = 0; i < wn; i++) {
      const slot = wSlot[i]!;
      const from = wFrom[i]!;
      const len = wTo[i]! - from;
      const at = wAt[i]!;
      let o = cursor[slot]!;
      if (at >= 0) {
        blob[o] = RDB_OPCODE.EXPIRETIME_MS;
        blob.writeUInt32LE(at % 4294967296, o + 1);
        blob.writeUInt32LE(Math.floor(at / 4294967296), o + 5);
        o += 9;
      }
      // most entries are a few dozen bytes: a loop costs less than a native copy call each
      if (len < 128) for (let k = 0; k < len; k++) blob[o + k] = payload[from + k]!;
      else payload.copy(blob, o, from, from + len);
      cursor[slot] = o + len;
    }
    // batches: runs of whole slots of one shard, cut at about BATCH_BYTES; with each, its slots and
    // where each ends in it ((slot, end) int32 pairs in `runs`)
    const batches: number[] = [];
    const runs = Buffer.allocUnsafeSlow(8 * Math.min(SLOTS, wn));
    let r = 0;
    let rStart = 0;
    let bStart = 0;
    let bShard = -1;
    for (let k = 0; k < SLOTS; k++) {
      const from = bounds[k]!;
      const to = bounds[k + 1]!;
      if (to === from) continue;
      const shard = shardOfSlot[k]!;
      if (from > bStart && (shard !== bShard || to - bStart > BATCH_BYTES)) {
        batches.push(bShard, bStart, from, rStart, r);
        bStart = from;
        rStart = r;
      }
      bShard = shard;
      runs.writeInt32LE(k, r);
      runs.writeInt32LE(to - bStart, r + 4);
      r += 8;
    }
    if (total > bStart) batches.push(bShard, bStart, total, rStart, r);
    Atomics.add(flow, FLOW_BYTES, total);
    const keysPerSlot = Math.ceil((dbSizes.get(wDb) ?? 0) / SLOTS);
    const buf = blob.buffer as ArrayBuffer;
    const slotRuns = runs.buffer as ArrayBuffer;
    port.postMessage({ window: { db: wDb, buf, batches, keysPerSlot, slotRuns } } satisfies WalkMessage, [buf, slotRuns]);
    wn = 0;
    wBytes = 0;
  };
  const progress = (): void => {
    if (scan.end > crcFed) {
      crc.update(payload.subarray(crcFed, scan.end));
      crcFed = scan.end;
    }
    Atomics.store(flow, FLOW_DONE_KB, Math.floor(scan.end / 1024));
  };

  while (scan.next()) {
    if (scan.dbSize > 0 && !dbSizes.has(scan.db)) dbSizes.set(scan.db, scan.dbSize);
    const at = scan.expireAt;
    if (t.dropExpired && at >= 0 && at < now) expired++;
    else {
      const size = scan.end - scan.typeAt + (at >= 0 ? 9 : 0);
      if (scan.db !== wDb || wBytes + size > WINDOW_BYTES) {
        flushWindow();
        wDb = scan.db;
      }
      wBytes += size;
      wSlot[wn] = scan.keyBuf !== null ? hashSlot(scan.keyBuf, 0, scan.keyBuf.length) : hashSlot(payload, scan.keyAt, scan.keyAt + scan.keyLen);
      wFrom[wn] = scan.typeAt;
      wTo[wn] = scan.end;
      wAt[wn] = at;
      if (++wn === windowCap) flushWindow();
      keys++;
    }
    if (t.keyDelayUs > 0) {
      owedUs += t.keyDelayUs;
      if (owedUs >= 1000) {
        progress();
        Atomics.wait(flow, FLOW_STOP, 0, Math.floor(owedUs / 1000));
        owedUs %= 1000;
      }
    }
    if ((++n & 4095) === 0) {
      progress();
      if (stopped()) throw new Error('rdb: load stopped');
    }
  }
  flushWindow();
  if (deferred.stored !== 0n) {
    if (deferred.at > crcFed) crc.update(payload.subarray(crcFed, deferred.at));
    const computed = crc.value();
    if (computed !== deferred.stored) throw new Error(`rdb: checksum mismatch: expected: (${computed.toString(16)}) got (${deferred.stored.toString(16)})`);
  }
  Atomics.store(flow, FLOW_DONE_KB, Math.floor(payload.length / 1024));
  return { keys, expired, aux: [...scan.aux], functions, end: endAt.at, error: undefined };
}
