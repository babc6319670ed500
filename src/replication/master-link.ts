/*
 * MasterLink: a replica's connection to its master, as redis-server 7.0's replica speaks it.
 *
 * Handshake: PING, [AUTH [masteruser] masterauth], REPLCONF listening-port, [REPLCONF ip-address],
 * REPLCONF capa eof capa psync2, PSYNC <replid> <offset+1> (our history, so a re-pointed or
 * reconnecting replica continues with +CONTINUE) or PSYNC ? -1.
 * +FULLRESYNC: the RDB payload ("$<len>" or "$EOF:<mark>", newline keep-alives before it) is read
 * whole, the shards are emptied and loaded from it (clients get -LOADING meanwhile), then the stream.
 * +CONTINUE [<new replid>]: the stream continues at our offset (a new replid moves ours to replid2).
 * The stream is parsed and applied like a client's requests (Connection flagged isMaster: no
 * replies, exempt from READONLY); the bytes applied count towards our offset and are forwarded
 * verbatim to our own backlog and replicas. REPLCONF ACK <offset> every second and on GETACK.
 * A link silent for repl-timeout seconds is dropped; a dropped link is retried every second.
 */

import net from 'node:net';
import type { Connection } from '../server/connection.js';
import { keepSyncPayload, loadPayload, sharedBuffer } from '../persistence/load.js';
import { NULL_REPLID } from './backlog.js';
import type { ReplicationBacklog } from './backlog.js';
import type { ReplicationHost } from './host.js';
import { flushallOp } from '../ipc/control.js';
import { encodeCommand } from '../resp/writer.js';
import { READ_BUFFER_BYTES } from '../server/socket-reader.js';

const enum LinkState {
  Connect = 0,
  Connecting = 1,
  Handshake = 2,
  Transfer = 3,
  Connected = 4,
  Stopped = 5,
}

class LinkClosed extends Error {}

/** Buffered reads of lines and byte runs from a socket, for the handshake and the payload. */
class Reader {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private wake: (() => void) | null = null;
  closed = false;
  lastIo = Date.now();
  /** Bytes received so far (for INFO master_sync_read_bytes). */
  received = 0;

  /** Whether the link hands reads to this reader (until detach()). */
  attached = true;

