/*
 * The append-only file, in Redis 7's multi-part layout: in `appenddirname` (under `dir`)
 *
 *   appendonly.aof.<n>.base.rdb    the dataset at the last rewrite (an RDB file, aof-base 1)
 *   appendonly.aof.<m>.incr.aof    every write since, as RESP commands (SELECT when the db changes)
 *   appendonly.aof.manifest        "file <name> seq <n> type b|i" per line, base first
 *
 * Writes: every write the server propagates (the replication feed) is appended to the current incr
 * file; appendfsync always fsyncs before the replies leave (group commit off the event loop: one
 * fsync on libuv's pool for every write made before it, the replies held until it ends, see
 * syncThen), everysec once a second, no never.
 * Rewrite (BGREWRITEAOF, CONFIG SET appendonly yes, start without files): a snapshot like BGSAVE's
 * whose cut also switches writes to a new incr file; the manifest then lists old base + old incrs +
 * new incr, and once the new base is on disk, new base + the old files as history (type h) + new
 * incr; the history files are then deleted and the manifest rewritten without them (kept while
 * aof-disable-auto-gc is yes), as Redis 7 does.
 * Startup: base then incr files are loaded (aof-replay.ts) instead of dbfilename.
 */

import fs from 'node:fs';
import path from 'node:path';
import { RespWriter } from '../resp/writer.js';
import { aofWriteError } from '../resp/errors.js';
import { perServer, type PersistHost as Server } from './host.js';
import { Persistence } from './persistence.js';
import { strerror } from './strerror.js';

export interface ManifestFile {
  name: string;
  seq: number;
  type: 'b' | 'i' | 'h';
}

export class Aof {
  /** Current incr file, or -1 when AOF is off. */
  private fd = -1;
  private lastDb = -1;
  /** While the files are replayed at startup: replayed writes are not appended again. */
  replaying = false;
  manifest: ManifestFile[] = [];
  lastWriteOk = true;
  private lastWriteError = '';
  /** Bytes a failed write could not write yet (written before anything newer). */
  private unwritten: Buffer[] = [];
  rewrites = 0;
  rewriteFailures = 0;
  lastRewriteOk = true;
  lastRewriteSecs = -1;
  rewriteStart = 0;
  scheduled = false;
  private dirtySinceFsync = false;
  /** appendfsync always: bytes written that no fsync covers yet (see syncWritten). */
  private unsynced = false;
  /** Bytes of the AOF (base + incrs) now and right after the last rewrite or load (auto rewrite). */
  private size = 0;
  private sizeAtRewrite = 0;
  private readonly timer: NodeJS.Timeout;

  static readonly of = perServer((server) => new Aof(server));

  private constructor(readonly server: Server) {
    server.replication.attachLog({
      recording: () => this.fd >= 0 && !this.replaying,
      fed: (db, data) => this.feed(db, data),
      applied: (command) => this.applied(command),
      sync: () => this.syncWritten(),
      pending: () => this.unsynced || this.fsyncing,
      syncThen: (then) => this.syncThen(then),
      // a replica's full sync replaced the data: the AOF starts over from it (Redis restarts AOF)
      fullSyncLoaded: () => {
        if (this.fd < 0) return;
        this.close();
        if (Persistence.of(server).busy() || this.rewriteInProgress()) this.scheduled = true;
        else void this.rewrite();
      },
    });
    Persistence.of(server).aofInfo = () => this.info();
    Persistence.of(server).aofWriteError = () => this.writeError();
    // CONFIG SET appendonly yes: a rewrite creates the files and turns appending on; no: stop
    server.whenConfigChanged((names) => {
      if (names.includes('aof-disable-auto-gc')) this.delHistoryFiles();
      if (!names.includes('appendonly')) return;
      const on = server.config.bool('appendonly');
      if (on && !this.enabled() && !this.rewriteInProgress()) {
        if (Persistence.of(server).busy()) this.scheduled = true;
        else void this.rewrite();
      } else if (!on) this.stop();
    });
    this.timer = setInterval(() => this.cron(), 100);
    this.timer.unref();
    server.closers.push(() => {
      clearInterval(this.timer);
      this.close();
    });
  }

