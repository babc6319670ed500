/*
 * ShardHost: what the shard's split-out parts (blocked.ts, control.ts, key-signals.ts, shipped.ts,
 * transaction.ts, scripting/shard-script.ts) use of the shard, as an interface: the command context they share with
 * the handlers (ShardCtx) plus the shard's state and the few entry points they call back into. Shard
 * (shard.ts) implements it; the parts import this module, never shard.ts, so shard.ts can import them
 * without an import cycle.
 */

import type { Command } from '../commands/table.js';
import type { RespWriter } from '../resp/writer.js';
import type { BlockedRequest, ShardConfig, ShardCtx } from './context.js';
import type { Evictor } from './eviction.js';
import type { ShardIntrospection } from './introspect.js';
import type { Snapshot } from './snapshot.js';
import type { Watches } from './watches.js';

/** The clients blocked on this shard (BlockedClients in blocked.ts), as the parts use them. */
export interface BlockedSet {
  /** Parked requests by "db\0key", in arrival order. */
  readonly byKey: Map<string, BlockedRequest[]>;
  readonly byConn: Map<number, BlockedRequest>;
  /** "db\0key" made ready for their waiters, to serve. */
  readyKeys: string[];
  add(req: BlockedRequest): void;
  remove(req: BlockedRequest): void;
  /** A key became ready (pushed to, added to ...). */
  keyReady(db: number, key: string): void;
  /** A key with XREADGROUP waiters was written, deleted or replaced: let them check it. */
  signalGroupReaders(db: number, key: string): void;
  /** How many clients are blocked here (stand-ins are counted by the main thread), and with a timeout. */
  counts(): { blocked: number; timed: number };
  /** Requests whose deadline passed, and ms until the next deadline. */
  due(now: number): { expired: BlockedRequest[]; next: number };
}

export interface ShardHost extends ShardCtx {
  config: ShardConfig;
  /** The blocked request being re-run for a ready key, or null. */
  serving: BlockedRequest | null;
  /** The request just run blocked (or stayed blocked when re-run). */
  reblocked: boolean;
  /** Ready keys are held (not served) until a coordinated sequence releases them. */
  readyHold: boolean;
  protocol: 2 | 3;
  readonly shardCount: number;
  readonly commands: readonly Command[];
  readonly blocked: BlockedSet;
  readonly watches: Watches;
  readonly intro: ShardIntrospection;
  readonly evictor: Evictor;
  /** The full-sync snapshot being taken, or null. */
  snapshot: Snapshot | null;
  commandsProcessed: number;
  /** Keys lazily expired while a script runs here (kept if the script rolls back). */
  expiredLog: string[] | null;
  /** Keys installed for a shipped command (shipped.ts), and those it modified. */
  shippedKeys: Set<string> | null;
  readonly shippedModified: Set<string>;

  /** Start a snapshot at this point of the request stream. */
  beginSnapshot(): void;
  /** Append a reply record to the reply ring. */
  emit(kind: number, flags: number, db: number, connId: number, seq: number, reply: RespWriter | null, prop: { buf: Buffer; len: number } | null, tail?: Buffer | null): void;
  /** Frame one RESP multibulk request at body[start, ...) into args. */
  frameBody(body: Buffer, start: number): void;
  /** Run the request at body[start, start+len) in the current context (reply in w, writes in p). */
  runBody(body: Buffer, start: number, len: number, cmdId: number): void;
  /** Run a request given as binary strings (a blocked request re-run). */
  runArgv(argv: string[], cmdId: number): void;
  /**
   * One command of a script running in this shard (request req[0, len), its argc arguments at
   * starts[i], lens[i]): its reply left in w, its writes in p.
   */
  runNested(cmdId: number, req: Buffer, len: number, starts: Int32Array, lens: Int32Array, argc: number, db: number, proto: 2 | 3): void;
}
