/*
 * Replication: this server's role and the master side of the protocol (Redis PSYNC2, on the wire as
 * redis-server 7.0 speaks it).
 *
 * Master side
 *   - feed(): every write the shards (or main-thread commands) propagate is appended to the backlog
 *     (with a SELECT when the database changes) and to this tick's batch; flush() at the end of the
 *     tick writes the batch to every online replica: one socket write per replica per tick.
 *   - PSYNC: +CONTINUE with the backlog from the replica's offset when its replid (or our replid2 up
 *     to second_repl_offset) matches and the offset is still held; otherwise a full sync.
 *   - Full sync (fullsync.ts): a cut across all shards at one offset, then a copy-on-write snapshot
 *     streamed as an RDB file while writes go on; writes after the cut wait in the replica's buffer.
 *   - PING every repl-ping-replica-period, REPLCONF GETACK for WAIT, ACK tracking, lag, timeouts,
 *     client-output-buffer-limit for replicas, min-replicas-to-write.
 * Replica side (master-link.ts): the link to our master; the bytes it applies are forwarded verbatim
 * to our own backlog and replicas (chained replication).
 */

import type { Connection } from '../server/connection.js';
import { AckWaits } from './ack-waits.js';
import type { ReplicationHost } from './host.js';
import { randomHex } from '../server/ids.js';
import { RespWriter, encodeCommand } from '../resp/writer.js';
import { NOT_INTEGER, SYNC_WITHOUT_MASTER_LINK, replconfUnknownOption } from '../resp/errors.js';
import { NULL_REPLID, ReplicationBacklog } from './backlog.js';
import { ReplicaClient, ReplicaState } from './replica-client.js';
import { FullSync } from './fullsync.js';
import { MasterLink, isKeepAlive } from './master-link.js';
import { Failover, type FailoverState } from './failover.js';
import { replicationInfo, roleReply } from './role-info.js';
import { roleOp } from '../ipc/control.js';
import { ShortCopier } from '../bytes.js';
import type { StreamLog } from './stream-log.js';

/** What REPLCONF told us about a connection before its PSYNC. */
interface ReplConf {
  port: number;
  ip: string | null;
  eof: boolean;
  psync2: boolean;
}

const PING = encodeCommand(['PING']);

/** A fan-out buffer larger than this is not kept for the next tick. */
const TICK_BUFFER_KEEP = 1024 * 1024;
const GETACK = encodeCommand(['REPLCONF', 'GETACK', '*']);
const EMPTY = Buffer.alloc(0);

export class Replication {
  replid = randomHex(40);
  replid2 = NULL_REPLID;
  secondOffset = -1;
  /** master_repl_offset when there is no backlog yet. */
  private offsetNoBacklog = 0;
  backlog: ReplicationBacklog | null = null;
  /** Database of the last command in the stream (-1: the next one must be preceded by SELECT). */
  lastDb = -1;
  readonly replicas: ReplicaClient[] = [];
  private readonly replConfs = new WeakMap<Connection, ReplConf>();
  /** This tick's stream bytes for the replicas, tickBuf[0, tickBytes) (one write each at flush()). */
  private tickBuf: Buffer = EMPTY;
  private tickBytes = 0;
  /** Short copies into tickBuf (made again when tickBuf is replaced). */
  private tickCopier: ShortCopier = new ShortCopier(EMPTY);
  /** The link to our master when we are a replica (null on a master). */
  link: MasterLink | null = null;
  readonly fullSync: FullSync;
  private noReplicasSince = Date.now();
  private cronTicks = 0;
  private readonly ackWaits = new AckWaits((offset) => this.ackedReplicas(offset));
  readonly failover: Failover = new Failover(this);
  private getAckPending = false;
  /** What records the stream besides the backlog (the append-only file), once attached. */
  private streamLog: StreamLog | null = null;
  /** repl-stream-db of the RDB loaded at startup: the database a replica's master stream continues in. */
  restoredStreamDb = 0;
  /** Writes propagated (or applied from our master) since start: rdb_changes_since_last_save counts from it. */
  changes = 0;

