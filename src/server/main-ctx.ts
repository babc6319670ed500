/*
 * The main thread's contexts, as interfaces and one small class:
 *   ServerContext  what the server's parts, its services' handlers and the other main-thread modules
 *                  see of the server: configuration, shard links, connections, services, parts and a
 *                  small API. Server (server.ts) implements it; only main.ts imports Server, so no
 *                  module depends on the class that wires them all together (no import cycle).
 *   MainCtx        what a main-thread command handler sees: the server, its services (typed:
 *                  replication, pubsub, persistence, scripting), the client connection, the parsed
 *                  arguments and a writer for its one reply. A handler may be async (keyspace-wide
 *                  commands ask every shard); the connection then waits for it before running its
 *                  next command, and the reply keeps its place in the connection's reply order.
 *
 * Layers: the coordinator, replication, persistence and pub/sub depend on their own host interfaces
 * (router/coordinator-host.ts, replication/host.ts, persistence/host.ts, PubSubHost), so they appear
 * here with their classes. The server's parts (clients.ts, dispatch.ts, reply-pump.ts ...) take a
 * ServerContext, so they appear here as ports: what the other modules use of each. The scripting
 * engine runs commands through MainCtx, so it appears as the port it implements
 * (scripting/service.ts, which imports nothing); the scripting modules reach the engine itself
 * through engineOf() (scripting/eval.ts).
 */

import type { Logger } from 'pino';
import type { Socket } from 'node:net';
import type { Acl } from '../acl/acl.js';
import type { Args } from '../commands/args.js';
import type { Command, CommandTable } from '../commands/table.js';
import type { Config } from '../config.js';
import type { Persistence } from '../persistence/persistence.js';
import type { Replication } from '../replication/replication.js';
import type { RespWriter } from '../resp/writer.js';
import type { ScriptingService } from '../scripting/service.js';
import type { Coordinator } from '../router/coordinator.js';
import type { ShardConfig } from '../shard/context.js';
import type { Connection } from './connection.js';
import type { MemoryGate } from './maxmemory.js';
import type { PubSub } from './pubsub.js';
import type { ShardLink, ShardReply } from './shard-link.js';
import type { ServerStats } from './stats.js';
import type { ClientTracking } from './tracking.js';

type Argv = readonly (string | number | Uint8Array)[];

// ---- ports: what other modules use of each part of the server ------------------------------------

/** clients.ts: accept, read, close. */
export interface ClientsPort {
  /** Close a half-closed client once everything it sent is answered. */
  endIfDone(conn: Connection): void;
  /** Connections that are neither replicas nor our master's link. */
  normalCount(): number;
  onClose(conn: Connection): void;
}

/** reply-pump.ts: the tick. */
export interface ReplyPumpPort {
  queueWrite(conn: Connection): void;
  /** Queue a held connection to continue parsing at the end of this tick. */
  resume(conn: Connection): void;
  scheduleTick(): void;
  /** The connection waits for room in this shard's request ring. */
  stallOn(conn: Connection, link: ShardLink): void;
  forget(conn: Connection): void;
}

/** dispatch.ts: framing, lookup, admission, MULTI queueing, replies. */
export interface DispatcherPort {
  /** The arguments of the request being dispatched. */
  args: Args;
  processInput(conn: Connection): void;
  /** Reply an error to the request being dispatched (true: handled). */
  reject(conn: Connection, msg: string): boolean;
  reply(conn: Connection, seq: number, bytes: Uint8Array, pushing?: boolean): void;
  replyError(conn: Connection, seq: number, msg: string): void;
}

/** main-runner.ts: main-thread handlers. */
export interface MainRunnerPort {
  run(conn: Connection, cmd: Command, args: Args): boolean;
  /** End a Busy hold and continue parsing. */
  endBusy(conn: Connection): void;
}

/** router/route.ts: a keyed request to its shard, or to the coordinator across shards. */
export interface RouterPort {
  route(conn: Connection, cmd: Command, args: Args): boolean;
}

/** monitor.ts: MONITOR. */
export interface MonitorPort {
  /** The connections in MONITOR mode. */
  readonly clients: Set<Connection>;
  /** Feed a command to the monitors (false: nobody watches). */
  dispatch(conn: Connection, cmd: Command, args: Args): boolean;
  feed(conn: Connection, argv: readonly string[], db?: number, source?: string): void;
}

/** client-pause.ts: CLIENT PAUSE and FAILOVER's write pause. */
export interface ClientPausePort {
  holds(conn: Connection, cmd: Command): boolean;
  pause(until: number, mode: 'write' | 'all'): void;
  setFailover(on: boolean): void;
}

