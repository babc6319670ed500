/*
 * ReplyPump: the main thread's tick (setImmediate, after the event loop's I/O phase has read every
 * ready socket):
 *   1. drain every reply ring: deliver replies to connections, coordinator replies to their waiters,
 *      propagation bytes to the replication stream, keyspace events to pub/sub and tracking;
 *   2. flush every connection that got output (one socket write per connection per tick); with
 *      appendfsync always, the output waits for an fsync of the AOF (on libuv's pool) covering
 *      every write made so far; release the rings' space;
 *   3. resume connections that were held (ring congestion, shard locks, barriers);
 *   4. publish every request ring written since the last tick (waking a sleeping shard: one notify
 *      per shard per tick at most);
 *   5. sleep in the event loop until a shard wakes it (a byte on the wake socket, wake-socket.ts), also
 *      with requests in flight: polling the reply rings again each tick while waiting for them cost
 *      the thread more CPU per request than the wake-ups (docs/benchmarks.md), and a sleeping loop
 *      gathers more ready sockets per turn. Atomics.waitAsync is kept off this path: it costs ~34us
 *      per round trip.
 */

import { FLAG_BLOCKED, FLAG_MORE, FLAG_SHARED_BODY, FLAG_UNSTREAMED, HEADER_BYTES, REP_NOTIFY, REP_PROPAGATE, REP_RUN, REP_SCRIPT, dbOf, flagsOf, kindOf } from '../ipc/records.js';
import { scriptReplied } from '../scripting/fast-path.js';
import { Hold, type Connection } from './connection.js';
import type { ServerContext } from './main-ctx.js';
import { COORDINATOR_CONN, type ShardLink } from './shard-link.js';

/** Unsent output past which a connection stops reading requests until its socket drains. */
const OUTPUT_PAUSE_BYTES = 64 * 1024 * 1024;

const CRLF = Buffer.from('\r\n');

/**
 * A congested shard link's outbox is retried this often once the thread sleeps: a full ring holds
 * thousands of requests, far more than the shard runs in this time. (A shard wakes the thread when it
 * publishes replies, but the master's commands on a replica get none: FLAG_NO_REPLY.)
 */
const OUTBOX_RETRY_MS = 1;

export class ReplyPump {
  private tickScheduled = false;
  private sleeping = false;
  /** Connections that got output this tick. */
  private readonly writeQueue: Connection[] = [];
  /** Held connections to continue parsing at the end of this tick. */
  readonly resumeList = new Set<Connection>();
  /** Connections held until their shard is unlocked or uncongested. */
  private readonly stalled = new Map<Connection, ShardLink>();
  /** Chunks of a shard's keyspace-event record that continues (FLAG_MORE), by shard. */
  private readonly eventParts = new Map<number, Buffer[]>();

  constructor(private readonly s: ServerContext) {}

  /** Start asleep: the shards post a message when they publish replies. */
  sleep(): void {
    for (const l of this.s.links) l.replies.setSleeping(true);
    this.sleeping = true;
  }

  scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(this.tickFn);
  }

  private readonly tickFn = (): void => {
    this.tickScheduled = false;
    this.tick();
  };

  /** A shard woke the thread (wake-socket.ts, or a message when it has no wake socket). */
  onShardWake(): void {
    if (this.sleeping) {
      this.sleeping = false;
      for (const l of this.s.links) l.replies.setSleeping(false);
    }
    this.scheduleTick();
  }

  queueWrite(conn: Connection): void {
    if (!conn.writeQueued) {
      conn.writeQueued = true;
      this.writeQueue.push(conn);
      this.scheduleTick();
    }
  }

  /** Queue a held connection to continue parsing at the end of this tick. */
  resume(conn: Connection): void {
    if (conn.closed) return;
    this.resumeList.add(conn);
    this.scheduleTick();
  }

  /**
   * Hold a connection until a shard is unlocked or uncongested. Event-driven: the tick after an
   * unlock (coordinator.unlock schedules one) or after the link's outbox drains resumes it; while
   * its shard stays busy it is not re-run.
   */
  stallOn(conn: Connection, link: ShardLink): void {
    conn.hold = Hold.Stalled;
    this.stalled.set(conn, link);
  }

  /** A connection closed: nothing to resume. */
  forget(conn: Connection): void {
    this.resumeList.delete(conn);
  }

  tick(): void {
    const s = this.s;
    const links = s.links;
    if (this.sleeping) {
      this.sleeping = false;
      for (const l of links) l.replies.setSleeping(false);
    }
    let got = 0;
    for (const link of links) got += this.drain(link);
    s.replication.flush();
    // one write per connection per tick
    this.flushWrites();
    for (const link of links) link.replies.release();

    // resume held connections
    let anyOutbox = false;
    for (const link of links) if (link.congested && !link.flushOutbox()) anyOutbox = true;
    if (this.stalled.size > 0) {
      for (const [c, link] of this.stalled) {
        if (!c.closed && (link.lockedBy !== null || link.congested)) continue;
        this.stalled.delete(c);
        if (c.hold === Hold.Stalled) {
          c.hold = Hold.None;
          this.resumeList.add(c);
        }
      }
    }
    if (this.resumeList.size > 0) {
      const list = [...this.resumeList];
      this.resumeList.clear();
      for (const c of list) if (!c.closed && c.hold === Hold.None) s.dispatcher.processInput(c);
      // replies produced synchronously by resumed connections
      this.flushWrites();
    }
    for (const link of links) link.publish();

    // keep turning while clients wait to be resumed, or while a full ring is being drained with replies
    // coming back; otherwise sleep (a full ring is retried on a timer)
    if (this.resumeList.size > 0 || (anyOutbox && got > 0)) {
      this.scheduleTick();
      return;
    }
    this.goToSleep();
    // a full request ring (a shard with a backlog of requests to run): its outbox is looked at again in
    // OUTBOX_RETRY_MS, not on every turn of the event loop (the thread would spin meanwhile)
    if (anyOutbox) this.retryOutbox();
  }

  private outboxTimer: ReturnType<typeof setTimeout> | null = null;

  private retryOutbox(): void {
    if (this.outboxTimer !== null) return;
    this.outboxTimer = setTimeout(() => {
      this.outboxTimer = null;
      this.scheduleTick();
    }, OUTBOX_RETRY_MS);
  }

  /** Sleep: shards wake the thread when they publish replies. */
  private goToSleep(): void {
    this.sleep();
    // re-check after raising the flags: a shard that published before seeing them did not wake us
    for (const l of this.s.links) {
      if (l.replies.poll()) {
        this.onShardWake();
        return;
      }
    }
  }

  /**
   * Write the output of every connection that got some, except one still gathering the replies of
   * requests it sent together (Connection.gathering): those go out in one write, as Redis writes a
   * pipeline's replies.
   */
  private flushWrites(): void {
    const queue = this.writeQueue;
    if (queue.length === 0) return;
    // no write is acknowledged before it is on disk (appendfsync always): the replies wait for an fsync
    if (this.heldBatches > 0 || this.s.replication.logPending()) {
      this.holdWrites(queue);
      return;
    }
    for (let i = 0; i < queue.length; i++) {
      const c = queue[i]!;
      if (c.gathering()) {
        // (its output holds no ring memory: replies are copied out of the rings as they are gathered)
        c.writeQueued = false; // marked again by the next reply it gets
        continue;
      }
      c.flush();
      this.afterFlush(c);
    }
    queue.length = 0;
  }

  /** Batches of output waiting for an fsync (appendfsync always); later output waits behind them. */
  private heldBatches = 0;

  /**
   * appendfsync always: take the output of the queued connections and write it once the AOF's fsync
   * of every write made so far has ended (off the event loop: requests go on being served meanwhile).
   */
  private holdWrites(queue: Connection[]): void {
    const conns: Connection[] = [];
    const outputs: Uint8Array[][] = [];
    for (let i = 0; i < queue.length; i++) {
      const c = queue[i]!;
      if (c.gathering()) {
        c.writeQueued = false; // marked again by the next reply it gets
        continue;
      }
      conns.push(c);
      outputs.push(c.takeOutput());
      c.heldOutputs++;
    }
    queue.length = 0;
    this.heldBatches++;
    const release = (): void => {
      this.heldBatches--;
      for (let i = 0; i < conns.length; i++) {
        const c = conns[i]!;
        c.writeTaken(outputs[i]!);
        // closing or pausing waits for the connection's last held output
        if (--c.heldOutputs === 0) this.afterFlush(c);
      }
    };
    if (!this.s.replication.syncLogThen(release)) release();
  }

  private afterFlush(c: Connection): void {
    if (c.ending && !c.closed) {
      // half-closed by the client and fully answered: end our side once the output is written
      c.socket.end();
      c.closed = true;
      this.s.clients.onClose(c);
      return;
    }
    if (c.closeAfterReply && c.inflight === 0 && c.hold !== Hold.Busy) {
      // closed, not half-closed, once the reply is written (as Redis's close()): a client still
      // sending (a desynchronised protocol stream) gets a reset rather than an endless sink
      c.socket.destroySoon();
      c.closed = true;
      this.s.clients.onClose(c);
      return;
    }
    const limits = this.s.outputLimits;
    if (c.socket.writableLength >= limits.threshold && limits.check(c)) return;
    if (c.socket.writableLength > OUTPUT_PAUSE_BYTES && c.hold === Hold.None && !c.isReplica) {
      c.hold = Hold.Output;
      c.inputIdle = false;
    }
  }

  /** Process every published reply record of one shard. */
  private drain(link: ShardLink): number {
    const ring = link.replies;
    if (!ring.poll()) return 0;
    const s = this.s;
    const i32 = ring.i32;
    const data = ring.data;
    let n = 0;
    let lastId = 0;
    let lastConn: Connection | undefined;
    for (let off = ring.next(); off >= 0; off = ring.next()) {
      n++;
      const b = off >> 2;
      const w0 = i32[b]!;
      const connId = i32[b + 1]!;
      const seq = i32[b + 2]!;
      const rlen = i32[b + 3]!;
      const plen = i32[b + 4]!;
      const flags = flagsOf(w0);
      const start = off + HEADER_BYTES;
      if (kindOf(w0) === REP_RUN) {
        if (connId !== lastId || lastConn === undefined || lastConn.closed) {
          lastConn = s.conns.get(connId);
          lastId = connId;
        }
        this.replyRun(link, lastConn, seq, data, start, rlen, plen);
        continue;
      }
      // a huge value the reply goes on with, in shared memory (taken in order even if nobody gets it)
      const shared = flags & FLAG_SHARED_BODY ? link.sharedReply() : null;
      if (kindOf(w0) === REP_NOTIFY) {
        this.keyspaceEvents(link, data.subarray(start, start + rlen), connId, seq, (flags & FLAG_MORE) !== 0);
        continue;
      }
      if (kindOf(w0) === REP_PROPAGATE) {
        this.propagate(link, dbOf(w0), data, start + rlen, plen, (flags & FLAG_MORE) !== 0);
        continue;
      }
      if (connId === COORDINATOR_CONN) {
        link.collect(seq, data.subarray(start, start + rlen), data.subarray(start + rlen, start + rlen + plen), dbOf(w0), (flags & FLAG_MORE) !== 0);
        continue;
      }
      if (plen > 0 || link.propParts.length > 0) this.propagate(link, dbOf(w0), data, start + rlen, plen, (flags & FLAG_MORE) !== 0);
      else if ((flags & (FLAG_UNSTREAMED | FLAG_MORE)) === FLAG_UNSTREAMED) s.replication.changes++; // a write nothing streams
      // a pipeline's replies come one after another: its connection is looked up once (ids are never
      // reused, and a connection leaves the map only once closed, so a closed one is looked up again)
      if (connId !== lastId || lastConn === undefined || lastConn.closed) {
        lastConn = s.conns.get(connId);
        lastId = connId;
      }
      const conn = lastConn;
      if (kindOf(w0) === REP_SCRIPT) {
        // an EVALSHA sent straight to this shard (scripting/fast-path.ts)
        if (!(flags & FLAG_MORE)) {
          link.inflight--;
          if (conn !== undefined) conn.inflight--;
        }
        if (conn !== undefined && scriptReplied(s, conn, seq, data, start, rlen, (flags & FLAG_MORE) !== 0)) {
          this.queueWrite(conn);
          this.checkBarrier(conn);
        }
        continue;
      }
      if (flags & FLAG_MORE) {
        if (conn && rlen > 0) conn.deliverChunk(seq, data.subarray(start, start + rlen), false);
        continue;
      }
      if (flags & FLAG_BLOCKED) {
        // the request is parked on the shard: no longer in flight; its reply comes later
        link.inflight--;
        link.parked.add(connId);
        if (conn === undefined) continue;
        conn.inflight--;
        conn.blockedOn = link.index;
        conn.blockingShard = -1;
        conn.busySlow = true;
        // replies gathered before the blocked command go out now
        if (conn.outBytes > 0) this.queueWrite(conn);
        this.checkBarrier(conn);
        continue;
      }
      if (link.parked.size > 0 && link.parked.delete(connId)) {
        if (conn !== undefined) conn.blockedOn = -1;
      } else {
        link.inflight--;
        if (conn !== undefined) conn.inflight--;
      }
      if (conn === undefined) continue;
      if (conn.busySeq === seq) s.runner.endBusy(conn);
      if (shared !== null) conn.deliver(seq, [Buffer.from(data.subarray(start, start + rlen)), shared, CRLF], false);
      else if (conn.hasPartial(seq)) conn.deliverChunk(seq, data.subarray(start, start + rlen), true);
      else conn.deliverFromRing(seq, data, start, rlen);
      this.queueWrite(conn);
      this.checkBarrier(conn);
    }
    return n;
  }

  /**
   * A REP_RUN record (records.ts): `n` replies of one connection from sequence number `seq` on, their
   * bytes data[start, start+len), then padding and their lengths; `info` = n | unstreamed writes << 16.
   */
  private replyRun(link: ShardLink, conn: Connection | undefined, seq: number, data: Buffer, start: number, len: number, info: number): void {
    const n = info & 0xffff;
    if (info >>> 16 !== 0) this.s.replication.changes += info >>> 16; // writes nothing streams
    link.inflight -= n;
    if (conn === undefined) return;
    conn.inflight -= n;
    if (conn.busySeq >= seq && conn.busySeq - seq < n) this.s.runner.endBusy(conn);
    conn.deliverRunFromRing(seq, n, data, start, len, (start + len + 3) & ~3);
    this.queueWrite(conn);
    this.checkBarrier(conn);
  }

  /**
   * Propagation bytes data[start, start+len) of a shard's record. A write whose propagation spans
   * several records (FLAG_MORE: a big write, sent from its request bytes) is held until its last
   * record and then fed whole: fed chunk by chunk, whatever else is fed meanwhile (another shard's
   * writes, the main thread's PING, WAIT's GETACK, a main-thread command's propagation) would land
   * inside its bytes in the stream and the AOF, and a replica would store a value with them in it.
   */
  private propagate(link: ShardLink, db: number, data: Uint8Array, start: number, len: number, more: boolean): void {
    const held = link.propParts;
    if (more) {
      if (len > 0) held.push(Buffer.from(data.subarray(start, start + len))); // out of ring memory
      return;
    }
    if (held.length === 0) {
      if (len > 0) this.s.replication.feedFrom(db, data, start, len);
      return;
    }
    if (len > 0) held.push(Buffer.from(data.subarray(start, start + len)));
    link.propParts = [];
    this.s.replication.feedParts(db, held);
  }

  /** A reply came back: a connection waiting for its earlier requests (a barrier) may go on. */
  private checkBarrier(conn: Connection): void {
    if (conn.inflight === 0 && conn.hold === Hold.Barrier) {
      conn.hold = Hold.None;
      this.resume(conn);
    }
    if (conn.closeAfterReply && conn.inflight === 0) this.queueWrite(conn);
    if (conn.inputEnded) this.s.clients.endIfDone(conn);
  }

  /** A REP_NOTIFY record: publish its events now, ahead of the record that follows (see records.ts). */
  private keyspaceEvents(link: ShardLink, bytes: Uint8Array, connId: number, seq: number, more: boolean): void {
    if (more || this.eventParts.size > 0) {
      const parts = this.eventParts.get(link.index) ?? [];
      parts.push(Buffer.from(bytes));
      if (more) {
        this.eventParts.set(link.index, parts);
        return;
      }
      this.eventParts.delete(link.index);
      bytes = Buffer.concat(parts);
    }
    if (connId === COORDINATOR_CONN && seq !== 0 && link.captureEvents(seq, bytes)) return;
    this.publishEvents(bytes, connId, seq);
  }

  /** Publish keyspace events (a REP_NOTIFY body) caused by request `seq` of connection `connId` (0: none). */
  publishEvents(bytes: Uint8Array, connId: number, seq: number): void {
    this.s.pubsub.keyspaceEvents(bytes, connId, seq);
    const tracking = this.s.tracking;
    if (tracking.clients.size > 0) tracking.onShardEvents(bytes, connId);
  }
}
