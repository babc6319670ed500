/*
 * Clients: accepting connections, reading their bytes, and closing them. Owns the connection's life
 * from accept to close: maxclients, client-query-buffer-limit, half-close (a client's EOF: every
 * request already received is still answered, then the connection closes), and the clean-up every
 * service gets on close (shard WATCH/blocking state, replication, tracking, pub/sub, listeners).
 */

import type net from 'node:net';
import * as E from '../resp/errors.js';
import { Connection, Hold } from './connection.js';
import { closedWithOutput } from './output-limits.js';
import type { ServerContext } from './main-ctx.js';
import { disconnectOp } from '../ipc/control.js';
import { scriptShardsOf } from '../scripting/fast-path.js';
import { READ_BUFFER_BYTES, readInto } from './socket-reader.js';

/**
 * Unparsed input past which a held connection stops reading its socket. Under 1 MB, with the 64 KB a
 * read adds, so a held pipeline's input stays in a buffer the connection reuses (Connection.ownInput):
 * at 1 MB each hold grew a new 2 MB buffer, about 120 MB of allocations for a 1M-request
 * `redis-cli --pipe` load, which left the main thread's malloc heap 13 MB larger.
 */
const HELD_INPUT_PAUSE_BYTES = 256 * 1024;

export class Clients {
  private nextConnId = 1;

  constructor(private readonly s: ServerContext) {}

  /** Every client socket reads into this buffer (socket-reader.ts); a connection keeps what it does not parse. */
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

  /** A new client socket from a listener (made with pauseOnConnect: it is not reading yet). */
  accept(raw: net.Socket): void {
    const s = this.s;
    s.stats.connectionsReceived++;
    const maxclients = s.config.int('maxclients');
    if (s.conns.size >= maxclients) {
      s.stats.rejectedConnections++;
      raw.end(`-${E.MAX_CLIENTS}\r\n`);
      return;
    }
    let conn: Connection | null = null;
    const shared = this.readBuffer;
    const socket = readInto(raw, shared, true, (buf, n) => {
      if (conn === null) return;
      this.input(conn, buf, n);
      if (buf === shared) conn.keepInput();
    });
    socket.setNoDelay(true);
    conn = new Connection(this.nextConnId++, socket, s.config.int('proto-max-bulk-len'), s.acl.authRequired());
    conn.stats = s.stats;
    s.conns.set(conn.id, conn);
    const c = conn;
    socket.on('error', () => {});
    socket.on('end', () => this.onInputEnd(c));
    socket.on('close', () => this.onClose(c));
    socket.on('drain', () => {
      if (c.hold === Hold.Output) {
        c.hold = Hold.None;
        s.pump.resume(c);
      }
    });
  }

  /** A replica's link to its master after the handshake: its stream is applied like requests. */
  attachMaster(socket: net.Socket): Connection {
    const conn = new Connection(this.nextConnId++, socket, this.s.config.int('proto-max-bulk-len'), false);
    conn.isMaster = true;
    this.s.conns.set(conn.id, conn);
    socket.on('close', () => this.onClose(conn));
    return conn;
  }

  /** Bytes read from a client (or from our master's link): chunk[0, len). */
  input(conn: Connection, chunk: Buffer, len = chunk.length): void {
    if (conn.closed) return;
    const s = this.s;
    if (conn.isMaster) s.stats.netReplInputBytes += len;
    else s.stats.netInputBytes += len;
    conn.lastInteraction = Date.now();
    conn.appendInput(chunk, len);
    if (!conn.isMaster && conn.pendingInput() > s.config.int('client-query-buffer-limit')) {
      s.log.warn(`Closing client that reached max query buffer length: id=${conn.id} addr=${conn.addr}`);
      this.close(conn);
      return;
    }
    if (conn.hold === Hold.None) s.dispatcher.processInput(conn);
    else if (conn.pendingInput() > HELD_INPUT_PAUSE_BYTES) conn.socket.pause();
    s.pump.scheduleTick();
  }

  /** Close a connection now (CLIENT KILL, limits, timeouts). */
  close(conn: Connection): void {
    if (conn.closed) return;
    conn.socket.destroy();
    this.onClose(conn);
  }

  /** The socket closed (or we closed it): every service forgets the connection. */
  onClose(conn: Connection): void {
    const s = this.s;
    if (conn.closed && !s.conns.has(conn.id)) return;
    conn.closed = true;
    s.conns.delete(conn.id);
    s.monitor.clients.delete(conn);
    s.pump.forget(conn);
    const scriptShards = scriptShardsOf(conn);
    if (conn.blockedOn >= 0 || conn.watchShards.size > 0 || scriptShards !== null) {
      const shards = new Set(conn.watchShards);
      if (conn.blockedOn >= 0) shards.add(conn.blockedOn);
      if (scriptShards !== null) for (const i of scriptShards) shards.add(i);
      for (const i of shards) void s.links[i]!.control(disconnectOp.request(conn.id));
      s.pump.scheduleTick();
    }
    s.replication.closed(conn);
    if (s.tracking.clients.size > 0) s.tracking.onClose(conn);
    s.pubsub.dropAll(conn);
    for (const listener of s.closeListeners) listener(conn);
    conn.release();
    closedWithOutput(conn.outputPeak);
  }

  /**
   * The client half-closed (EOF on read): as Redis, every request already received is still run and
   * answered, then the connection closes. A blocked command ends with the connection.
   */
  private onInputEnd(conn: Connection): void {
    if (conn.closed) return;
    conn.inputEnded = true;
    if (conn.isReplica) conn.socket.end();
    else this.endIfDone(conn);
  }

  /** Close a half-closed connection (after its next write) once nothing it sent is pending. */
  endIfDone(conn: Connection): void {
    if (!conn.inputEnded || conn.closed || conn.ending || !conn.answeredAll()) return;
    conn.ending = true;
    this.s.pump.queueWrite(conn);
  }

  /** Connected clients as INFO counts them (not replicas). */
  normalCount(): number {
    let n = 0;
    for (const c of this.s.conns.values()) if (!c.isReplica) n++;
    return n;
  }
}
