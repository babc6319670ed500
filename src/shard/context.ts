/*
 * ShardCtx: what a shard command handler sees. One instance per shard, reused for every command (no
 * allocation per command): the arguments, the selected database, the reply writer, the propagation
 * writer, and the request's identity (connection, sequence) for commands that block.
 *
 * Handler contract ("parse, then apply"):
 *   - read and validate all arguments through c.args first; throw CommandError for errors;
 *   - then read/modify c.db, write exactly one reply into c.w;
 *   - a write that changed the dataset calls c.propagate() (the request as received) or
 *     c.propagateCommand([...]) (a deterministic rewrite, e.g. SET ... PXAT for SET ... EX);
 *   - in-place modifications of aggregates call c.db.modified(key) (WATCH).
 */

import type { Args } from '../commands/args.js';
import type { Command } from '../commands/table.js';
import type { RespWriter } from '../resp/writer.js';
import type { Db, Keyspace } from './keyspace.js';
import type { StrValue } from './values/types.js';

export type ShardHandler = (c: ShardCtx) => void;

/** Values a shard handler may need from the server configuration (sent at start and on CONFIG SET). */
export interface ShardConfig {
  protoMaxBulkLen: number;
  /** Most bytes one reply may take (see replyLimitBytes in src/server/shard-config.ts). */
  replyMaxBytes: number;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  listMaxListpackSize: number;
  streamNodeMaxBytes: number;
  streamNodeMaxEntries: number;
  hz: number;
  activeExpireEnabled: boolean;
  /** DEBUG PAUSE-CRON: the periodic work (active expiry) is suspended. */
  cronPaused: boolean;
  lazyfreeLazyExpire: boolean;
  lazyfreeLazyUserDel: boolean;
  lazyfreeLazyUserFlush: boolean;
  hllSparseMaxBytes: number;
  /** maxmemory and its companions (eviction.ts) */
  maxmemory: number;
  maxmemoryPolicy: string;
  maxmemorySamples: number;
  maxmemoryEvictionTenacity: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
  lazyfreeLazyEviction: boolean;
  replicaIgnoreMaxmemory: boolean;
  /** Keyspace notification classes the shard records (0: none; see commands/keyspace-events.ts). */
  notifyFlags: number;
  /** Some client uses CLIENT TRACKING: report every modified key (tracking invalidation). */
  trackWrites: boolean;
  /**
   * Something takes the replication stream (a backlog exists, or appendonly is on): when false, a
   * large write's propagation (its request bytes) is replaced by a PING, which still counts the change.
   */
  streamWanted: boolean;
  /** `keyspace-store`: bytes (keys and scalar values outside the V8 heap, src/store/) or heap. */
  keyspaceStore: string;
}

export const DEFAULT_SHARD_CONFIG: ShardConfig = {
  protoMaxBulkLen: 512 * 1024 * 1024,
  replyMaxBytes: 512 * 1024 * 1024,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
  hz: 10,
  activeExpireEnabled: true,
  cronPaused: false,
  lazyfreeLazyExpire: false,
  lazyfreeLazyUserDel: false,
  lazyfreeLazyUserFlush: false,
  hllSparseMaxBytes: 3000,
  maxmemory: 0,
  maxmemoryPolicy: 'noeviction',
  maxmemorySamples: 5,
  maxmemoryEvictionTenacity: 10,
  lfuLogFactor: 10,
  lfuDecayTime: 1,
  lazyfreeLazyEviction: false,
  replicaIgnoreMaxmemory: true,
  notifyFlags: 0,
  trackWrites: false,
  streamWanted: true,
  keyspaceStore: 'bytes',
};

export const enum PropMode {
  None = 0,
  /** Propagate the request bytes exactly as received. */
  AsIs = 1,
}

/** A blocking request parked on a shard until a key is ready or the timeout passes. */
export interface BlockedRequest {
  connId: number;
  seq: number;
  db: number;
  proto: 2 | 3;
  cmd: Command;
  /** The request's arguments as binary strings (the ring memory is reused). */
  argv: string[];
  /** Keys it waits on. */
  keys: string[];
  /** Absolute deadline in ms, or 0 for none. */
  deadline: number;
  /**
   * A stand-in for a client blocked on keys of several shards (parked on the main thread, retried by
   * the coordinator): it keeps the client's place in the queue of each of its keys on this shard, so
   * that clients blocked here after it are not served before it. It never runs and never times out
   * here; the main thread drops it when the client's wait ends.
   */
  standIn?: true;
}

export interface ShardCtx {
  readonly args: Args;
  /** Argument count (args.argc). */
  argc: number;
  db: Db;
  readonly ks: Keyspace;
  /** The reply. */
  readonly w: RespWriter;
  /** Propagation bytes for the replication stream (RESP commands in this request's db). */
  readonly p: RespWriter;
  cmd: Command;
  connId: number;
  seq: number;
  /** Request flags (FLAG_* from ipc/records). */
  flags: number;
  /** Milliseconds since the epoch (cached per batch). */
  now: number;
  readonly config: ShardConfig;
  /** Index of this shard. */
  readonly shard: number;
  propMode: PropMode;
  /** The parked request being re-run for a ready key, else null. */
  readonly serving: BlockedRequest | null;

  /** Reply with a string value as stored (a large one is sent from its bytes, not copied first). */
  bulkValue(v: StrValue): void;
  /** Propagate the request as received. */
  propagate(): void;
  /** Propagate a rewritten command instead (may be called several times). */
  propagateCommand(parts: readonly (string | number | Uint8Array)[]): void;
  /** True inside MULTI/EXEC, a coordinated (cross-shard) run or the master's stream: blocking commands reply at once. */
  mustNotBlock(): boolean;
  /**
   * Record a keyspace event (class NOTIFY_* from commands/keyspace-events.ts) for `key` in the current
   * db (or db `db`); a no-op unless notify-keyspace-events enables the class. Call it after the change, in the
   * order the changes happen (as Redis's notifyKeyspaceEvent).
   */
  notify(type: number, event: string, key: string, db?: number): void;
  /** Park this request until one of `keys` is ready or `timeoutMs` (0 = forever) passes; no reply now. */
  block(keys: string[], timeoutMs: number, argv?: string[]): void;
}

/** What a Shard is built from (worker.ts). */
export interface ShardOptions {
  index: number;
  shards: number;
  databases: number;
  requestRing: SharedArrayBuffer;
  replyRing: SharedArrayBuffer;
  commands: readonly Command[];
  /** Handlers by command id (handlersById in src/commands/registry.ts). */
  handlers: readonly (ShardHandler | undefined)[];
  config: ShardConfig;
  /** Called when the main thread asked to be woken after replies are published. */
  wakeMain: () => void;
  /** The maxmemory board shared by all shards (eviction.ts). */
  evictBoard?: SharedArrayBuffer;
  /** The body of a FLAG_SHARED_BODY request, by its id (worker.ts). */
  sharedBody?: (id: number) => Buffer;
  /** Hand a value in shared memory to the main thread for the next FLAG_SHARED_BODY reply record. */
  postSharedReply?: (b: Buffer) => void;
}
