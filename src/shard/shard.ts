/*
 * Shard: one worker thread's share of the keyspace. It drains its request ring, executes each request
 * against its Keyspace, encodes the reply (and the write's replication form) and appends it to its
 * reply ring; replies are published once per drained batch and the main thread is woken only if it
 * asked to be (it polls while it has requests in flight).
 *
 * Also here: blocked clients (BLPOP & co. whose keys are all on this shard), WATCH bookkeeping, the
 * active expiry cycle, and the internal control operations the main thread uses for keyspace-wide and
 * cross-shard commands (see control.ts).
 */

import { Args } from '../commands/args.js';
import { F, keyPositions, type Command } from '../commands/table.js';
import { Snapshot } from './snapshot.js';
import { SLOTS } from '../router/slot.js';
import { RingConsumer, RingProducer } from '../ipc/ring.js';
import {
  FLAG_BLOCKED,
  FLAG_COORDINATED,
  FLAG_DEFER_READY,
  FLAG_IN_MULTI,
  FLAG_MORE,
  FLAG_SHARED_BODY,
  FLAG_NO_PROPAGATE,
  FLAG_REPLICATED,
  HEADER_BYTES,
  REP_NOTIFY,
  REP_PROPAGATE,
  REP_REPLY,
  REQ_COMMAND,
  REQ_CONTROL,
  REQ_SCRIPT,
  REQ_TXN,
  dbOf,
  flagsOf,
  kindOf,
  word0,
} from '../ipc/records.js';
import { CommandError, STREAM_KEY_GONE, internalError, sanitizeErrorText } from '../resp/errors.js';
import { RespWriter } from '../resp/writer.js';
import { type BlockedRequest, type ShardConfig, type ShardCtx, type ShardHandler, PropMode } from './context.js';
import { Keyspace, type Db } from './keyspace.js';
import { bindValueLimits } from './values/limits.js';
import { isAggregate, type StrValue } from './values/types.js';
import { CONTROL_HANDLERS } from './control.js';
import { runScriptRequest } from '../scripting/shard-script.js';
import { ShardIntrospection } from './introspect.js';
import { KeyspaceEventLog } from './keyspace-events.js';
import { NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW } from '../commands/keyspace-events.js';
import { createDumpPayload, parseDumpPayload } from '../replication/dump.js';
import { Evictor } from './eviction.js';
import { OOM } from '../resp/errors.js';

export interface ShardOptions {
  index: number;
  shards: number;
  databases: number;
  requestRing: SharedArrayBuffer;
  replyRing: SharedArrayBuffer;
  commands: readonly Command[];
  handlers: Readonly<Record<string, ShardHandler>>;
  config: ShardConfig;
  /** Called when the main thread asked to be woken after replies are published. */
  wakeMain: () => void;
  /** The maxmemory board shared by all shards (eviction.ts). */
  evictBoard?: SharedArrayBuffer;
  /** The body of a FLAG_SHARED_BODY request, by its id (worker.ts). */
  sharedBody?: (id: number) => Buffer;
  /** Hand a value in shared memory to the main thread for the next FLAG_SHARED_BODY reply record. */
  postSharedReply?: (b: Buffer) => void;
}

const NULL_ARRAY = Buffer.from('*-1\r\n');

/** Bytes of reply buffer a shard keeps between commands (a larger one, grown by a huge reply, is dropped). */
const REPLY_WRITER_KEEP = 8 * 1024 * 1024;

export class Shard implements ShardCtx {
  readonly args = new Args();
  argc = 0;
  db: Db;
  readonly ks: Keyspace;
  readonly w = new RespWriter(256 * 1024);
  readonly p = new RespWriter(64 * 1024);
  cmd!: Command;
  connId = 0;
  seq = 0;
  flags = 0;
  now = Date.now();
  config: ShardConfig;
  readonly shard: number;
  propMode = PropMode.None;

  readonly requests: RingConsumer;
  readonly replies: RingProducer;
  readonly commands: readonly Command[];
  private readonly handlers: (ShardHandler | undefined)[];
  private readonly wakeMain: () => void;
  private readonly sharedBody: ((id: number) => Buffer) | undefined;
  private readonly postSharedReply: ((b: Buffer) => void) | undefined;

  // request body assembly for records split with FLAG_MORE, by "connId:seq"
  // (the whole body, allocated once from the length the first chunk carries in word 3, and how much is in)
  private assembly = new Map<string, { body: Buffer; filled: number }>();
  // the memory of the request being run when it was assembled (its own: large values may stay in it)
  private assembled: ArrayBufferLike | null = null;
  // framing scratch for the request body
  private starts = new Int32Array(64);
  private lens = new Int32Array(64);
  private protocol: 2 | 3 = 2;
  private body: Buffer = Buffer.alloc(0);
  private bodyStart = 0;
  private bodyLen = 0;

  // blocked clients, by "db\0key", in arrival order
  readonly blockedByKey = new Map<string, BlockedRequest[]>();
  readonly blockedByConn = new Map<number, BlockedRequest>();
  private readyKeys: string[] = [];
  private reblocked = false;
  serving: BlockedRequest | null = null;

  // WATCH: "db\0key" -> watching connections; connections whose watched keys changed
  readonly watchers = new Map<string, Set<number>>();
  readonly watchedBy = new Map<number, Set<string>>();
  readonly dirty = new Set<number>();
  /** "connId\0db\0key" of watches on keys already logically expired when WATCH ran (Redis's wk->expired). */
  private readonly staleWatches = new Set<string>();

