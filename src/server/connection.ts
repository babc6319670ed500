/*
 * Connection: one client socket on the main thread. Owns its input bytes (framed in place), the
 * sequence numbers that keep replies in request order when they come back from several shards, the
 * output gathered during a tick (written with one socket write per tick), and the client's state
 * (db, protocol, name, auth, MULTI queue, subscriptions) that CLIENT LIST reports.
 *
 * Reply order: every request takes the next sequence number; a reply for `sendSeq` goes straight to
 * the output (and releases any early replies after it), a reply that arrives early is kept (copied)
 * until its turn.
 *
 * Gathering: the replies to the requests one read brought go out in one write (gathering()), and a
 * client that half-closed is closed once everything it sent is answered (answeredAll()).
 */

import type { User } from '../acl/user.js';
import type { Socket } from 'node:net';
import { RequestFramer } from '../resp/framer.js';
import type { Proto } from '../resp/writer.js';
import type { Command } from '../commands/table.js';
import type { ServerStats } from './stats.js';
import { copySlice } from '../bytes.js';

export interface QueuedCommand {
  cmd: Command;
  /** The request re-encoded as RESP multibulk (so it can be sent to a shard later). */
  body: Buffer;
  /** Arguments as binary strings (for main-thread commands and key extraction). */
  argv: string[];
}

/** Why a connection is not parsing more input right now. */
export const enum Hold {
  None = 0,
  /** Waiting for an async main-thread command, a blocking command or a coordinated operation. */
  Busy = 1,
  /** A shard it needs is locked or congested; retried when that changes. */
  Stalled = 2,
  /** Waiting for its in-flight requests to finish (barrier commands such as WAIT). */
  Barrier = 3,
  /** Its socket has too much unwritten output; resumes on 'drain'. */
  Output = 4,
}

let emptyBuffer = Buffer.alloc(0);

/** Output gathered for one write beyond which a connection is written without waiting for the rest. */
const FLUSH_GATHER_BYTES = 64 * 1024;
/** Replies of at least this size that are the connection's to keep are written as pieces, not copied. */
const OWN_PIECE_BYTES = 16 * 1024;
/** Largest input buffer a connection keeps as a spare when it parses a read in place instead. */
const SPARE_INPUT_MAX = 64 * 1024;
/** First size of a connection's output buffer, and the largest one kept for reuse after a write. */
const OUTPUT_BUFFER_MIN = 1024;
const OUTPUT_BUFFER_KEEP = 64 * 1024;

export class Connection {
  // identity
  readonly id: number;
  readonly socket: Socket;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  name = '';

  // protocol state
  db = 0;
  proto: Proto = 2;
  authenticated: boolean;
  user = 'default';
  /** The ACL user (null: the default user). */
  aclUser: User | null = null;
  readonly framer: RequestFramer;

  // input: unparsed bytes are inBuf[inStart, inEnd)
  inBuf: Buffer = emptyBuffer;
  inStart = 0;
  inEnd = 0;

  // ordering
  nextSeq = 0;
  sendSeq = 0;
  private earlyReplies = new Map<number, Buffer>();
  private partial = new Map<number, Buffer[]>();
  /** Requests sent to shards whose replies have not arrived. */
  inflight = 0;
  hold = Hold.None;
  /** Sequence number whose reply ends a Busy hold (-1 when the hold ends by other means). */
  busySeq = -1;

