/*
 * Loading RDB data into the shards: the whole-file walk runs on a persistence pool thread
 * (rdb-walk.ts: no object or string per key, the CRC64 as it goes, entries grouped by shard in slot
 * order), and this thread only hands its batches of the entries' bytes ("rdbload-raw") to the
 * shards, which decode and install them.
 * Used by a replica's full sync (master-link.ts) and by the load of dbfilename at startup and by
 * DEBUG RELOAD (loadAtStartup / loadFile below), which also restore the replication id and offset
 * the file was saved with and report Redis's errors for corrupt or truncated files.
 */

import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { rdbHeadAux } from '../codec/rdb.js';
import type { PersistHost as Server } from './host.js';
import { Persistence, strerror } from './persistence.js';
import { rdbloadOp } from '../ipc/control.js';
import { FLOW_BYTES, FLOW_DONE_KB, FLOW_STOP, FLOW_WORDS, type WalkEnd, type WalkMessage, type WalkTask } from './rdb-walk.js';

/** Batches (~256 kB each) handed to one shard and not yet installed, at most. */
const IN_FLIGHT = 3;

export interface LoadOptions {
  /** Drop keys already expired (a master loading its file; a replica keeps them for the master's DEL). */
  dropExpired: boolean;
  /** Bytes of the payload walked so far (INFO loading_loaded_bytes). */
  progress?: (bytes: number) => void;
  /** key-load-delay: microseconds to wait per key (tests watch the LOADING state with it). */
  keyDelayUs?: number;
  /** Set to the end of the RDB data (commands may follow in an AOF). */
  end?: { at: number };
  /** Walk on the background pool (nice 10: a replica's full sync, its master may share the machine). */
  background?: boolean;
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
  p.load.start = Date.now();
  p.load.total = payload.length;
  p.load.done = 0;
  const head = rdbHeadAux(payload);
  p.load.usedMem = Number(head.get('used-mem') ?? 0) || 0;
  try {
    return await walk(s, payload, opts, p);
  } finally {
    p.load.start = 0;
  }
}

async function walk(s: Server, payload: Buffer, opts: LoadOptions, p: Persistence): Promise<LoadResult> {
  const progress = (b: number): void => {
    p.load.done = b;
    opts.progress?.(b);
  };
  // the walk (parse, checksum, batching in slot order) runs on a pool thread (rdb-walk.ts); this
  // thread only hands its batches to the shards, which decode and install them
  const shared = toShared(payload);
  const flow = new Int32Array(new SharedArrayBuffer(FLOW_WORDS * 4));
  const { port1, port2 } = new MessageChannel();
  const sent: Promise<unknown>[] = [];
  let failed = false;
  // each shard gets a few batches at a time (the rest wait here, not copied into its link's outbox)
  const queues = s.links.map(() => [] as { argv: ReturnType<typeof rdbloadOp.request>; db: number; bytes: number }[]);
  const inFlight = s.links.map(() => 0);
  const pump = (shard: number): void => {
    const q = queues[shard]!;
    if (failed) q.length = 0; // the load is abandoned
    while (inFlight[shard]! < IN_FLIGHT && q.length > 0) {
      const { argv, db, bytes } = q.shift()!;
      inFlight[shard]!++;
      sent.push(
        s.oneShard(shard, argv, db).then((res) => {
          if (res.reply[0] === 0x2d) {
            failed = true; // '-': a value that does not decode
            Atomics.store(flow, FLOW_STOP, 1);
          }
          Atomics.sub(flow, FLOW_BYTES, bytes);
          Atomics.notify(flow, FLOW_BYTES);
          inFlight[shard]!--;
          pump(shard);
        }),
      );
    }
  };
  const tick = setInterval(() => progress(Math.min(payload.length, Atomics.load(flow, FLOW_DONE_KB) * 1024)), 100);
  try {
    const ended = new Promise<WalkEnd>((resolve) => {
      port1.on('message', (m: WalkMessage) => {
        if ('end' in m) return resolve(m.end);
        const { db, buf, batches, keysPerSlot, slotRuns } = m.window;
        for (let i = 0; i < batches.length; i += 5) {
          const shard = batches[i]!;
          const entries = new Uint8Array(buf, batches[i + 1]!, batches[i + 2]! - batches[i + 1]!);
          const runs = new Uint8Array(slotRuns, batches[i + 3]!, batches[i + 4]! - batches[i + 3]!);
          queues[shard]!.push({ argv: rdbloadOp.request(db, entries, keysPerSlot, runs), db, bytes: entries.length });
          pump(shard);
        }
      });
    });
    const task: WalkTask = {
      walk: true,
      payload: shared.buffer as SharedArrayBuffer,
      length: shared.length,
      port: port2,
      flow,
      shardOfSlot: s.shardOfSlot.slice(),
      dropExpired: opts.dropExpired,
      now: Date.now(),
      keyDelayUs: opts.keyDelayUs ?? 0,
    };
    const run = p.walkPool(opts.background === true).run(task, { transferList: [port2] });
    const [end] = await Promise.all([ended, run]);
    while (sent.length > 0) await Promise.all(sent.splice(0));
    if (failed) throw new BadValue('Bad data format');
    if (end.error !== undefined) throw new Error(end.error);
    if (opts.end !== undefined) opts.end.at = end.end;
    // the payload's function libraries replace the server's (none in the payload: none kept, as Redis)
    const fnError = p.functions?.replace(end.functions) ?? null;
    if (fnError !== null) s.log.warn(`RDB load: a function library did not load: ${fnError}`);
    progress(payload.length);
    return { keys: end.keys, expired: end.expired, aux: new Map(end.aux) };
  } finally {
    clearInterval(tick);
    port1.close();
  }
}

/** The payload in shared memory (the pool thread reads it where it is); copied when it is not already. */
function toShared(b: Buffer): Buffer {
  if (b.buffer instanceof SharedArrayBuffer && b.byteOffset === 0) return b;
  const out = Buffer.from(new SharedArrayBuffer(b.length));
  b.copy(out);
  return out;
}

/** A payload in shared memory, of `n` bytes (the pool's walk reads it without a copy). */
export function sharedBuffer(n: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(n));
}

/** Read a whole file into shared memory. */
function readShared(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const out = sharedBuffer(fs.fstatSync(fd).size);
    let o = 0;
    while (o < out.length) {
      const n = fs.readSync(fd, out, o, out.length - o, o);
      if (n === 0) return out.subarray(0, o);
      o += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
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
    payload = readShared(file);
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
  p.lastLoad.keys = res.keys;
  p.lastLoad.expired = res.expired;
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