  /** Propagation of expired keys found outside a command (active expiry), per db. */
  private expiredOutside: Map<number, string[]> = new Map();
  private inCommand = false;
  /** Stats for INFO. */
  commandsProcessed = 0;
  /** Command stats, slow log and latency samples (introspect.ts). */
  readonly intro: ShardIntrospection;
  private lastCron = 0;
  /** The full-sync snapshot being taken (copy-on-write per slot), or null. */
  snapshot: Snapshot | null = null;
  readonly shardCount: number;
  /** maxmemory: byte accounting and eviction (eviction.ts). */
  readonly evictor: Evictor;

  constructor(opts: ShardOptions) {
    this.shard = opts.index;
    this.shardCount = opts.shards;
    this.config = opts.config;
    bindValueLimits(this.config);
    this.requests = new RingConsumer(opts.requestRing);
    this.replies = new RingProducer(opts.replyRing);
    this.commands = opts.commands;
    this.handlers = opts.commands.map((c) => opts.handlers[c.name]);
    this.intro = new ShardIntrospection(opts.commands);
    this.wakeMain = opts.wakeMain;
    this.sharedBody = opts.sharedBody;
    this.postSharedReply = opts.postSharedReply;
    this.ks = new Keyspace(opts.databases, {
      expired: (db, key) => this.onExpired(db, key),
      modified: (db, key) => this.onModified(db, key),
      ready: (db, key) => this.onReady(db, key),
      notify: (db, event, key) => {
        if (this.config.notifyFlags & (event === 'new' ? NOTIFY_NEW : NOTIFY_KEY_MISS)) this.events.record(db, event, key);
      },
    }, this.config.keyspaceStore === 'heap');
    this.ks.notifyNewOrMiss = (this.config.notifyFlags & (NOTIFY_NEW | NOTIFY_KEY_MISS)) !== 0;
    this.db = this.ks.db(0);
    this.evictor = new Evictor(this.ks, this.config, opts.evictBoard, opts.index, opts.shards, (db, keys, unlink) => {
      const w = new RespWriter(4096);
      for (const k of keys) w.command([unlink ? 'UNLINK' : 'DEL', k]);
      this.emit(REP_PROPAGATE, 0, db, 0, 0, null, w);
    }, (slot) => this.snapshot?.saveSlotAllDbs(slot), (db, key) => this.onEvicted(db, key));
  }

  // ---- ShardCtx -------------------------------------------------------------------------------

  propagate(): void {
    this.propMode = PropMode.AsIs;
  }

  propagateCommand(parts: readonly (string | number | Uint8Array)[]): void {
    this.p.command(parts);
  }

  bulkValue(v: StrValue): void {
    // a large stored value as the whole reply of a request run on its own goes into the reply ring
    // from the value itself (emitCommandResult), not copied into the reply writer first
    if (this.directRun && typeof v === 'object' && v.length >= 1024 * 1024 && this.w.len === 0 && v.length + 32 <= this.w.limit) {
      this.w.rawString(`$${v.length}\r\n`);
      this.replyTail = v;
    } else this.w.bulkValue(v);
  }

  /** While a request run on its own executes (see propDirect); its reply's large tail (bulkValue). */
  private directRun = false;
  private replyTail: Buffer | null = null;

  mayNotBlock(): boolean {
    return (this.flags & (FLAG_IN_MULTI | FLAG_REPLICATED | FLAG_COORDINATED)) !== 0;
  }

  notify(type: number, event: string, key: string, db = this.db.id): void {
    if ((this.config.notifyFlags & type) !== 0) this.events.record(db, event, key);
  }

  /** Keyspace events waiting to go out ahead of the next record (see KeyspaceEventLog). */
  private readonly events = new KeyspaceEventLog();

  block(keys: string[], timeoutMs: number, argv?: string[]): void {
    if (this.serving) {
      // re-executed for a ready key and still nothing to take: stay parked where it was
      this.reblocked = true;
      return;
    }
    const req: BlockedRequest = {
      connId: this.connId,
      seq: this.seq,
      db: this.db.id,
      proto: this.protocol,
      cmd: this.cmd,
      argv: argv ?? this.args.all(),
      keys,
      deadline: timeoutMs > 0 ? this.now + timeoutMs : 0,
    };
    this.blockedByConn.set(this.connId, req);
    for (const k of keys) {
      const id = `${req.db}\0${k}`;
      let q = this.blockedByKey.get(id);
      if (!q) {
        q = [];
        this.blockedByKey.set(id, q);
      }
      q.push(req);
    }
    this.reblocked = true;
  }

  // ---- main loop --------------------------------------------------------------------------------

  /** Drain every published request; returns how many records were processed. */
  drain(): number {
    if (!this.requests.poll()) return 0;
    this.now = Date.now();
    this.ks.now = this.now;
    let n = 0;
    const ring = this.requests;
    this.intro.mark = performance.now();
    for (let off = ring.next(); off >= 0; off = ring.next()) {
      this.handleRecord(off, ring.recordLength);
      n++;
      // hand space back regularly so a long batch does not stall the producer
      if ((n & 255) === 0) {
        this.intro.flush();
        ring.release();
      }
    }
    this.intro.flush();
    this.intro.mark = 0;
    ring.release();
    if (this.config.maxmemory > 0) this.evictor.publish();
    this.publishReplies();
    return n;
  }