  constructor(readonly server: ReplicationHost) {
    this.fullSync = new FullSync(this);
    server.whenConfigChanged((names) => {
      if (names.includes('repl-backlog-size') && this.backlog) this.backlog.resize(this.server.config.int('repl-backlog-size'));
    });
  }

  /** Record the stream in `log` too (the append-only file, attached once at startup). */
  attachLog(log: StreamLog): void {
    this.streamLog = log;
  }

  /** Before replies are written: the writes they acknowledge are made durable (see StreamLog.sync). */
  syncLog(): void {
    this.streamLog?.sync();
  }

  /** True while a write recorded is not durable yet (appendfsync always; see StreamLog.pending). */
  logPending(): boolean {
    return this.streamLog?.pending() ?? false;
  }

  /** Run `then` once the writes recorded so far are durable; false when they are (StreamLog.syncThen). */
  syncLogThen(then: () => void): boolean {
    return this.streamLog?.syncThen(then) ?? false;
  }

  /** A replica loaded its master's full sync. */
  fullSyncLoaded(): void {
    this.streamLog?.fullSyncLoaded();
  }

  get masterOffset(): number {
    return this.backlog ? this.backlog.offset : this.offsetNoBacklog;
  }

  set masterOffset(v: number) {
    if (this.backlog) this.backlog = new ReplicationBacklog(this.server.config.int('repl-backlog-size'), v);
    else this.offsetNoBacklog = v;
  }

  // ---- the stream ------------------------------------------------------------------------------

  /** One whole write's propagation (a write in several ring records goes through feedParts()). */
  feed(db: number, data: Uint8Array): void {
    this.feedFrom(db, data, 0, data.length);
  }

  /** feed() of buf[start, start+len) (from the reply ring: copied, no view made of it). */
  feedFrom(db: number, buf: Uint8Array, start: number, len: number): void {
    this.changes++;
    if (this.streamLog !== null && this.streamLog.recording()) this.streamLog.fed(db, buf.subarray(start, start + len));
    if (this.link !== null) return; // a replica forwards its master's bytes instead (applied())
    if (this.backlog === null) return; // no replica ever connected: nothing to keep (as Redis)
    if (db !== this.lastDb) {
      this.append(encodeCommand(['SELECT', db]));
      this.lastDb = db;
    }
    this.appendFrom(buf, start, len, true);
  }

  /**
   * One write whose propagation came in several ring records (a big write's request bytes), fed
   * once its last record arrived, so no other write (another shard's, a PING) lands inside it.
   */
  feedParts(db: number, parts: Buffer[]): void {
    this.changes++;
    if (this.streamLog !== null) for (const p of parts) this.streamLog.fed(db, p);
    if (this.link !== null || this.backlog === null) return;
    if (db !== this.lastDb) {
      this.append(encodeCommand(['SELECT', db]));
      this.lastDb = db;
    }
    for (const p of parts) this.append(p);
  }

  /** Stream bytes not tied to a database (PING, REPLCONF GETACK). */
  feedRaw(data: Uint8Array): void {
    if (this.link !== null || this.backlog === null) return;
    this.append(data);
  }

  /**
   * A replica: bytes of the master's stream it just applied, buf[start, end) (forwarded verbatim to
   * sub-replicas). Consecutive commands of one read are gathered and go into the backlog with one
   * copy at appliedDone() (the dispatcher calls it when it stops parsing the master's input).
   */
  applied(buf: Uint8Array, start: number, end: number): void {
    if (this.link === null) return;
    const len = end - start;
    // a write, not a keep-alive nor the SELECT before one (Redis counts neither in its dirty counter)
    if (!isKeepAlive(buf, start, len) && !isSelect(buf, start, len)) this.changes++;
    if (this.streamLog !== null && this.streamLog.recording()) this.streamLog.applied(buf.subarray(start, end));
    this.link.processed(len);
    if (buf === this.appliedBuf && start === this.appliedEnd) {
      this.appliedEnd = end;
      return;
    }
    this.appliedDone();
    this.appliedBuf = buf;
    this.appliedStart = start;
    this.appliedEnd = end;
  }

