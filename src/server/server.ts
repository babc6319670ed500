/*
 * Server: the main thread. Accepts connections, frames requests, routes each by key hash slot to its
 * shard's request ring (or runs it here: server, connection, pub/sub and keyspace-wide commands),
 * gathers replies from the reply rings and writes them back in request order, one socket write per
 * connection per tick.
 *
 * The tick (setImmediate, after the event loop's I/O phase has read every ready socket):
 *   1. drain every reply ring: deliver replies to connections, coordinator replies to their waiters,
 *      propagation bytes to the replication backlog;
 *   2. flush every connection that got output; release the rings' space;
 *   3. resume connections that were held (ring congestion, shard locks, barriers);
 *   4. publish every request ring written since the last tick (waking a sleeping shard: one notify
 *      per shard per tick at most);
 *   5. if requests are in flight, poll again next tick; after a few empty polls, sleep until a shard
 *      posts a wake-up message (Atomics.waitAsync is kept off this path: it costs ~34us per round trip).
 */

import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Args } from '../commands/args.js';
import { CommandTable, F, Route, arityOk, keyPositions, type Command } from '../commands/table.js';
import type { Config } from '../config.js';
import {
  FLAG_BLOCKED,
  FLAG_MORE,
  FLAG_SHARED_BODY,
  FLAG_REPLICATED,
  HEADER_BYTES,
  REP_NOTIFY,
  REP_PROPAGATE,
  REP_SCRIPT,
  REQ_COMMAND,
  dbOf,
  flagsOf,
  kindOf,
} from '../ipc/records.js';
import * as E from '../resp/errors.js';
import { CommandError } from '../resp/errors.js';
import { MemoryGate } from './maxmemory.js';
import { FRAME_EMPTY, FRAME_ERROR, FRAME_NEED_MORE } from '../resp/framer.js';
import { RespWriter } from '../resp/writer.js';
import { hashSlot, slotToShardTable } from '../router/slot.js';
import { SHARD_HANDLERS } from '../shard/commands/index.js';
import { DEFAULT_SHARD_CONFIG, type ShardConfig } from '../shard/context.js';
import { shardNotifyFlags } from '../commands/keyspace-events.js';
import { Connection, Hold, type QueuedCommand } from './connection.js';
import { MainCtx, type MainHandler } from './main-ctx.js';
import { MAIN_HANDLERS } from './commands/index.js';
import { scriptBusyReply } from '../scripting/eval.js';
import { holdBehindScripts, routeScript, scriptReplied } from '../scripting/fast-path.js';
import { COORDINATOR_CONN, ShardLink, type ShardReply } from './shard-link.js';
import { Coordinator } from '../router/coordinator.js';
import { ClientTracking } from './tracking.js';
import { ServerStats } from './stats.js';
import { OutputLimits, closedWithOutput } from './output-limits.js';
import { Acl } from '../acl/acl.js';
import { aclDenied } from '../acl/check.js';

/** Commands that run on the main thread only after the connection's earlier requests completed. */
const BARRIER_COMMANDS = new Set(['wait', 'shutdown', 'replicaof', 'slaveof', 'failover', 'debug|reload']);