  /** Publish replies; wake the main thread if it went to sleep waiting for them. */
  publishReplies(): void {
    this.replies.publish();
    if (this.replies.claimWake()) this.wakeMain();
  }

  /** Periodic work: active expiry, blocked-client timeouts. Returns ms until it wants to run again. */
  cron(): number {
    const now = Date.now();
    this.now = now;
    this.ks.now = now;
    const period = Math.max(1, Math.floor(1000 / Math.max(1, this.config.hz)));
    if (now - this.lastCron >= period) {
      this.lastCron = now;
      if (this.config.activeExpireEnabled && !this.config.cronPaused && !this.ks.replica) {
        for (const db of this.ks.dbs) {
          if (db.expiresSize === 0) continue;
          // keep going while a good share of the sampled keys were expired, within a time budget
          const until = now + Math.max(1, period / 4);
          for (;;) {
            const [checked, expired] = db.activeExpire(200);
            if (checked === 0 || expired * 4 < checked || Date.now() >= until) break;
          }
        }
        this.flushExpiredOutside();
        if (this.readyKeys.length > 0) this.serveReadyKeys();
      }
    }
    const evicting = this.evictor.cron();
    let wait = evicting ? 1 : period - (Date.now() - this.lastCron);
    if (this.blockedByConn.size > 0) wait = Math.min(wait, this.expireBlocked());
    if (this.events.count > 0) this.emit(REP_NOTIFY, 0, 0, 0, 0, this.events.take(), null);
    this.publishReplies();
    return Math.max(1, wait);
  }

  // ---- records ------------------------------------------------------------------------------

  private handleRecord(off: number, len: number): void {
    const i32 = this.requests.i32;
    const base = off >> 2;
    const w0 = i32[base]!;
    const kind = kindOf(w0);
    const flags = flagsOf(w0);
    const db = dbOf(w0);
    const connId = i32[base + 1]!;
    const seq = i32[base + 2]!;
    const w3 = i32[base + 3]!;
    const bodyLen = i32[base + 4]!;
    const data = this.requests.data;
    let body = data;
    let bodyStart = off + HEADER_BYTES;
    this.assembled = null;
    if (flags & FLAG_SHARED_BODY) {
      // a huge request in memory the main thread handed over: ours alone from now on
      body = this.sharedBody!(data.readInt32LE(bodyStart));
      bodyStart = 0;
      this.assembled = body.buffer;
    } else if (flags & FLAG_MORE || this.assembly.size > 0) {
      const id = `${connId}:${seq}`;
      let parts = this.assembly.get(id);
      if (flags & FLAG_MORE) {
        if (!parts) {
          parts = { body: Buffer.allocUnsafe(Math.max(w3 >>> 0, bodyLen)), filled: 0 };
          this.assembly.set(id, parts);
        }
        if (parts.filled + bodyLen > parts.body.length) parts.body = grown(parts.body, parts.filled, parts.filled + bodyLen);
        parts.filled += data.copy(parts.body, parts.filled, bodyStart, bodyStart + bodyLen);
        return;
      }
      if (parts) {
        if (parts.filled + bodyLen > parts.body.length) parts.body = grown(parts.body, parts.filled, parts.filled + bodyLen);
        parts.filled += data.copy(parts.body, parts.filled, bodyStart, bodyStart + bodyLen);
        body = parts.body.subarray(0, parts.filled);
        this.assembled = body.buffer;
        this.assembly.delete(id);
        bodyStart = 0;
      }
    }
    const total = body === data ? bodyLen : body.length;
    void len;
    this.connId = connId;
    this.seq = seq;
    this.flags = flags;
    this.protocol = ((w3 >>> 16) & 0xff) === 3 ? 3 : 2;
    this.db = this.ks.db(db);
    switch (kind) {
      case REQ_COMMAND:
        this.runRequest(body, bodyStart, total, w3 & 0xffff, true);
        break;
      case REQ_TXN:
        this.runTransaction(body, bodyStart, total);
        break;
      case REQ_CONTROL:
        this.runControl(body, bodyStart, total);
        break;
      case REQ_SCRIPT:
        this.frameBody(body, bodyStart, bodyStart + total);
        runScriptRequest(this, w3, body.subarray(bodyStart, bodyStart + total));
        if (this.readyKeys.length > 0) this.serveReadyKeys();
        break;
      default:
        throw new Error(`shard ${this.shard}: unknown request kind ${kind}`);
    }
  }

  /** Frame one RESP multibulk request at body[start, start+len) into this.args; returns its end. */
  private frameBody(body: Buffer, start: number, end: number): number {
    // the main thread validated the framing: "*N\r\n" then N x "$L\r\n<bytes>\r\n"
    let p = start + 1;
    let n = 0;
    while (body[p] !== 13) n = n * 10 + body[p++]! - 48;
    p += 2;
    if (n > this.starts.length) {
      let size = this.starts.length;
      while (size < n) size *= 2;
      this.starts = new Int32Array(size);
      this.lens = new Int32Array(size);
    }
    for (let i = 0; i < n; i++) {
      p++; // '$'
      let l = 0;
      while (body[p] !== 13) l = l * 10 + body[p++]! - 48;
      p += 2;
      this.starts[i] = p;
      this.lens[i] = l;
      p += l + 2;
    }
    this.args.set(body, this.starts, this.lens, n);
    this.args.owned = body.buffer === this.assembled;
    this.argc = n;
    void end;
    return p;
  }

