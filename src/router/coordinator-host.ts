/*
 * What the coordinator (coordinator.ts, stream-block.ts) uses of the server, as an interface (so
 * that src/router's coordinator depends on no module that depends back on it: Server satisfies
 * this structurally).
 */

import type { Logger } from 'pino';
import type { CommandTable } from '../commands/table.js';
import type { Connection } from '../server/connection.js';
import type { ShardLink } from '../server/shard-link.js';
import type { ServerStats } from '../server/stats.js';

export interface CoordinatorHost {
  readonly log: Logger;
  readonly table: CommandTable;
  readonly links: readonly ShardLink[];
  readonly stats: ServerStats;
  /** The replication stream cross-shard writes are fed to (wrapped in MULTI/EXEC). */
  readonly replication: { feed(db: number, data: Uint8Array): void; hasBacklog(): boolean };
  shardOfKey(key: string): number;
  scheduleTick(): void;
  /** Deliver a complete reply, in the connection's reply order. */
  reply(conn: Connection, seq: number, bytes: Uint8Array): void;
  replyError(conn: Connection, seq: number, msg: string): void;
  /** End a Busy hold and continue parsing. */
  endBusy(conn: Connection): void;
  /** Publish keyspace events (REP_NOTIFY bodies) caused by request `seq` of connection `connId`. */
  publishEvents(bytes: Uint8Array, connId: number, seq: number): void;
}
