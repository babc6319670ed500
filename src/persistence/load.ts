/*
 * Loading RDB data into the shards: the whole-file walk (rdbFileEntries) runs on the main thread in
 * slices of a few milliseconds (no object or string per key: RdbScanner) and hands each shard
 * batches of the entries' bytes as the file holds them ("rdbload-raw"), which the shards decode; the file's CRC64 is computed on the persistence pool meanwhile.
 * Used by a replica's full sync (master-link.ts) and by the load of dbfilename at startup and by
 * DEBUG RELOAD (loadAtStartup / loadFile below), which also restore the replication id and offset
 * the file was saved with and report Redis's errors for corrupt or truncated files.
 */

import fs from 'node:fs';
import path from 'node:path';
import { SLOTS, hashSlot } from '../router/slot.js';
import { type DeferredChecksum, RDB_OPCODE, RdbScanner, rdbHeadAux } from '../codec/rdb.js';
import type { PersistHost as Server } from './host.js';
import { Persistence, strerror } from './persistence.js';
import { rdbloadOp } from '../ipc/control.js';

export interface LoadOptions {
  /** Drop keys already expired (a master loading its file; a replica keeps them for the master's DEL). */
  dropExpired: boolean;
  /** Bytes of the payload walked so far (INFO loading_loaded_bytes). */
  progress?: (bytes: number) => void;
  /** key-load-delay: microseconds to wait per key (tests watch the LOADING state with it). */
  keyDelayUs?: number;
  /** Set to the end of the RDB data (commands may follow in an AOF). */
  end?: { at: number };
}

export interface LoadResult {
  keys: number;
  expired: number;
  aux: Map<string, string>;
}

/** A shard refused a batch (a value that does not decode). */
export class BadValue extends Error {}

/** Install every key of an RDB payload into the shards (the keyspace should be empty). */
export async function loadPayload(s: Server, payload: Buffer, opts: LoadOptions): Promise<LoadResult> {
  const p = Persistence.of(s);
  p.loadStart = Date.now();
  p.loadTotal = payload.length;
  p.loadDone = 0;
  const head = rdbHeadAux(payload);
  p.loadUsedMem = Number(head.get('used-mem') ?? 0) || 0;
  try {
    return await walk(s, payload, opts, p);
  } finally {
    p.loadStart = 0;
  }
}

/** Longest the main thread walks the payload before it lets other work run (ms). */
const SLICE_MS = 2;

/** Bytes of entries handed to a shard per "rdbload-raw". */
const BATCH_BYTES = 256 * 1024;
/** Entries sorted by slot at a time while loading (see walk). */
const WINDOW = 262_144;

