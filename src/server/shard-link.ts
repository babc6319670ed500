/*
 * ShardLink: the main thread's end of one shard: its worker thread, the request ring it produces into
 * and the reply ring it consumes. Requests are written straight into the ring; publish() makes a
 * tick's worth visible at once and wakes the worker only if it sleeps (one notify per shard per tick
 * at most). Also the coordinator's door into the shard: control() sends an internal operation and
 * resolves with its RESP reply.
 */

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { holdYoungGeneration, youngGenerationHeld } from '../young-gen.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../ipc/ring.js';
import { HEADER_BYTES, REQ_COMMAND, REQ_CONTROL, REQ_RUN, FLAG_MORE, FLAG_NO_REPLY, FLAG_SHARED_BODY, word0 } from '../ipc/records.js';
import { ShortCopier } from '../bytes.js';
import { ChunkJoiner, writeChunks, writeHeader } from '../ipc/chunks.js';
import type { CommandProps } from '../commands/registry.js';
import type { ShardConfig } from '../shard/context.js';
import { RespWriter } from '../resp/writer.js';

export interface ShardLinkOptions {
  index: number;
  shards: number;
  databases: number;
  ringBytes: number;
  implemented: [string, CommandProps][];
  config: ShardConfig;
  /** maxmemory board shared by all shards (src/shard/eviction.ts) */
  evictBoard?: SharedArrayBuffer;
  workerUrl: URL;
  /** The descriptor a shard writes a byte to to wake the main thread (wake-socket.ts), or -1: post a message. */
  wakeFd?: number;
}

/** Connection id used for the main thread's own requests (control ops, coordinated steps). */
/** Requests at least this large that arrived in shared memory are handed over instead of copied. */
const SHARED_BODY_MIN = 1024 * 1024;

export const COORDINATOR_CONN = 0;

interface OutboxEntry {
  kind: number;
  flags: number;
  db: number;
  connId: number;
  seq: number;
  w3: number;
  /** The bytes not yet written. */
  body: Buffer;
  /** Bytes of body written so far. */
  sent: number;
  /** Bytes of the whole message written so far (chunks already in the ring before queueing). */
  offset: number;
}

/** Most requests in one REQ_RUN record, and most request bytes (the rest waits for the next record). */
const RUN_MAX_REQUESTS = 1024;
const RUN_MAX_BYTES = 64 * 1024;

/** The young generation of a shard's isolate (V8 splits it in two semi-spaces and a large-object space). */
const SHARD_YOUNG_GENERATION_MB = 12;

export class ShardLink {
  readonly index: number;
  readonly worker: Worker;
  readonly requests: RingProducer;
  /** Request bodies into the request ring (most are a few dozen bytes). */
  private readonly toRing: ShortCopier;
  readonly replies: RingConsumer;
  /** Records written since the last publish(). */
  unpublished = 0;
  /** Requests sent whose replies have not arrived (excluding parked blocked requests). */
  inflight = 0;
  /** Coordinator: the connection (or 0) holding this shard for a multi-step operation. */
  lockedBy: object | null = null;
  /** Pending coordinator replies by sequence number. */
  private pending = new Map<number, (reply: ShardReply) => void>();
  /** Coordinator replies (reply and propagation bytes) split over several records, by sequence. */
  private readonly replyChunks = new ChunkJoiner<number>();
  private readonly propChunks = new ChunkJoiner<number>();
  /**
   * Coordinator requests whose keyspace events are held (seq -> events so far) and handed over with
   * the reply (ShardReply.events) instead of being published as they arrive: the caller publishes
   * them in the command's order, attributed to the client that issued it.
   */
  private captured = new Map<number, Buffer[]>();

  /** Hold the events of coordinator request `seq` if it asked for it; false: publish them now. */
  captureEvents(seq: number, bytes: Uint8Array): boolean {
    const held = this.captured.get(seq);
    if (held === undefined) return false;
    held.push(Buffer.from(bytes));
    return true;
  }
  /**
   * Propagation chunks (copies) of the write whose records are being read (FLAG_MORE), fed to the
   * stream whole after its last record (ReplyPump.propagate).
   */
  propParts: Buffer[] = [];
  /** Connections whose blocking request is parked on this shard. */
  readonly parked = new Set<number>();
  private nextSeq = 1;
  private readonly ctlWriter = new RespWriter(4096);
  /** The worker's busy time (ms, Float64 [0], written by the worker): the admin endpoint reads it. */
  readonly meter = new Float64Array(new SharedArrayBuffer(8));