  constructor(
    readonly socket: net.Socket,
    private readonly onBytes: (n: number) => void = () => {},
  ) {
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  /** Bytes read, b[0, n) (the link's read buffer, overwritten by the next read: copied). */
  onData(buf: Buffer, n: number): void {
    const b = Buffer.allocUnsafe(n);
    buf.copy(b, 0, 0, n);
    this.chunks.push(b);
    this.bytes += b.length;
    this.received += b.length;
    this.onBytes(b.length);
    this.lastIo = Date.now();
    this.wake?.();
  };

  /** Stop reading; return what is buffered. */
  detach(): Buffer {
    this.attached = false;
    const rest = Buffer.concat(this.chunks);
    this.chunks = [];
    this.bytes = 0;
    return rest;
  }

  private async more(): Promise<void> {
    if (this.closed) throw new LinkClosed('connection closed');
    await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** One line without its "\r\n" (a bare "\n" keep-alive reads as ""). */
  async line(): Promise<string> {
    for (;;) {
      const b = this.joined();
      const nl = b.indexOf(10);
      if (nl >= 0) {
        this.take(nl + 1);
        return b.latin1Slice(0, nl > 0 && b[nl - 1] === 13 ? nl - 1 : nl);
      }
      if (this.bytes > 64 * 1024) throw new Error('protocol error: line too long');
      await this.more();
    }
  }

  async exactly(n: number, progress: (got: number) => void): Promise<Buffer> {
    while (this.bytes < n) {
      progress(this.bytes);
      await this.more();
    }
    const b = this.joined();
    this.take(n);
    return b.subarray(0, n);
  }

  /** Everything up to (not including) `mark`, which must come last in what the master sends. */
  async untilMark(mark: Buffer, progress: (got: number) => void): Promise<Buffer> {
    let scanned = 0;
    for (;;) {
      // only the bytes not searched yet (and the few before them a mark could straddle)
      const from = Math.max(0, scanned - (mark.length - 1));
      const at = this.tail(this.bytes - from).indexOf(mark);
      if (at >= 0) {
        const b = this.joined();
        this.take(from + at + mark.length);
        return b.subarray(0, from + at);
      }
      scanned = this.bytes;
      progress(this.bytes);
      await this.more();
    }
  }

  /** A copy of the last n buffered bytes. */
  private tail(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let o = n;
    for (let i = this.chunks.length - 1; i >= 0 && o > 0; i--) {
      const c = this.chunks[i]!;
      const k = Math.min(o, c.length);
      c.copy(out, o - k, c.length - k);
      o -= k;
    }
    return out;
  }

  private take(n: number): void {
    const b = this.joined();
    const rest = b.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bytes = rest.length;
  }
}

/** A copy of the payload in shared memory: the pool thread that parses it reads it there. */
function inShared(b: Buffer): Buffer {
  const out = sharedBuffer(b.length);
  b.copy(out);
  return out;
}

/** A handshake argument from the configuration (credentials, announced address): its UTF-8 bytes, as the configuration file has them. */
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** What the link to our master uses of the replication service (Replication satisfies it). */
export interface MasterLinkRepl {
  readonly server: ReplicationHost;
  replid: string;
  replid2: string;
  secondOffset: number;
  masterOffset: number;
  backlog: ReplicationBacklog | null;
  readonly restoredStreamDb: number;
  readonly failoverState: string;
  createBacklog(): void;
  disconnectReplicas(): void;
  failoverDone(): void;
  abortFailover(why: string): void;
  fullSyncLoaded(): void;
}

export class MasterLink {
  private state = LinkState.Connect;
  private socket: net.Socket | null = null;
  private reader: Reader | null = null;
  /** The master client (after the handshake). */
  conn: Connection | null = null;
  /** Offset of the master's stream we applied (slave_repl_offset). */
  offset = 0;
  private downSince = Date.now();
  private lastTry = 0;
  private transferSize = -1;
  private transferRead = 0;
  private lastAck = 0;
  /** The link's read buffer (see run()). */
  private readBuf: Buffer | null = null;
  /** Database the master's stream is in (kept across reconnections: a partial resync continues it). */
  private streamDb: number;

  constructor(
    private readonly repl: MasterLinkRepl,
    readonly host: string,
    readonly port: number,
  ) {
    // our own history: PSYNC asks to continue it (Redis's cached master "using myself")
    this.offset = repl.masterOffset;
    this.streamDb = repl.restoredStreamDb;
  }

  connected(): boolean {
    return this.state === LinkState.Connected;
  }

  roleState(): string {
    switch (this.state) {
      case LinkState.Connect:
        return 'connect';
      case LinkState.Connecting:
        return 'connecting';
      case LinkState.Handshake:
        return 'handshake';
      case LinkState.Transfer:
        return 'sync';
      case LinkState.Connected:
        return 'connected';
      default:
        return 'none';
    }
  }

  start(): void {
    this.lastTry = Date.now();
    void this.run();
  }

  stop(): void {
    this.state = LinkState.Stopped;
    this.close();
  }

  /** The database the master's stream is in (repl-stream-db of a saved RDB). */
  currentDb(): number {
    return this.conn?.db ?? this.streamDb;
  }

  private close(): void {
    const conn = this.conn;
    this.conn = null;
    if (conn) this.streamDb = conn.db;
    if (conn && !conn.closed) this.repl.server.closeConnection(conn);
    this.socket?.destroy();
    this.socket = null;
    this.reader = null;
  }

  /** The master connection closed (link lost or CLIENT KILL). */
  connClosed(conn: Connection): void {
    if (conn !== this.conn) return;
    this.streamDb = conn.db;
    this.conn = null;
    this.lost('connection lost');
  }

  private lost(why: string): void {
    if (this.state === LinkState.Stopped) return;
    if (this.state === LinkState.Connected) this.repl.server.log.warn(`Connection with master lost (${why}).`);
    this.state = LinkState.Connect;
    this.downSince = Date.now();
    this.close();
  }

  cron(): void {
    const now = Date.now();
    const cfg = this.repl.server.config;
    if (this.state === LinkState.Connect && now - this.lastTry >= 1000) this.start();
    if (this.state === LinkState.Connected && now - this.lastAck >= 1000) this.sendAck();
    const timeout = cfg.int('repl-timeout') * 1000;
    if ((this.state === LinkState.Connected || this.state === LinkState.Transfer || this.state === LinkState.Handshake) && this.reader && now - this.reader.lastIo > timeout) {
      this.repl.server.log.warn('MASTER timeout: no data nor PING received...');
      this.lost('timeout');
    }
  }

  sendAck(): void {
    if (this.state !== LinkState.Connected || !this.socket) return;
    this.lastAck = Date.now();
    this.socket.write(encodeCommand(['REPLCONF', 'ACK', this.offset]));
  }

  /** Bytes of the stream applied (called by Replication.applied). */
  processed(n: number): void {
    this.offset += n;
  }

  private async run(): Promise<void> {
    const s = this.repl.server;
    const cfg = s.config;
    this.state = LinkState.Connecting;
    s.log.info(`Connecting to MASTER ${this.host}:${this.port}`);
    // reads land in one preallocated buffer (no 64 kB Buffer per read for the collector): the handshake's
    // reader copies them, the stream is parsed from it in place (Clients.input, as a client's reads)
    const readBuf = (this.readBuf ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES));
    let onRead: (buf: Buffer, n: number) => void = () => {};
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true, onread: { buffer: readBuf, callback: (n: number, buf: Uint8Array) => (onRead(buf as Buffer, n), true) } });
    this.socket = socket;
    const reader = new Reader(socket, (n) => {
      s.stats.netReplInputBytes += n;
    });
    onRead = (buf, n) => {
      if (reader.attached) reader.onData(buf, n);
      else if (this.conn !== null && this.socket === socket) this.streamRead(this.conn, buf, n);
    };
    this.reader = reader;
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
        socket.once('close', () => reject(new LinkClosed('closed')));
      });
      if (this.socket !== socket) return;
      s.log.info('MASTER <-> REPLICA sync started');
      this.state = LinkState.Handshake;
      socket.write(encodeCommand(['PING']));
      let l = await reader.line();
      if (l.startsWith('-') && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(l)) throw new Error(`Error reply to PING from master: '${l}'`);
      const pass = cfg.get('masterauth');
      if (pass !== '') {
        const user = cfg.get('masteruser');
        socket.write(user !== '' ? encodeCommand(['AUTH', utf8(user), utf8(pass)]) : encodeCommand(['AUTH', utf8(pass)]));
        l = await reader.line();
        if (l.startsWith('-')) throw new Error(`Unable to AUTH to MASTER: ${l}`);
      }
      const port = cfg.int('replica-announce-port') || s.port;
      socket.write(encodeCommand(['REPLCONF', 'listening-port', port]));
      await reader.line();
      const ip = cfg.get('replica-announce-ip');
      if (ip !== '') {
        socket.write(encodeCommand(['REPLCONF', 'ip-address', utf8(ip)]));
        await reader.line();
      }
      socket.write(encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']));
      await reader.line();
      const repl = this.repl;
      const hasHistory = repl.replid !== NULL_REPLID && repl.backlog !== null;
      const psyncId = hasHistory ? repl.replid : '?';
      const psyncOff = hasHistory ? this.offset + 1 : -1;
      s.log.info(hasHistory ? `Trying a partial resynchronization (request ${psyncId}:${psyncOff}).` : 'Partial resynchronization not possible (no cached master)');
      // a master handing over with FAILOVER asks the target to promote itself first
      const failover = repl.failoverState === 'failover-in-progress';
      socket.write(failover ? encodeCommand(['PSYNC', psyncId, psyncOff, 'FAILOVER']) : encodeCommand(['PSYNC', psyncId, psyncOff]));
      do l = await reader.line();
      while (l === '');
      if (l.startsWith('+FULLRESYNC')) {
        const [, id, off] = l.split(' ');
        if (failover) repl.failoverDone();
        s.log.info(`Full resync from master: ${id}:${off}`);
        await this.fullSync(reader, id!, Number(off));
      } else if (l.startsWith('+CONTINUE')) {
        const id = l.split(' ')[1];
        s.log.info('Successful partial resynchronization with master.');
        if (id !== undefined && id !== repl.replid) {
          repl.replid2 = repl.replid;
          repl.secondOffset = this.offset + 1;
          repl.replid = id;
          repl.disconnectReplicas();
        }
        if (repl.backlog === null) repl.createBacklog();
        s.log.info('MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      } else {
        if (failover) repl.abortFailover('Failover target rejected psync request');
        throw new Error(`Unexpected reply to PSYNC from master: ${l}`);
      }
      if (failover) repl.failoverDone();
      if (this.socket !== socket) return;
      this.attach(socket, reader);
    } catch (e) {
      if (this.socket !== socket) return;
      s.log.warn(`Master link ${this.host}:${this.port}: ${(e as Error).message}`);
      this.lost((e as Error).message);
    }
  }

  private async fullSync(reader: Reader, replid: string, offset: number): Promise<void> {
    const s = this.repl.server;
    let l: string;
    do l = await reader.line();
    while (l === '');
    if (!l.startsWith('$')) throw new Error(`Bad protocol from MASTER, the first byte is not '$': ${l}`);
    this.state = LinkState.Transfer;
    this.transferRead = 0;
    let payload: Buffer;
    if (l.startsWith('$EOF:')) {
      this.transferSize = 0;
      payload = inShared(await reader.untilMark(Buffer.from(l.slice(5), 'latin1'), (n) => (this.transferRead = n)));
    } else {
      this.transferSize = Number(l.slice(1));
      payload = inShared(await reader.exactly(this.transferSize, (n) => (this.transferRead = n)));
    }
    s.log.info(`MASTER <-> REPLICA sync: received ${payload.length} bytes from master`);
    s.log.info('MASTER <-> REPLICA sync: Flushing old data');
    await this.load(payload);
    this.streamDb = 0; // the master starts the new stream with a SELECT
    const repl = this.repl;
    repl.replid = replid;
    repl.replid2 = NULL_REPLID;
    repl.secondOffset = -1;
    repl.backlog = null;
    repl.masterOffset = offset;
    repl.createBacklog();
    this.offset = offset;
    repl.disconnectReplicas();
    repl.fullSyncLoaded();
    s.log.info('MASTER <-> REPLICA sync: Finished with success');
  }

  /** Replace the keyspace with an RDB payload. */
  private async load(payload: Buffer): Promise<void> {
    const s = this.repl.server;
    s.loading = true;
    try {
      const t0 = Date.now();
      await s.allShards(flushallOp.request());
      const t1 = Date.now();
      await keepSyncPayload(s, payload, loadPayload(s, payload, { dropExpired: false, background: true, keyDelayUs: Math.max(0, s.config.int('key-load-delay')) }).then(() => {}));
      s.log.info(`MASTER <-> REPLICA sync: loaded in ${Date.now() - t0} ms (flush ${t1 - t0} ms, load ${Date.now() - t1} ms)`);
    } finally {
      s.loading = false;
    }
  }

  /** The handshake is over: the rest of the socket is the command stream. */
  private attach(socket: net.Socket, reader: Reader): void {
    const s = this.repl.server;
    const conn = s.attachMasterConnection(socket);
    // after a partial resync the stream goes on in the database it was in (no SELECT is resent)
    conn.db = this.streamDb;
    this.conn = conn;
    this.state = LinkState.Connected;
    this.downSince = 0;
    const rest = reader.detach();
    // ACK at once: a master that sent an EOF-marked payload starts the stream on it
    this.sendAck();
    if (rest.length > 0) {
      // counted when the reader received them; input() counts them again
      s.stats.netReplInputBytes -= rest.length;
      s.input(conn, rest);
    }
  }

  /** Bytes of the master's stream read into the link's buffer, buf[0, n): applied like a client's requests. */
  private streamRead(conn: Connection, buf: Buffer, n: number): void {
    this.reader!.lastIo = Date.now();
    this.repl.server.input(conn, n === buf.length ? buf : buf.subarray(0, n));
    conn.keepInput(); // what is not parsed yet leaves the buffer the next read overwrites
  }

  info(): string[] {
    const now = Date.now();
    const secs = (t: number): number => Math.floor((now - t) / 1000);
    const lines = [
      `master_host:${this.host}`,
      `master_port:${this.port}`,
      `master_link_status:${this.connected() ? 'up' : 'down'}`,
      `master_last_io_seconds_ago:${this.connected() && this.reader ? secs(this.reader.lastIo) : -1}`,
      `master_sync_in_progress:${this.state === LinkState.Transfer ? 1 : 0}`,
      `slave_read_repl_offset:${this.offset}`,
      `slave_repl_offset:${this.offset}`,
    ];
    if (this.state === LinkState.Transfer) {
      const size = this.transferSize;
      const perc = size > 0 ? (this.transferRead / size) * 100 : 0;
      lines.push(
        `master_sync_total_bytes:${size}`,
        `master_sync_read_bytes:${this.transferRead}`,
        `master_sync_left_bytes:${size - this.transferRead}`,
        `master_sync_perc:${perc.toFixed(2)}`,
        `master_sync_last_io_seconds_ago:${this.reader ? secs(this.reader.lastIo) : 0}`,
      );
    }
    if (!this.connected()) lines.push(`master_link_down_since_seconds:${this.downSince ? secs(this.downSince) : -1}`);
    const cfg = this.repl.server.config;
    lines.push(`slave_priority:${cfg.int('replica-priority')}`, `slave_read_only:${cfg.bool('replica-read-only') ? 1 : 0}`, `replica_announced:${cfg.bool('replica-announced') ? 1 : 0}`);
    return lines;
  }
}

/** A master's PING or REPLCONF in the stream (link keep-alive, not a change to the data). */
export function isKeepAlive(b: Uint8Array, start: number, len: number): boolean {
  // "*N\r\n$4\r\nping..." or "*N\r\n$8\r\nreplconf...", any case; decided on the bytes, nothing made of them
  if (len < 12 || b[start] !== 0x2a || b[start + 4] !== 0x24) return false;
  const n = b[start + 5] === 0x34 ? 4 : b[start + 5] === 0x38 ? 8 : 0;
  if (n === 0 || len < 8 + n) return false;
  const word = n === 4 ? 'ping' : 'replconf';
  for (let i = 0; i < n; i++) if ((b[start + 8 + i]! | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}