async function walk(s: Server, payload: Buffer, opts: LoadOptions, p: Persistence): Promise<LoadResult> {
  const progress = (b: number): void => {
    p.loadDone = b;
    opts.progress?.(b);
  };
  const sent: Promise<unknown>[] = [];
  let failed = false;
  const now = Date.now();
  let keys = 0;
  let expired = 0;
  let n = 0;
  let owedUs = 0;
  const functions: string[] = [];
  // the checksum is computed on the pool while the entries are walked here
  const deferred: DeferredChecksum = { at: -1, stored: 0n };
  const crc = p.checksumStream(true);
  let crcFed = 0;
  const feedCrc = (upTo: number): void => {
    if (upTo > crcFed) crc.add(payload.subarray(crcFed, upTo));
    crcFed = upTo;
  };
  const scan = new RdbScanner(payload, functions, opts.end, deferred);
  let sliceStart = performance.now();

  // Batches per (shard, db): the entries' own bytes, copied out of the file as they are there
  // ([EXPIRETIME_MS <ms>] <type> <key> <value>: the snapshot chunk format), decoded by the shard.
  const batches = new Map<number, { shard: number; db: number; ranges: number[]; bytes: number }>();
  const send = (b: { shard: number; db: number; ranges: number[]; bytes: number }): void => {
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
    sent.push(
      s.oneShard(b.shard, rdbloadOp.request(b.db, blob), b.db).then((res) => {
        if (res.reply[0] === 0x2d) failed = true; // '-': a value that does not decode
      }),
    );
  };
  let lastId = -1;
  let last: { shard: number; db: number; ranges: number[]; bytes: number } | undefined;
  const batch = (db: number, slot: number, from: number, to: number, at: number): void => {
    const shard = s.shardOfSlot[slot]!;
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
  // Entries are handed to the shards a window at a time, grouped by slot (a stable counting sort):
  // keys of one slot go into one table, so installing them in slot order keeps that table in cache,
  // where a file in redis-server's order (each key in another slot) misses on every key.
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
  while (scan.next()) {
    const at = scan.expireAt;
    if (opts.dropExpired && at >= 0 && at < now) expired++;
    else {
      wSlot[wn] = scan.keyBuf !== null ? hashSlot(scan.keyBuf, 0, scan.keyBuf.length) : hashSlot(payload, scan.keyAt, scan.keyAt + scan.keyLen);
      wFrom[wn] = scan.typeAt;
      wTo[wn] = scan.end;
      wAt[wn] = at;
      wDb[wn] = scan.db;
      if (++wn === WINDOW) flushWindow();
      keys++;
    }
    if (opts.keyDelayUs) {
      owedUs += opts.keyDelayUs;
      if (owedUs >= 1000) {
        progress(scan.end);
        await new Promise((r) => setTimeout(r, Math.floor(owedUs / 1000)));
        owedUs %= 1000;
      }
    }
    // let the shards load what was sent (and clients get -LOADING, a replica's master its ACKs)
    // while the rest is parsed: the main thread is never held longer than a slice
    if ((++n & 255) === 0 && performance.now() - sliceStart >= SLICE_MS) {
      progress(scan.end);
      feedCrc(scan.end);
      await new Promise((r) => setImmediate(r));
      sliceStart = performance.now();
    }
  }
  flushWindow();
  for (const b of batches.values()) send(b);
  await Promise.all(sent);
  if (deferred.stored !== 0n) {
    feedCrc(deferred.at);
    const computed = await crc.value();
    if (computed !== deferred.stored) throw new Error(`rdb: checksum mismatch: expected: (${computed.toString(16)}) got (${deferred.stored.toString(16)})`);
  } else void crc.value().catch(() => {});
  if (failed) throw new BadValue('Bad data format');
  // the payload's function libraries replace the server's (none in the payload: none kept, as Redis)
  const fnError = p.functions?.replace(functions) ?? null;
  if (fnError !== null) s.log.warn(`RDB load: a function library did not load: ${fnError}`);
  progress(payload.length);
  return { keys, expired, aux: scan.aux };
}

/** Why a file did not load, in Redis's log words (the first line is logged as a warning). */
function explain(e: unknown): string[] {
  const msg = (e as Error).message ?? '';
  if (msg === 'rdb: wrong signature') return ['Wrong signature trying to load DB from file', 'Fatal error loading the DB: Invalid argument. Exiting.'];
  if (msg.startsWith("rdb: can't handle RDB format version")) {
    return [`Can't handle RDB format version ${msg.slice(msg.lastIndexOf(' ') + 1)}`, 'Fatal error loading the DB: Invalid argument. Exiting.'];
  }
  if (msg === 'rdb: truncated') {
    return ['Short read or OOM loading DB. Unrecoverable error, aborting now.', 'Internal error in RDB reading offset 0, function at rdb.c:0 -> Unexpected EOF reading RDB file'];
  }
  if (msg.startsWith('rdb: checksum mismatch: ')) {
    return [`Wrong RDB checksum ${msg.slice('rdb: checksum mismatch: '.length)}. Aborting now.`, 'Internal error in RDB reading offset 0, function at rdb.c:0 -> RDB CRC error'];
  }
  return [`Internal error in RDB reading offset 0, function at rdb.c:0 -> ${msg.replace(/^rdb: /, '')}`];
}

/**
 * Load `file` into the (empty) shards, restoring the replication id and offset it was saved with.
 * Returns null when the file does not exist, true when loaded, or the log lines saying why not.
 */
export async function loadFile(s: Server, file: string, restoreRepl = true, finalLine = true, end?: { at: number }): Promise<true | null | string[]> {
  const p = Persistence.of(s);
  let payload: Buffer;
  try {
    payload = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return [`Fatal error loading the DB: ${strerror(e)}. Exiting.`];
  }
  const t0 = Date.now();
  s.loading = true;
  let res: LoadResult;
  try {
    const ver = rdbHeadAux(payload).get('redis-ver');
    if (ver !== undefined) s.log.info(`Loading RDB produced by version ${ver}`);
    res = await loadPayload(s, payload, {
      dropExpired: s.config.get('replicaof') === '',
      keyDelayUs: Math.max(0, s.config.int('key-load-delay')),
      end,
    });
  } catch (e) {
    s.loading = false;
    return explain(e);
  }
  s.loading = false;
  const aux = res.aux;
  const ctime = Number(aux.get('ctime'));
  if (Number.isFinite(ctime)) s.log.info(`RDB age ${Math.max(0, Math.floor(Date.now() / 1000) - ctime)} seconds`);
  const usedMem = Number(aux.get('used-mem'));
  if (Number.isFinite(usedMem)) s.log.info(`RDB memory usage when created ${(usedMem / 1024 / 1024).toFixed(2)} Mb`);
  s.log.info(`Done loading RDB, keys loaded: ${res.keys}, keys expired: ${res.expired}.`);
  p.lastLoadKeys = res.keys;
  p.lastLoadExpired = res.expired;
  const replid = aux.get('repl-id');
  const offset = Number(aux.get('repl-offset'));
  if (restoreRepl && replid !== undefined && /^[0-9a-f]{40}$/.test(replid) && Number.isInteger(offset) && offset >= 0) {
    // continue the replication history the file was saved at: a master's replicas (or this
    // replica's master) answer the next PSYNC with +CONTINUE
    const repl = s.replication;
    repl.backlog = null;
    repl.masterOffset = offset;
    repl.createBacklog();
    repl.replid = replid;
    repl.lastDb = -1; // a master starts its next stream bytes with a SELECT
    repl.restoredStreamDb = Number(aux.get('repl-stream-db')) || 0;
  }
  if (finalLine) s.log.info(`DB loaded from disk: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
  return true;
}

/**
 * A replica's full sync as Redis does it with repl-diskless-load disabled (the default): the payload
 * becomes dbfilename (written off the main thread, while it loads), so a restart loads it and
 * continues with a partial resync. rdb-del-sync-files yes on a replica without persistence (no save
 * points, appendonly no): no file is kept, with Redis's log line.
 */
export async function keepSyncPayload(s: Server, payload: Buffer, loaded: Promise<void>): Promise<void> {
  const cfg = s.config;
  if (cfg.get('repl-diskless-load') !== 'disabled') return loaded;
  if (cfg.bool('rdb-del-sync-files') && Persistence.of(s).savePoints().length === 0 && !cfg.bool('appendonly')) {
    await loaded;
    s.log.info('Removing the RDB file obtained from the master. This replica has persistence disabled');
    return;
  }
  const tmp = path.resolve(`temp-${Date.now()}.${process.pid}.rdb`);
  const write = (async () => {
    const f = await fs.promises.open(tmp, 'w');
    try {
      await f.writeFile(payload);
      await f.sync();
    } finally {
      await f.close();
    }
  })();
  const [w, l] = await Promise.allSettled([write, loaded]);
  if (l.status === 'rejected') {
    fs.promises.unlink(tmp).catch(() => {});
    throw l.reason; // a load error is the sync's
  }
  if (w.status === 'rejected') {
    s.log.warn(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${strerror(w.reason)}`);
    fs.promises.unlink(tmp).catch(() => {});
    return;
  }
  try {
    fs.renameSync(tmp, path.resolve(cfg.get('dbfilename')));
  } catch (e) {
    s.log.warn(`Failed trying to rename the temp DB into ${cfg.get('dbfilename')} in MASTER <-> REPLICA synchronization: ${strerror(e)}`);
    fs.promises.unlink(tmp).catch(() => {});
  }
}

/** Startup: load dbfilename from dir if it exists. False when it exists but does not load (exit). */
export async function loadAtStartup(s: Server): Promise<boolean> {
  const r = await loadFile(s, s.config.get('dbfilename'));
  if (r === null || r === true) return true;
  for (const line of r) s.log.warn(line);
  return false;
}
