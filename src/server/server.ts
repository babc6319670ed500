/*
 * Server: the main thread, wired together. It owns the configuration, the shard links, the
 * connections and the services it was built with (replication, pub/sub, persistence, scripting:
 * main.ts makes them), and starts and stops them. The work is done by its parts, one module each:
 *   clients.ts      accept, read, half-close and close connections;
 *   dispatch.ts     frame requests, look commands up, admission checks (admission.ts), MULTI queueing;
 *   main-runner.ts  run main-thread handlers (sync or async) and deliver their replies;
 *   router/route.ts send a keyed request to its shard's ring, or to the coordinator across shards;
 *   reply-pump.ts   the tick: drain the reply rings, write each connection once, resume held ones;
 *   monitor.ts      MONITOR;  client-pause.ts  CLIENT PAUSE and FAILOVER's write pause;
 *   cron.ts         the 100 ms cron;  shard-config.ts  the shards' configuration.
 * The methods below are the small API the commands and services use, declared by ServerContext
 * (main-ctx.ts): they depend on that interface, and only main.ts imports this class.
 */

import { holdYoungGeneration } from '../young-gen.js';
import net from 'node:net';
import type { Logger } from 'pino';
import { CommandTable } from '../commands/table.js';
import type { Config } from '../config.js';
import { RespWriter } from '../resp/writer.js';
import { hashSlot, slotToShardTable } from '../router/slot.js';
import type { ShardConfig } from '../shard/context.js';
import { MemoryGate } from './maxmemory.js';
import type { Connection } from './connection.js';
import type { MainHandler, ServerContext } from './main-ctx.js';
import { buildCommands } from './commands/index.js';
import type { CommandProps } from '../commands/registry.js';
import { configOp, resetstatOp, unwatchOp } from '../ipc/control.js';
import { ShardLink, type ShardReply } from './shard-link.js';
import { Coordinator } from '../router/coordinator.js';
import { ShardRouter } from '../router/route.js';
import { ClientTracking } from './tracking.js';
import { ServerStats } from './stats.js';
import { OutputLimits } from './output-limits.js';
import { Acl } from '../acl/acl.js';
import type { Replication } from '../replication/replication.js';
import type { PubSub } from './pubsub.js';
import type { Persistence } from '../persistence/persistence.js';
import type { ScriptEngine } from '../scripting/eval.js';
import { randomHex } from './ids.js';
import { Clients } from './clients.js';
import { Dispatcher } from './dispatch.js';
import { MainRunner } from './main-runner.js';
import { ReplyPump } from './reply-pump.js';
import { Monitor } from './monitor.js';
import { ClientPause } from './client-pause.js';
import { serverCron } from './cron.js';
import { shardConfig } from './shard-config.js';
import { openWakeSocket } from './wake-socket.js';

/** The services a server is built with (main.ts makes them, given the server they serve). */
export interface Services {
  readonly replication: Replication;
  readonly pubsub: PubSub;
  readonly persistence: Persistence;
  readonly scripting: ScriptEngine;
}

export class Server implements ServerContext {
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
  readonly runId = randomHex(40);
  readonly startedAt = Date.now();
  /** Main-thread handlers by command id. */
  readonly mainHandlers: readonly (MainHandler | undefined)[];
  /** ACL users and log (src/acl/). */
  readonly acl: Acl;

  // services
  /** This server's role and the replication stream (src/replication/). */
  readonly replication: Replication;
  /** Channels, patterns and their subscribers (pubsub.ts). */
  readonly pubsub: PubSub;
  /** RDB snapshots and the save schedule (src/persistence/). */
  readonly persistence: Persistence;
  /** EVAL's script cache and the running script (src/scripting/). */
  readonly scripting: ScriptEngine;

  // parts
  readonly clients: Clients = new Clients(this);
  readonly pump: ReplyPump = new ReplyPump(this);
  readonly dispatcher: Dispatcher;
  readonly runner: MainRunner = new MainRunner(this);
  readonly router: ShardRouter = new ShardRouter(this);
  readonly monitor: Monitor = new Monitor(this);
  readonly pause: ClientPause = new ClientPause(this);
  readonly outputLimits: OutputLimits;

  /** Reactions to CONFIG SET registered by other modules (replication, persistence, logging ...). */
  readonly configListeners: ((names: string[]) => void)[] = [];
  /** Clean-up on connection close registered by other modules (introspection ...). */
  readonly closeListeners: ((conn: Connection) => void)[] = [];