  // Output gathered this tick: small pieces are copied into `ob` (owned; reused after a write the
  // kernel took at once, so most ticks allocate nothing), large ones stay pieces of their own in
  // `out`. The bytes to write are out[0..] then ob[obStart, obLen), in that order: a large piece
  // first seals the region before it into `out`.
  private out: Uint8Array[] = [];
  private ob: Buffer = emptyBuffer;
  private obStart = 0;
  private obLen = 0;
  /** Bytes gathered and not written yet (out pieces and the ob region). */
  outBytes = 0;
  /** Outputs taken and waiting for an fsync (appendfsync always, ReplyPump.holdWrites). */
  heldOutputs = 0;
  /** Queued for a write at the end of this tick (ReplyPump.queueWrite). */
  writeQueued = false;
  closeAfterReply = false;
  closed = false;
  /**
   * CLIENT REPLY OFF: ranges [from, to] of request sequence numbers whose replies are dropped (to is
   * Infinity while replies are off). By sequence number, not by the mode at delivery time: a pipeline
   * OFF, SET (on a shard), ON has its ON run before the SET's reply comes back.
   */
  private silenced: [number, number][] = [];
  /**
   * CLIENT REPLY SKIP: sequence numbers of replies to drop (each the command's after a SKIP). Several
   * can wait at once: a SKIP'd shard command's reply may come back after later SKIPs or an ON ran.
   */
  private readonly skips = new Set<number>();

  /** CLIENT REPLY SKIP ran as request `seq`: the next command's reply is dropped. */
  skipNext(seq: number): void {
    this.skips.add(seq + 1);
  }
  /** Early (out-of-order) replies that are pub/sub pushes (see push()). */
  private readonly earlyPushes = new Set<number>();

  /** CLIENT REPLY OFF ran as request `seq`. */
  replyOff(seq: number): void {
    if (!this.repliesOff()) this.silenced.push([seq + 1, Infinity]);
  }

  /**
   * CLIENT REPLY ON (or RESET, `clearsSkip` false) ran as request `seq`: replies are on again from
   * its own. ON's reply is sent even right after a SKIP; RESET's is skipped then (as Redis: RESET
   * clears OFF, not the SKIP of its own reply). Replies of earlier requests stay
   * skipped or silenced.
   */
  replyOn(seq: number, clearsSkip = true): void {
    const last = this.silenced[this.silenced.length - 1];
    if (last !== undefined && last[1] === Infinity) last[1] = seq - 1;
    if (clearsSkip) this.skips.delete(seq);
  }

  repliesOff(): boolean {
    const last = this.silenced[this.silenced.length - 1];
    return last !== undefined && last[1] === Infinity;
  }

  private isSilenced(seq: number): boolean {
    const r = this.silenced;
    while (r.length > 0 && r[0]![1] < seq) r.shift();
    return r.length > 0 && r[0]![0] <= seq;
  }

  // transactions
  multi: QueuedCommand[] | null = null;
  multiError = false;
  /** Shards holding WATCH registrations for this connection, and the watched keys by db. */
  watchShards = new Set<number>();
  watched: [number, string][] = [];

  // pub/sub
  channels = new Set<string>();
  patterns = new Set<string>();
  /** SSUBSCRIBE channels. */
  shardChannels = new Set<string>();

  // bookkeeping for CLIENT LIST / INFO
  lastCmd = 'NULL';
  /** Shard a blocking command of this connection is parked on, or -1. */
  blockedOn = -1;
  /** Set when this socket became a replica's link (after SYNC/PSYNC): no longer a normal client. */
  isReplica = false;
  /** Set on the master client of a replica (the link to its master), for CLIENT LIST flags. */
  isMaster = false;
  /** Shard a blocking command of this connection was sent to, until it is answered or parked; or -1. */
  blockingShard = -1;
  /** A blocking command whose keys span shards was sent to the coordinator and is not answered yet. */
  crossShardBlocking = false;
  /** That command found nothing and waits in the coordinator (retried until served). */
  blockedAcrossShards = false;
  /** CLIENT UNBLOCK's reply for a command blocked across shards, taken by the coordinator's retry. */
  unblockReply: Buffer | null = null;
  /** WAIT is waiting for replica acknowledgements (it ends with the connection, as Redis's). */
  blockedInWait = false;
  /** The Busy hold waits on something that may take long (a blocked or WAIT-like command). */
  busySlow = false;
  /** Scripts of this connection sent straight to a shard and not finished (scripting/fast-path.ts). */
  directScripts = 0;
  /** The client half-closed its socket (read side EOF): closed once every request it sent is answered. */
  inputEnded = false;
  /** Input parsing stopped for want of bytes, not because of a hold (see Server.endIfDone). */
  inputIdle = true;
  /** Set when the connection is to be closed at its next flush (half-closed and fully answered). */
  ending = false;
  /**
   * Replies of requests before this sequence number are written together (one write for what one
   * read brought, as Redis writes a pipeline's replies once it ran them all); see ReplyPump.flushWrites.
   */
  flushAt = 0;
  /** Most output bytes ever queued on the socket (for freeing memory after a large client closes). */
  outputPeak = 0;
  /** Output buffer soft-limit tracking: when the soft limit was first exceeded (ms), or 0. */
  softLimitSince = 0;