  enabled(): boolean {
    return this.fd >= 0;
  }

  /** The AOF directory (absolute, under dir now). */
  dir(): string {
    return path.resolve(this.server.config.get('appenddirname'));
  }

  private prefix(): string {
    return this.server.config.get('appendfilename');
  }

  manifestPath(): string {
    return path.join(this.dir(), `${this.prefix()}.manifest`);
  }

  /** Read the manifest; null when there is none. Throws on a malformed one. */
  readManifest(): ManifestFile[] | null {
    let text: string;
    try {
      text = fs.readFileSync(this.manifestPath(), 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const out: ManifestFile[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const w = line.split(/\s+/);
      const f: Partial<ManifestFile> = {};
      for (let i = 0; i + 1 < w.length; i += 2) {
        if (w[i] === 'file') f.name = w[i + 1];
        else if (w[i] === 'seq') f.seq = Number(w[i + 1]);
        else if (w[i] === 'type') f.type = w[i + 1] as ManifestFile['type'];
      }
      if (f.name === undefined || !Number.isInteger(f.seq) || (f.type !== 'b' && f.type !== 'i' && f.type !== 'h')) throw new Error('Invalid AOF manifest file format');
      out.push(f as ManifestFile);
    }
    return out;
  }

  /**
   * Redis 7's upgrade of an old single-file AOF: `appendfilename` in dir and no usable manifest ->
   * the file becomes the base (same name, seq 1) of a manifest in appenddirname and moves there.
   * False when it had to be done and could not (the server stops).
   */
  upgradeOldFile(): boolean {
    const old = this.prefix();
    if (!fs.existsSync(old)) return true;
    let m: ManifestFile[] | null = null;
    try {
      m = fs.existsSync(this.dir()) ? this.readManifest() : null;
    } catch {
      /* unreadable: the load reports it */
      return true;
    }
    const only = m !== null && m.length === 1 && m[0]!.type === 'b' && m[0]!.name === old && !fs.existsSync(path.join(this.dir(), old));
    if (m !== null && m.length > 0 && !only) return true;
    try {
      fs.mkdirSync(this.dir(), { recursive: true });
    } catch (e) {
      this.server.log.warn(`Can't open or create append-only dir ${this.server.config.get('appenddirname')}: ${strerror(e)}`);
      return false;
    }
    this.writeManifest([{ name: old, seq: 1, type: 'b' }]);
    try {
      fs.renameSync(old, path.join(this.dir(), old));
    } catch (e) {
      this.server.log.warn(`Error trying to move the old AOF file ${old} into dir ${this.server.config.get('appenddirname')}: ${strerror(e)}`);
      return false;
    }
    this.server.log.info(`Successfully migrated an old-style AOF file (${old}) into the AOF directory (${this.server.config.get('appenddirname')}).`);
    return true;
  }

  /** Persist the manifest: the base first, then history files, then incr files (Redis's order). */
  private writeManifest(list: ManifestFile[]): void {
    const rank = { b: 0, h: 1, i: 2 };
    const files = list.map((f, i) => [f, i] as const).sort((x, y) => rank[x[0].type] - rank[y[0].type] || x[1] - y[1]).map(([f]) => f);
    const dir = this.dir();
    const tmp = path.join(dir, `temp-${this.prefix()}.manifest`);
    fs.writeFileSync(tmp, files.map((f) => `file ${f.name} seq ${f.seq} type ${f.type}\n`).join(''));
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.manifestPath());
    this.manifest = files;
  }

  /** Append a propagated write (called for every feed of the replication stream). */
  feed(db: number, data: Uint8Array): void {
    if (this.fd < 0 || this.replaying) return;
    this.stamp();
    if (db !== this.lastDb) {
      const w = new RespWriter(64);
      w.command(['SELECT', db]);
      this.append(w.toBuffer());
      this.lastDb = db;
    }
    this.append(data);
  }

  /**
   * A replica: one command of its master's stream, applied. Writes are kept as they came (the
   * stream is already deterministic); PING and REPLCONF are not data; SELECT is kept only when it
   * changes the database (the first command after the file was opened gets one for the stream's).
   */
  applied(command: Uint8Array): void {
    if (this.fd < 0 || this.replaying) return;
    const b = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
    const argv = firstArgs(b, 2);
    const name = argv[0]?.toLowerCase();
    if (name === undefined || name === 'ping' || name === 'replconf') return;
    this.stamp();
    if (name === 'select') {
      const db = Number(argv[1]);
      if (Number.isInteger(db)) this.lastDb = db;
      this.append(b);
      return;
    }
    if (this.lastDb < 0) {
      this.lastDb = this.server.replication.streamDb();
      const w = new RespWriter(64);
      w.command(['SELECT', this.lastDb]);
      this.append(w.toBuffer());
    }
    this.append(b);
  }

  /** Second of the last "#TS:" annotation (aof-timestamp-enabled). */
  private stampedSec = 0;

  /** aof-timestamp-enabled: "#TS:<unix seconds>" before the first write of each second, as Redis. */
  private stamp(): void {
    if (!this.server.config.bool('aof-timestamp-enabled')) return;
    const sec = Math.floor(Date.now() / 1000);
    if (sec <= this.stampedSec) return;
    this.stampedSec = sec;
    this.append(Buffer.from(`#TS:${sec}\r\n`, 'latin1'));
  }

  /**
   * Write to the current incr file. A failed write keeps the unwritten bytes (later writes queue
   * behind them) and is retried every 100 ms; meanwhile writes are refused with MISCONF (as Redis).
   * With appendfsync always a failed write stops the server, as Redis does.
   */
  private append(b: Uint8Array): void {
    this.size += b.length;
    if (this.unwritten.length > 0) {
      this.unwritten.push(Buffer.from(b));
      return;
    }
    const off = this.tryWrite(b);
    if (off < b.length) {
      this.unwritten.push(Buffer.from(b.subarray(off)));
      return;
    }
    if (this.server.config.get('appendfsync') === 'always') this.unsynced = true;
    else this.dirtySinceFsync = true;
  }

  /** appendfsync always: an fsync on libuv's pool is in flight (see syncThen). */
  private fsyncing = false;
  /** Bumped by a synchronous fsync: the one in flight then no longer runs callbacks when it ends. */
  private fsyncGen = 0;
  /** Callbacks for when the fsync in flight ends, and for when the next one (not started yet) does. */
  private afterFsync: (() => void)[] = [];
  private afterNext: (() => void)[] = [];

  /**
   * appendfsync always: run `then` once every byte written so far is on disk (the reply pump holds
   * the replies of a tick in it). Group commit off the event loop: one fsync on libuv's pool covers
   * every write made before it started; the writes of the ticks that run meanwhile wait for the next
   * one, which starts when it ends. False when nothing written waits for an fsync.
   */
  private syncThen(then: () => void): boolean {
    if (this.unsynced) {
      this.afterNext.push(then);
      if (!this.fsyncing) this.startFsync();
      return true;
    }
    if (this.fsyncing) {
      this.afterFsync.push(then);
      return true;
    }
    return false;
  }

  private startFsync(): void {
    this.fsyncing = true;
    this.unsynced = false;
    this.afterFsync = this.afterNext;
    this.afterNext = [];
    const gen = ++this.fsyncGen;
    const fd = this.fd;
    const ended = (e: Error | null): void => {
      if (gen !== this.fsyncGen) return; // a synchronous fsync (syncWritten) ran the callbacks
      this.fsyncing = false;
      if (e !== null) this.writeFailed(e);
      const done = this.afterFsync;
      this.afterFsync = [];
      for (const f of done) f();
      if (this.unsynced) this.startFsync();
    };
    if (fd < 0) queueMicrotask(() => ended(null));
    else fs.fsync(fd, ended);
  }

  /**
   * appendfsync always: the fsync of everything written since the last one, now (SHUTDOWN, a new
   * replica's PSYNC, closing the file); the callbacks syncThen() holds then run, in order.
   */
  syncWritten(): void {
    if (!this.unsynced && !this.fsyncing) return;
    this.unsynced = false;
    this.fsyncing = false;
    this.fsyncGen++;
    if (this.fd >= 0) {
      try {
        fs.fsyncSync(this.fd);
      } catch (e) {
        this.writeFailed(e);
      }
    }
    const done = [...this.afterFsync, ...this.afterNext];
    this.afterFsync = [];
    this.afterNext = [];
    for (const f of done) f();
  }

  /** Write what can be written; returns how many bytes were. */
  private tryWrite(b: Uint8Array): number {
    let off = 0;
    try {
      while (off < b.length) off += fs.writeSync(this.fd, b, off, b.length - off);
      return off;
    } catch (e) {
      this.writeFailed(e);
      return off;
    }
  }

  private writeFailed(e: unknown): void {
    this.lastWriteError = strerror(e);
    if (this.lastWriteOk) this.server.log.warn(`Error writing to the AOF file: ${this.lastWriteError}`);
    this.lastWriteOk = false;
    Persistence.of(this.server).refreshWriteRefusal();
    if (this.server.config.get('appendfsync') === 'always') {
      this.server.log.warn("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
      process.exit(1);
    }
  }

  /** Retry the bytes a failed write left. */
  private retryUnwritten(): void {
    while (this.unwritten.length > 0) {
      const b = this.unwritten[0]!;
      const off = this.tryWrite(b);
      if (off < b.length) {
        this.unwritten[0] = b.subarray(off);
        return;
      }
      this.unwritten.shift();
    }
    if (!this.lastWriteOk) {
      this.lastWriteOk = true;
      Persistence.of(this.server).refreshWriteRefusal();
      this.dirtySinceFsync = true;
      this.server.log.warn('AOF write error looks solved, Redis can write again.');
    }
  }

  /** MISCONF text while the AOF cannot be written, else null. */
  writeError(): string | null {
    if (this.fd < 0 || this.lastWriteOk) return null;
    return aofWriteError(this.lastWriteError);
  }

  private lastFsync = Date.now();

  private cron(): void {
    if (this.fd >= 0 && this.unwritten.length > 0) this.retryUnwritten();
    if (this.fd >= 0 && this.dirtySinceFsync && this.server.config.get('appendfsync') === 'everysec' && Date.now() - this.lastFsync >= 1000) {
      this.lastFsync = Date.now();
      this.dirtySinceFsync = false;
      const fd = this.fd;
      fs.fsync(fd, () => {}); // on libuv's pool: the event loop does not wait for the disk
    }
    if (this.scheduled && !Persistence.of(this.server).busy()) {
      this.scheduled = false;
      void this.rewrite();
      return;
    }
    // auto-aof-rewrite-percentage / auto-aof-rewrite-min-size
    const cfg = this.server.config;
    const pct = cfg.int('auto-aof-rewrite-percentage');
    if (this.fd < 0 || pct === 0 || this.rewriteInProgress() || Persistence.of(this.server).busy() || this.server.loading) return;
    if (this.size < cfg.int('auto-aof-rewrite-min-size')) return;
    const base = Math.max(1, this.sizeAtRewrite);
    const growth = Math.floor(((this.size - base) * 100) / base);
    if (growth >= pct) {
      this.server.log.info(`Starting automatic rewriting of AOF on ${growth}% growth`);
      void this.rewrite();
    }
  }

  private close(): void {
    if (this.fd < 0) return;
    this.syncWritten(); // the replies waiting for an fsync go out
    try {
      fs.fsyncSync(this.fd);
    } catch {
      /* closing anyway */
    }
    fs.closeSync(this.fd);
    this.fd = -1;
    this.unwritten = [];
    if (!this.lastWriteOk) {
      this.lastWriteOk = true;
      Persistence.of(this.server).refreshWriteRefusal();
    }
  }

  /** Open (append) the last incr file of the manifest after the files were loaded. */
  openLastIncr(): void {
    const incr = this.manifest.filter((f) => f.type === 'i');
    let last = incr[incr.length - 1];
    if (last === undefined) {
      // a base only (an upgraded appendonly.aof): a first incr file, as Redis creates one
      last = { name: `${this.prefix()}.1.incr.aof`, seq: 1, type: 'i' };
      fs.closeSync(fs.openSync(path.join(this.dir(), last.name), 'a'));
      this.writeManifest([...this.manifest, last]);
    }
    this.fd = fs.openSync(path.join(this.dir(), last.name), 'a');
    this.lastDb = -1;
    this.size = this.sizeAtRewrite = this.filesSize().total;
  }

  /**
   * Delete the history files (those a rewrite replaced) and persist the manifest without them, as
   * Redis's aofDelHistoryFiles after a rewrite, at startup and when aof-disable-auto-gc is turned
   * off; while it is yes they stay, listed as type h.
   */
  delHistoryFiles(): void {
    const history = this.manifest.filter((f) => f.type === 'h');
    if (history.length === 0 || this.server.config.bool('aof-disable-auto-gc')) return;
    const dir = this.dir();
    for (const f of history) {
      this.server.log.info(`Removing the history file ${f.name} in the background`);
      // off the main thread (Redis: a bio job), like any unlink of a possibly large file
      fs.promises.unlink(path.join(dir, f.name)).catch(() => {});
    }
    try {
      this.writeManifest(this.manifest.filter((f) => f.type !== 'h'));
    } catch (e) {
      this.server.log.warn(`Fail to persist the AOF manifest after removing history files: ${strerror(e)}`);
    }
  }

  /** Bytes of the manifest's base and incr files: all, and the base. */
  private filesSize(): { total: number; base: number } {
    let total = 0;
    let base = 0;
    for (const f of this.manifest) {
      if (f.type === 'h') continue;
      try {
        const n = fs.statSync(path.join(this.dir(), f.name)).size;
        total += n;
        if (f.type === 'b') base = n;
      } catch {
        /* missing file */
      }
    }
    return { total, base };
  }

  /** appendonly no (CONFIG SET): stop appending. */
  stop(): void {
    this.close();
  }

  rewriteInProgress(): boolean {
    return this.rewriteStart !== 0;
  }

  /**
   * Rewrite: a new base from a snapshot, a new incr file from the cut on (see the file comment).
   * Enables appending when it was off (appendonly yes). Resolves true on success.
   */
  async rewrite(): Promise<boolean> {
    const s = this.server;
    const p = Persistence.of(s);
    const dir = this.dir();
    this.rewriteStart = Date.now();
    try {
      fs.mkdirSync(dir, { recursive: true });
      const old = this.manifest.filter((f) => f.type !== 'h');
      const history = this.manifest.filter((f) => f.type === 'h');
      const baseSeq = Math.max(0, ...old.filter((f) => f.type === 'b').map((f) => f.seq)) + 1;
      const incrSeq = Math.max(0, ...old.filter((f) => f.type === 'i').map((f) => f.seq)) + 1;
      const prefix = this.prefix();
      // aof-use-rdb-preamble no: the base holds commands (Redis names it .base.aof)
      const commands = !s.config.bool('aof-use-rdb-preamble');
      const base: ManifestFile = { name: `${prefix}.${baseSeq}.base.${commands ? 'aof' : 'rdb'}`, seq: baseSeq, type: 'b' };
      const incr: ManifestFile = { name: `${prefix}.${incrSeq}.incr.aof`, seq: incrSeq, type: 'i' };
      let cutError: unknown = null;
      const appending = s.config.bool('appendonly');
      const tmpName = `temp-rewriteaof-bg-${process.pid}.aof`;
      const r = await p.snapshotTo({
        tmpName,
        finalName: base.name,
        tmpPath: path.join(dir, tmpName),
        finalPath: path.join(dir, base.name),
        commands,
        onCut: () => {
          // appendonly no (a BGREWRITEAOF anyway): a base only, nothing appended afterwards
          if (!appending) return;
          // writes after the cut go to the new incr file; the manifest keeps the old files meanwhile
          try {
            const fd = fs.openSync(path.join(dir, incr.name), 'a');
            const wasOn = this.fd >= 0;
            this.close();
            this.fd = fd;
            this.lastDb = -1;
            // writes the old file could not take are in the new base
            this.unwritten = [];
            this.lastWriteOk = true;
            Persistence.of(s).refreshWriteRefusal();
            // turning AOF on: the files count only once the base is written (Redis: AOF_WAIT_REWRITE)
            if (wasOn) this.writeManifest([...old, ...history, incr]);
            s.log.info(`Creating AOF incr file ${incr.name} on background rewrite`);
          } catch (e) {
            cutError = e;
          }
        },
      });
      if (cutError !== null) throw cutError;
      if (r !== 'ok') throw new Error(r === 'aborted' ? 'aborted' : 'snapshot failed');
      // the replaced files become history (type h) until they are deleted, as Redis keeps them
      // (redis-server lists the replaced incr files before the replaced base)
      const asHistory = (f: ManifestFile): ManifestFile => ({ ...f, type: 'h' });
      const replaced = [...history, ...old.filter((f) => f.type === 'i').map(asHistory), ...old.filter((f) => f.type === 'b').map(asHistory)];
      this.writeManifest([base, ...replaced, ...(appending ? [incr] : [])]);
      this.size = this.sizeAtRewrite = this.filesSize().total;
      this.delHistoryFiles();
      s.log.info('Background AOF rewrite terminated with success');
      s.log.info('Background AOF rewrite finished successfully');
      this.lastRewriteOk = true;
      this.rewriteFailures = 0;
      this.rewrites++;
      return true;
    } catch (e) {
      s.log.warn(`Background AOF rewrite error: ${strerror(e)}`);
      this.lastRewriteOk = false;
      this.rewriteFailures++;
      return false;
    } finally {
      this.lastRewriteSecs = Math.round((Date.now() - this.rewriteStart) / 1000);
      this.rewriteStart = 0;
    }
  }

  /** INFO persistence aof_* fields (Redis 7.0's order; the size fields only while enabled). */
  info(): { fields: Map<string, string>; extra: string[] } {
    const fields = new Map<string, string>([
      ['aof_enabled', this.server.config.bool('appendonly') ? '1' : '0'],
      ['aof_rewrite_in_progress', this.rewriteInProgress() ? '1' : '0'],
      ['aof_rewrite_scheduled', this.scheduled ? '1' : '0'],
      ['aof_last_rewrite_time_sec', String(this.lastRewriteSecs)],
      ['aof_current_rewrite_time_sec', this.rewriteInProgress() ? String(Math.round((Date.now() - this.rewriteStart) / 1000)) : '-1'],
      ['aof_last_bgrewrite_status', this.lastRewriteOk ? 'ok' : 'err'],
      ['aof_rewrites', String(this.rewrites)],
      ['aof_rewrites_consecutive_failures', String(this.rewriteFailures)],
      ['aof_last_write_status', this.lastWriteOk ? 'ok' : 'err'],
    ]);
    const extra: string[] = [];
    if (this.enabled()) {
      const { base: baseSize } = this.filesSize();
      const size = this.size;
      extra.push(`aof_current_size:${size}`, `aof_base_size:${baseSize}`, `aof_pending_rewrite:${this.scheduled ? 1 : 0}`, 'aof_buffer_length:0', 'aof_pending_bio_fsync:0', 'aof_delayed_fsync:0');
    }
    return { fields, extra };
  }
}

/** The first `n` arguments of a RESP multibulk command (fewer when it has fewer). */
function firstArgs(b: Buffer, n: number): string[] {
  const out: string[] = [];
  if (b[0] !== 0x2a) return out;
  let p = b.indexOf(10) + 1;
  const argc = Number(b.latin1Slice(1, p - 2));
  for (let i = 0; i < Math.min(n, argc) && p > 0 && b[p] === 0x24; i++) {
    const e = b.indexOf(10, p) + 1;
    const len = Number(b.latin1Slice(p + 1, e - 2));
    out.push(b.latin1Slice(e, e + len));
    p = e + len + 2;
  }
  return out;
}