  private netServers: net.Server[] = [];
  private cronTimer: NodeJS.Timeout | null = null;
  private readonly implemented: [string, CommandProps][];
  private trackWrites = false;
  shuttingDown = false;
  /** Port actually listened on (the configured one, or the OS's pick for port 0). */
  port = 0;
  /** Called when the server has stopped (exit code). */
  onExit: (code: number) => void = () => {};
  /** Run at shutdown before exiting (the admin endpoint's listener). */
  readonly closers: (() => void)[] = [];
  /** Time of the last successful save (ms); the start time until something saves. */
  lastSave = Date.now();
  /** True while a replica loads its master's payload: commands without the loading flag get -LOADING. */
  loading = false;
  /** Set by persistence while writes (and PING) must be refused: the error (MISCONF), else null. */
  writeRefusal: string | null = null;

  /** CLIENT TRACKING state and invalidations (tracking.ts). */
  readonly tracking: ClientTracking = new ClientTracking({
    conns: this.conns,
    queueWrite: (c) => this.pump.queueWrite(c),
    configInt: (name) => this.config.int(name),
    setTrackWrites: (on) => {
      this.trackWrites = on;
      this.pushShardConfig();
    },
  });

  constructor(config: Config, log: Logger, services: (server: Server) => Services) {
    this.config = config;
    this.log = log;
    this.acl = new Acl(config);
    ({ table: this.table, mainHandlers: this.mainHandlers, implemented: this.implemented } = buildCommands());
    this.dispatcher = new Dispatcher(this);
    this.shardOfSlot = slotToShardTable(config.int('shards'));
    this.coordinator = new Coordinator(this);
    this.outputLimits = new OutputLimits(this);
    const svc = services(this);
    this.replication = svc.replication;
    this.pubsub = svc.pubsub;
    this.persistence = svc.persistence;
    this.scripting = svc.scripting;
  }

  /** The shard configuration derived from the server configuration. */
  shardConfig(): ShardConfig {
    const { activeExpire, cronPaused } = this.debugFlags;
    return shardConfig(this.config, { trackWrites: this.trackWrites, activeExpire, cronPaused, streamWanted: this.replication.hasBacklog() });
  }

  /** Send the shards their configuration again (a shard setting or the replication stream's takers changed). */
  pushShardConfig(): void {
    void this.allShards(configOp.request(this.shardConfig()));
  }

  /** DEBUG SET-ACTIVE-EXPIRE and DEBUG PAUSE-CRON (sent to the shards with their configuration). */
  readonly debugFlags = { activeExpire: true, cronPaused: false };

  // ---- lifecycle --------------------------------------------------------------------------