/** Commands allowed in a RESP2 subscribed context. */
const PUBSUB_CONTEXT_ALLOWED = new Set(['subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);

/** Commands that are not queued inside MULTI. */
const TXN_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Settings of maxmemory the shards and the main thread's gate follow. */
const MAXMEMORY_KEYS = ['maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lfu-log-factor', 'lfu-decay-time', 'lazyfree-lazy-eviction', 'replica-ignore-maxmemory'];

/** Hooks the replication layer installs (master backlog feed, replica state for READONLY etc.). */
export interface ReplicationHooks {
  /** Append propagated writes for database `db` to the replication stream. */
  feed(db: number, data: Uint8Array, more?: boolean): void;
  /** True when this server is a replica. */
  isReplica(): boolean;
  /** True when this server is a replica whose link to its master is up. */
  linkUp(): boolean;
  /** Number of replicas with lag <= min-replicas-max-lag (for min-replicas-to-write). */
  goodReplicas(): number;
  /** Called every 100 ms. */
  cron(): void;
  /** A connection closed. */
  closed(conn: Connection): void;
  /** INFO replication lines. */
  info(): string[];
  /** Bytes held by the replication backlog. */
  backlogBytes(): number;
  /** Clients that are not in server.conns, for CLIENT LIST / KILL. */
  extraClients(): Connection[];
  /** End of a tick: write the stream fed during it to the replicas. */
  flush(): void;
  /** A replica applied these bytes of its master's stream. */
  applied(bytes: Uint8Array): void;
  /** True when writes are being recorded for replicas (a backlog exists). */
  hasBacklog(): boolean;
}

const CRLF = Buffer.from('\r\n');

const noReplication: ReplicationHooks = {
  feed() {},
  isReplica: () => false,
  linkUp: () => true,
  goodReplicas: () => 0,
  cron() {},
  closed() {},
  info: () => ['role:master', 'connected_slaves:0'],
  backlogBytes: () => 0,
  extraClients: () => [],
  flush() {},
  applied() {},
  hasBacklog: () => false,
};

export class Server {
  readonly config: Config;
  readonly log: Logger;
  readonly table: CommandTable;
  readonly links: ShardLink[] = [];
  readonly shardOfSlot: Uint8Array;
  readonly conns = new Map<number, Connection>();
  readonly stats = new ServerStats();
  readonly coordinator: Coordinator;
  /** maxmemory: the shards' eviction board (src/server/maxmemory.ts). */
  memGate = new MemoryGate(0);
  readonly runId: string;
  readonly startedAt = Date.now();
  repl: ReplicationHooks = noReplication;
  readonly mainHandlers: Readonly<Record<string, MainHandler>>;
  /** ACL users and log (src/acl/). */
  readonly acl: Acl;

  private netServers: net.Server[] = [];
  private nextConnId = 1;
  private tickScheduled = false;
  private sleeping = false;
  private emptyPolls = 0;
  private readonly dirtyConns: Connection[] = [];
  private readonly resumeList = new Set<Connection>();
  private args = new Args();
  private mainWriter = new RespWriter(16 * 1024);
  private readonly errWriter = new RespWriter(1024);
  private cronTimer: NodeJS.Timeout | null = null;
  shuttingDown = false;
  /** Port actually listened on (the configured one, or the OS's pick for port 0). */
  port = 0;
  /** Called when the server has stopped (exit code). */
  onExit: (code: number) => void = () => {};
  /** Run at shutdown before exiting (the admin endpoint's listener). */
  readonly closers: (() => void)[] = [];

  constructor(config: Config, log: Logger) {
    this.config = config;
    this.log = log;
    this.mainHandlers = MAIN_HANDLERS;
    this.acl = new Acl(config);
    const implemented = new Map<string, Route>();
    for (const name of Object.keys(SHARD_HANDLERS)) implemented.set(name, Route.Shard);
    for (const name of Object.keys(MAIN_HANDLERS)) implemented.set(name, Route.Main);
    this.table = new CommandTable(implemented);
    this.byNameHash = nameHashIndex(this.table);
    this.implemented = [...implemented];
    this.shardOfSlot = slotToShardTable(config.int('shards'));
    this.coordinator = new Coordinator(this);
    this.runId = randomHex(40);
    this.outputLimits = new OutputLimits(this);
  }

  private readonly implemented: [string, Route][];
  private readonly outputLimits: OutputLimits;

  /** The shard configuration derived from the server configuration. */
  shardConfig(): ShardConfig {
    const c = this.config;
    return {
      ...DEFAULT_SHARD_CONFIG,
      protoMaxBulkLen: c.int('proto-max-bulk-len'),
      replyMaxBytes: replyLimitBytes(c),
      hashMaxListpackEntries: c.int('hash-max-listpack-entries'),
      hashMaxListpackValue: c.int('hash-max-listpack-value'),
      setMaxIntsetEntries: c.int('set-max-intset-entries'),
      zsetMaxListpackEntries: c.int('zset-max-listpack-entries'),
      zsetMaxListpackValue: c.int('zset-max-listpack-value'),
      listMaxListpackSize: c.int('list-max-listpack-size'),
      streamNodeMaxBytes: c.int('stream-node-max-bytes'),
      streamNodeMaxEntries: c.int('stream-node-max-entries'),
      hz: c.int('hz'),
      lazyfreeLazyExpire: c.bool('lazyfree-lazy-expire'),
      lazyfreeLazyUserDel: c.bool('lazyfree-lazy-user-del'),
      lazyfreeLazyUserFlush: c.bool('lazyfree-lazy-user-flush'),
      hllSparseMaxBytes: Math.min(c.int('hll-sparse-max-bytes'), Number.MAX_SAFE_INTEGER),
      maxmemory: c.int('maxmemory'),
      maxmemoryPolicy: c.get('maxmemory-policy'),
      maxmemorySamples: c.int('maxmemory-samples'),
      maxmemoryEvictionTenacity: c.int('maxmemory-eviction-tenacity'),
      lfuLogFactor: c.int('lfu-log-factor'),
      lfuDecayTime: c.int('lfu-decay-time'),
      lazyfreeLazyEviction: c.bool('lazyfree-lazy-eviction'),
      replicaIgnoreMaxmemory: c.bool('replica-ignore-maxmemory'),
      notifyFlags: shardNotifyFlags(c.keyspaceEventFlags),
      activeExpireEnabled: this.debugFlags.activeExpire,
      cronPaused: this.debugFlags.cronPaused,
      trackWrites: this.trackWrites,
      streamWanted: this.repl.hasBacklog() || c.bool('appendonly'),
      keyspaceStore: c.get('keyspace-store'),
    };
  }

  /** Send the shards their configuration again (a shard setting or the replication stream's takers changed). */
  pushShardConfig(): void {
    void this.allShards(['config', JSON.stringify(this.shardConfig())]);
  }

  // ---- lifecycle --------------------------------------------------------------------------

  async start(): Promise<void> {
    const n = this.config.int('shards');
    this.memGate = new MemoryGate(n);
    this.memGate.configure(this.config);
    const workerUrl = new URL('../shard/worker.js', import.meta.url);
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const link = new ShardLink({
        index: i,
        shards: n,
        databases: this.config.int('databases'),
        ringBytes: ceilPow2(this.config.int('ring-size')),
        implemented: this.implemented,
        config: this.shardConfig(),
        evictBoard: this.memGate.buffer,
        workerUrl,
      });
      this.links.push(link);
      ready.push(
        new Promise<void>((resolve, reject) => {
          link.worker.once('message', () => resolve());
          link.worker.once('error', reject);
        }),
      );
      link.worker.on('message', () => this.onShardWake());
      link.worker.on('error', (err) => this.shardDied(i, err));
      link.worker.on('exit', (code) => {
        if (!this.shuttingDown) this.shardDied(i, new Error(`shard ${i} exited with code ${code}`));
      });
    }
    await Promise.all(ready);
    for (const l of this.links) l.replies.setSleeping(true);
    this.sleeping = true;
    await this.listen();
    this.cronTimer = setInterval(() => this.cron(), 100);
  }

  private async listen(): Promise<void> {
    const port = this.config.int('port');
    const binds = this.config.get('bind').split(' ').filter(Boolean);
    const addrs: { host: string; optional: boolean }[] = binds.map((b) => ({
      host: b.startsWith('-') ? b.slice(1) : b,
      optional: b.startsWith('-'),
    }));
    let chosen = port;
    for (const { host, optional } of addrs) {
      const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => this.onConnection(s));
      const h = host === '*' ? '0.0.0.0' : host === '::*' ? '::' : host;
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ port: chosen, host: h, backlog: this.config.int('tcp-backlog') }, () => resolve());
        });
      } catch (e) {
        if (optional) continue;
        throw e;
      }
      const addr = srv.address();
      if (addr && typeof addr === 'object') chosen = addr.port;
      this.netServers.push(srv);
    }
    this.port = chosen;
    // port 0 asks for an ephemeral port: report the one bound (CONFIG GET port, INFO tcp_port)
    if (port === 0) this.config.setInternal('port', String(chosen));
  }

  /**
   * CONFIG SET port: listen on the configured port (every bind address), then close the old
   * listeners; connections already open stay. False, with the old listeners kept, if it cannot.
   */
  async rebind(): Promise<boolean> {
    const old = this.netServers;
    this.netServers = [];
    try {
      await this.listen();
    } catch (e) {
      for (const s of this.netServers) s.close();
      this.netServers = old;
      this.log.warn({ err: (e as Error).message }, `Unable to listen on port ${this.config.get('port')}`);
      return false;
    }
    for (const s of old) s.close();
    this.log.info(`Listening on port ${this.port} (CONFIG SET port)`);
    return true;
  }

  private shardDied(i: number, err: Error): void {
    if (this.shuttingDown) return;
    this.log.fatal({ shard: i, err: err.message }, `shard ${i} died: the keyspace is incomplete, exiting`);
    this.shuttingDown = true;
    for (const l of this.links) void l.worker.terminate();
    for (const s of this.netServers) s.close();
    this.onExit(1);
  }

  /** Stop: close listeners, finish in-flight replies, stop the shards. */
  async shutdown(code = 0): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.info('User requested shutdown...');
    for (const s of this.netServers) s.close();
    for (const close of this.closers) close();
    if (this.cronTimer) clearInterval(this.cronTimer);
    // let in-flight requests come back and be written
    const deadline = Date.now() + 2000;
    while (this.links.some((l) => l.inflight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      this.tick();
    }
    this.tick();
    for (const c of this.conns.values()) {
      c.flush();
      c.socket.end();
    }
    await Promise.all(this.links.map((l) => l.worker.terminate()));
    this.log.info('Redis is now ready to exit, bye bye...');
    this.onExit(code);
  }

  // ---- connections ------------------------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    this.stats.connectionsReceived++;
    const maxclients = this.config.int('maxclients');
    if (this.conns.size >= maxclients) {
      this.stats.rejectedConnections++;
      socket.end(`-${E.MAX_CLIENTS}\r\n`);
      return;
    }
    socket.setNoDelay(true);
    const conn = new Connection(this.nextConnId++, socket, this.config.int('proto-max-bulk-len'), this.acl.authRequired());
    conn.stats = this.stats;
    this.conns.set(conn.id, conn);
    socket.on('data', (chunk: Buffer) => this.input(conn, chunk));
    socket.on('error', () => {});
    socket.on('end', () => this.onInputEnd(conn));
    socket.on('close', () => this.onClose(conn));
    socket.on('drain', () => {
      if (conn.hold === Hold.Output) {
        conn.hold = Hold.None;
        this.resume(conn);
      }
    });
  }

  /** Bytes read from a client (or from our master's link). */
  input(conn: Connection, chunk: Buffer): void {
    if (conn.closed) return;
    if (conn.isMaster) this.stats.netReplInputBytes += chunk.length;
    else this.stats.netInputBytes += chunk.length;
    conn.lastInteraction = Date.now();
    conn.appendInput(chunk);
    if (!conn.isMaster && conn.pendingInput() > this.config.int('client-query-buffer-limit')) {
      this.log.warn(`Closing client that reached max query buffer length: id=${conn.id} addr=${conn.addr}`);
      this.closeConnection(conn);
      return;
    }
    if (conn.hold === Hold.None) this.processInput(conn);
    else if (conn.pendingInput() > 1024 * 1024) conn.socket.pause();
    this.scheduleTick();
  }

  /** Connections in MONITOR mode. */
  readonly monitors = new Set<Connection>();

  /**
   * Send a command to every MONITOR client, in Redis's format:
   * `+<sec>.<usec> [<db> <ip:port>] "arg" ...` with arguments quoted and escaped as sdscatrepr does
   * (source "lua" for the commands a script runs).
   */
  feedMonitors(conn: Connection, argv: readonly string[], db = conn.db, source = conn.addr): void {
    const t = performance.timeOrigin + performance.now();
    const sec = Math.floor(t / 1000);
    const usec = Math.floor((t - sec * 1000) * 1000);
    let line = `+${sec}.${String(usec).padStart(6, '0')} [${db} ${source}]`;
    for (const a of argv) line += ' ' + monitorRepr(a);
    const bytes = Buffer.from(line + '\r\n', 'latin1');
    for (const m of this.monitors) {
      if (m.closed) continue;
      m.pushOutOfBand(bytes);
      this.markDirty(m);
    }
  }

  private onClose(conn: Connection): void {
    if (conn.closed && !this.conns.has(conn.id)) return;
    conn.closed = true;
    this.conns.delete(conn.id);
    this.monitors.delete(conn);
    this.resumeList.delete(conn);
    if (conn.blockedOn >= 0 || conn.watchShards.size > 0) {
      const shards = new Set(conn.watchShards);
      if (conn.blockedOn >= 0) shards.add(conn.blockedOn);
      for (const s of shards) void this.links[s]!.control(['disconnect', conn.id]);
      this.scheduleTick();
    }
    this.repl.closed(conn);
    if (this.tracking.clients.size > 0) this.tracking.onClose(conn);
    this.onConnectionClosed?.(conn);
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
  private endIfDone(conn: Connection): void {
    if (!conn.inputEnded || conn.closed || conn.ending || !conn.answeredAll()) return;
    conn.ending = true;
    this.markDirty(conn);
  }

  /** A replica's link to its master after the handshake: its stream is applied like requests. */
  attachMasterConnection(socket: net.Socket): Connection {
    const conn = new Connection(this.nextConnId++, socket, this.config.int('proto-max-bulk-len'), false);
    conn.isMaster = true;
    this.conns.set(conn.id, conn);
    socket.on('close', () => this.onClose(conn));
    return conn;
  }

  /** True while a replica loads its master's payload: commands without the loading flag get -LOADING. */
  loading = false;
  /** Set by persistence while writes (and PING) must be refused: the error (MISCONF), else null. */
  writeRefusal: string | null = null;

  /** Extra clean-up on close installed by other modules (pub/sub). */
  onConnectionClosed: ((conn: Connection) => void) | null = null;

  closeConnection(conn: Connection): void {
    if (conn.closed) return;
    conn.socket.destroy();
    this.onClose(conn);
  }

  /** Queue a held connection to continue parsing at the end of this tick. */
  resume(conn: Connection): void {
    if (conn.closed) return;
    this.resumeList.add(conn);
    this.scheduleTick();
  }

  // ---- parsing and dispatch -----------------------------------------------------------------

  /** Frame and dispatch requests until the input runs out or the connection is held. */
  processInput(conn: Connection): void {
    const f = conn.framer;
    while (conn.hold === Hold.None && !conn.closed && !conn.closeAfterReply) {
      if (conn.inStart >= conn.inEnd) break;
      const r = f.frame(conn.inBuf, conn.inStart, conn.inEnd);
      if (r === FRAME_NEED_MORE) break;
      if (r === FRAME_ERROR) {
        this.replyError(conn, conn.nextSeq++, f.error);
        conn.closeAfterReply = true;
        conn.inStart = conn.inEnd;
        break;
      }
      if (r === FRAME_EMPTY) {
        if (conn.isMaster) this.repl.applied(conn.inBuf.subarray(conn.inStart, f.end));
        conn.inStart = f.end;
        continue;
      }
      if (!this.dispatch(conn)) break; // held: the same request is framed again on resume
      if (conn.isMaster) this.repl.applied(conn.inBuf.subarray(conn.inStart, f.end));
      conn.inStart = f.end;
    }
    conn.consumed();
    // every complete request was dispatched (a hold stops the loop before that)
    conn.inputIdle = conn.hold === Hold.None;
    if (conn.sendSeq >= conn.flushAt) conn.flushAt = conn.nextSeq;
    if (conn.socket.isPaused() && conn.hold === Hold.None && !conn.closed) conn.socket.resume();
    if (conn.closeAfterReply && conn.inflight === 0) this.markDirty(conn);
    if (conn.inputEnded) this.endIfDone(conn);
  }

  /**
   * Command names by a hash of their lower-case bytes, so the hot path finds a command without making
   * a string of its name (collisions are resolved by comparing bytes).
   */
  private readonly byNameHash: Map<number, Command[]>;

  /** Look the request's command up (case-insensitive); subcommands are resolved by the caller. */
  private lookup(args: Args): Command | undefined {
    if (args.inline) {
      const name = args.str(0);
      return this.table.byName.get(name) ?? this.table.byName.get(name.toLowerCase());
    }
    const start = args.start[0]!;
    const list = this.byNameHash.get(nameHashBytes(args.buf, start, start + args.len[0]!));
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (args.is(0, list[i]!.name)) return list[i];
    return undefined;
  }

  /**
   * Dispatch the request just framed. Returns false if the connection must hold it (it will be
   * framed again when the connection resumes).
   */
  private dispatch(conn: Connection): boolean {
    const f = conn.framer;
    const args = this.args;
    args.set(conn.inBuf, f.argStart, f.argLen, f.argc, f.inline ? inlineArgs(conn, f.argc) : null);
    let cmd = this.lookup(args);
    this.dispatching = undefined;
    if (cmd === undefined) {
      return this.reject(conn, E.unknownCommand(args.str(0), args.all(1)));
    }
    if (cmd.subcommands !== null && args.argc >= 2) {
      const sub = cmd.subcommands.get(args.lower(1));
      if (sub === undefined) return this.reject(conn, E.unknownSubcommand(args.str(1), cmd.name));
      cmd = sub;
    }
    this.dispatching = cmd;
    if (!arityOk(cmd, args.argc)) return this.reject(conn, E.wrongArity(cmd.name));
    if (!conn.authenticated && !(cmd.flags & F.NO_AUTH)) return this.reject(conn, E.NOAUTH);
    if (this.loading && !(cmd.flags & F.LOADING) && !conn.isMaster) return this.reject(conn, E.LOADING);
    if (!(conn.aclUser ?? this.acl.defaultUser).unrestricted && !conn.isMaster) {
      const denied = aclDenied(this, conn, cmd, args);
      if (denied !== null) return this.reject(conn, denied);
    }

    let flags = cmd.flags;
    if (conn.multi !== null && cmd.name === 'exec') flags = execFlags(flags, conn.multi);
    const inMulti = conn.multi !== null && !TXN_CONTROL.has(cmd.name);
    if (flags & F.WRITE && !conn.isMaster) {
      const repl = this.repl;
      if (repl.isReplica()) {
        if (this.config.bool('replica-read-only')) return this.reject(conn, E.READONLY_REPLICA);
      } else {
        const need = this.config.int('min-replicas-to-write');
        if (need > 0 && repl.goodReplicas() < need) return this.reject(conn, E.NOREPLICAS);
      }
    }
    if (this.writeRefusal !== null && (flags & F.WRITE || cmd.name === 'ping') && !conn.isMaster) {
      return this.reject(conn, this.writeRefusal); // MISCONF after a failed save or AOF write
    }
    // over maxmemory: denyoom commands are refused, and anything queued in MULTI (Redis: processCommand)
    if ((flags & F.DENYOOM || inMulti) && !conn.isMaster && this.memGate.refuse(this.repl.isReplica())) return this.reject(conn, E.OOM);
    if (conn.proto === 2 && conn.subscriptionCount() > 0 && !PUBSUB_CONTEXT_ALLOWED.has(cmd.name)) {
      return this.reject(conn, E.onlyInPubSubContext(cmd.name));
    }
    if (!(flags & F.STALE) && !conn.isMaster && this.repl.isReplica() && !this.repl.linkUp() && !this.config.bool('replica-serve-stale-data')) {
      return this.reject(conn, E.MASTERDOWN);
    }
    // (the master's stream is not refused: its commands wait on the shard locks like any other)
    const busy = scriptBusyReply(this);
    if (busy !== null && !(flags & F.ALLOW_BUSY) && !conn.isMaster) return this.reject(conn, busy);
    if (inMulti) return this.queueMulti(conn, cmd, args);
    if ((this.pausedUntil !== 0 || this.failoverPause) && this.pausedFor(conn, cmd)) {
      conn.hold = Hold.Stalled;
      this.paused.add(conn);
      return false;
    }
    if (conn.directScripts > 0 && holdBehindScripts(conn, cmd)) return false;
    if (this.monitors.size > 0 && !this.loading && !(flags & (F.ADMIN | F.SKIP_MONITOR))) return this.dispatchMonitored(conn, cmd, args);
    if (this.tracking.clients.size > 0) this.tracking.onCommand(conn, cmd, args, (flags & F.READONLY) !== 0);
    if (cmd.route === Route.Main) return routeScript(this, conn, cmd, args) ?? this.runMain(conn, cmd, args);
    return this.route(conn, cmd, args);
  }

  /**
   * Dispatch with MONITOR clients listening (Redis feeds them after a command runs; admin commands
   * never): a main-thread command after it ran (so SELECT shows the new database), a transaction's
   * commands at its EXEC, before the EXEC; shard commands as they are sent to their shard.
   */
  private dispatchMonitored(conn: Connection, cmd: Command, args: Args): boolean {
    const argv = monitorArgs(cmd, args.all(0));
    if (cmd.route !== Route.Main) {
      this.feedMonitors(conn, argv);
      return this.route(conn, cmd, args);
    }
    const queued = cmd.name === 'exec' && !conn.multiError ? conn.multi : null;
    const db = conn.db;
    if (!this.runMain(conn, cmd, args)) return false;
    if (queued === null) {
      this.feedMonitors(conn, argv);
      return true;
    }
    // the transaction runs later (on the shards): follow its SELECTs for the database shown
    let at = db;
    for (const q of queued) {
      if (q.cmd.name === 'select') {
        const n = Number(q.argv[1]);
        if (Number.isInteger(n) && n >= 0 && n < this.config.int('databases')) at = n;
      }
      if (!(q.cmd.flags & (F.ADMIN | F.SKIP_MONITOR))) this.feedMonitors(conn, monitorArgs(q.cmd, q.argv), at);
    }
    this.feedMonitors(conn, argv, at);
    return true;
  }

  /** Reply with an error for the current request (flagging an open MULTI as failed). */
  private reject(conn: Connection, msg: string): boolean {
    if (conn.multi !== null) conn.multiError = true;
    if (this.args.argc > 0 && this.args.is(0, 'exec')) {
      // a refused EXEC, in MULTI or not, ends the transaction (Redis: execCommandAbort)
      conn.multi = null;
      conn.multiError = false;
      void this.unwatchAll(conn);
      msg = E.execAbort(msg);
    }
    this.stats.rejectedCalls++;
    this.stats.intro.rejected(this.dispatching);
    this.replyError(conn, conn.nextSeq++, msg);
    return true;
  }

  replyError(conn: Connection, seq: number, msg: string): void {
    const w = this.errWriter;
    w.reset();
    w.error(E.sanitizeErrorText(msg));
    this.stats.errorReplies++;
    conn.deliver(seq, w.toBuffer(), false);
    this.markDirty(conn);
  }

  /** Deliver a complete reply produced on the main thread. */
  reply(conn: Connection, seq: number, bytes: Uint8Array, pushing = false): void {
    conn.deliver(seq, bytes, false, pushing);
    this.markDirty(conn);
  }

  markDirty(conn: Connection): void {
    if (!conn.dirty) {
      conn.dirty = true;
      this.dirtyConns.push(conn);
      this.scheduleTick();
    }
  }

  /** The command being dispatched (INFO commandstats rejected_calls). */
  private dispatching: Command | undefined;

  private queueMulti(conn: Connection, cmd: Command, args: Args): boolean {
    if (cmd.flags & F.NO_MULTI) return this.reject(conn, `ERR Command not allowed inside a transaction`);
    const argv = args.all();
    const w = new RespWriter(256);
    w.command(argv);
    conn.multi!.push({ cmd, body: w.toBuffer(), argv });
    this.reply(conn, conn.nextSeq++, QUEUED);
    return true;
  }

  private runMain(conn: Connection, cmd: Command, args: Args): boolean {
    if (BARRIER_COMMANDS.has(cmd.name) && conn.inflight > 0) {
      conn.hold = Hold.Barrier;
      return false;
    }
    const handler = this.mainHandlers[cmd.name];
    if (!handler) return this.reject(conn, E.unknownCommand(cmd.name, []));
    this.stats.commandsProcessed++;
    const t0 = performance.now();
    const e0 = this.stats.intro.commands.errorTotal;
    conn.lastCmd = cmd.name;
    const seq = conn.nextSeq++;
    const w = this.mainWriter;
    w.reset();
    w.proto = conn.proto;
    const ctx = new MainCtx(this, conn, cmd, args, w, seq);
    let result: void | Promise<void>;
    try {
      result = handler(ctx);
    } catch (e) {
      this.handlerFailed(conn, seq, e);
      this.stats.intro.called(conn, cmd, args, t0, true);
      return true;
    }
    if (result instanceof Promise) {
      // the handler keeps this writer and these arguments; later commands get fresh ones. Its
      // arguments are copied out now: the input buffer and the framer's positions are reused.
      this.mainWriter = new RespWriter(16 * 1024);
      args.set(Buffer.alloc(0), args.start, args.len, args.argc, args.all(0));
      this.args = new Args();
      conn.hold = Hold.Busy;
      conn.busySeq = -1;
      conn.busySlow = SLOW_ASYNC_COMMANDS.has(cmd.name);
      result.then(
        () => {
          // failed if its own reply is an error (errors of other clients' commands meanwhile, or of
          // the commands an EXEC ran, are theirs: Redis counts EXEC failed only for its own error)
          this.stats.intro.called(conn, cmd, args, t0, w.len > 0 && w.buf[0] === 0x2d);
          this.finishAsync(conn, seq, w);
        },
        (e: unknown) => {
          this.handlerFailed(conn, seq, e);
          this.stats.intro.called(conn, cmd, args, t0, true);
          this.endBusy(conn);
        },
      );
      return true;
    }
    this.stats.intro.called(conn, cmd, args, t0, this.stats.intro.commands.errorTotal > e0);
    this.reply(conn, seq, Buffer.from(w.buf.subarray(0, w.len)), ctx.pushing);
    return true;
  }

  private finishAsync(conn: Connection, seq: number, w: RespWriter): void {
    this.reply(conn, seq, Buffer.from(w.buf.subarray(0, w.len)));
    this.endBusy(conn);
  }

  /** End a Busy hold and continue parsing. */
  endBusy(conn: Connection): void {
    if (conn.hold === Hold.Busy) {
      conn.hold = Hold.None;
      conn.busySeq = -1;
      conn.busySlow = false;
      conn.blockingShard = -1;
      conn.blockedInWait = false;
      conn.crossShardBlocking = false;
      this.resume(conn);
    }
  }

  private handlerFailed(conn: Connection, seq: number, e: unknown): void {
    if (e instanceof CommandError) {
      this.replyError(conn, seq, e.reply);
    } else {
      this.log.error({ err: e }, 'main-thread command failed');
      this.replyError(conn, seq, E.internalError(conn.lastCmd));
    }
  }

  /** Route a keyed command to its shard, or to the coordinator when its keys span shards. */
  private route(conn: Connection, cmd: Command, args: Args): boolean {
    const f = conn.framer;
    let shard = -1;
    let multi = false;
    let positions: number[] | null = null;
    if (this.links.length === 1) {
      // one shard holds every key: nothing to hash, nothing to coordinate
      shard = 0;
    } else if (!(cmd.flags & F.MOVABLE_KEYS) && (cmd.firstKey <= 0 || cmd.step <= 0)) {
      // a command without key arguments (a step of 0 would never end the loop below): shard 0
    } else if (!(cmd.flags & F.MOVABLE_KEYS) && !args.inline && !f.inline) {
      const argc = args.argc;
      const last = cmd.lastKey < 0 ? argc + cmd.lastKey : Math.min(cmd.lastKey, argc - 1);
      const starts = f.argStart;
      const lens = f.argLen;
      const buf = conn.inBuf;
      for (let i = cmd.firstKey; i <= last; i += cmd.step) {
        const s = starts[i]!;
        const sh = this.shardOfSlot[hashSlot(buf, s, s + lens[i]!)]!;
        if (shard < 0) shard = sh;
        else if (sh !== shard) multi = true;
      }
      if (multi) positions = rangePositions(cmd.firstKey, last, cmd.step);
    } else {
      positions = keyPositions(cmd, args.argc, (i) => args.str(i));
      if (positions !== null) {
        for (const i of positions) {
          const sh = this.shardOfKey(args.str(i));
          if (shard < 0) shard = sh;
          else if (sh !== shard) multi = true;
        }
      }
    }
    if (shard < 0) shard = 0;
    if (multi) {
      conn.busySlow = (cmd.flags & F.BLOCKING) !== 0;
      conn.crossShardBlocking = conn.busySlow;
      return this.coordinator.start(conn, cmd, args, positions!);
    }
    const link = this.links[shard]!;
    if (link.lockedBy !== null && cmd.flags & F.BLOCKING) {
      // FIFO with the coordinator's lock waiters, so a stream of scripts cannot starve it (XREAD
      // BLOCK ... $ overtaken by scripts would resolve "$" past their XADDs)
      conn.hold = Hold.Stalled;
      this.coordinator.afterLocks([shard], () => {
        if (conn.hold !== Hold.Stalled) return;
        conn.hold = Hold.None;
        if (!conn.closed) this.processInput(conn);
      });
      return false;
    }
    if (link.lockedBy !== null || link.congested) {
      this.stallOn(conn, link);
      return false;
    }
    this.stats.commandsProcessed++;
    conn.lastCmd = cmd.name;
    const seq = conn.nextSeq++;
    const flags = conn.isMaster ? FLAG_REPLICATED : 0;
    const w3 = cmd.id | (conn.proto << 16);
    if (f.inline) {
      const w = new RespWriter(256);
      w.command(args.all());
      link.send(REQ_COMMAND, flags, conn.db, conn.id, seq, w3, w.buf, 0, w.len);
    } else {
      link.send(REQ_COMMAND, flags, conn.db, conn.id, seq, w3, conn.inBuf, conn.inStart, f.end - conn.inStart, conn.inputStable());
    }
    conn.inflight++;
    link.inflight++;
    if (cmd.flags & F.BLOCKING) {
      conn.hold = Hold.Busy;
      conn.busySeq = seq;
      conn.busySlow = false;
      conn.blockingShard = shard;
    }
    this.scheduleTick();
    return true;
  }

  shardOfKey(key: string): number {
    const b = Buffer.from(key, 'latin1');
    return this.shardOfSlot[hashSlot(b, 0, b.length)]!;
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

  private readonly stalled = new Map<Connection, ShardLink>();

  // ---- the tick ---------------------------------------------------------------------------

  scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(this.tickFn);
  }

  private readonly tickFn = (): void => {
    this.tickScheduled = false;
    this.tick();
  };

  private onShardWake(): void {
    if (this.sleeping) {
      this.sleeping = false;
      for (const l of this.links) l.replies.setSleeping(false);
    }
    this.emptyPolls = 0;
    this.scheduleTick();
  }

  tick(): void {
    if (this.sleeping) {
      this.sleeping = false;
      for (const l of this.links) l.replies.setSleeping(false);
    }
    let got = 0;
    for (const link of this.links) got += this.drain(link);
    this.repl.flush();
    // one write per connection per tick
    this.flushDirty();
    for (const link of this.links) link.replies.release();

    // resume held connections
    let anyOutbox = false;
    for (const link of this.links) if (link.congested && !link.flushOutbox()) anyOutbox = true;
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
      for (const c of list) if (!c.closed && c.hold === Hold.None) this.processInput(c);
      // replies produced synchronously by resumed connections
      this.flushDirty();
    }
    for (const link of this.links) link.publish();

    let inflight = 0;
    for (const link of this.links) inflight += link.inflight;
    if (inflight > 0 || anyOutbox || this.resumeList.size > 0) {
      if (got > 0) this.emptyPolls = 0;
      else this.emptyPolls++;
      if (this.emptyPolls < 64 || anyOutbox) {
        this.scheduleTick();
        return;
      }
    }
    this.goToSleep();
  }

  /** Stop polling: shards will post a message when they publish replies. */
  private goToSleep(): void {
    this.emptyPolls = 0;
    this.sleeping = true;
    for (const l of this.links) l.replies.setSleeping(true);
    // re-check after raising the flags: a shard that published before seeing them did not wake us
    for (const l of this.links) {
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
  private flushDirty(): void {
    const dirty = this.dirtyConns;
    for (let i = 0; i < dirty.length; i++) {
      const c = dirty[i]!;
      if (c.gathering()) {
        c.detachViews(); // the rings are released at the end of this tick
        c.dirty = false; // marked again by the next reply it gets
        continue;
      }
      c.flush();
      this.afterFlush(c);
    }
    dirty.length = 0;
  }

  private afterFlush(c: Connection): void {
    if (c.ending && !c.closed) {
      // half-closed by the client and fully answered: end our side once the output is written
      c.socket.end();
      c.closed = true;
      this.onClose(c);
      return;
    }
    if (c.closeAfterReply && c.inflight === 0 && c.hold !== Hold.Busy) {
      // closed, not half-closed, once the reply is written (as Redis's close()): a client still
      // sending (a desynchronised protocol stream) gets a reset rather than an endless sink
      c.socket.destroySoon();
      c.closed = true;
      this.onClose(c);
      return;
    }
    if (c.socket.writableLength >= this.outputLimits.threshold && this.outputLimits.check(c)) return;
    if (c.socket.writableLength > OUTPUT_PAUSE_BYTES && c.hold === Hold.None && !c.isReplica) {
      c.hold = Hold.Output;
      c.inputIdle = false;
    }
  }

  /** Process every published reply record of one shard. */
  private drain(link: ShardLink): number {
    const ring = link.replies;
    if (!ring.poll()) return 0;
    const i32 = ring.i32;
    const data = ring.data;
    let n = 0;
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
      // a huge value the reply goes on with, in shared memory (taken in order even if nobody gets it)
      const shared = flags & FLAG_SHARED_BODY ? link.sharedReply() : null;
      if (kindOf(w0) === REP_NOTIFY) {
        this.keyspaceEvents(link, data.subarray(start, start + rlen), connId, seq, (flags & FLAG_MORE) !== 0);
        continue;
      }
      if (kindOf(w0) === REP_PROPAGATE) {
        if (plen > 0) this.repl.feed(dbOf(w0), data.subarray(start + rlen, start + rlen + plen), (flags & FLAG_MORE) !== 0);
        continue;
      }
      if (connId === COORDINATOR_CONN) {
        link.collect(seq, data.subarray(start, start + rlen), data.subarray(start + rlen, start + rlen + plen), dbOf(w0), (flags & FLAG_MORE) !== 0);
        continue;
      }
      if (plen > 0) this.repl.feed(dbOf(w0), data.subarray(start + rlen, start + rlen + plen), (flags & FLAG_MORE) !== 0);
      const conn = this.conns.get(connId);
      if (kindOf(w0) === REP_SCRIPT) {
        // an EVALSHA sent straight to this shard (scripting/fast-path.ts)
        if (!(flags & FLAG_MORE)) {
          link.inflight--;
          if (conn !== undefined) conn.inflight--;
        }
        if (conn !== undefined && scriptReplied(this, conn, seq, data.subarray(start, start + rlen), (flags & FLAG_MORE) !== 0)) {
          this.markDirty(conn);
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
        if (conn.outBytes > 0) this.markDirty(conn);
        this.checkBarrier(conn);
        continue;
      }
      if (link.parked.delete(connId)) {
        if (conn !== undefined) conn.blockedOn = -1;
      } else {
        link.inflight--;
        if (conn !== undefined) conn.inflight--;
      }
      if (conn === undefined) continue;
      if (conn.busySeq === seq) this.endBusy(conn);
      if (shared !== null) conn.deliver(seq, [Buffer.from(data.subarray(start, start + rlen)), shared, CRLF], false);
      else if (conn.hasPartial(seq)) conn.deliverChunk(seq, data.subarray(start, start + rlen), true);
      else conn.deliver(seq, data.subarray(start, start + rlen), true);
      this.markDirty(conn);
      this.checkBarrier(conn);
    }
    return n;
  }

  private checkBarrier(conn: Connection): void {
    if (conn.inflight === 0 && conn.hold === Hold.Barrier) {
      conn.hold = Hold.None;
      this.resume(conn);
    }
    if (conn.closeAfterReply && conn.inflight === 0) this.markDirty(conn);
    if (conn.inputEnded) this.endIfDone(conn);
  }

  // ---- periodic ---------------------------------------------------------------------------

  /** DEBUG SET-ACTIVE-EXPIRE and DEBUG PAUSE-CRON (sent to the shards with their configuration). */
  readonly debugFlags = { activeExpire: true, cronPaused: false };

  private cron(): void {
    if (this.debugFlags.cronPaused) return; // DEBUG PAUSE-CRON: as Redis's serverCron
    this.stats.sample();
    const timeout = this.config.int('timeout');
    if (timeout > 0) {
      const now = Date.now();
      for (const c of this.conns.values()) {
        if (c.isReplica || c.isMaster || c.blockedOn >= 0 || c.subscriptionCount() > 0) continue;
        if (now - c.lastInteraction > timeout * 1000) this.closeConnection(c);
      }
    }
    this.outputLimits.cron(this.conns.values());
    this.repl.cron();
  }

  // ---- helpers for main-thread commands ----------------------------------------------------

  /** Time of the last successful save (ms); the start time until something saves. */
  lastSave = Date.now();

  /** Propagate a command produced on the main thread (FLUSHALL, SWAPDB ...) to replicas. */
  propagate(db: number, argv: readonly (string | number | Uint8Array)[]): void {
    const w = new RespWriter(256);
    w.command(argv);
    this.repl.feed(db, w.buf.subarray(0, w.len));
  }

  /** Apply configuration changes that need action. */
  configChanged(names: string[]): void {
    const shardKeys = new Set(['proto-max-bulk-len', 'client-output-buffer-limit', 'hash-max-listpack-entries', 'hash-max-listpack-value', 'set-max-intset-entries', 'zset-max-listpack-entries', 'zset-max-listpack-value', 'list-max-listpack-size', 'hz', 'lazyfree-lazy-expire', 'lazyfree-lazy-user-del', 'lazyfree-lazy-user-flush', 'hll-sparse-max-bytes', 'stream-node-max-bytes', 'stream-node-max-entries', 'notify-keyspace-events', 'appendonly', ...MAXMEMORY_KEYS]);
    if (names.some((n) => shardKeys.has(n))) this.pushShardConfig();
    if (names.some((n) => MAXMEMORY_KEYS.includes(n))) this.memGate.configure(this.config);
    if (names.includes('requirepass')) {
      const need = this.config.get('requirepass') !== '';
      for (const c of this.conns.values()) if (!need) c.framer.unauthenticated = false;
    }
    if (names.includes('client-output-buffer-limit')) this.outputLimits.configure();
    if (names.includes('tracking-table-max-keys')) this.tracking.enforceLimit();
    if (names.includes('proto-max-bulk-len')) for (const c of this.conns.values()) c.framer.maxBulkLen = this.config.int('proto-max-bulk-len');
    this.onConfigChanged?.(names);
  }

  /** Further reactions to CONFIG SET installed by other modules (replication, logging). */
  onConfigChanged: ((names: string[]) => void) | null = null;

  resetStats(): void {
    this.stats.reset();
    void this.allShards(['resetstat']);
  }

  /** Drop every WATCH registration of a connection. */
  async unwatchAll(conn: Connection): Promise<void> {
    const shards = [...conn.watchShards];
    conn.watchShards.clear();
    conn.watched = [];
    if (shards.length > 0) await Promise.all(shards.map((s) => this.oneShard(s, ['unwatch', conn.id])));
  }

  /** Installed by the pub/sub module: RESET leaves every subscription. */
  pubsubReset: ((conn: Connection) => void) | null = null;
  /** Publishes a shard's keyspace events (installed by pub/sub once anyone subscribed). */
  onKeyspaceEvents: ((bytes: Uint8Array, connId: number, seq: number) => void) | null = null;
  private readonly eventParts = new Map<number, Buffer[]>();

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
    this.onKeyspaceEvents?.(bytes, connId, seq);
    if (this.tracking.clients.size > 0) this.tracking.onShardEvents(bytes, connId);
  }

  /** CLIENT TRACKING state and invalidations (tracking.ts). */
  readonly tracking: ClientTracking = new ClientTracking({
    conns: this.conns,
    markDirty: (c) => this.markDirty(c),
    configInt: (name) => this.config.int(name),
    setTrackWrites: (on) => {
      this.trackWrites = on;
      this.pushShardConfig();
    },
  });
  private trackWrites = false;

  /** Installed by the pub/sub module. */
  pubsubCounts: () => { channels: number; patterns: number; shardChannels: number } = () => ({ channels: 0, patterns: 0, shardChannels: 0 });

  extraClients(): Connection[] {
    return this.repl.extraClients();
  }

  /** CLIENT KILL of another client. */
  killClient(conn: Connection): void {
    this.closeConnection(conn);
  }

  /** Connected clients as INFO counts them (not replicas). */
  normalClientCount(): number {
    let n = 0;
    for (const c of this.conns.values()) if (!c.isReplica) n++;
    return n;
  }

  replBacklogBytes(): number {
    return this.repl.backlogBytes();
  }

  replicationInfo(): string[] {
    return this.repl.info();
  }

  /** CLIENT PAUSE: until (ms epoch, 0 = unpause) and mode. */
  pausedUntil = 0;
  pauseMode: 'write' | 'all' = 'all';
  private pauseTimer: NodeJS.Timeout | null = null;

  pauseClients(until: number, mode: 'write' | 'all'): void {
    if (until === 0) {
      this.pausedUntil = 0;
    } else {
      // an active ALL pause is not weakened to WRITE by a later call (as Redis)
      if (!(this.pauseMode === 'all' && this.pausedUntil > Date.now())) this.pauseMode = mode;
      else if (mode === 'all') this.pauseMode = 'all';
      this.pausedUntil = Math.max(until, this.pausedUntil);
    }
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    if (this.pausedUntil > 0) {
      this.pauseTimer = setTimeout(() => this.pauseClients(0, 'all'), Math.max(0, this.pausedUntil - Date.now()));
    } else {
      for (const c of this.paused) this.resume(c);
      for (const c of this.paused) if (c.hold === Hold.Stalled) c.hold = Hold.None;
      this.paused.clear();
      this.scheduleTick();
    }
  }

  /** FAILOVER holds writes while the target replica catches up (apart from CLIENT PAUSE). */
  failoverPause = false;

  setFailoverPause(on: boolean): void {
    this.failoverPause = on;
    if (!on && this.pausedUntil === 0) {
      for (const c of this.paused) if (c.hold === Hold.Stalled) c.hold = Hold.None;
      for (const c of this.paused) this.resume(c);
      this.paused.clear();
      this.scheduleTick();
    }
  }

  /** Connections held by CLIENT PAUSE. */
  private readonly paused = new Set<Connection>();

  /** True if this command must wait for CLIENT PAUSE to end. */
  private pausedFor(conn: Connection, cmd: Command): boolean {
    if (conn.isMaster || conn.isReplica) return false;
    if (this.failoverPause && (cmd.flags & (F.WRITE | F.MAY_REPLICATE)) !== 0) return true;
    if (this.pausedUntil === 0) return false;
    if (this.pausedUntil <= Date.now()) return false;
    if (this.pauseMode === 'all') return true;
    return (cmd.flags & (F.WRITE | F.MAY_REPLICATE)) !== 0;
  }

  /** Run a control op on every shard; resolves with each shard's raw RESP reply. */
  async allShards(argv: readonly (string | number | Uint8Array)[], db = 0): Promise<ShardReply[]> {
    const p = this.links.map((l) => l.control(argv, db));
    this.scheduleTick();
    return Promise.all(p);
  }

  /** Run a control op on one shard. */
  async oneShard(shard: number, argv: readonly (string | number | Uint8Array)[], db = 0): Promise<ShardReply> {
    const p = this.links[shard]!.control(argv, db);
    this.scheduleTick();
    return p;
  }
}