  /** The bytes applied() gathered, appliedBuf[appliedStart, appliedEnd), not in the backlog yet. */
  private appliedBuf: Uint8Array | null = null;
  private appliedStart = 0;
  private appliedEnd = 0;

  /** Into the backlog (and this tick's fan-out) with what applied() gathered. */
  appliedDone(): void {
    const buf = this.appliedBuf;
    if (buf === null) return;
    this.appliedBuf = null;
    if (this.backlog === null) this.createBacklog();
    this.appendFrom(buf, this.appliedStart, this.appliedEnd - this.appliedStart);
  }

  private append(data: Uint8Array): void {
    this.appendFrom(data, 0, data.length);
  }

  /**
   * Into the backlog (`lasting`: buf is a ring's memory, see ShortCopier). With replicas attached the
   * bytes are also this tick's fan-out: copied into tickBuf (reused from tick to tick, so in the
   * cache), from which the backlog takes the tick's bytes with one copy at flush() (appendLater).
   */
  private appendFrom(buf: Uint8Array, start: number, len: number, lasting = false): void {
    const b = this.backlog!;
    // (a tick the last replica left goes on in tickBuf: a PSYNC later in it counts on tickBytes)
    if (this.replicas.length === 0 && this.tickBytes === 0) {
      b.appendFrom(buf, start, len, lasting);
      return;
    }
    if (this.tickBytes === 0) this.server.scheduleTick();
    this.reserveTick(len);
    this.tickCopier.copy(buf, start, len, this.tickBytes, lasting);
    b.appendLater(this.tickBuf, this.tickBytes, len);
    this.tickBytes += len;
  }

  /** Room in tickBuf for `len` more bytes after this tick's. */
  private reserveTick(len: number): void {
    if (this.tickBuf.length - this.tickBytes >= len) return;
    // the backlog copies what it still counts from the old buffer before it is let go
    this.backlog?.settle();
    let size = Math.max(16 * 1024, this.tickBuf.length);
    while (size < this.tickBytes + len) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.tickBuf.copy(next, 0, 0, this.tickBytes);
    this.tickBuf = next;
    this.tickCopier = new ShortCopier(next);
  }

  /** End of tick: one write per replica with everything fed since the last flush. */
  flush(): void {
    if (this.tickBytes === 0) return;
    this.backlog?.settle();
    const chunk = this.tickBuf.subarray(0, this.tickBytes);
    this.tickBytes = 0;
    // the buffer is written into again next tick only if no replica's socket still refers to it
    let taken = this.tickBuf.length <= TICK_BUFFER_KEEP;
    for (const r of this.replicas) {
      if (r.streaming()) {
        r.write(chunk);
        if (r.conn.socket.writableLength > 0) taken = false;
      } else if (r.state !== ReplicaState.WaitBgsave) {
        r.hold(chunk); // a copy: tickBuf stays this thread's
      }
      this.checkOutputLimit(r);
    }
    if (!taken) this.tickBuf = EMPTY;
  }

  /** The database of the replication stream now (saved as repl-stream-db). */
  streamDb(): number {
    if (this.link !== null) return this.link.currentDb();
    return this.lastDb < 0 ? 0 : this.lastDb;
  }

  hasBacklog(): boolean {
    return this.backlog !== null;
  }

  isReplica(): boolean {
    return this.link !== null;
  }

  linkUp(): boolean {
    return this.link !== null && this.link.connected();
  }

  goodReplicas(): number {
    const maxLag = this.server.config.int('min-replicas-max-lag');
    if (maxLag === 0) return Infinity;
    const now = Date.now();
    let n = 0;
    for (const r of this.replicas) if (r.state === ReplicaState.Online && now - r.ackTime <= maxLag * 1000) n++;
    return n;
  }

