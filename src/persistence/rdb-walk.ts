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
/** Entries sorted by slot at a time (see walk). */
const WINDOW = 262_144;

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

/** A batch for one shard: RDB key entries ([EXPIRETIME_MS <ms>] <type> <key> <value>...) of one db. */
export interface WalkBatch {
  shard: number;
  db: number;
  entries: Uint8Array;
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

export type WalkMessage = { batch: WalkBatch } | { end: WalkEnd };

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

  const stopped = (): boolean => Atomics.load(flow, FLOW_STOP) !== 0;
  const send = (b: { shard: number; db: number; ranges: number[]; bytes: number }): void => {
    // wait while the shards are behind (their rings and the main thread hold enough already)
    while (Atomics.load(flow, FLOW_BYTES) > FLOW_LIMIT && !stopped()) {
      const out = Atomics.load(flow, FLOW_BYTES);
      if (out > FLOW_LIMIT) Atomics.wait(flow, FLOW_BYTES, out, 100);
    }
    const blob = Buffer.allocUnsafe(b.bytes);
    let o = 0;
    const r = b.ranges;
    for (let i = 0; i < r.length; i += 3) {
      const at = r[i + 2]!;
      if (at >= 0) {
        blob[o++] = RDB_OPCODE.EXPIRETIME_MS;
        blob.writeBigInt64LE(BigInt(at), o);
        o += 8;
      }
      const from = r[i]!;
      const len = r[i + 1]! - from;
      // most entries are a few dozen bytes: a loop costs less than a native copy call each
      if (len < 128) for (let k = 0; k < len; k++) blob[o + k] = payload[from + k]!;
      else payload.copy(blob, o, from, from + len);
      o += len;
    }
    Atomics.add(flow, FLOW_BYTES, b.bytes);
    const own = blob.byteOffset === 0 && blob.buffer.byteLength === blob.length;
    const entries = own ? blob : Uint8Array.prototype.slice.call(blob);
    port.postMessage({ batch: { shard: b.shard, db: b.db, entries } } satisfies WalkMessage, [entries.buffer as ArrayBuffer]);
  };

  // batches per (shard, db), filled in slot order
  const batches = new Map<number, { shard: number; db: number; ranges: number[]; bytes: number }>();
  let lastId = -1;
  let last: { shard: number; db: number; ranges: number[]; bytes: number } | undefined;
  const batch = (db: number, slot: number, from: number, to: number, at: number): void => {
    const shard = shardOfSlot[slot]!;
    const id = shard * 65536 + db;
    let b = id === lastId ? last : batches.get(id);
    if (b === undefined) {
      b = { shard, db, ranges: [], bytes: 0 };
      batches.set(id, b);
    }
    lastId = id;
    last = b;
    b.ranges.push(from, to, at);
    b.bytes += to - from + (at >= 0 ? 9 : 0);
    if (b.bytes > BATCH_BYTES) {
      send(b);
      batches.delete(id);
      lastId = -1;
    }
  };
  // Entries go to the shards a window at a time, grouped by slot (a stable counting sort): keys of
  // one slot go into one table, so installing them in slot order keeps that table in cache, where a
  // file in redis-server's order (each key in another slot) misses on every key.
  const wFrom = new Float64Array(WINDOW);
  const wTo = new Float64Array(WINDOW);
  const wAt = new Float64Array(WINDOW);
  const wDb = new Int32Array(WINDOW);
  const wSlot = new Int32Array(WINDOW);
  const order = new Int32Array(WINDOW);
  const starts = new Int32Array(SLOTS + 1);
  let wn = 0;
  const flushWindow = (): void => {
    starts.fill(0);
    for (let i = 0; i < wn; i++) starts[wSlot[i]! + 1]! += 1;
    for (let k = 0; k < SLOTS; k++) starts[k + 1]! += starts[k]!;
    for (let i = 0; i < wn; i++) order[starts[wSlot[i]!]!++] = i;
    for (let j = 0; j < wn; j++) {
      const i = order[j]!;
      batch(wDb[i]!, wSlot[i]!, wFrom[i]!, wTo[i]!, wAt[i]!);
    }
    wn = 0;
  };
  const progress = (): void => {
    if (scan.end > crcFed) {
      crc.update(payload.subarray(crcFed, scan.end));
      crcFed = scan.end;
    }
    Atomics.store(flow, FLOW_DONE_KB, Math.floor(scan.end / 1024));
  };

  while (scan.next()) {
    const at = scan.expireAt;
    if (t.dropExpired && at >= 0 && at < now) expired++;
    else {
      wSlot[wn] = scan.keyBuf !== null ? hashSlot(scan.keyBuf, 0, scan.keyBuf.length) : hashSlot(payload, scan.keyAt, scan.keyAt + scan.keyLen);
      wFrom[wn] = scan.typeAt;
      wTo[wn] = scan.end;
      wAt[wn] = at;
      wDb[wn] = scan.db;
      if (++wn === WINDOW) flushWindow();
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
  for (const b of batches.values()) send(b);
  if (deferred.stored !== 0n) {
    if (deferred.at > crcFed) crc.update(payload.subarray(crcFed, deferred.at));
    const computed = crc.value();
    if (computed !== deferred.stored) throw new Error(`rdb: checksum mismatch: expected: (${computed.toString(16)}) got (${deferred.stored.toString(16)})`);
  }
  Atomics.store(flow, FLOW_DONE_KB, Math.floor(payload.length / 1024));
  return { keys, expired, aux: [...scan.aux], functions, end: endAt.at, error: undefined };
}