const QUEUED = Buffer.from('+QUEUED\r\n');

/**
 * The most bytes one reply may take, checked by the shards while they build it (and before, for
 * counts known up front): the normal class's hard client-output-buffer-limit when one is set (Redis
 * would cut the client there), otherwise the larger of 512 MB and proto-max-bulk-len, plus 1 MB for
 * framing (so the largest value a client may store can still be read). A reply past
 * it fails its command with REPLY_TOO_LARGE quickly, instead of growing the process for minutes
 * while the shard's other clients wait.
 */
function replyLimitBytes(c: Config): number {
  const hard = c.outputBufferLimit('normal')[0];
  // the default leaves room for the framing around the largest value a client may store
  return hard > 0 ? hard : Math.max(512 * 1024 * 1024, c.int('proto-max-bulk-len')) + 1024 * 1024;
}
const OUTPUT_PAUSE_BYTES = 64 * 1024 * 1024;
/** Async main-thread commands that may wait long: replies before them are not held back. */
const SLOW_ASYNC_COMMANDS = new Set(['wait', 'psync', 'sync', 'shutdown', 'replicaof', 'slaveof', 'failover']);

/**
 * EXEC is checked as the transaction it runs (Redis: processCommand): a write if any queued command
 * writes (READONLY, NOREPLICAS), and refused on a stale replica if any queued command is (MASTERDOWN).
 */
