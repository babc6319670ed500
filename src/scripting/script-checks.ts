/*
 * The checks EVAL and FCALL (eval.ts, functions.ts) share: numkeys, may a script write here, and
 * SCRIPT KILL / FUNCTION KILL.
 */

import * as E from '../resp/errors.js';
import type { MainCtx } from '../server/main-ctx.js';
import { engineOf } from './engine-api.js';

/**
 * What redis-server checks before running a script that declares its flags (a shebang script or a
 * function) and may write: not on a read-only replica, not through a *_RO command, not without
 * enough good replicas.
 */
export function checkMayWrite(c: MainCtx, readOnlyCommand: boolean): void {
  const s = c.server;
  if (!c.conn.isMaster && s.replication.isReplica() && s.config.bool('replica-read-only')) throw new E.CommandError(E.READONLY_REPLICA);
  if (readOnlyCommand) throw new E.CommandError(E.RO_WITH_WRITE_FLAG);
  const need = s.config.int('min-replicas-to-write');
  if (!c.conn.isMaster && !s.replication.isReplica() && need > 0 && s.replication.goodReplicas() < need) throw new E.CommandError(E.NOREPLICAS);
}

/**
 * The numkeys argument, checked as redis-server checks it (a non-integer: EVAL's generic integer
 * error, FCALL's `notInteger`).
 */
export function numkeysOf(c: MainCtx, notInteger?: string): number {
  let n: number;
  try {
    n = c.args.int(2);
  } catch (e) {
    if (notInteger === undefined) throw e;
    throw new E.CommandError(notInteger);
  }
  if (n > c.argc - 3) throw new E.CommandError(E.NUMKEYS_GT_ARGS);
  if (n < 0) throw new E.CommandError(E.NUMKEYS_NEGATIVE);
  return n;
}

/** SCRIPT KILL / FUNCTION KILL (redis-server's scriptKill): the checks, then the kill flag. */
export function killRunning(c: MainCtx, fn: boolean): void {
  const eng = engineOf(c.server);
  const run = eng.running;
  if (run === null || eng.runningInfo === null) throw new E.CommandError(E.NOTBUSY);
  if (run.wrote) throw new E.CommandError(E.UNKILLABLE);
  if (eng.runningInfo.fn !== fn) throw new E.CommandError(fn ? E.BUSY : E.BUSY_FUNCTION);
  run.killed = true;
}

/** A redis.log line, in the server's log at the matching level. */
export function logScriptLine(s: MainCtx['server'], level: number, msg: string): void {
  if (level >= 3) s.log.warn(msg);
  else if (level === 2) s.log.info(msg);
  else s.log.debug(msg);
}

/** Why a write a script calls is refused now (read-only replica, too few good replicas), or null. */
export function writeDenied(c: MainCtx): string | null {
  const s = c.server;
  if (c.conn.isMaster) return null;
  if (s.replication.isReplica() && s.config.bool('replica-read-only')) return E.READONLY_REPLICA;
  const need = s.config.int('min-replicas-to-write');
  if (!s.replication.isReplica() && need > 0 && s.replication.goodReplicas() < need) return E.NOREPLICAS;
  return null;
}