  constructor(opts: ShardLinkOptions) {
    this.index = opts.index;
    const req = createRingBuffer(opts.ringBytes);
    const rep = createRingBuffer(opts.ringBytes);
    this.requests = new RingProducer(req);
    this.toRing = new ShortCopier(this.requests.data);
    this.runMaxBytes = Math.min(RUN_MAX_BYTES, this.requests.maxRecord() - HEADER_BYTES - 2 * RUN_MAX_REQUESTS);
    this.replies = new RingConsumer(rep);
    const bodies = new MessageChannel();
    this.bodyPort = bodies.port1;
    this.bodyPort.unref();
    this.worker = new Worker(opts.workerUrl, {
      transferList: [bodies.port2],
      workerData: {
        index: opts.index,
        shards: opts.shards,
        databases: opts.databases,
        requestRing: req,
        replyRing: rep,
        meter: this.meter.buffer,
        implemented: opts.implemented,
        config: opts.config,
        evictBoard: opts.evictBoard,
        bodyPort: bodies.port2,
        holdYoungGeneration: youngGenerationHeld(),
        wakeFd: opts.wakeFd ?? -1,
      },
      // A 12 MB young generation (4 MB semi-spaces) instead of V8's default, which grows to 48 MB (16 MB
      // semi-spaces, both resident once used): the shard keeps its keys outside the heap and makes
      // almost no garbage per request (a SET: ~100 bytes), while the per-slot tables made as keys
      // arrive survive and so grew the default one to its maximum. A 3 MB one was tried (docs/
      // benchmarks.md): values that live on the heap (list, hash, set elements) survive every
      // scavenge, and LPUSH took ~10x the scavenges; 4 MB semi-spaces take ~4x fewer than that.
      resourceLimits: { maxYoungGenerationSizeMb: SHARD_YOUNG_GENERATION_MB },
    });
    // the worker's start reset V8's flags (young-gen.ts)
    this.worker.once('online', holdYoungGeneration);
  }

  /** Huge request bodies already in shared memory go to the shard through this port (FLAG_SHARED_BODY). */
  private readonly bodyPort: MessagePort;
  private nextBodyId = 1;