function execFlags(flags: number, queued: readonly QueuedCommand[]): number {
  for (const q of queued) {
    if (q.cmd.flags & F.WRITE) flags |= F.WRITE;
    if (q.cmd.flags & F.DENYOOM) flags |= F.DENYOOM;
    if (!(q.cmd.flags & F.STALE)) flags &= ~F.STALE;
  }
  return flags;
}

/** MONITOR hides passwords as Redis does: AUTH's, and HELLO's AUTH option's. */
function monitorArgs(cmd: Command, argv: string[]): string[] {
  if (cmd.name === 'auth') {
    if (argv.length > 1) argv[1] = '(redacted)';
    if (argv.length === 3) argv[2] = '(redacted)';
  } else if (cmd.name === 'hello') {
    for (let j = 2; j + 2 < argv.length; j++) {
      if (argv[j]!.toLowerCase() === 'auth') {
        argv[j + 1] = '(redacted)';
        argv[j + 2] = '(redacted)';
        j += 2;
      } else if (argv[j]!.toLowerCase() === 'setname') j++;
    }
  }
  return argv;
}

/** An argument as MONITOR shows it (Redis's sdscatrepr): quoted, with C escapes and \\xHH. */
function monitorRepr(a: string): string {
  let out = '"';
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0x5c || c === 0x22) out += '\\' + a[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c >= 0x20 && c < 0x7f) out += a[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

function rangePositions(first: number, last: number, step: number): number[] {
  const out: number[] = [];
  for (let i = first; i <= last; i += step) out.push(i);
  return out;
}

/** Arguments of an inline request as strings (quoted ones are already unescaped by the framer). */
function inlineArgs(conn: Connection, argc: number): string[] {
  const f = conn.framer;
  if (f.inlineArgs) return f.inlineArgs;
  const out: string[] = [];
  for (let i = 0; i < argc; i++) out.push(conn.inBuf.latin1Slice(f.argStart[i]!, f.argStart[i]! + f.argLen[i]!));
  return out;
}

function ceilPow2(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}

export function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

export const WORKER_PATH = fileURLToPath(new URL('../shard/worker.js', import.meta.url));

/** Top-level commands by nameHash of their names (lists: hash collisions). */
function nameHashIndex(table: CommandTable): Map<number, Command[]> {
  const index = new Map<number, Command[]>();
  for (const cmd of table.byId) {
    if (cmd.parent !== null) continue;
    const h = nameHash(cmd.name, 0, cmd.name.length);
    const list = index.get(h);
    if (list) list.push(cmd);
    else index.set(h, [cmd]);
  }
  return index;
}

/** FNV-1a of an ASCII name, lower-cased (command names are lower-case in the table). */
function nameHash(name: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** nameHash of a request's name bytes, folding A-Z to lower case. */
function nameHashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
  }
  return h >>> 0;
}