  closed(conn: Connection): void {
    if (conn.isReplica) this.dropReplica(conn);
    if (this.link !== null) this.link.connClosed(conn);
    if (conn.blockedInWait) this.endWait(conn); // a WAIT 0 would otherwise stay queued for good
  }

  backlogBytes(): number {
    return this.backlog ? this.backlog.size : 0;
  }

  createBacklog(): void {
    if (this.backlog !== null) return;
    this.backlog = new ReplicationBacklog(this.server.config.int('repl-backlog-size'), this.offsetNoBacklog);
    // a new backlog starts a new history (Redis: changeReplicationId unless we are a replica)
    if (this.link === null && this.offsetNoBacklog === 0) {
      this.replid = randomHex(40);
      this.replid2 = NULL_REPLID;
      this.secondOffset = -1;
    }
    this.lastDb = -1;
    this.server.pushShardConfig(); // shards send large writes' propagation again (before any sync's cut)
  }

  // ---- cron ---------------------------------------------------------------------------------

  cron(): void {
    this.cronTicks++;
    this.link?.cron();
    const cfg = this.server.config;
    const now = Date.now();
    if (this.cronTicks % 10 === 0) {
      // once per second
      if (this.link === null && this.replicas.length > 0 && this.failoverState === 'no-failover' && (this.cronTicks / 10) % cfg.int('repl-ping-replica-period') === 0) {
        this.feedRaw(PING);
      }
      for (const r of [...this.replicas]) {
        if (r.state === ReplicaState.WaitBgsave) r.write(Buffer.from('\n'));
        if (r.state === ReplicaState.Online && !r.startOnAck && now - r.ackTime > cfg.int('repl-timeout') * 1000) {
          this.server.log.warn(`Disconnecting timedout replica (streaming sync): ${r.ip}:${r.listeningPort}`);
          this.server.closeConnection(r.conn);
        }
      }
      if (this.replicas.length === 0 && this.backlog !== null && this.link === null) {
        const ttl = cfg.int('repl-backlog-ttl');
        if (ttl > 0 && now - this.noReplicasSince > ttl * 1000) {
          this.offsetNoBacklog = this.backlog.offset;
          this.backlog = null;
          this.server.pushShardConfig();
          this.replid = randomHex(40);
          this.replid2 = NULL_REPLID;
          this.secondOffset = -1;
          this.server.log.info(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
        }
      }
      for (const r of this.replicas) this.checkOutputLimit(r);
    }
    this.fullSync.cron();
    this.failover.update();
  }

  /** client-output-buffer-limit's replica class, parsed from limitText (checked per replica per tick). */
  private limit: [number, number, number] = [0, 0, 0];
  private limitText: string | null = null;

  private checkOutputLimit(r: ReplicaClient): void {
    // (per replica per tick: nothing held and no soft limit running is the usual case, decided first)
    if (r.softLimitSince === 0 && r.pendingBytes === 0 && r.conn.socket.writableLength === 0) return;
    const raw = this.server.config.get('client-output-buffer-limit');
    if (raw !== this.limitText) {
      this.limit = this.server.config.outputBufferLimit('slave');
      this.limitText = raw;
    }
    const [hard, soft, secs] = this.limit;
    const used = r.conn.socket.writableLength + r.pendingBytes;
    let over = hard > 0 && used >= hard;
    if (!over && soft > 0 && used >= soft) {
      if (r.softLimitSince === 0) r.softLimitSince = Date.now();
      else if (Date.now() - r.softLimitSince >= secs * 1000) over = true;
    } else if (used < soft) r.softLimitSince = 0;
    if (over && !r.conn.closed) {
      this.server.log.warn(`Client id=${r.conn.id} addr=${r.conn.addr} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.server.closeConnection(r.conn);
    }
  }

  // ---- commands -----------------------------------------------------------------------------

  /** REPLCONF from a connection (replica handshake, ACK, GETACK). Returns false if it gets no reply. */
  replconf(conn: Connection, opts: [string, string][]): 'ok' | 'noreply' | string {
    const rc = this.replConfs.get(conn) ?? { port: 0, ip: null, eof: false, psync2: false };
    for (const [k, v] of opts) {
      switch (k.toLowerCase()) {
        case 'listening-port': {
          const n = Number(v);
          if (!/^-?[0-9]+$/.test(v)) return NOT_INTEGER;
          rc.port = n;
          break;
        }
        case 'ip-address':
          rc.ip = v;
          break;
        case 'capa':
          if (v.toLowerCase() === 'eof') rc.eof = true;
          else if (v.toLowerCase() === 'psync2') rc.psync2 = true;
          break;
        case 'ack': {
          const r = this.replicas.find((x) => x.conn === conn);
          if (!r) return 'noreply';
          const off = Number(v);
          if (Number.isFinite(off) && off > r.ackOffset) r.ackOffset = off;
          r.ackTime = Date.now();
          if (r.startOnAck && r.state === ReplicaState.Online) {
            r.startOnAck = false;
            r.release();
          }
          this.ackWaits.check();
          return 'noreply';
        }
        case 'getack':
          this.link?.sendAck();
          return 'noreply';
        case 'rdb-only':
        case 'rdb-filter-only':
          break;
        default:
          return replconfUnknownOption(k);
      }
    }
    this.replConfs.set(conn, rc);
    return 'ok';
  }

  /** PSYNC / SYNC: the connection becomes a replica. Writes its replies to the socket itself. */
  psync(conn: Connection, replid: string, offset: number, isSync: boolean): string | null {
    if (this.link !== null && !this.link.connected()) return SYNC_WITHOUT_MASTER_LINK;
    const rc = this.replConfs.get(conn) ?? { port: 0, ip: null, eof: false, psync2: false };
    this.syncLog();
    conn.flush();
    conn.isReplica = true;
    const r = new ReplicaClient(conn, rc.port, rc.ip, rc.eof, rc.psync2 && !isSync, isSync);
    const st = this.server.stats;
    this.server.log.info(`Replica ${r.ip}:${r.listeningPort} asks for synchronization`);
    if (!isSync && this.tryPartial(r, replid, offset)) {
      st.syncPartialOk++;
      return null;
    }
    if (!isSync && replid !== '?') st.syncPartialErr++;
    st.syncFull++;
    this.createBacklog();
    this.replicas.push(r);
    this.fullSync.request(r);
    return null;
  }

  private tryPartial(r: ReplicaClient, replid: string, offset: number): boolean {
    const b = this.backlog;
    const idOk = replid === this.replid || (replid === this.replid2 && offset <= this.secondOffset);
    if (!idOk || b === null || offset < b.firstByteOffset || offset > b.offset + 1) {
      if (replid !== '?') {
        if (!idOk) this.server.log.info(`Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`);
        else this.server.log.info(`Unable to partial resync with replica ${r.ip}:${r.listeningPort} for lack of backlog (Replica request was: ${offset}).`);
      }
      return false;
    }
    r.state = ReplicaState.Online;
    r.ackTime = Date.now();
    r.write(Buffer.from(r.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n'));
    const data = b.since(offset)!;
    // bytes of this tick not flushed yet are in the backlog already: skip them in the next flush
    this.replicas.push(r);
    if (this.tickBytes > 0) {
      const flushedUpTo = b.offset - this.tickBytes;
      r.write(data.subarray(0, Math.max(0, flushedUpTo + 1 - offset)));
    } else r.write(data);
    this.server.log.info(`Partial resynchronization request from ${r.ip}:${r.listeningPort} accepted. Sending ${data.length} bytes of backlog starting from offset ${offset}.`);
    return true;
  }

  dropReplica(conn: Connection): void {
    const i = this.replicas.findIndex((r) => r.conn === conn);
    if (i < 0) return;
    const r = this.replicas[i]!;
    this.replicas.splice(i, 1);
    this.fullSync.dropped(r);
    if (r.state === ReplicaState.Online) this.server.log.info(`Connection with replica ${r.ip}:${r.listeningPort} lost.`);
    if (this.replicas.length === 0) this.noReplicasSince = Date.now();
    this.ackWaits.check();
  }

  /** Close every replica link (they reconnect and learn our new replid, usually with +CONTINUE). */
  disconnectReplicas(): void {
    for (const r of [...this.replicas]) this.server.closeConnection(r.conn);
  }

  /** Forget the current history: replid -> replid2 (valid up to our offset), a fresh replid. */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    this.secondOffset = this.masterOffset + 1;
    this.replid = randomHex(40);
    this.server.log.info(`Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondOffset}. New replication ID is ${this.replid}`);
  }

  /** REPLICAOF host port. */
  async replicaOf(host: string, port: number): Promise<void> {
    const s = this.server;
    if (this.link !== null) this.link.stop();
    else {
      // a master becoming a replica: its own history can continue from the new master (PSYNC with
      // our replid and offset), as Redis's replicationCacheMasterUsingMyself
      await s.allShards(roleOp.request(true));
    }
    this.fullSync.abortAll();
    this.disconnectReplicas();
    this.link = new MasterLink(this, host, port);
    s.config.setInternal('replicaof', `${host} ${port}`);
    this.link.start();
  }

  /** REPLICAOF NO ONE: keep the data, become a master with a new history. */
  async promote(): Promise<void> {
    if (this.link === null) return;
    this.link.stop();
    this.link = null;
    this.shiftReplicationId();
    this.disconnectReplicas();
    this.lastDb = -1;
    this.server.config.setInternal('replicaof', '');
    await this.server.allShards(roleOp.request(false));
  }

  // ---- FAILOVER (failover.ts) ---------------------------------------------------------------

  /** INFO master_failover_state. */
  get failoverState(): FailoverState {
    return this.failover.state;
  }

  failoverDone(): void {
    this.failover.done();
  }

  abortFailover(why: string): void {
    this.failover.abort(why);
  }

  // ---- WAIT -------------------------------------------------------------------------------------

  ackedReplicas(offset: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.state === ReplicaState.Online && r.ackOffset >= offset) n++;
    return n;
  }

  /** Wait until `need` replicas acknowledged `offset`, or the timeout (0 = forever). */
  waitForAcks(offset: number, need: number, timeoutMs: number, conn: Connection | null = null): Promise<number> {
    const p = this.ackWaits.wait(offset, need, timeoutMs, conn);
    this.requestAcks();
    return p;
  }

  /**
   * End a client's WAIT now (CLIENT UNBLOCK, the connection closing): it answers the replicas that
   * acknowledged so far, as Redis's does. False if the client is not waiting.
   */
  endWait(conn: Connection): boolean {
    return this.ackWaits.end(conn);
  }

  /** Whether a client waits in a WAIT with a timeout (INFO clients_in_timeout_table). */
  waitHasTimeout(conn: Connection): boolean {
    return this.ackWaits.hasTimeout(conn);
  }

  /** Ask every replica for an ACK (once per tick however many clients wait). */
  private requestAcks(): void {
    // a GETACK would move the offset a FAILOVER waits for: replicas ACK every second anyway
    if (this.getAckPending || this.failoverState !== 'no-failover') return;
    this.getAckPending = true;
    setImmediate(() => {
      this.getAckPending = false;
      this.feedRaw(GETACK);
      this.flush();
    });
  }

  // ---- INFO / ROLE (role-info.ts) ---------------------------------------------------------------

  info(): string[] {
    return replicationInfo(this);
  }

  role(w: RespWriter): void {
    roleReply(this, w);
  }
}

/** Whether buf[start, start+len) is a SELECT ("*2\r\n$6\r\nselect...", any case), decided on the bytes. */
function isSelect(b: Uint8Array, start: number, len: number): boolean {
  if (len < 14 || b[start] !== 0x2a || b[start + 1] !== 0x32 || b[start + 4] !== 0x24 || b[start + 5] !== 0x36) return false;
  const word = 'select';
  for (let i = 0; i < 6; i++) if ((b[start + 8 + i]! | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}