  /** The shared value a FLAG_SHARED_BODY reply record goes on with (posted before the record). */
  sharedReply(): Buffer {
    for (let tries = 0; ; tries++) {
      const m = receiveMessageOnPort(this.bodyPort)?.message as { sab: SharedArrayBuffer; off: number; len: number } | undefined;
      if (m !== undefined) return Buffer.from(m.sab, m.off, m.len);
      if (tries > 10_000) throw new Error(`shard ${this.index}: a shared reply value never arrived`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }

  /**
   * Queue a request record; body bytes are src[start, start+len). Goes straight into the ring when
   * the ring has room and nothing is waiting before it, otherwise into the outbox (a copy), which
   * flushOutbox() moves on as the shard frees space. Callers stop feeding a congested link.
   */
  send(kind: number, flags: number, db: number, connId: number, seq: number, w3: number, src: Uint8Array, start: number, len: number, stable = false): void {
    if (this.runCount > 0) this.flushRun(); // records stay in the order they were sent
    // `stable`: the caller guarantees src[start, start+len) is never overwritten, so the outbox keeps
    // a view instead of a copy (a huge argument is not duplicated while it trickles into the ring)
    if (stable && len >= SHARED_BODY_MIN && src.buffer instanceof SharedArrayBuffer) {
      // read into shared memory (connection.ts): the shard is given that memory, not a copy of it
      const id = this.nextBodyId++;
      this.bodyPort.postMessage({ id, sab: src.buffer, off: src.byteOffset + start, len });
      const ref = Buffer.allocUnsafe(4);
      ref.writeInt32LE(id | 0, 0);
      this.send(kind, flags | FLAG_SHARED_BODY, db, connId, seq, w3, ref, 0, 4);
      return;
    }
    if (this.outbox.length === 0) {
      const sent = this.write(kind, flags, db, connId, seq, w3, src, start, len, 0);
      if (sent === len && len >= 0) return;
      this.outbox.push({ kind, flags, db, connId, seq, w3, body: kept(src, start + sent, start + len, stable), sent: 0, offset: sent });
      return;
    }
    this.outbox.push({ kind, flags, db, connId, seq, w3, body: kept(src, start, start + len, stable), sent: 0, offset: 0 });
  }

  // The open run (REQ_RUN, records.ts): requests of one connection sent one after another, back to
  // back in its input src[runStart, runEnd), written as one record by flushRun().
  private runCount = 0;
  private runConn = 0;
  private runW0 = 0;
  private runSeq = 0;
  private runProto = 0;
  private runSrc: Uint8Array | null = null;
  private runStart = 0;
  private runEnd = 0;
  private readonly runIds = new Uint16Array(RUN_MAX_REQUESTS);
  /** Most request bytes in a run: RUN_MAX_BYTES, or less when a record of a small ring cannot hold them. */
  private readonly runMaxBytes: number;

  /**
   * Queue a client's command request (REQ_COMMAND) of src[start, start+len), a view the caller keeps
   * unchanged until flushRun(): joined to the open run when it follows it in the same input. The
   * dispatcher flushes the runs when it is done with an input (Dispatcher.processInput).
   */
  sendCommand(flags: number, db: number, connId: number, seq: number, cmdId: number, proto: number, src: Uint8Array, start: number, len: number): void {
    const w0 = word0(REQ_RUN, flags, db);
    let n = this.runCount;
    if (n > 0) {
      if (start === this.runEnd && src === this.runSrc && connId === this.runConn && seq === ((this.runSeq + (flags & FLAG_NO_REPLY ? 0 : n)) | 0) && w0 === this.runW0 && proto === this.runProto && n < RUN_MAX_REQUESTS && this.runEnd - this.runStart + len <= this.runMaxBytes) {
        this.runIds[n] = cmdId;
        this.runCount = n + 1;
        this.runEnd = start + len;
        return;
      }
      this.flushRun();
      n = 0;
    }
    if (len > this.runMaxBytes || this.outbox.length > 0) {
      this.send(REQ_COMMAND, flags, db, connId, seq, cmdId | (proto << 16), src, start, len);
      return;
    }
    this.runIds[0] = cmdId;
    this.runCount = 1;
    this.runConn = connId;
    this.runW0 = w0;
    this.runSeq = seq;
    this.runProto = proto;
    this.runSrc = src;
    this.runStart = start;
    this.runEnd = start + len;
  }

  /** Write the open run: one REQ_COMMAND record for one request, one REQ_RUN record for several. */
  flushRun(): void {
    const n = this.runCount;
    if (n === 0) return;
    this.runCount = 0;
    const src = this.runSrc!;
    this.runSrc = null;
    const w0 = this.runW0;
    const flags = (w0 >>> 8) & 0xff;
    const db = w0 >>> 16;
    const len = this.runEnd - this.runStart;
    if (n === 1) {
      this.send(REQ_COMMAND, flags, db, this.runConn, this.runSeq, this.runIds[0]! | (this.runProto << 16), src, this.runStart, len);
      return;
    }
    // body: n command ids (u16), padded to 4 bytes, then the n requests as the client sent them
    const idBytes = (n * 2 + 3) & ~3;
    const ring = this.requests;
    const off = this.outbox.length === 0 ? ring.reserve(HEADER_BYTES + idBytes + len) : -1;
    if (off >= 0) {
      writeHeader(ring, off, w0, this.runConn, this.runSeq, n | (this.runProto << 16), idBytes + len);
      const ids = off + HEADER_BYTES;
      const d = ring.data;
      for (let i = 0; i < n; i++) {
        const id = this.runIds[i]!;
        d[ids + 2 * i] = id & 0xff;
        d[ids + 2 * i + 1] = id >>> 8;
      }
      this.toRing.copy(src, this.runStart, len, ids + idBytes);
      ring.commit(HEADER_BYTES + idBytes + len);
      this.unpublished++;
      return;
    }
    // the ring is full: the whole run goes to the outbox, as one message
    const body = Buffer.allocUnsafe(idBytes + len);
    for (let i = 0; i < n; i++) body.writeUInt16LE(this.runIds[i]!, 2 * i);
    body.set(src.subarray(this.runStart, this.runEnd), idBytes);
    this.send(REQ_RUN, flags, db, this.runConn, this.runSeq, n | (this.runProto << 16), body, 0, body.length);
  }

  /** True while requests wait in the outbox: callers should stop dispatching to this shard. */
  get congested(): boolean {
    return this.outbox.length > 0;
  }

  /** Move outbox entries into the ring as far as space allows. Returns true if the outbox emptied. */
  flushOutbox(): boolean {
    while (this.outbox.length > 0) {
      const e = this.outbox[0]!;
      const rest = e.body.length - e.sent;
      const n = this.write(e.kind, e.flags, e.db, e.connId, e.seq, e.w3, e.body, e.sent, rest, e.offset);
      e.sent += n;
      e.offset += n;
      if (e.sent < e.body.length) return false;
      this.outbox.shift();
    }
    return true;
  }

  private outbox: OutboxEntry[] = [];

  /**
   * Write as much of one message as fits, as one record or FLAG_MORE chunks (the shard assembles
   * chunks per connection and sequence). `already` is how many bytes of this message went before (only
   * chunk records can be continued). Returns bytes written from src.
   */
  private write(kind: number, flags: number, db: number, connId: number, seq: number, w3: number, src: Uint8Array, start: number, len: number, already: number): number {
    const ring = this.requests;
    const max = ring.maxRecord() - HEADER_BYTES;
    const total = already + len;
    if (already === 0 && len <= max) {
      const off = ring.reserve(HEADER_BYTES + len);
      if (off < 0) return 0;
      writeHeader(ring, off, word0(kind, flags, db), connId, seq, w3, len);
      this.toRing.copy(src, start, len, off + HEADER_BYTES);
      ring.commit(HEADER_BYTES + len);
      this.unpublished++;
      return len;
    }
    return this.writeChunked(kind, flags, db, connId, seq, w3, src, start, len, total);
  }

  /**
   * write()'s FLAG_MORE chunks. A function of its own: its closures capture the record's fields, and
   * V8 allocates the captured variables' context on entry to the function that declares them, so in
   * write() itself every request record would pay for an allocation only large messages use.
   */
  private writeChunked(kind: number, flags: number, db: number, connId: number, seq: number, w3: number, src: Uint8Array, start: number, len: number, total: number): number {
    const ring = this.requests;
    return writeChunks(ring, src, start, len, (n) => ring.reserve(n), (off, n, last) => {
      // a FLAG_MORE chunk carries the whole message's length in word 3 (the shard preallocates it)
      writeHeader(ring, off, word0(kind, flags | (last ? 0 : FLAG_MORE), db), connId, seq, last ? w3 : total, n);
      this.unpublished++;
    });
  }

  /** Publish everything written this tick; wake the worker if it sleeps. */
  publish(): void {
    if (this.runCount > 0) this.flushRun();
    if (this.unpublished === 0) return;
    this.unpublished = 0;
    this.requests.publish();
    if (this.requests.consumerSleeping()) this.requests.wake();
  }

  /**
   * Send an internal operation (argv as binary strings / numbers / bytes) and resolve with the raw
   * RESP reply bytes. Goes out with the next publish(); the ring being full is retried by the caller's
   * tick (control messages are small, so this only waits in extreme back-pressure).
   */
  control(argv: readonly (string | number | Uint8Array)[], db = 0, flags = 0, capture = false): Promise<ShardReply> {
    const w = this.ctlWriter;
    w.reset();
    w.command(argv);
    return this.coordinatorRequest(REQ_CONTROL, flags, db, 0, w.buf, w.len, capture);
  }

  /**
   * Send a command request on behalf of the coordinator and resolve with its reply record (with
   * `capture`, its keyspace events come with the reply instead of being published).
   */
  command(flags: number, db: number, cmdId: number, proto: number, body: Uint8Array, capture = false): Promise<ShardReply> {
    return this.coordinatorRequest(REQ_COMMAND, flags, db, cmdId | (proto << 16), body, body.length, capture);
  }

  /** A coordinator request under the next sequence number, resolved when its reply record is complete. */
  private coordinatorRequest(kind: number, flags: number, db: number, w3: number, body: Uint8Array, len: number, capture: boolean): Promise<ShardReply> {
    const seq = this.nextSeq++;
    if (this.nextSeq > 0x7fffffff) this.nextSeq = 1;
    if (capture) this.captured.set(seq, []);
    return new Promise<ShardReply>((resolve) => {
      this.pending.set(seq, resolve);
      this.inflight++;
      this.send(kind, flags, db, COORDINATOR_CONN, seq, w3, body, 0, len);
    });
  }

  /**
   * A coordinator reply record arrived (bytes are views into ring memory: copied here). Chunks are
   * gathered until the last one, then the waiter is resolved.
   */
  collect(seq: number, reply: Uint8Array, prop: Uint8Array, db: number, more: boolean): void {
    const r = this.replyChunks.add(seq, reply, more);
    const p = this.propChunks.add(seq, prop, more);
    if (more) return;
    // joined messages are fresh buffers; a single record's bytes are copied out of the ring
    this.finish(seq, { reply: r ?? Buffer.from(reply), prop: p ?? Buffer.from(prop), db });
  }

  private finish(seq: number, r: ShardReply): void {
    const cb = this.pending.get(seq);
    if (!cb) return;
    this.pending.delete(seq);
    this.inflight--;
    const events = this.captured.get(seq);
    if (events !== undefined) {
      this.captured.delete(seq);
      if (events.length > 0) r.events = events.length === 1 ? events[0]! : Buffer.concat(events);
    }
    cb(r);
  }
}

/** A reply to the coordinator: the RESP reply and the writes to propagate (in database `db`). */
export interface ShardReply {
  reply: Buffer;
  prop: Buffer;
  db: number;
  /** Keyspace events of a request sent with `capture` (REP_NOTIFY bodies, in order). */
  events?: Buffer;
}

/** The outbox's copy of src[from, to) (a view when `stable`: the caller never overwrites those bytes). */
function kept(src: Uint8Array, from: number, to: number, stable: boolean): Buffer {
  return stable ? Buffer.from(src.buffer, src.byteOffset + from, to - from) : Buffer.from(src.subarray(from, to));
}
