/*
 * Persistence: RDB snapshots on disk (SAVE, BGSAVE, the `save` schedule, the save at shutdown) and the
 * state INFO persistence reports.
 *
 * A save is a point-in-time snapshot without stopping the world, built as the replication full sync
 * is: the coordinator locks every shard for one round trip, each shard starts its copy-on-write
 * snapshot behind the requests it already has ("snapshot-begin"), and master_repl_offset then is the
 * snapshot's offset (stored as the repl-offset aux field, so a restart can continue the replication
 * history with a partial resync). The shards hand over chunks of RDB key entries ("snapshot-next");
 * the piscina pool (rdb-worker.ts) compresses them (LZF), advances the CRC64 and writes them to
 * temp-<pid>.rdb, which is fsynced and renamed over `dbfilename` in `dir` (the working directory), as
 * Redis does. SAVE and BGSAVE differ only in when they answer; neither blocks other clients.
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { REDIS_VERSION } from '../config.js';
import { RDB_OPCODE, RdbWriter, rdbHeader } from '../codec/rdb.js';
import { perServer, type FunctionLibraries, type PersistHost as Server, type ReplView } from './host.js';
import { MISCONF } from '../resp/errors.js';
import { ABORTED, type CrcTask, type WarmTask, type WriteResult, type WriteTask } from './rdb-encode.js';
import { snapshotLock } from './snapshot-lock.js';
import { loadPiscina, newNicePool, PoolChecksum } from './pools.js';
import { strerror } from './strerror.js';
import { Pacer, SNAPSHOT_SHARE } from './pacer.js';
import { fsClose, fsOpen, fsyncDir, functionCodes, respCommand, safeCwd } from './save-io.js';
import { keyspaceOp, snapshotAbortOp, snapshotBeginOp, snapshotNextOp } from '../ipc/control.js';

export { strerror };

/** Bytes of pieces handed to the pool per task. */
const TASK_BYTES = 256 * 1024;
/** nice of the pool thread that writes snapshots (see rdb-worker.ts). */
const BACKGROUND_NICE = 10;
/** Redis's CONFIG_BGSAVE_RETRY_DELAY: a failed background save is retried by the schedule after 5 s. */
const BGSAVE_RETRY_DELAY = 5000;

export class SaveAborted extends Error {}

/** Where a snapshot other than dbfilename goes (an AOF base file). Paths relative to dir. */
export interface SnapshotTarget {
  tmpName: string;
  finalName: string;
  tmpPath: string;
  finalPath: string;
  /** At the cut (the shards locked): the moment writes start going to a new AOF incr file. */
  onCut(): void;
  /** aof-use-rdb-preamble no: the file holds commands (FUNCTION LOAD, SELECT, RESTORE), not RDB. */
  commands?: boolean;
}

export class Persistence {
  /** rdb_last_bgsave_status. */
  lastBgsaveOk = true;
  /** When the last background save was tried (ms). */
  lastBgsaveTry = 0;
  /** rdb_last_bgsave_time_sec. */
  lastBgsaveSecs = -1;
  /** Start (ms) of the background save in progress, or 0. */
  bgsaveStart = 0;
  /** A BGSAVE waits to start (asked for inside EXEC). */
  scheduled = false;
  /** rdb_saves. */
  saves = 0;
  /** repl.changes at the last successful save (rdb_changes_since_last_save is the difference). */
  private changesAtSave = 0;
  /** The save in progress (SAVE, BGSAVE or the schedule). */
  private running: Promise<unknown> | null = null;
  /** [0]: set to 1 to stop the save in progress; [1]: keys written so far (shared with the pool thread). */
  private readonly abortFlag = new Int32Array(new SharedArrayBuffer(8));
  /** current_save_keys_processed (counted by the pool thread as it writes, in abortFlag[1]) / _total. */
  get saveKeysProcessed(): number {
    return Atomics.load(this.abortFlag, 1);
  }
  saveKeysTotal = 0;
  /** The load in progress (INFO loading_*): its start (ms; 0: none), total and loaded bytes, the file's used-mem. */
  readonly load = { start: 0, total: 0, done: 0, usedMem: 0 };
  /** rdb_last_load_keys_loaded and rdb_last_load_keys_expired. */
  readonly lastLoad = { keys: 0, expired: 0 };
  /** Set by main.ts once scripting is wired: the libraries to save and to load. */
  functions: FunctionLibraries | null = null;
  private pool: Piscina | null = null;
  private urgentPool: Piscina | null = null;
  private syncLoadPool: Piscina | null = null;
  private readonly timer: NodeJS.Timeout;

