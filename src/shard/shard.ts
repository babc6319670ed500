/*
 * Shard: one worker thread's share of the keyspace. It drains its request ring, executes each request
 * against its Keyspace, encodes the reply (and the write's replication form) and appends it to its
 * reply ring; replies are published once per drained batch and the main thread is woken only if it
 * asked to be (it sleeps in its event loop once a tick is done).
 *
 * The shard's parts live in modules of their own (those that call back into the shard see it as a
 * ShardHost, host.ts): blocked clients (blocked.ts: BLPOP & co. whose keys are all on this shard),
 * WATCH (watches.ts), what the keyspace reports of keys (key-signals.ts), active expiry
 * (active-expire.ts), eviction (eviction.ts), transactions (transaction.ts), commands shipped from
 * other shards (shipped.ts) and the control operations the main thread uses for keyspace-wide and
 * cross-shard commands (control.ts).
 */

import { Args } from '../commands/args.js';
import { F, type Command } from '../commands/table.js';
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
  FLAG_REPLICATED,
  FLAG_NO_REPLY,
  FLAG_UNSTREAMED,
  HEADER_BYTES,
  REP_NOTIFY,
  REP_REPLY,
  REQ_COMMAND,
  REQ_CONTROL,
  REQ_RUN,
  REQ_SCRIPT,
  REQ_TXN,
  dbOf,
  flagsOf,
  kindOf,
  word0,
} from '../ipc/records.js';
import { CommandError, internalError, sanitizeErrorText } from '../resp/errors.js';
import { RespWriter } from '../resp/writer.js';
import { copySlice } from '../bytes.js';
import { type BlockedRequest, type ShardConfig, type ShardHandler, type ShardOptions, PropMode } from './context.js';
import type { ShardHost } from './host.js';
import { Keyspace, type Db } from './keyspace.js';
import { bindValueLimits } from './values/limits.js';
import type { StrValue } from './values/types.js';
import { runControl } from './control.js';
import { runScriptRequest } from '../scripting/shard-entry.js';
import { ShardIntrospection } from './introspect.js';
import { KeyspaceEventLog } from './keyspace-events.js';
import { KeySignals, notifiesNewOrMiss } from './key-signals.js';
import { Evictor } from './eviction.js';
import { BlockedClients, expireBlocked, serveReadyKeys } from './blocked.js';
import { Watches } from './watches.js';
import { ChunkJoiner, writeChunks, writeHeader } from '../ipc/chunks.js';
import { BodyFramer } from '../ipc/body-framer.js';
import { runTransaction } from './transaction.js';
import { OOM } from '../resp/errors.js';
import { activeExpireCycle } from './active-expire.js';
import { ReplyRun, runRequests } from './reply-run.js';

/** Bytes of reply buffer a shard keeps between commands (a larger one, grown by a huge reply, is dropped). */
const REPLY_WRITER_KEEP = 8 * 1024 * 1024;

export class Shard implements ShardHost {
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
  /** The replies of a REQ_RUN gathered into one record (reply-run.ts). */
  readonly replyRun: ReplyRun;
  readonly commands: readonly Command[];
  private readonly handlers: readonly (ShardHandler | undefined)[];
  private readonly wakeMain: () => void;
  private readonly sharedBody: ((id: number) => Buffer) | undefined;
  private readonly postSharedReply: ((b: Buffer) => void) | undefined;

  /** Request bodies split over records with FLAG_MORE, by "connId:seq". */
  private readonly assembly = new ChunkJoiner<string>();
  /** The memory of the request being run when it was assembled (its own: large values may stay in it). */
  private assembled: ArrayBufferLike | null = null;
  private readonly framer = new BodyFramer();
  protocol: 2 | 3 = 2;
  private body: Buffer = Buffer.alloc(0);
  private bodyStart = 0;
  bodyLen = 0;

  /** Clients blocked here (blocked.ts). */
  readonly blocked = new BlockedClients();
  /**
   * Set by a request of a coordinated sequence (a cross-shard EXEC or script: FLAG_DEFER_READY),
   * cleared by its closing `release-ready`: clients blocked on keys the sequence fills are served
   * after the whole of it, never between its requests (not by the cron, nor by a control op).
   */
  readyHold = false;
  /** The request just run blocked (or stayed blocked when re-run). */
  reblocked = false;
  /** The blocked request being re-run for a ready key, or null. */
  serving: BlockedRequest | null = null;
  /** WATCH bookkeeping (watches.ts). */
  readonly watches: Watches;

