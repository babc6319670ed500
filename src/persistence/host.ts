/*
 * What the persistence service uses of the server and of replication, as interfaces (so that
 * src/persistence depends on no server module: Server and Replication satisfy these structurally).
 */

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Connection } from '../server/connection.js';
import type { Config } from '../config.js';
import type { ShardReply } from '../server/shard-link.js';
import type { ReplicationBacklog } from '../replication/backlog.js';
import type { StreamLog } from '../replication/stream-log.js';

type Argv = readonly (string | number | Uint8Array)[];

export interface ReplView {
  replid: string;
  masterOffset: number;
  backlog: ReplicationBacklog | null;
  lastDb: number;
  /** Writes propagated (or applied) since start. */
  changes: number;
  restoredStreamDb: number;
  attachLog(log: StreamLog): void;
  streamDb(): number;
  createBacklog(): void;
  flush(): void;
  isReplica(): boolean;
  hasBacklog(): boolean;
  /** The replicas connected to us (state 1: receiving a payload, 2: online). */
  replicas: readonly { state: number; ackOffset: number; ip: string; listeningPort: number; conn: Connection }[];
  waitForAcks(offset: number, need: number, timeoutMs: number): Promise<number>;
}

/** The function libraries (FUNCTION LOAD), saved in and loaded from RDB files as Redis does. */
export interface FunctionLibraries {
  /** The libraries as RDB FUNCTION2 records (empty when there are none). */
  records(): Buffer;
  /** Replace every library with these codes; an error text when one does not load. */
  replace(codes: readonly string[]): string | null;
}

export interface PersistHost {
  readonly config: Config;
  readonly log: Logger;
  readonly links: readonly unknown[];
  readonly shardOfSlot: Uint8Array;
  readonly coordinator: { lock(shards: number[]): Promise<void>; unlock(shards: number[]): void; quiesce(): Promise<void> };
  readonly closers: (() => void)[];
  readonly replication: ReplView;
  lastSave: number;
  loading: boolean;
  writeRefusal: string | null;
  allShards(argv: Argv, db?: number): Promise<ShardReply[]>;
  oneShard(shard: number, argv: Argv, db?: number): Promise<ShardReply>;
  shutdown(code?: number): Promise<void>;
  whenConfigChanged(listener: (names: string[]) => void): void;
  readonly pause: { setFailover(on: boolean): void };
  input(conn: Connection, chunk: Buffer): void;
  attachMasterConnection(socket: Socket): Connection;
  closeConnection(conn: Connection): void;
}

/** `make(server)` once per server: the persistence services are one per server, made on first use. */
export function perServer<T>(make: (server: PersistHost) => T): (server: PersistHost) => T {
  const made = new WeakMap<PersistHost, T>();
  return (server) => {
    let v = made.get(server);
    if (v === undefined) {
      v = make(server);
      made.set(server, v);
    }
    return v;
  };
}