  /** Where bytes written are counted (INFO total_net_output_bytes), once the server set it. */
  stats: ServerStats | null = null;

  constructor(id: number, socket: Socket, maxBulkLen: number, needAuth: boolean) {
    this.id = id;
    this.socket = socket;
    this.addr = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.laddr = `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
    const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
    this.fd = handle?.fd ?? -1;
    this.authenticated = !needAuth;
    this.framer = new RequestFramer(maxBulkLen, needAuth);
  }

  /** Append newly read bytes, chunk[0, len), to the unparsed input. */
  appendInput(chunk: Buffer, len = chunk.length): void {
    if (this.inStart === this.inEnd) {
      // nothing pending: parse the chunk in place (a small owned buffer is kept for the next partial request)
      if (this.inBufOwned && this.inBuf.length <= SPARE_INPUT_MAX) this.spareInput = this.inBuf;
      this.inBuf = chunk;
      this.inStart = 0;
      this.inEnd = len;
      this.inBufOwned = false;
      return;
    }
    if (this.inBuf.length - this.inEnd >= len && this.inBufOwned) {
      chunk.copy(this.inBuf, this.inEnd, 0, len);
      this.inEnd += len;
      return;
    }
    this.ownInput(chunk, len);
  }

  /**
   * Move the unparsed input into a buffer of its own, with chunk[0, len) after it: to the exact size
   * when a big bulk's length is known from its "$<len>" header (one copy of a huge argument, no
   * doubling), else doubling.
   */
  private ownInput(chunk: Buffer | null, len: number): void {
    const pending = this.inEnd - this.inStart;
    const need = pending + len;
    const bulkRest = this.framer.pendingBulkRemaining(this.inStart, this.inEnd);
    if (bulkRest <= 1024 * 1024) {
      // reuse before allocating: the owned buffer itself, its pending bytes moved to its start, or the
      // spare one. Only buffers of up to 1 MB: nothing is handed on from those (inputStable()), so
      // their consumed bytes may be overwritten. A held pipeline (its input capped by
      // HELD_INPUT_PAUSE_BYTES) so cycles through one buffer instead of a new one each time it fills.
      let reuse: Buffer | null = null;
      if (this.inBufOwned && this.inBuf.length >= need && !this.inputStable()) reuse = this.inBuf;
      else if (this.spareInput !== null && this.spareInput.length >= need) reuse = this.spareInput;
      if (reuse !== null) {
        if (reuse === this.inBuf) reuse.copyWithin(0, this.inStart, this.inEnd);
        else {
          this.inBuf.copy(reuse, 0, this.inStart, this.inEnd);
          this.spareInput = this.inBufOwned && this.inBuf.length <= SPARE_INPUT_MAX ? this.inBuf : null;
        }
        if (chunk !== null) chunk.copy(reuse, pending, 0, len);
        this.inBuf = reuse;
        this.inStart = 0;
        this.inEnd = need;
        this.inBufOwned = true;
        return;
      }
    }
    let size = Math.max(16 * 1024, this.inBufOwned ? this.inBuf.length : 0);
    if (bulkRest > 1024 * 1024) size = Math.max(need, pending + bulkRest);
    else while (size < need) size *= 2;
    // a huge bulk is read into shared memory: its shard is handed that memory, not a copy (shard-link.ts)
    const next = bulkRest > 1024 * 1024 ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
    this.inBuf.copy(next, 0, this.inStart, this.inEnd);
    if (chunk !== null) chunk.copy(next, pending, 0, len);
    this.inBuf = next;
    this.inStart = 0;
    this.inEnd = need;
    this.inBufOwned = true;
  }

  /**
   * The input was read into a buffer the next read overwrites (socket-reader.ts): copy what is not
   * parsed yet into one of its own.
   */
  keepInput(): void {
    if (!this.inBufOwned && this.inStart < this.inEnd) this.ownInput(null, 0);
  }

  /**
   * True when inBuf[start, start+len) will never be overwritten after it is consumed, so it may be
   * handed on without a copy: an owned buffer over 1 MB is dropped, not reused, once consumed
   * (consumed()), and appends only write past inEnd.
   */
  inputStable(): boolean {
    return this.inBufOwned && this.inBuf.length > 1024 * 1024;
  }

  /** True when inBuf is ours (grown for partial requests), false when it is a socket read chunk. */
  private inBufOwned = false;
  /** An owned input buffer no longer in use, for the next ownInput() (at most SPARE_INPUT_MAX bytes). */
  private spareInput: Buffer | null = null;

  /** Bytes received but not parsed yet (query buffer, for CLIENT LIST qbuf and the limit). */
  pendingInput(): number {
    return this.inEnd - this.inStart;
  }

  /** Called after parsing consumed input: drop the buffer when fully consumed. */
  consumed(): void {
    if (this.inStart === this.inEnd) {
      if (this.inBufOwned && this.inBuf.length > 1024 * 1024) {
        this.inBuf = emptyBuffer;
        this.inBufOwned = false;
      }
      this.inStart = 0;
      this.inEnd = 0;
      if (!this.inBufOwned) this.inBuf = emptyBuffer;
    }
  }

  /**
   * Deliver a complete reply for `seq`. `view` marks bytes that live in ring memory (valid until the
   * rings are released at the end of this tick).
   */
  deliver(seq: number, bytes: Uint8Array | Uint8Array[], view: boolean, pushing = false): void {
    if (seq === this.sendSeq) {
      this.push(bytes, view, pushing, seq);
      this.sendSeq++;
      if (this.earlyReplies.size > 0) {
        let next = this.earlyReplies.get(this.sendSeq);
        while (next !== undefined) {
          this.earlyReplies.delete(this.sendSeq);
          this.push(next, false, this.earlyPushes.size > 0 && this.earlyPushes.delete(this.sendSeq), this.sendSeq);
          this.sendSeq++;
          next = this.earlyReplies.get(this.sendSeq);
        }
      }
    } else {
      this.earlyReplies.set(seq, Array.isArray(bytes) ? Buffer.concat(bytes) : view ? Buffer.from(bytes) : (bytes as Buffer));
      if (pushing) this.earlyPushes.add(seq);
    }
  }

  /** Deliver one chunk of a reply split over several records; `last` completes it. */
  deliverChunk(seq: number, bytes: Uint8Array, last: boolean): void {
    let parts = this.partial.get(seq);
    if (!parts) {
      parts = [];
      this.partial.set(seq, parts);
    }
    parts.push(Buffer.from(bytes));
    if (last) {
      this.partial.delete(seq);
      // in order, the parts go out as they are (a huge reply is not copied into one buffer again)
      this.deliver(seq, parts, false);
    }
  }

  hasPartial(seq: number): boolean {
    return this.partial.size > 0 && this.partial.has(seq);
  }

  /** Take a sequence number for a reply that will be delivered out of band (e.g. pub/sub pushes). */
  takeSeq(): number {
    // a push taking the number CLIENT REPLY SKIP reserved: the skip moves to the next command's
    if (this.skips.size > 0 && this.skips.delete(this.nextSeq)) this.skips.add(this.nextSeq + 1);
    return this.nextSeq++;
  }

  /**
   * `pushing`: pub/sub messages and (un)subscribe confirmations, which CLIENT REPLY OFF / SKIP do not
   * silence (and SKIP does not count), as Redis's CLIENT_PUSHING.
   */
  private push(bytes: Uint8Array | Uint8Array[], view: boolean, pushing: boolean, seq: number): void {
    if (!pushing) {
      if (this.silenced.length > 0 && this.isSilenced(seq)) return;
      if (this.skips.size > 0 && this.skips.delete(seq)) return;
    }
    if (Array.isArray(bytes)) {
      for (const b of bytes) this.push(b, view, true, seq);
      return;
    }
    this.append(bytes, 0, bytes.length, view);
  }

  /**
   * Gather src[start, start+len). `view`: the bytes live in ring memory (valid until the rings are
   * released at the end of this tick), so they are always copied.
   */
  private append(src: Uint8Array, start: number, len: number, view: boolean): void {
    // (a replica never answers its master: flush() drops that output, so it is not gathered at all)
    if (len === 0 || this.isMaster) return;
    this.outBytes += len;
    if (len >= OWN_PIECE_BYTES && !view) {
      // a large reply that is ours to keep goes out as it is, not copied again
      if (this.obLen > this.obStart) this.out.push(this.ob.subarray(this.obStart, this.obLen));
      this.obStart = this.obLen;
      this.out.push(start === 0 && len === src.length ? src : src.subarray(start, start + len));
      return;
    }
    if (this.ob.length - this.obLen < len) this.growOutput(len);
    copySlice(src, start, len, this.ob, this.obLen);
    this.obLen += len;
  }

  /** A new ob with room for `len` more bytes, the unwritten region moved to its start. */
  private growOutput(len: number): void {
    const region = this.obLen - this.obStart;
    let size = Math.max(OUTPUT_BUFFER_MIN, this.ob.length);
    while (size < region + len) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    if (region > 0) this.ob.copy(next, 0, this.obStart, this.obLen);
    this.ob = next;
    this.obStart = 0;
    this.obLen = region;
  }

  /**
   * The reply for `seq` from ring memory, data[start, start+len): copied straight into the output
   * when it is next in order (no view made of it), otherwise delivered as a view (early replies are
   * copied by deliver()).
   */
  deliverFromRing(seq: number, data: Buffer, start: number, len: number): void {
    if (seq === this.sendSeq && this.earlyReplies.size === 0 && this.silenced.length === 0 && this.skips.size === 0) {
      this.append(data, start, len, true);
      this.sendSeq++;
      return;
    }
    this.deliver(seq, data.subarray(start, start + len), true);
  }

  /**
   * The n replies of a reply run (REP_RUN) from `seq` on, data[start, start+len) in ring memory, each
   * one's length an i32 from data[lens] on: copied into the output at once when they are next in order.
   */
  deliverRunFromRing(seq: number, n: number, data: Buffer, start: number, len: number, lens: number): void {
    if (seq === this.sendSeq && this.earlyReplies.size === 0 && this.silenced.length === 0 && this.skips.size === 0) {
      this.append(data, start, len, true);
      this.sendSeq += n;
      return;
    }
    for (let i = 0, at = start; i < n; i++) {
      const l = data.readInt32LE(lens + 4 * i);
      this.deliverFromRing(seq + i, data, at, l);
      at += l;
    }
  }

  /** Out-of-band bytes (pub/sub messages, RESP3 pushes): written after the current in-order output. */
  pushOutOfBand(bytes: Uint8Array): void {
    this.append(bytes, 0, bytes.length, false);
  }

  /**
   * True while this connection's write is put off to gather the replies of requests it sent together
   * (a shard's, a coordinated or an async main-thread command's reply is still to come). Blocked and
   * WAIT-like commands do not hold earlier replies back, nor does output past 64 KB.
   */
  gathering(): boolean {
    return (
      this.sendSeq < this.flushAt &&
      this.outBytes < FLUSH_GATHER_BYTES &&
      this.blockedOn < 0 &&
      !(this.hold === Hold.Busy && this.busySlow) &&
      !this.ending &&
      !this.closeAfterReply &&
      !this.isReplica &&
      !this.closed
    );
  }

  /**
   * Every request received was run and answered, or what is left is blocked (a blocked command ends
   * with a half-closed connection, as Redis's).
   */
  answeredAll(): boolean {
    if ((this.blockedOn >= 0 && this.inflight === 0) || this.blockedInWait) return true;
    return this.hold === Hold.None && this.inflight === 0 && this.inputIdle;
  }

  /** Write everything gathered this tick with one socket write (a writev when there are large pieces). */
  flush(): void {
    this.writeQueued = false;
    // a replica never answers its master (REPLCONF ACK is written by the link itself)
    if (this.outBytes === 0 || this.closed || this.isMaster) {
      this.out.length = 0;
      this.outBytes = 0;
      this.obStart = this.obLen = 0;
      return;
    }
    if (this.stats) this.stats.netOutputBytes += this.outBytes;
    const sock = this.socket;
    if (this.out.length === 0) {
      sock.write(this.ob.subarray(this.obStart, this.obLen));
    } else {
      if (this.obLen > this.obStart) this.out.push(this.ob.subarray(this.obStart, this.obLen));
      sock.cork();
      for (const p of this.out) sock.write(p);
      sock.uncork();
      this.out.length = 0;
    }
    this.outBytes = 0;
    const queued = sock.writableLength;
    if (queued > this.outputPeak) this.outputPeak = queued;
    if (queued === 0 && this.ob.length <= OUTPUT_BUFFER_KEEP) {
      // the kernel took everything at once: nothing refers to ob any more, write into it again
      this.obStart = this.obLen = 0;
    } else {
      // a write still refers to ob (or it grew large): the next output goes into a new one
      this.ob = emptyBuffer;
      this.obStart = this.obLen = 0;
    }
  }

  /**
   * Take the output gathered so far, to be written later by writeTaken() (appendfsync always: replies
   * wait for the fsync of the writes they acknowledge). Empty when there is nothing to write.
   */
  takeOutput(): Uint8Array[] {
    this.writeQueued = false;
    if (this.outBytes === 0 || this.closed || this.isMaster) {
      this.out.length = 0;
      this.outBytes = 0;
      this.obStart = this.obLen = 0;
      return [];
    }
    const parts = this.out;
    if (this.obLen > this.obStart) parts.push(this.ob.subarray(this.obStart, this.obLen));
    this.out = [];
    this.outBytes = 0;
    // the taken region still refers to ob: the next output goes into a new one
    this.ob = emptyBuffer;
    this.obStart = this.obLen = 0;
    return parts;
  }

  /** Write output taken by takeOutput() (before anything gathered since). */
  writeTaken(parts: Uint8Array[]): void {
    if (parts.length === 0 || this.closed) return;
    const sock = this.socket;
    sock.cork();
    for (const p of parts) {
      if (this.stats) this.stats.netOutputBytes += p.length;
      sock.write(p);
    }
    sock.uncork();
    if (sock.writableLength > this.outputPeak) this.outputPeak = sock.writableLength;
  }

  /** A closed connection drops what it holds (output, early replies, input), so its memory is freed. */
  release(): void {
    this.out.length = 0;
    this.outBytes = 0;
    this.ob = emptyBuffer;
    this.obStart = this.obLen = 0;
    this.earlyReplies.clear();
    this.partial.clear();
    this.earlyPushes.clear();
    this.inBuf = emptyBuffer;
    this.inBufOwned = false;
    this.spareInput = null;
    this.inStart = 0;
    this.inEnd = 0;
    this.multi = null;
  }

  /** Channels + patterns + shard channels: non-zero puts a RESP2 client in the subscribed context. */
  subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  /** Bytes written to the socket but not yet sent (the output buffer, for limits and CLIENT LIST). */
  outputPending(): number {
    return this.socket.writableLength + this.outBytes;
  }
}