  /**
   * Execute one request and, if `emit`, write its reply record. Returns false if the handler threw
   * an error (the reply then is the error).
   */
  private runRequest(body: Buffer, start: number, len: number, cmdId: number, emit: boolean): boolean {
    this.frameBody(body, start, start + len);
    this.body = body;
    this.bodyStart = start;
    this.bodyLen = len;
    if (emit && this.config.maxmemory > 0 && this.refuseOom(cmdId)) {
      this.emitCommandResult();
      return false;
    }
    this.propDirect = emit;
    const ok = this.execute(cmdId);
    if (emit) this.emitCommandResult();
    return ok;
  }

  /**
   * While a request runs on its own (runRequest with emit, reply sent right after): a big write's
   * propagation is its request bytes, sent from the body itself instead of copied into this.p first.
   */
  private propDirect = false;
  private propView: { buf: Buffer; len: number } | null = null;

  private execute(cmdId: number): boolean {
    const direct = this.propDirect; // for this request only, not for one run from inside it
    this.propDirect = false;
    this.directRun = direct;
    this.replyTail = null;
    const cmd = this.commands[cmdId];
    const handler = this.handlers[cmdId];
    this.w.reset();
    this.w.trim(REPLY_WRITER_KEEP); // a huge earlier reply does not pin its buffer
    this.p.trim(REPLY_WRITER_KEEP); // nor a huge earlier write's propagation (trims only when empty)
    this.w.limit = this.config.replyMaxBytes;
    this.w.proto = this.protocol;
    this.propMode = PropMode.None;
    this.reblocked = false;
    this.inCommand = true;
    let ok = true;
    const t0 = this.intro.begin(cmd);
    try {
      if (!cmd || !handler) throw new Error(`shard ${this.shard}: no handler for command id ${cmdId}`);
      this.cmd = cmd;
      if (this.snapshot !== null && cmd.flags & F.WRITE) this.saveKeysForSnapshot(cmd);
      this.ks.applyingMasterStream = (this.flags & FLAG_REPLICATED) !== 0;
      handler(this);
      this.commandsProcessed++;
    } catch (e) {
      ok = false;
      this.w.reset();
      this.replyTail = null;
      if (e instanceof CommandError) {
        this.w.error(sanitizeErrorText(e.reply));
      } else {
        // A bug in a handler must not take the shard (and the server) down: report and carry on.
        // The exception's message stays in the log: the client gets a fixed text.
        this.w.error(internalError(cmd?.name ?? String(cmdId)));
        console.error(e);
      }
    } finally {
      this.inCommand = false;
      this.directRun = false;
      this.ks.applyingMasterStream = false;
    }
    this.intro.end(this, cmd, t0, this.reblocked && !this.serving, this.body, this.bodyStart, this.bodyLen);
    if ((this.propMode as PropMode) === PropMode.AsIs && ok) {
      const req = this.body.subarray(this.bodyStart, this.bodyStart + this.bodyLen);
      if (direct && this.p.len === 0 && req.length > 1024 * 1024) this.propView = this.config.streamWanted ? { buf: req, len: req.length } : STREAM_STANDIN;
      else this.p.raw(req);
    }
    return ok;
  }

  /**
   * maxmemory before a client command (Redis's processCommand): evict if over the limit; refuse a
   * denyoom command with -OOM (reply in this.w) when nothing could be freed.
   */
  private refuseOom(cmdId: number): boolean {
    if (this.flags & (FLAG_REPLICATED | FLAG_COORDINATED | FLAG_IN_MULTI)) return false;
    if (this.evictor.perform()) return false;
    const cmd = this.commands[cmdId];
    if (cmd === undefined || !(cmd.flags & F.DENYOOM)) return false;
    this.w.reset();
    this.p.reset();
    this.reblocked = false;
    this.w.error(OOM);
    return true;
  }

  /** Copy-on-write: serialize the slots of a write command's keys before it modifies them. */
  private saveKeysForSnapshot(cmd: Command): void {
    const snap = this.snapshot!;
    const args = this.args;
    const positions = keyPositions(cmd, this.argc, (i) => args.str(i));
    if (positions === null) return snap.saveAll();
    for (const i of positions) snap.saveSlotAllDbs(this.ks.slotOf(args.str(i)));
  }

  /** Start a snapshot at this point of the request stream. */
  beginSnapshot(): void {
    const n = this.shardCount;
    const me = this.shard;
    this.snapshot = new Snapshot(this.ks, (slot) => Math.floor((slot * n) / SLOTS) === me);
  }

  /** Emit the reply (or the blocked marker) and propagation of the command just executed. */
  private emitCommandResult(): void {
    const replicated = (this.flags & (FLAG_REPLICATED | FLAG_NO_PROPAGATE)) !== 0;
    if (replicated) this.p.reset();
    const prop = this.propView !== null && !replicated ? this.propView : this.p;
    this.propView = null;
    if (this.reblocked && !this.serving) {
      this.emit(REP_REPLY, FLAG_BLOCKED, this.db.id, this.connId, this.seq, null, prop);
    } else {
      this.emit(REP_REPLY, 0, this.db.id, this.connId, this.seq, this.w, prop, this.replyTail);
    }
    this.replyTail = null;
    this.p.reset();
    if (this.readyKeys.length > 0 && !(this.flags & FLAG_DEFER_READY)) this.serveReadyKeys();
  }