  /** What the keyspace and the evictor report of keys: WATCH, tracking, events, expiry DELs (key-signals.ts). */
  private readonly signals: KeySignals;
  /** A command is running (an expiry found now propagates with it). */
  inCommand = false;
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
    this.replyRun = new ReplyRun(this.replies);
    this.commands = opts.commands;
    this.handlers = opts.handlers;
    this.intro = new ShardIntrospection(opts.commands);
    this.wakeMain = opts.wakeMain;
    this.sharedBody = opts.sharedBody;
    this.postSharedReply = opts.postSharedReply;
    const signals = (this.signals = new KeySignals(this, this.events));
    this.ks = new Keyspace(opts.databases, signals, this.config.keyspaceStore === 'heap');
    this.ks.notifyNewOrMiss = notifiesNewOrMiss(this.config);
    this.db = this.ks.db(0);
    this.watches = new Watches(this.ks);
    this.evictor = new Evictor(this.ks, this.config, opts.evictBoard, opts.index, opts.shards,
      (db, keys, unlink) => signals.propagateEvicted(db, keys, unlink),
      (slot) => this.snapshot?.saveSlotAllDbs(slot), (db, key) => signals.evicted(db, key));
    this.evictor.onLatency = (event, ms) => this.intro.event(event, ms);
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