/** output-limits.ts: client-output-buffer-limit. */
export interface OutputLimitsPort {
  /** The smallest limit configured: output below it is never checked. */
  readonly threshold: number;
  /** Close the client if its output is over its class's limit (true: closed). */
  check(conn: Connection, now?: number): boolean;
  cron(conns: Iterable<Connection>): void;
}

// ---- the server ----------------------------------------------------------------------------------

export interface ServerContext {
  readonly config: Config;
  readonly log: Logger;
  readonly table: CommandTable;
  readonly links: ShardLink[];
  readonly shardOfSlot: Uint8Array;
  readonly conns: Map<number, Connection>;
  readonly stats: ServerStats;
  readonly runId: string;
  readonly startedAt: number;
  /** Main-thread handlers by command id. */
  readonly mainHandlers: readonly (MainHandler | undefined)[];
  /** ACL users and log (src/acl/). */
  readonly acl: Acl;
  /** maxmemory: the shards' eviction board (maxmemory.ts). */
  readonly memGate: MemoryGate;
  /** CLIENT TRACKING state and invalidations (tracking.ts). */
  readonly tracking: ClientTracking;

  // services
  readonly coordinator: Coordinator;
  readonly replication: Replication;
  readonly pubsub: PubSub;
  readonly persistence: Persistence;
  /** EVAL's script cache and FUNCTION's libraries, as the server's parts see them. */
  readonly scripting: ScriptingService;

  // parts
  readonly clients: ClientsPort;
  readonly pump: ReplyPumpPort;
  readonly dispatcher: DispatcherPort;
  readonly runner: MainRunnerPort;
  readonly router: RouterPort;
  readonly monitor: MonitorPort;
  readonly pause: ClientPausePort;
  readonly outputLimits: OutputLimitsPort;

  /** Clean-up on connection close registered by other modules (whenClosed). */
  readonly closeListeners: readonly ((conn: Connection) => void)[];
  /** Run at shutdown before exiting. */
  readonly closers: (() => void)[];
  /** DEBUG SET-ACTIVE-EXPIRE and DEBUG PAUSE-CRON. */
  readonly debugFlags: { activeExpire: boolean; cronPaused: boolean };
  /** Port actually listened on. */
  readonly port: number;
  /** Time of the last successful save (ms). */
  lastSave: number;
  /** True while a replica loads its master's payload. */
  loading: boolean;
  /** Set by persistence while writes must be refused: the error (MISCONF), else null. */
  writeRefusal: string | null;

  shardConfig(): ShardConfig;
  pushShardConfig(): void;
  rebind(): Promise<boolean>;
  shutdown(code?: number): Promise<void>;
  input(conn: Connection, chunk: Buffer): void;
  attachMasterConnection(socket: Socket): Connection;
  closeConnection(conn: Connection): void;
  resume(conn: Connection): void;
  scheduleTick(): void;
  queueWrite(conn: Connection): void;
  reply(conn: Connection, seq: number, bytes: Uint8Array, pushing?: boolean): void;
  replyError(conn: Connection, seq: number, msg: string): void;
  endBusy(conn: Connection): void;
  publishEvents(bytes: Uint8Array, connId: number, seq: number): void;
  shardOfKey(key: string): number;
  propagate(db: number, argv: Argv): void;
  whenConfigChanged(listener: (names: string[]) => void): void;
  whenClosed(listener: (conn: Connection) => void): void;
  configChanged(names: string[]): void;
  resetStats(): void;
  unwatchAll(conn: Connection): Promise<void>;
  allShards(argv: Argv, db?: number): Promise<ShardReply[]>;
  oneShard(shard: number, argv: Argv, db?: number): Promise<ShardReply>;
}

// ---- one command -----------------------------------------------------------------------------------

export type MainHandler = (c: MainCtx) => void | Promise<void>;

export class MainCtx {
  constructor(
    readonly server: ServerContext,
    readonly conn: Connection,
    readonly cmd: Command,
    readonly args: Args,
    readonly w: RespWriter,
    /** This request's sequence number on the connection. */
    readonly seq: number,
  ) {}

  /** The reply is a pub/sub push ((un)subscribe confirmations): CLIENT REPLY OFF does not silence it. */
  pushing = false;

  get argc(): number {
    return this.args.argc;
  }

  /** The replication service (role, replicas, the stream). */
  get replication(): Replication {
    return this.server.replication;
  }

  /** The pub/sub service (subscriptions, publishing). */
  get pubsub(): PubSub {
    return this.server.pubsub;
  }

  /** The persistence service (SAVE, BGSAVE, the save schedule). */
  get persistence(): Persistence {
    return this.server.persistence;
  }

  /** The scripting service (what the server reads of it: scripting/service.ts). */
  get scripting(): ScriptingService {
    return this.server.scripting;
  }
}
