/*
 * StreamLog: what records the replication stream besides the backlog (the append-only file,
 * persistence/aof.ts). Its own module so that persistence and replication both name it without
 * importing each other.
 */

/** What records the replication stream besides the backlog: the append-only file (persistence/aof.ts). */
export interface StreamLog {
  /** Whether fed() and applied() record anything now (the stream's hot path makes no view of its bytes otherwise). */
  recording(): boolean;
  /** A write this server propagates, for database `db`. */
  fed(db: number, data: Uint8Array): void;
  /** On a replica: one command of its master's stream, applied. */
  applied(command: Uint8Array): void;
  /** On a replica: a full sync replaced the data (the log starts over from it). */
  fullSyncLoaded(): void;
  /**
   * Make durable every write recorded so far now (appendfsync always), and run the syncThen()
   * callbacks still waiting, in order.
   */
  sync(): void;
  /** True while some write recorded is not durable yet (an fsync to come, or one in flight). */
  pending(): boolean;
  /**
   * Run `then` once every write recorded so far is durable, with an fsync off the event loop (on
   * libuv's pool); false (`then` not called) when they all are already.
   */
  syncThen(then: () => void): boolean;
}