  mustNotBlock(): boolean {
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
    this.blocked.add({
      connId: this.connId,
      seq: this.seq,
      db: this.db.id,
      proto: this.protocol,
      cmd: this.cmd,
      argv: argv ?? this.args.all(),
      keys,
      deadline: timeoutMs > 0 ? this.now + timeoutMs : 0,
    });
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
      this.handleRecord(off);
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
    // (nothing new, no wake: a master's stream applied gets no replies, and the main thread sleeps on)
    if (this.replies.publish() && this.replies.claimWake()) this.wakeMain();
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
        const t0 = performance.now(); // the expire-cycle latency event (Redis's activeExpireCycle)
        activeExpireCycle(this.ks, Math.max(1, period / 4));
        this.signals.flushExpiredOutside();
        this.intro.event('expire-cycle', performance.now() - t0);
        if (this.blocked.readyKeys.length > 0) serveReadyKeys(this);
      }
    }
    const evicting = this.evictor.cron();
    let wait = evicting ? 1 : period - (Date.now() - this.lastCron);
    if (this.blocked.byConn.size > 0) wait = Math.min(wait, expireBlocked(this));
    if (this.events.count > 0) this.emit(REP_NOTIFY, 0, 0, 0, 0, this.events.take(), null);
    this.publishReplies();
    return Math.max(1, wait);
  }

  // ---- records ------------------------------------------------------------------------------

  private handleRecord(off: number): void {
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
    let body = this.requests.data;
    let bodyStart = off + HEADER_BYTES;
    this.assembled = null;
    if (flags & FLAG_SHARED_BODY) {
      // a huge request in memory the main thread handed over: ours alone from now on
      body = this.sharedBody!(body.readInt32LE(bodyStart));
      bodyStart = 0;
      this.assembled = body.buffer;
    } else if (flags & FLAG_MORE || this.assembly.size > 0) {
      // a FLAG_MORE chunk carries the whole body's length in word 3
      const more = (flags & FLAG_MORE) !== 0;
      const whole = this.assembly.add(`${connId}:${seq}`, body.subarray(bodyStart, bodyStart + bodyLen), more, more ? w3 >>> 0 : 0);
      if (whole === null) return;
      if (whole !== undefined) {
        body = whole;
        bodyStart = 0;
        this.assembled = body.buffer;
      }
    }
    const total = bodyStart === 0 ? body.length : bodyLen;
    this.connId = connId;
    this.seq = seq;
    this.flags = flags;
    if (flags & FLAG_DEFER_READY) this.readyHold = true;
    this.protocol = ((w3 >>> 16) & 0xff) === 3 ? 3 : 2;
    this.db = this.ks.db(db);
    switch (kind) {
      case REQ_COMMAND:
        this.runRequest(body, bodyStart, total, w3 & 0xffff);
        break;
      case REQ_RUN:
        runRequests(this, body, bodyStart, w3 & 0xffff);
        break;
      case REQ_TXN:
        runTransaction(this, body, bodyStart, total);
        break;
      case REQ_CONTROL:
        runControl(this, body, bodyStart);
        break;
      case REQ_SCRIPT:
        this.frameBody(body, bodyStart);
        runScriptRequest(this, w3, body, bodyStart, total);
        if (this.blocked.readyKeys.length > 0) serveReadyKeys(this);
        break;
      default:
        throw new Error(`shard ${this.shard}: unknown request kind ${kind}`);
    }
  }

  /** Frame one RESP multibulk request at body[start, ...) into this.args. */
  frameBody(body: Buffer, start: number): void {
    this.argc = this.framer.frame(this.args, body, start);
    // (a typed array's .buffer is a runtime call for a ring view: asked only when a body was assembled)
    this.args.owned = this.assembled !== null && body.buffer === this.assembled;
  }

  /** Execute one request run on its own (not in a transaction, script or shipped command) and write its reply record (len -1: as framed). */
  runRequest(body: Buffer, start: number, len: number, cmdId: number): void {
    this.setBody(body, start, len);
    if (this.config.maxmemory > 0 && this.refuseOom(cmdId)) {
      this.emitCommandResult();
      return;
    }
    this.propDirect = true;
    this.execute(cmdId);
    this.emitCommandResult();
  }

  /** Frame the request at body[start, start+len) as the one being run (its bytes propagate AsIs). */
  private setBody(body: Buffer, start: number, len: number): void {
    this.frameBody(body, start);
    this.body = body;
    this.bodyStart = start;
    this.bodyLen = len < 0 ? this.framer.end - start : len;
  }

  /** Run the request at body[start, start+len) in the current context (reply in w, writes in p). */
  runBody(body: Buffer, start: number, len: number, cmdId: number): void {
    this.setBody(body, start, len);
    this.execute(cmdId);
  }

  /**
   * While a request runs on its own (runRequest, reply sent right after): a big write's
   * propagation is its request bytes, sent from the body itself instead of copied into this.p first.
   */
  private propDirect = false;
  private propView: { buf: Buffer; len: number } | null = null;
  /** The request run on its own wrote, and its propagation was left out (nothing takes the stream). */
  private unstreamed = false;

  /** Run the handler of command cmdId on the request framed in args: reply in w, writes in p (or propView). */
  private execute(cmdId: number): void {
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
      if (this.snapshot !== null && cmd.flags & F.WRITE) this.snapshot.saveKeysOf(cmd, this.args, this.argc); // copy-on-write
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
    this.unstreamed = false;
    if ((this.propMode as PropMode) === PropMode.AsIs && ok && !(direct && this.flags & FLAG_REPLICATED)) {
      if (direct && this.p.len === 0 && !this.config.streamWanted && this.connId !== 0) {
        // no replica or AOF takes the stream: the reply only says a write was made (FLAG_UNSTREAMED)
        this.unstreamed = true;
      } else if (direct && this.p.len === 0 && this.bodyLen > 1024 * 1024) {
        const req = this.body.subarray(this.bodyStart, this.bodyStart + this.bodyLen);
        this.propView = this.config.streamWanted ? { buf: req, len: req.length } : STREAM_STANDIN;
      } else this.p.rawSlice(this.body, this.bodyStart, this.bodyLen);
    }
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

  /** Start a snapshot at this point of the request stream. */
  beginSnapshot(): void {
    const n = this.shardCount;
    const me = this.shard;
    this.snapshot = new Snapshot(this.ks, (slot) => Math.floor((slot * n) / SLOTS) === me, () => this.requests.waiting());
  }

  /** Emit the reply (or the blocked marker) and propagation of the command just executed. */
  private emitCommandResult(): void {
    if (this.flags & FLAG_NO_REPLY && !(this.reblocked && !this.serving)) {
      // a command of the master's stream: no reply record, only the keyspace events it caused
      this.replyTail = null;
      this.propView = null;
      this.p.reset();
      if (this.events.count > 0) this.emit(REP_NOTIFY, 0, 0, this.connId, this.seq, this.events.take(), null);
      if (this.blocked.readyKeys.length > 0) serveReadyKeys(this);
      return;
    }
    const replicated = (this.flags & FLAG_REPLICATED) !== 0;
    if (replicated) this.p.reset();
    const prop = this.propView !== null && !replicated ? this.propView : this.p;
    this.propView = null;
    const flags = this.unstreamed ? FLAG_UNSTREAMED : 0;
    this.unstreamed = false;
    if (this.reblocked && !this.serving) {
      this.emit(REP_REPLY, FLAG_BLOCKED | flags, this.db.id, this.connId, this.seq, null, prop);
    } else if (!(this.replyRun.open && prop.len === 0 && this.replyTail === null && this.events.count === 0 && this.replyRun.add(this.w, flags !== 0, this.connId, this.seq, this.db.id))) {
      this.emit(REP_REPLY, flags, this.db.id, this.connId, this.seq, this.w, prop, this.replyTail);
    }
    this.replyTail = null;
    this.p.reset();
    if (this.blocked.readyKeys.length > 0) serveReadyKeys(this);
  }

  /**
   * One command of a script running in this shard (scripting/shard-script.ts), as the main thread's
   * script runner sends it (no blocking, blocked clients served after the script): its request is
   * req[0, len), its argc arguments at starts[i], lens[i] (the caller wrote it and knows where: not
   * framed again); its reply is left in this.w and its writes in this.p, for the caller to take.
   */
  runNested(cmdId: number, req: Buffer, len: number, starts: Int32Array, lens: Int32Array, argc: number, db: number, proto: 2 | 3): void {
    const flagsBefore = this.flags;
    this.flags |= FLAG_IN_MULTI | FLAG_COORDINATED | FLAG_DEFER_READY;
    this.db = this.ks.db(db);
    this.protocol = proto;
    this.p.reset();
    this.intro.nested = true;
    try {
      this.args.set(req, starts, lens, argc);
      this.argc = argc;
      this.body = req;
      this.bodyStart = 0;
      this.bodyLen = len;
      this.execute(cmdId);
    } finally {
      this.flags = flagsBefore;
      this.intro.nested = false;
    }
  }

  // ---- cross-shard commands ---------------------------------------------------------------

  /** Keys installed for a shipped command (shipped.ts), and those it modified. */
  shippedKeys: Set<string> | null = null;
  readonly shippedModified = new Set<string>();

  // ---- reply ring ---------------------------------------------------------------------------

  /** Append a reply record (split with FLAG_MORE when larger than a ring record can be). */
  emit(kind: number, flags: number, db: number, connId: number, seq: number, reply: RespWriter | null, prop: { buf: Buffer; len: number } | null, tail: Buffer | null = null): void {
    if (this.replyRun.count > 0) this.replyRun.flush(); // the replies gathered so far go first
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
      writeHeader(ring, off, word0(kind, flags, db), connId, seq, rlen, plen);
      if (rlen) copySlice(reply!.buf, 0, rlen, ring.data, off + HEADER_BYTES);
      if (plen) copySlice(prop!.buf, 0, plen, ring.data, off + HEADER_BYTES + rlen);
      ring.commit(HEADER_BYTES + rlen + plen);
      return;
    }
    this.emitChunked(kind, flags, db, connId, seq, reply, prop, tail);
  }

  /**
   * emit() of a record too large for one ring record. A function of its own: its closures capture the
   * record's fields, and V8 allocates captured variables' context on entry to the function declaring
   * them, so inside emit() every reply record paid an allocation (measured: LPUSH P16 ~25% more
   * scavenges on the shard; docs/benchmarks.md).
   */
  private emitChunked(kind: number, flags: number, db: number, connId: number, seq: number, reply: RespWriter | null, prop: { buf: Buffer; len: number } | null, tail: Buffer | null): void {
    const rlen = reply ? reply.len : 0;
    const plen = prop ? prop.len : 0;
    const ring = this.replies;
    // large: the reply bytes (and its last bulk string from the value itself), then the propagation
    // bytes, in chunks (each chunk one or the other)
    const reserve = (n: number): number => this.reserve(n);
    const parts: [Buffer, boolean][] = [];
    if (rlen) parts.push([reply!.buf.subarray(0, rlen), true]);
    if (tail) parts.push([tail, true], [CRLF, true]);
    if (plen) parts.push([prop!.buf.subarray(0, plen), false]);
    parts.forEach(([b, isReply], i) => {
      const lastPart = i === parts.length - 1;
      writeChunks(ring, b, 0, b.length, reserve, (off, n, last) => {
        writeHeader(ring, off, word0(kind, flags | (last && lastPart ? 0 : FLAG_MORE), db), connId, seq, isReply ? n : 0, isReply ? 0 : n);
      });
    });
  }

  /** Reserve reply-ring space, waiting for the main thread to drain when it is full. */
  private reserve(len: number): number {
    const ring = this.replies;
    let off = ring.reserve(len);
    while (off < 0) {
      this.replies.publish();
      if (this.replies.claimWake()) this.wakeMain();
      ring.waitForSpace(5);
      off = ring.reserve(len);
    }
    return off;
  }

  /** Keys lazily expired while a script runs here (scripting/shard-script.ts: kept if the script rolls back). */
  expiredLog: string[] | null = null;

  /** Run a request given as binary strings (a blocked request re-run: blocked.ts) in the current context. */
  runArgv(argv: string[], cmdId: number): void {
    this.args.set(Buffer.alloc(0), this.framer.starts, this.framer.lens, argv.length, argv);
    this.argc = argv.length;
    // rebuild the request bytes for AsIs propagation
    const enc = new RespWriter(256);
    enc.command(argv);
    this.body = enc.buf;
    this.bodyStart = 0;
    this.bodyLen = enc.len;
    this.execute(cmdId);
  }
}

const CRLF = Buffer.from('\r\n');
/** A large write's propagation when nothing takes the stream (ShardConfig.streamWanted): counts the change. */
const STREAM_STANDIN = { buf: Buffer.from('*1\r\n$4\r\nPING\r\n'), len: 14 };