  /**
   * MULTI/EXEC whose commands all live on this shard: body = repeated (u32 cmdId, u32 len, request).
   * Runs them back to back (nothing else runs on this shard meanwhile), replies with one array, and
   * wraps the propagated writes in MULTI/EXEC.
   */
  private runTransaction(body: Buffer, start: number, len: number): void {
    const connId = this.connId;
    const seq = this.seq;
    const db0 = this.db;
    const end = start + len;
    const out = new RespWriter(4096);
    out.proto = this.protocol;
    const prop = new RespWriter(1024);
    if (this.watchDirty(connId)) {
      this.unwatchAll(connId);
      out.nullArray();
      this.emit(REP_REPLY, 0, db0.id, connId, seq, out, null);
      return;
    }
    this.unwatchAll(connId);
    const items: [number, number, number][] = [];
    for (let p = start; p < end; ) {
      const cmdId = body.readUInt32LE(p);
      const l = body.readUInt32LE(p + 4);
      items.push([cmdId, p + 8, l]);
      p += 8 + l;
    }
    out.array(items.length);
    let writes = 0;
    const flagsBefore = this.flags;
    this.flags |= FLAG_IN_MULTI;
    for (const [cmdId, s, l] of items) {
      this.frameBody(body, s, s + l);
      this.body = body;
      this.bodyStart = s;
      this.bodyLen = l;
      this.execute(cmdId);
      out.raw(this.w.buf.subarray(0, this.w.len));
      if (this.p.len > 0) {
        writes++;
        prop.raw(this.p.buf.subarray(0, this.p.len));
        this.p.reset();
      }
    }
    this.flags = flagsBefore;
    this.db = db0;
    this.w.reset();
    // one write goes out as is (as Redis 7.0 does); several are wrapped in MULTI/EXEC
    let wrapped = prop;
    if (writes > 1) {
      wrapped = new RespWriter(prop.len + 64);
      wrapped.command(['MULTI']);
      wrapped.raw(prop.buf.subarray(0, prop.len));
      wrapped.command(['EXEC']);
    }
    this.emit(REP_REPLY, 0, db0.id, connId, seq, out, wrapped);
    if (this.readyKeys.length > 0) this.serveReadyKeys();
  }

  /**
   * One command of a script running in this shard (scripting/shard-script.ts), as the main thread's
   * script runner sends it (no blocking, blocked clients served after the script): reply and writes.
   */
  runNested(cmdId: number, req: Buffer, db: number, proto: 2 | 3): { reply: Buffer; prop: Buffer } {
    const flagsBefore = this.flags;
    this.flags |= FLAG_IN_MULTI | FLAG_COORDINATED | FLAG_DEFER_READY;
    this.db = this.ks.db(db);
    this.protocol = proto;
    this.p.reset();
    this.intro.nested = true;
    try {
      this.frameBody(req, 0, req.length);
      this.body = req;
      this.bodyStart = 0;
      this.bodyLen = req.length;
      this.execute(cmdId);
    } finally {
      this.flags = flagsBefore;
      this.intro.nested = false;
    }
    const r = { reply: this.w.toBuffer(), prop: this.p.toBuffer() };
    this.p.reset();
    return r;
  }

  private runControl(body: Buffer, start: number, len: number): void {
    this.intro.flush();
    this.frameBody(body, start, start + len);
    const op = this.args.str(0);
    const h = CONTROL_HANDLERS[op];
    this.w.reset();
    this.w.limit = Infinity; // internal replies (DUMP payloads of whole values) are not client replies
    this.w.proto = this.protocol;
    this.p.reset();
    // internal moves of keys (values shipped out for, and home after, a cross-shard command) are no
    // new keys nor misses to users (import ... notify says when it is a user's write, see control.ts)
    if (op === 'import' || op === 'export') this.ks.notifyNewOrMiss = false;
    try {
      if (!h) throw new Error(`unknown control op ${op}`);
      h(this);
    } catch (e) {
      this.w.reset();
      if (!(e instanceof CommandError)) console.error(e);
      this.w.error(e instanceof CommandError ? e.reply : internalError(op));
    } finally {
      this.ks.notifyNewOrMiss = (this.config.notifyFlags & (NOTIFY_NEW | NOTIFY_KEY_MISS)) !== 0;
    }
    if (this.intro.mark !== 0) this.intro.mark = performance.now();
    this.emit(REP_REPLY, 0, this.db.id, this.connId, this.seq, this.w, this.p);
    this.p.reset();
    // a drain of the introspection data (SLOWLOG/LATENCY/INFO, also inside a held EXEC) serves no one:
    // clients blocked on keys a transaction filled are served after it (its closing ping)
    if (this.readyKeys.length > 0 && !(this.flags & FLAG_DEFER_READY) && op !== 'introspect-drain') this.serveReadyKeys();
  }

  // ---- cross-shard commands ---------------------------------------------------------------

  private shippedKeys: Set<string> | null = null;
  private shippedModified = new Set<string>();