  static readonly of = perServer((server) => new Persistence(server));

  private constructor(readonly server: Server) {
    this.timer = setInterval(() => this.cron(), 100);
    this.timer.unref();
    server.closers.push(() => {
      clearInterval(this.timer);
      void this.pool?.destroy();
      void this.urgentPool?.destroy();
      void this.syncLoadPool?.destroy();
      this.pool = null;
      this.urgentPool = null;
      this.syncLoadPool = null;
    });
    server.whenConfigChanged((names) => {
      if (names.includes('save') || names.includes('stop-writes-on-bgsave-error') || names.includes('appendonly')) this.refreshWriteRefusal();
    });
  }

  private get repl(): ReplView {
    return this.server.replication;
  }

  /** rdb_changes_since_last_save. */
  changes(): number {
    return this.repl.changes - this.changesAtSave;
  }

  /** Save points of the `save` parameter: [seconds, changes]... */
  savePoints(): [number, number][] {
    const v = this.server.config.get('save').trim();
    if (v === '') return [];
    const n = v.split(/\s+/).map(Number);
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < n.length; i += 2) out.push([n[i]!, n[i + 1]!]);
    return out;
  }

  /** True while any snapshot (a save, or a replication full sync) is being taken. */
  busy(): boolean {
    return snapshotLock.owner !== null;
  }

  bgsaveInProgress(): boolean {
    return this.bgsaveStart !== 0;
  }

  /** Recompute the server's write refusal (after a save, an AOF write, a config change). */
  refreshWriteRefusal(): void {
    this.server.writeRefusal = this.writeError();
  }

  /** MISCONF while the last background save failed, save points are set and stop-writes-on-bgsave-error is on. */
  writeError(): string | null {
    const aof = this.aofWriteError?.() ?? null;
    if (aof !== null) return aof;
    if (this.lastBgsaveOk) return null;
    const cfg = this.server.config;
    if (!cfg.bool('stop-writes-on-bgsave-error') || cfg.get('save').trim() === '') return null;
    return MISCONF;
  }

  private cron(): void {
    if (this.busy() || this.server.loading) return;
    if (this.scheduled) {
      this.scheduled = false;
      void this.bgsave();
      return;
    }
    const now = Date.now();
    const changes = this.changes();
    for (const [secs, need] of this.savePoints()) {
      if (changes >= need && now - this.server.lastSave > secs * 1000 && (this.lastBgsaveOk || now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY)) {
        this.server.log.info(`${need} changes in ${secs} seconds. Saving...`);
        void this.bgsave();
        return;
      }
    }
  }

  /** Start a background save (the caller checked busy()). Resolves when it ended: true on success. */
  bgsave(): Promise<boolean> {
    this.bgsaveStart = Date.now();
    this.lastBgsaveTry = this.bgsaveStart;
    this.server.log.info('Background saving started');
    return this.run().then((r) => {
      this.lastBgsaveSecs = Math.round((Date.now() - this.bgsaveStart) / 1000);
      this.bgsaveStart = 0;
      if (r === 'ok') this.server.log.info('Background saving terminated with success');
      else if (r === 'aborted') this.server.log.warn('Background saving terminated by signal 10');
      else this.server.log.warn('Background saving error');
      // a save stopped on purpose (SHUTDOWN, FLUSHALL) leaves the status as it was (Redis: SIGUSR1)
      if (r !== 'aborted') this.lastBgsaveOk = r === 'ok';
      this.refreshWriteRefusal();
      return r === 'ok';
    });
  }

  /** A foreground save (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD): true on success. */
  async save(): Promise<boolean> {
    const r = await this.run();
    if (r === 'ok') this.lastBgsaveOk = true;
    this.refreshWriteRefusal();
    return r === 'ok';
  }

  /** A foreground save once no other snapshot (a save, a replication full sync) is in progress. */
  async saveWhenFree(): Promise<boolean> {
    while (this.busy()) await new Promise((r) => setTimeout(r, 10));
    return this.save();
  }

  /** Wait for the save in progress, if any. */
  async settle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  /** Stop a background save in progress (SHUTDOWN, FLUSHALL) and wait until it is gone. */
  async abortBgsave(): Promise<void> {
    if (this.running === null || !this.bgsaveInProgress()) return;
    Atomics.store(this.abortFlag, 0, 1);
    Atomics.notify(this.abortFlag, 0);
    await this.settle();
  }

  private run(target?: SnapshotTarget): Promise<'ok' | 'err' | 'aborted'> {
    snapshotLock.owner = 'save';
    Atomics.store(this.abortFlag, 0, 0);
    Atomics.store(this.abortFlag, 1, 0);
    this.saveKeysTotal = 0;
    const p = this.writeSnapshot(target).then(
      () => 'ok' as const,
      (e: unknown) => {
        if (e instanceof SaveAborted) return 'aborted' as const;
        this.server.log.warn(`${(e as Error).message}`);
        return 'err' as const;
      },
    );
    this.running = p.finally(() => {
      snapshotLock.owner = null;
      this.running = null;
    });
    return p;
  }

  private makePool(nice: number): Piscina {
    const pool = newNicePool(nice, {
      filename: fileURLToPath(new URL('./rdb-worker.js', import.meta.url)),
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 2000,
      workerData: { nice },
    });
    // a thread that fails to start (the working directory removed: uv_cwd ENOENT) with no task of
    // its own: piscina emits 'error', which stopped the server. The pool is dropped instead (its
    // waiting tasks fail) and the next snapshot makes a new one.
    pool.on('error', (e: Error) => {
      this.server.log.warn(`Background pool thread failed: ${e.message}`);
      if (this.pool === pool) this.pool = null;
      if (this.urgentPool === pool) this.urgentPool = null;
      if (this.syncLoadPool === pool) this.syncLoadPool = null;
      void pool.destroy();
    });
    return pool;
  }

  /**
   * `urgent` false: the pool for work behind a running server that no client waits for (a snapshot
   * being written to disk): its thread runs at nice 10 (rdb-worker.ts). `urgent`: the pool at the
   * normal priority, for work someone waits on: a load (clients only get -LOADING meanwhile), a full
   * sync's checksum (its replicas wait for the payload's end, and the master holds their writes).
   */
  private poolOf(urgent = false): Piscina {
    const make = (nice: number): Piscina => this.makePool(nice);
    if (urgent) return (this.urgentPool ??= make(0));
    return (this.pool ??= make(BACKGROUND_NICE));
  }

  /**
   * poolOf(urgent) made without a long stall of the main thread, before a snapshot's cut: piscina
   * loaded a module file per turn of the event loop (pools.ts), then the pool made and its thread
   * started by a task that does nothing, each in a turn of its own (a new thread costs the main thread
   * 2-4 ms of CPU). Loading piscina and starting the thread inside the save (where the first task
   * needed them) blocked the main thread 5 + 2.5 ms of CPU at once, the worst write stall of a
   * 1M-key BGSAVE on a quiet machine (9-14 ms against 3-7 ms for redis-server's fork).
   */
  private async readyPool(urgent: boolean): Promise<Piscina> {
    await loadPiscina();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const pool = this.poolOf(urgent);
    if (pool.threads.length === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      pool.run({ warm: true } satisfies WarmTask).catch(() => {}); // a failed start fails the first real task
    }
    return pool;
  }

  /**
   * The pool that walks an RDB payload being loaded (load.ts): its own thread, so a walk never waits
   * behind a snapshot's tasks. `background`: at nice 10 (a replica's full sync: its master or other
   * servers may share the machine, and clients only get -LOADING meanwhile); otherwise (a load at
   * startup, DEBUG RELOAD) at the normal priority.
   */
  walkPool(background: boolean): Piscina {
    if (!background) return this.poolOf(true);
    return (this.syncLoadPool ??= this.makePool(BACKGROUND_NICE));
  }

  /**
   * A CRC64 computed on a pool thread at the normal priority, off the main thread, over bytes given
   * in order: a replication full sync's payload as it is sent. The payload ends with it, so a starved
   * checksum drew the sync out: on this 2-core machine at load ~10, a nice-10 checksum thread waited
   * 0.4-1.1 s for the CPU during a 1M-key sync, and the master's worst SET stall during syncs was
   * 71-270 ms (median 206 ms of 7) against 52-167 ms (median 73 ms of 3; 37-337 ms, median 91 ms of 8
   * with the replica's walk also at nice 0) at the normal priority.
   */
  checksumStream(): PoolChecksum {
    // the pool is made now, in slices (readyPool), and the first batch waits for it
    const ready = this.readyPool(true);
    return new PoolChecksum(async (joined, crc) => {
      await ready;
      return this.checksum(joined, crc);
    }, ready);
  }

  /** Advance a running CRC64 over `joined` on the pool (its memory moves there when it owns it). */
  private async checksum(joined: Buffer, crc: { lo: number; hi: number }): Promise<{ lo: number; hi: number }> {
    const own = joined.byteOffset === 0 && joined.buffer.byteLength === joined.length;
    const task: CrcTask = { crcOnly: true, pieces: [joined], crcLo: crc.lo, crcHi: crc.hi };
    const r = (await this.poolOf(true).run(task, own ? { transferList: [joined.buffer as ArrayBuffer] } : {})) as WriteResult;
    return { lo: r.crcLo, hi: r.crcHi };
  }

  /**
   * Take a snapshot into another file (an AOF base): one snapshot at a time, like a save (the caller
   * waits for busy() to clear). `onCut` runs at the cut, while the shards are locked.
   */
  snapshotTo(target: SnapshotTarget): Promise<'ok' | 'err' | 'aborted'> {
    return this.run(target);
  }

  /** Take the snapshot and write it to dbfilename in dir (or `target`). Throws with Redis's log text on failure. */
  private async writeSnapshot(target?: SnapshotTarget): Promise<void> {
    const s = this.server;
    const repl = this.repl;
    const cfg = s.config;
    const all = s.links.map((_, i) => i);

    // the cut
    let offset: number;
    let changesAtCut: number;
    let streamDb: number;
    let keysTotal = 0;
    await s.coordinator.lock(all);
    try {
      await s.coordinator.quiesce();
      const [, ks] = await Promise.all([s.allShards(snapshotBeginOp.request()), s.allShards(keyspaceOp.request())]);
      keysTotal = 0;
      for (const r of ks) for (const { keys } of keyspaceOp.read(r.reply)) keysTotal += keys;
      repl.flush();
      offset = repl.masterOffset;
      changesAtCut = repl.changes;
      streamDb = repl.streamDb();
      target?.onCut();
    } finally {
      s.coordinator.unlock(all);
    }
    this.saveKeysTotal = keysTotal;

    const tmpName = target?.tmpName ?? `temp-${process.pid}.rdb`;
    const finalName = target?.finalName ?? cfg.get('dbfilename');
    // the directory at the start of the save (CONFIG SET dir meanwhile changes the next save's)
    const root = safeCwd();
    const tmpPath = path.resolve(root, target?.tmpPath ?? tmpName);
    const finalPath = path.resolve(root, target?.finalPath ?? finalName);
    let fd: number;
    try {
      fd = await fsOpen(tmpPath, 'w');
    } catch (e) {
      await s.allShards(snapshotAbortOp.request());
      throw new Error(`Failed opening the RDB file ${tmpName} (in server root dir ${root}) for saving: ${strerror(e)}`);
    }
    let closed = false;
    try {
      // made in slices of the main thread's time (the shards copy on write meanwhile)
      const pool = await this.readyPool(false);
      const compress = cfg.bool('rdbcompression');
      const asAof = target?.commands === true;
      const checksum = cfg.bool('rdbchecksum') && !asAof;
      const keyDelayUs = Math.max(0, cfg.int('rdb-key-save-delay'));
      let crcLo = 0;
      let crcHi = 0;
      let pieces: Buffer[] = [];
      let kinds: number[] = [];
      let bytes = 0;
      // one task on the pool at a time (each continues the previous one's CRC); the next one is
      // gathered from the shards while it runs
      let inflight: Promise<void> = Promise.resolve();
      const runTask = async (task: WriteTask, transfer: ArrayBuffer[]): Promise<void> => {
        task.crcLo = crcLo;
        task.crcHi = crcHi;
        let r: WriteResult;
        try {
          r = (await pool.run(task, { transferList: transfer })) as WriteResult;
        } catch (e) {
          if ((e as Error).message === ABORTED) throw new SaveAborted('aborted');
          throw new Error(`Write error saving DB on disk: ${strerror(e)}`);
        }
        crcLo = r.crcLo;
        crcHi = r.crcHi;
      };
      let transfer: ArrayBuffer[] = [];
      const flush = async (final: boolean): Promise<void> => {
        const task: WriteTask = { fd, pieces, kinds, crcLo: 0, crcHi: 0, compress, checksum, keyDelayUs, final, abort: this.abortFlag, aof: asAof };
        const moved = transfer;
        pieces = [];
        kinds = [];
        bytes = 0;
        transfer = [];
        await inflight;
        inflight = runTask(task, moved);
        inflight.catch(() => {}); // awaited by the next flush or at the end
      };
      const add = (b: Buffer, kind: number): void => {
        pieces.push(b);
        kinds.push(kind);
        bytes += b.length;
      };
      const isReplica = repl.isReplica();
      const withRepl = isReplica || repl.hasBacklog();
      // the function libraries as of the cut, right after the header (as redis-server writes them)
      const fnRecords = this.functions?.records();
      if (asAof) {
        // as Redis's rewrite: a timestamp first (aof-timestamp-enabled), then the libraries
        if (cfg.bool('aof-timestamp-enabled')) add(Buffer.from(`#TS:${Math.floor(Date.now() / 1000)}\r\n`, 'latin1'), 0);
        if (fnRecords !== undefined) for (const code of functionCodes(fnRecords)) add(respCommand(['FUNCTION', 'LOAD', code]), 0);
      } else {
        add(rdbHeader(REDIS_VERSION, withRepl && target === undefined ? { replid: repl.replid, offset, streamDb } : null, target !== undefined), 0);
        if (fnRecords !== undefined && fnRecords.length > 0) add(fnRecords, 0);
      }
      // A background save waits after each pull about as long as the pull took (pacer.ts), so the
      // shard sleeps after each one and keeps about half its time for requests; a pull gives way to a
      // request waiting behind it (snapshot.ts), so a request waits a fraction of a pull. A
      // foreground save (SAVE, SHUTDOWN) goes at full speed.
      const pacer = new Pacer(this.bgsaveInProgress() ? SNAPSHOT_SHARE : 1, 'each');
      try {
        for (let i = 0; i < s.links.length; i++) {
          for (;;) {
            if (Atomics.load(this.abortFlag, 0) !== 0) throw new SaveAborted('aborted');
            const pullStart = performance.now();
            const res = await s.oneShard(i, snapshotNextOp.request());
            await pacer.pulled(pullStart);
            const chunk = snapshotNextOp.read(res.reply); // the entries are views of the reply
            // the reply's own memory moves to the pool thread (views of it are the pieces)
            if (chunk.parts.length > 0 && res.reply.byteOffset === 0 && res.reply.buffer.byteLength === res.reply.length) transfer.push(res.reply.buffer as ArrayBuffer);
            for (const { db, entries } of chunk.parts) {
              if (asAof) add(respCommand(['SELECT', db]), 0);
              else {
                const w = new RdbWriter(16);
                w.byte(RDB_OPCODE.SELECTDB);
                w.len(db);
                add(w.done(), 0);
              }
              add(entries, 1);
            }
            if (bytes >= TASK_BYTES) await flush(false);
            if (chunk.complete) break;
          }
        }
        await flush(true);
        await inflight;
      } catch (e) {
        await inflight.catch(() => {});
        // the shards stop copying slots for a snapshot nobody reads any more
        await s.allShards(snapshotAbortOp.request());
        throw e;
      }
      if (Atomics.load(this.abortFlag, 0) !== 0) throw new SaveAborted('aborted');
      // close, rename and the directory's fsync on libuv's pool: an fsync on a busy disk takes
      // milliseconds the main thread's clients would wait (Redis does these in its fork child)
      closed = true;
      await fsClose(fd);
      try {
        await fs.promises.rename(tmpPath, finalPath);
      } catch (e) {
        throw new Error(`Error moving temp DB file ${tmpName} on the final destination ${finalName} (in server root dir ${root}): ${strerror(e)}`);
      }
      await fsyncDir(path.dirname(finalPath));
    } catch (e) {
      if (!closed) fs.closeSync(fd);
      try {
        fs.unlinkSync(tmpPath);
      } catch {
        /* already gone */
      }
      throw e;
    }
    if (target !== undefined) return;
    s.log.info('DB saved on disk');
    s.lastSave = Date.now();
    this.changesAtSave = changesAtCut;
    this.saves++;
  }

  /** The AOF's MISCONF while it cannot write (installed by aof.ts). */
  aofWriteError: (() => string | null) | null = null;
  /** The AOF's INFO fields (installed by aof.ts). */
  aofInfo: (() => { fields: Map<string, string>; extra: string[] }) | null = null;

  private aofLines(): string[] {
    const names = ['aof_enabled', 'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec', 'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status', 'aof_rewrites', 'aof_rewrites_consecutive_failures', 'aof_last_write_status'];
    const defaults = ['0', '0', '0', '-1', '-1', 'ok', '0', '0', 'ok'];
    const f = this.aofInfo?.().fields;
    return names.map((n, i) => `${n}:${f?.get(n) ?? defaults[i]}`);
  }

  /** Forget the changes made so far (after loading the AOF: replayed writes are not changes). */
  resetChanges(): void {
    this.changesAtSave = this.repl.changes;
  }

  /** INFO persistence, as redis-server 7.0 prints it. */
  info(): string[] {
    const now = Date.now();
    const loading = this.server.loading && this.load.start !== 0;
    const snapshotting = this.running !== null;
    const lines = [
      `loading:${loading ? 1 : 0}`,
      `async_loading:0`,
      `current_cow_peak:0`,
      `current_cow_size:0`,
      `current_cow_size_age:0`,
      // progress of the snapshot in progress (SAVE, BGSAVE or an AOF rewrite; Redis: its fork child)
      `current_fork_perc:${snapshotting && this.saveKeysTotal > 0 ? ((this.saveKeysProcessed / this.saveKeysTotal) * 100).toFixed(2) : '0.00'}`,
      `current_save_keys_processed:${snapshotting ? this.saveKeysProcessed : 0}`,
      `current_save_keys_total:${snapshotting ? this.saveKeysTotal : 0}`,
      `rdb_changes_since_last_save:${this.changes()}`,
      `rdb_bgsave_in_progress:${this.bgsaveInProgress() ? 1 : 0}`,
      `rdb_last_save_time:${Math.floor(this.server.lastSave / 1000)}`,
      `rdb_last_bgsave_status:${this.lastBgsaveOk ? 'ok' : 'err'}`,
      `rdb_last_bgsave_time_sec:${this.lastBgsaveSecs}`,
      `rdb_current_bgsave_time_sec:${this.bgsaveInProgress() ? Math.round((now - this.bgsaveStart) / 1000) : -1}`,
      `rdb_saves:${this.saves}`,
      `rdb_last_cow_size:0`,
      `rdb_last_load_keys_expired:${this.lastLoad.expired}`,
      `rdb_last_load_keys_loaded:${this.lastLoad.keys}`,
      ...this.aofLines(),
      `aof_last_cow_size:0`,
      `module_fork_in_progress:0`,
      `module_fork_last_cow_size:0`,
    ];
    if (this.aofInfo !== null) lines.push(...this.aofInfo().extra);
    if (loading) {
      const elapsed = (now - this.load.start) / 1000;
      const perc = this.load.total > 0 ? (this.load.done / this.load.total) * 100 : 0;
      const eta = this.load.done > 0 ? Math.round(((this.load.total - this.load.done) / this.load.done) * elapsed) : 1;
      lines.push(
        `loading_start_time:${Math.floor(this.load.start / 1000)}`,
        `loading_total_bytes:${this.load.total}`,
        `loading_rdb_used_mem:${this.load.usedMem}`,
        `loading_loaded_bytes:${this.load.done}`,
        `loading_loaded_perc:${perc.toFixed(2)}`,
        `loading_eta_seconds:${eta}`,
      );
    }
    return lines;
  }
}
