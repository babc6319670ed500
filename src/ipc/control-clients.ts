/*
 * Control operations about one client's state in the shards: WATCH, blocked requests (CLIENT UNBLOCK,
 * cross-shard stand-ins), a closed connection, and serving the clients a coordinated sequence made
 * ready. Shard side: src/shard/control.ts.
 */

import type { Args } from '../commands/args.js';
import type { RespWriter } from '../resp/writer.js';
import { numArg, readCount, strsFrom, type ControlArgv } from './control-common.js';

/** The connection an op about one connection is for: its argument 1 (shard side). */
const connIdOf = (a: Args): number => numArg(a, 1);

/** watch-touched <connId> -> whether a key the connection watches changed (its EXEC aborts) */
export const watchTouchedOp = {
  request: (connId: number): ControlArgv => ['watch-touched', connId],
  connId: connIdOf,
  write: (w: RespWriter, touched: boolean): void => w.int(touched ? 1 : 0),
  read: (reply: Buffer): boolean => readCount(reply) !== 0,
};

/** watch <connId> <db> <key>... -> OK */
export const watchOp = {
  request: (connId: number, db: number, keys: readonly string[]): ControlArgv => ['watch', connId, db, ...keys],
  args: (a: Args): { connId: number; db: number; keys: string[] } => ({ connId: connIdOf(a), db: numArg(a, 2), keys: strsFrom(a, 3) }),
};

/** unwatch <connId> -> OK */
export const unwatchOp = {
  request: (connId: number): ControlArgv => ['unwatch', connId],
  connId: connIdOf,
};

/** disconnect <connId> -> OK: the shard forgets the connection (blocked request, watches, scripts diverted) */
export const disconnectOp = {
  request: (connId: number): ControlArgv => ['disconnect', connId],
  connId: connIdOf,
};

/**
 * standin <connId> <db> <cmdId> <key>... -> OK: a client blocked on keys of several shards keeps its
 * place in the queues of these keys (src/shard/blocked.ts); unblock <connId> drop removes it
 */
export const standInOp = {
  request: (connId: number, db: number, cmdId: number, keys: readonly string[]): ControlArgv => ['standin', connId, db, cmdId, ...keys],
  args: (a: Args): { connId: number; db: number; cmdId: number; keys: string[] } => ({ connId: connIdOf(a), db: numArg(a, 2), cmdId: numArg(a, 3), keys: strsFrom(a, 4) }),
};

/** How CLIENT UNBLOCK ends a blocked request: a timeout's null reply, an error, or silently. */
export type UnblockMode = 'timeout' | 'error' | 'drop';

/** unblock <connId> <mode> -> whether the connection was blocked on this shard (CLIENT UNBLOCK's reply) */
export const unblockOp = {
  request: (connId: number, mode: UnblockMode): ControlArgv => ['unblock', connId, mode],
  args: (a: Args): { connId: number; mode: UnblockMode } => ({ connId: connIdOf(a), mode: a.str(2) as UnblockMode }),
  write: (w: RespWriter, unblocked: boolean): void => w.int(unblocked ? 1 : 0),
  read: (reply: Buffer): boolean => readCount(reply) === 1,
};

/** release-ready -> OK: serve the clients blocked on keys a coordinated sequence (EXEC, a script) filled */
export const releaseReadyOp = { request: (): ControlArgv => ['release-ready'] };