  async start(): Promise<void> {
    const n = this.config.int('shards');
    this.memGate = new MemoryGate(n);
    this.memGate.configure(this.config);
    const workerUrl = new URL('../shard/thread.js', import.meta.url);
    const wakeFd = await openWakeSocket(() => this.pump.onShardWake());
    // the shards' starts reset V8's flags (young-gen.ts), each at a moment of its own: held again
    // every few ms until they are up, or this thread's young generation may grow meanwhile
    const holding = setInterval(holdYoungGeneration, 2);
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
        wakeFd,
      });
      this.links.push(link);
      ready.push(
        new Promise<void>((resolve, reject) => {
          link.worker.once('message', () => resolve());
          link.worker.once('error', reject);
        }),
      );
      link.worker.on('message', () => this.pump.onShardWake());
      link.worker.on('error', (err) => this.shardDied(i, err));
      link.worker.on('exit', (code) => {
        if (!this.shuttingDown) this.shardDied(i, new Error(`shard ${i} exited with code ${code}`));
      });
    }
    try {
      await Promise.all(ready);
    } finally {
      clearInterval(holding);
    }
    this.pump.sleep();
    await this.listen();
    this.cronTimer = setInterval(() => serverCron(this), 100);
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
      const srv = net.createServer({ noDelay: true, allowHalfOpen: true, pauseOnConnect: true }, (s) => this.clients.accept(s));
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
      this.pump.tick();
    }
    this.pump.tick();
    this.replication.syncLog();
    for (const c of this.conns.values()) {
      c.flush();
      c.socket.end();
    }
    await Promise.all(this.links.map((l) => l.worker.terminate()));
    this.log.info('Redis is now ready to exit, bye bye...');
    this.onExit(code);
  }

  // ---- the API commands and services use --------------------------------------------------

  /** Bytes read from a client (or from our master's link). */
  input(conn: Connection, chunk: Buffer): void {
    this.clients.input(conn, chunk);
  }

  /** A replica's link to its master after the handshake: its stream is applied like requests. */
  attachMasterConnection(socket: net.Socket): Connection {
    return this.clients.attachMaster(socket);
  }

  closeConnection(conn: Connection): void {
    this.clients.close(conn);
  }

  /** Queue a held connection to continue parsing at the end of this tick. */
  resume(conn: Connection): void {
    this.pump.resume(conn);
  }

  scheduleTick(): void {
    this.pump.scheduleTick();
  }

  queueWrite(conn: Connection): void {
    this.pump.queueWrite(conn);
  }

  /** Deliver a complete reply produced on the main thread. */
  reply(conn: Connection, seq: number, bytes: Uint8Array, pushing = false): void {
    this.dispatcher.reply(conn, seq, bytes, pushing);
  }

  replyError(conn: Connection, seq: number, msg: string): void {
    this.dispatcher.replyError(conn, seq, msg);
  }

  /** End a Busy hold and continue parsing. */
  endBusy(conn: Connection): void {
    this.runner.endBusy(conn);
  }

  /** Publish keyspace events (a REP_NOTIFY body) caused by request `seq` of connection `connId` (0: none). */
  publishEvents(bytes: Uint8Array, connId: number, seq: number): void {
    this.pump.publishEvents(bytes, connId, seq);
  }

  shardOfKey(key: string): number {
    const b = Buffer.from(key, 'latin1');
    return this.shardOfSlot[hashSlot(b, 0, b.length)]!;
  }

  /** Propagate a command produced on the main thread (FLUSHALL, SWAPDB ...) to replicas. */
  propagate(db: number, argv: readonly (string | number | Uint8Array)[]): void {
    const w = new RespWriter(256);
    w.command(argv);
    this.replication.feed(db, w.buf.subarray(0, w.len));
  }

  /** Register a reaction to CONFIG SET (the names changed). */
  whenConfigChanged(listener: (names: string[]) => void): void {
    this.configListeners.push(listener);
  }

  /** Register a clean-up run when a connection closes. */
  whenClosed(listener: (conn: Connection) => void): void {
    this.closeListeners.push(listener);
  }

  /** Apply configuration changes that need action. */
  configChanged(names: string[]): void {
    if (names.some((n) => this.config.hasFlag(n, 'shard'))) this.pushShardConfig();
    if (names.some((n) => this.config.hasFlag(n, 'eviction'))) this.memGate.configure(this.config);
    if (names.includes('requirepass')) {
      const need = this.config.get('requirepass') !== '';
      for (const c of this.conns.values()) if (!need) c.framer.unauthenticated = false;
    }
    if (names.includes('client-output-buffer-limit')) this.outputLimits.configure();
    if (names.includes('tracking-table-max-keys')) this.tracking.enforceLimit();
    if (names.includes('proto-max-bulk-len')) for (const c of this.conns.values()) c.framer.maxBulkLen = this.config.int('proto-max-bulk-len');
    for (const listener of this.configListeners) listener(names);
  }

  resetStats(): void {
    this.stats.reset();
    void this.allShards(resetstatOp.request());
  }

  /** Drop every WATCH registration of a connection. */
  async unwatchAll(conn: Connection): Promise<void> {
    const shards = [...conn.watchShards];
    conn.watchShards.clear();
    conn.watched = [];
    if (shards.length > 0) await Promise.all(shards.map((s) => this.oneShard(s, unwatchOp.request(conn.id))));
  }

  /** Run a control op on every shard; resolves with each shard's raw RESP reply. */
  async allShards(argv: readonly (string | number | Uint8Array)[], db = 0): Promise<ShardReply[]> {
    const p = this.links.map((l) => l.control(argv, db));
    this.pump.scheduleTick();
    return Promise.all(p);
  }

  /** Run a control op on one shard. */
  async oneShard(shard: number, argv: readonly (string | number | Uint8Array)[], db = 0): Promise<ShardReply> {
    const p = this.links[shard]!.control(argv, db);
    this.pump.scheduleTick();
    return p;
  }
}

function ceilPow2(n: number): number {
  let p = 1024;
  while (p < n) p *= 2;
  return p;
}