  /**
   * Control op "ship": run one command here with keys owned by other shards installed for its
   * duration. The main thread holds every involved shard while this runs, so no one else can see or
   * change those keys meanwhile; it writes the modified ones back to their owners afterwards.
   *   args: ship <db> <cmdId> <proto> <n> (<key> <payload|""> <expire-at>){n} <request>
   *   reply: [<reply bytes>, [<key> <payload|""> <expire-at>]...] for the shipped keys it modified
   */
  runShipped(): void {
    const a = this.args;
    const db = this.ks.db(Number(a.str(1)));
    const cmdId = Number(a.str(2));
    const proto: 2 | 3 = a.str(3) === '3' ? 3 : 2;
    const n = Number(a.str(4));
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = a.str(5 + i * 3);
      const payload = a.bytes(6 + i * 3);
      const at = Number(a.str(7 + i * 3));
      keys.push(key);
      if (payload.length === 0) continue;
      const v = parseDumpPayload(payload);
      if (v === null) throw new CommandError('ERR ship: bad payload');
      db.installRaw(key, v, at);
    }
    const inner = a.bytes(5 + n * 3);
    const flagsBefore = this.flags;
    this.shippedKeys = new Set(keys);
    this.shippedModified.clear();
    this.db = db;
    this.protocol = proto;
    this.flags |= FLAG_COORDINATED;
    try {
      this.frameBody(inner, 0, inner.length);
      this.body = inner;
      this.bodyStart = 0;
      this.bodyLen = inner.length;
      this.execute(cmdId);
    } finally {
      this.flags = flagsBefore;
      this.shippedKeys = null;
    }
    const reply = this.w.toBuffer();
    const out = new RespWriter(reply.length + 256);
    out.array(2);
    out.bulkBytes(reply);
    out.array(this.shippedModified.size * 3);
    for (const key of this.shippedModified) {
      const v = db.peek(key);
      out.bulk(key);
      if (v === undefined) out.bulk('');
      else out.bulkBytes(createDumpPayload(v));
      out.int(v === undefined ? -1 : db.getExpire(key));
    }
    for (const key of keys) db.removeAt(key, this.ks.slotOf(key));
    this.shippedModified.clear();
    this.w.reset();
    this.w.limit = Infinity; // the command's reply was checked; this carries values home too
    this.w.raw(out.buf.subarray(0, out.len));
  }

  // ---- reply ring ---------------------------------------------------------------------------

  /** Append a reply record (split with FLAG_MORE when larger than a ring record can be). */
  emit(kind: number, flags: number, db: number, connId: number, seq: number, reply: RespWriter | null, prop: { buf: Buffer; len: number } | null, tail: Buffer | null = null): void {
    if (this.events.count > 0 && kind !== REP_NOTIFY) this.emit(REP_NOTIFY, 0, 0, connId, seq, this.events.take(), null);
    const rlen = reply ? reply.len : 0;
    const plen = prop ? prop.len : 0;
    const ring = this.replies;
    const max = ring.maxRecord() - HEADER_BYTES;
    if (tail !== null && tail.buffer instanceof SharedArrayBuffer && this.postSharedReply && rlen + plen <= max) {
      this.postSharedReply(tail); // before the record: the main thread takes it when it reads the record
      flags |= FLAG_SHARED_BODY;
      tail = null;
    }
    if (rlen + plen <= max && tail === null) {
      const off = this.reserve(HEADER_BYTES + rlen + plen);
      this.writeHeader(off, kind, flags, db, connId, seq, rlen, plen);
      if (rlen) ring.data.set(reply!.buf.subarray(0, rlen), off + HEADER_BYTES);
      if (plen) ring.data.set(prop!.buf.subarray(0, plen), off + HEADER_BYTES + rlen);
      ring.commit(HEADER_BYTES + rlen + plen);
      return;
    }
    // large: stream the reply bytes, then the propagation bytes, in chunks
    const parts: [Buffer, boolean][] = [];
    if (rlen) parts.push([reply!.buf.subarray(0, rlen), true]);
    if (tail) parts.push([tail, true], [CRLF, true]); // the reply's last bulk string, from the value itself
    if (plen) parts.push([prop!.buf.subarray(0, plen), false]);
    const chunks: [Buffer, boolean][] = [];
    for (const [b, isReply] of parts) for (let o = 0; o < b.length; o += max) chunks.push([b.subarray(o, Math.min(b.length, o + max)), isReply]);
    for (let i = 0; i < chunks.length; i++) {
      const [c, isReply] = chunks[i]!;
      const last = i === chunks.length - 1;
      const off = this.reserve(HEADER_BYTES + c.length);
      this.writeHeader(off, kind, flags | (last ? 0 : FLAG_MORE), db, connId, seq, isReply ? c.length : 0, isReply ? 0 : c.length);
      ring.data.set(c, off + HEADER_BYTES);
      ring.commit(HEADER_BYTES + c.length);
    }
  }

  private writeHeader(off: number, kind: number, flags: number, db: number, connId: number, seq: number, rlen: number, plen: number): void {
    const i32 = this.replies.i32;
    const b = off >> 2;
    i32[b] = word0(kind, flags, db);
    i32[b + 1] = connId;
    i32[b + 2] = seq;
    i32[b + 3] = rlen;
    i32[b + 4] = plen;
  }

  /** Reserve reply-ring space, waiting for the main thread to drain when it is full. */
  private reserve(len: number): number {
    const ring = this.replies;
    let off = ring.reserve(len);
    while (off < 0) {
      this.publishReplies();
      ring.waitForSpace(5);
      off = ring.reserve(len);
    }
    return off;
  }

  // ---- keyspace hooks -----------------------------------------------------------------------

  /** Keys lazily expired while a script runs here (script-shard.ts: kept if the script rolls back). */
  expiredLog: string[] | null = null;

  /** The key being deleted by expiry (its "modified" signal is reported as "!"). */
  private expiringKey: string | null = null;

  private onExpired(db: number, key: string): void {
    if (this.blockedByKey.size > 0) this.signalGroupReaders(db, key);
    if (this.expiredLog !== null) this.expiredLog.push(key);
    if (this.config.notifyFlags & NOTIFY_EXPIRED) this.events.record(db, 'expired', key);
    if (this.config.trackWrites) {
      // a deletion by expiry is nobody's write (NOLOOP does not filter it): "!" instead of ""
      this.events.record(db, '!', key);
      this.expiringKey = key;
    }
    if (this.inCommand && db === this.db.id && !(this.flags & FLAG_REPLICATED)) {
      this.p.command(['DEL', key]);
      return;
    }
    let list = this.expiredOutside.get(db);
    if (!list) {
      list = [];
      this.expiredOutside.set(db, list);
    }
    list.push(key);
    if (!this.inCommand && list.length >= 256) this.flushExpiredOutside();
  }

  private flushExpiredOutside(): void {
    if (this.expiredOutside.size === 0) return;
    const w = new RespWriter(4096);
    for (const [db, keys] of this.expiredOutside) {
      w.reset();
      for (const k of keys) w.command(['DEL', k]);
      this.emit(REP_PROPAGATE, 0, db, 0, 0, null, w);
    }
    this.expiredOutside.clear();
  }

  /** As Redis: an evicted key is invalidated as nobody's write ("!"), then "evicted" is notified. */
  private onEvicted(db: number, key: string): void {
    if (this.config.trackWrites) {
      this.events.record(db, '!', key);
      this.expiringKey = key;
    }
    this.onModified(db, key);
    if (this.config.notifyFlags & NOTIFY_EVICTED) this.events.record(db, 'evicted', key);
  }

  private onModified(db: number, key: string): void {
    if (this.config.trackWrites) {
      if (key === this.expiringKey) this.expiringKey = null;
      else this.events.record(db, '', key);
    }
    if (this.shippedKeys !== null && this.shippedKeys.has(key)) this.shippedModified.add(key);
    if (this.blockedByKey.size > 0) this.signalGroupReaders(db, key);
    if (this.watchers.size === 0) return;
    const id = `${db}\0${key}`;
    const set = this.watchers.get(id);
    if (!set) return;
    for (const c of set) {
      if (this.staleWatches.size > 0 && this.staleWatches.has(`${c}\0${id}`)) {
        // watched while already expired: its deletion is no logical change
        if (this.ks.db(db).peek(key) === undefined) this.staleWatches.delete(`${c}\0${id}`);
        continue;
      }
      this.dirty.add(c);
    }
  }

  /** True if EXEC must abort for this connection: a watched key changed, or expired since WATCH. */
  watchDirty(connId: number): boolean {
    if (this.dirty.has(connId)) return true;
    const mine = this.watchedBy.get(connId);
    if (!mine) return false;
    for (const id of mine) {
      if (this.staleWatches.size > 0 && this.staleWatches.has(`${connId}\0${id}`)) continue;
      const sep = id.indexOf('\0');
      if (this.ks.db(Number(id.slice(0, sep))).isExpired(id.slice(sep + 1))) return true;
    }
    return false;
  }

  /**
   * FLUSHDB / FLUSHALL / SWAPDB are about to empty db `emptied` (replacing it with the contents of
   * `replacedWith` for SWAPDB): mark dirty the watchers of keys that exist in either, except where an
   * already-expired key gives way to nothing or to another expired key (no logical change).
   */
  touchWatchedInDb(emptied: number, replacedWith: number | null): void {
    if (this.watchers.size === 0) return;
    const from = this.ks.db(emptied);
    const to = replacedWith === null ? null : this.ks.db(replacedWith);
    const prefix = `${emptied}\0`;
    for (const [id, set] of this.watchers) {
      if (!id.startsWith(prefix)) continue;
      const key = id.slice(prefix.length);
      const inFrom = from.peek(key) !== undefined;
      const inTo = to !== null && to.peek(key) !== undefined;
      if (!inFrom && !inTo) continue;
      for (const c of set) {
        const stale = `${c}\0${id}`;
        if (this.staleWatches.has(stale)) {
          if (!inTo) {
            this.staleWatches.delete(stale);
            continue;
          }
          if (to!.isExpired(key)) continue;
        } else if (!inFrom && to!.isExpired(key)) {
          this.staleWatches.add(stale);
          continue;
        }
        this.dirty.add(c);
      }
    }
  }

  /** Mark every connection watching a key in db as dirty (FLUSHDB, SWAPDB). */
  touchAllWatched(db: number | null): void {
    for (const [id, set] of this.watchers) {
      if (db !== null && !id.startsWith(`${db}\0`)) continue;
      for (const c of set) this.dirty.add(c);
    }
  }

  watch(connId: number, db: number, key: string): void {
    const id = `${db}\0${key}`;
    let set = this.watchers.get(id);
    if (!set) {
      set = new Set();
      this.watchers.set(id, set);
    }
    set.add(connId);
    if (this.ks.db(db).isExpired(key)) this.staleWatches.add(`${connId}\0${id}`);
    let mine = this.watchedBy.get(connId);
    if (!mine) {
      mine = new Set();
      this.watchedBy.set(connId, mine);
    }
    mine.add(id);
  }

  unwatchAll(connId: number): void {
    const mine = this.watchedBy.get(connId);
    if (mine) {
      for (const id of mine) {
        const set = this.watchers.get(id);
        if (set) {
          set.delete(connId);
          if (set.size === 0) this.watchers.delete(id);
        }
        if (this.staleWatches.size > 0) this.staleWatches.delete(`${connId}\0${id}`);
      }
      this.watchedBy.delete(connId);
    }
    this.dirty.delete(connId);
  }

  /** A key with XREADGROUP waiters was written, deleted or replaced: let them check it. */
  private signalGroupReaders(db: number, key: string): void {
    const id = `${db}\0${key}`;
    const q = this.blockedByKey.get(id);
    if (q && q.some((r) => r.cmd.name === 'xreadgroup') && !this.readyKeys.includes(id)) this.readyKeys.push(id);
  }

  private onReady(db: number, key: string): void {
    if (this.blockedByKey.size === 0) return;
    const id = `${db}\0${key}`;
    if (this.blockedByKey.has(id)) this.readyKeys.push(id);
  }

  // ---- blocked clients ----------------------------------------------------------------------

  /** Serve clients blocked on keys that became ready, in arrival order, re-running their commands. */
  private serveReadyKeys(): void {
    const saved = { connId: this.connId, seq: this.seq, flags: this.flags, db: this.db, protocol: this.protocol };
    while (this.readyKeys.length > 0) {
      const id = this.readyKeys.shift()!;
      const q = this.blockedByKey.get(id);
      if (!q) continue;
      // as Redis: only a key of the type a waiter pops from serves it (a list pushed, deleted and set
      // to a string in one transaction wakes nobody; the waiters stay blocked)
      const sep = id.indexOf('\0');
      const v = this.ks.db(Number(id.slice(0, sep))).get(id.slice(sep + 1), false);
      // as Redis: XREADGROUP waiters of a stream deleted or overwritten are unblocked with an error
      if (v === undefined || !isAggregate(v) || v.type !== 'stream') {
        for (const req of [...q]) if (req.cmd.name === 'xreadgroup') this.unblock(req.connId, STREAM_KEY_GONE);
      }
      if (v === undefined || !isAggregate(v)) continue;
      // the first waiter that cannot be served means the key is empty again
      for (const req of [...q]) {
        // blocking sorted-set commands (BZPOPMIN ...) pop zsets, XREAD & co read streams, the others
        // pop lists; every stream reader is tried (each waits for IDs of its own)
        if (v.type !== waitedType(req.cmd.group)) continue;
        if (!this.serveBlocked(req) && v.type !== 'stream') break;
      }
    }
    this.connId = saved.connId;
    this.seq = saved.seq;
    this.flags = saved.flags;
    this.db = saved.db;
    this.protocol = saved.protocol;
  }

  /** Re-run a blocked request; true if it was served (and unblocked). */
  private serveBlocked(req: BlockedRequest): boolean {
    this.connId = req.connId;
    this.seq = req.seq;
    this.flags = 0;
    this.db = this.ks.db(req.db);
    this.protocol = req.proto;
    this.args.set(Buffer.alloc(0), this.starts, this.lens, req.argv.length, req.argv);
    this.argc = req.argv.length;
    // rebuild the request bytes for AsIs propagation
    const enc = new RespWriter(256);
    enc.command(req.argv);
    this.body = enc.buf;
    this.bodyStart = 0;
    this.bodyLen = enc.len;
    this.serving = req;
    this.execute(req.cmd.id);
    this.serving = null;
    if (this.reblocked) {
      this.p.reset();
      return false;
    }
    this.removeBlocked(req);
    this.emit(REP_REPLY, 0, req.db, req.connId, req.seq, this.w, this.p);
    this.p.reset();
    return true;
  }

  removeBlocked(req: BlockedRequest): void {
    this.blockedByConn.delete(req.connId);
    for (const k of req.keys) {
      const id = `${req.db}\0${k}`;
      const q = this.blockedByKey.get(id);
      if (!q) continue;
      const i = q.indexOf(req);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.blockedByKey.delete(id);
    }
  }

  /** Unblock a connection: reply with `reply` (timeout/null or an error), or silently when null. */
  unblock(connId: number, reply: Buffer | string | null): boolean {
    const req = this.blockedByConn.get(connId);
    if (!req) return false;
    this.removeBlocked(req);
    if (reply !== null) {
      this.intro.unblocked(req.cmd, typeof reply === 'string');
      const w = new RespWriter(64);
      w.proto = req.proto;
      if (typeof reply === 'string') w.error(reply);
      else if (reply === NULL_ARRAY) w.nullArray();
      else w.raw(reply);
      this.emit(REP_REPLY, 0, req.db, req.connId, req.seq, w, null);
    }
    return true;
  }

  /** Time out blocked requests whose deadline passed; returns ms until the next deadline. */
  private expireBlocked(): number {
    const now = Date.now();
    let next = 1000;
    for (const req of [...this.blockedByConn.values()]) {
      if (req.deadline === 0) continue;
      if (req.deadline <= now) this.unblock(req.connId, NULL_ARRAY);
      else next = Math.min(next, req.deadline - now);
    }
    return next;
  }
}

export { NULL_ARRAY };

function waitedType(group: string): string {
  return group === 'sorted-set' ? 'zset' : group === 'stream' ? 'stream' : 'list';
}

/** A copy of b's first `used` bytes in a buffer of `size` bytes (a chunked body longer than announced). */
const CRLF = Buffer.from('\r\n');
/** A large write's propagation when nothing takes the stream (ShardConfig.streamWanted): counts the change. */
const STREAM_STANDIN = { buf: Buffer.from('*1\r\n$4\r\nPING\r\n'), len: 14 };

function grown(b: Buffer, used: number, size: number): Buffer {
  const next = Buffer.allocUnsafe(size);
  b.copy(next, 0, 0, used);
  return next;
}
