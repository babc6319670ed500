/*
 * Admission: the checks a looked-up request passes before it runs, in Redis's order
 * (processCommand): authentication, loading, ACL, a replica's read-only mode and min-replicas-to-write,
 * a failed save's MISCONF, maxmemory, the RESP2 subscribed context, a stale replica, a busy script.
 * Each refusal is the error reply Redis gives.
 */

import type { Args } from '../commands/args.js';
import { F, X, type Command } from '../commands/table.js';
import { aclDenied } from '../acl/check.js';
import * as E from '../resp/errors.js';
import { scriptBusyReply } from '../scripting/eval.js';
import type { Connection, QueuedCommand } from './connection.js';
import type { ServerContext } from './main-ctx.js';

/**
 * The error refusing this request, or null to run it. `flags`: the command's flags (EXEC's are its
 * transaction's, see execFlags); `inMulti`: the request would be queued in MULTI.
 */
export function refusal(s: ServerContext, conn: Connection, cmd: Command, args: Args, flags: number, inMulti: boolean): string | null {
  if (!conn.authenticated && !(cmd.flags & F.NO_AUTH)) return E.NOAUTH;
  if (conn.isMaster) {
    // the master's stream is not refused: its commands wait on the shard locks like any other
    return conn.proto === 2 && conn.subscriptionCount() > 0 && !(cmd.x & X.PUBSUB_CONTEXT) ? E.onlyInPubSubContext(cmd.name) : null;
  }
  if (s.loading && !(cmd.flags & F.LOADING)) return E.LOADING;
  if (!(conn.aclUser ?? s.acl.defaultUser).unrestricted) {
    const denied = aclDenied(s, conn, cmd, args);
    if (denied !== null) return denied;
  }
  const repl = s.replication;
  if (flags & F.WRITE) {
    if (repl.isReplica()) {
      if (s.config.bool('replica-read-only')) return E.READONLY_REPLICA;
    } else {
      const need = s.config.int('min-replicas-to-write');
      if (need > 0 && repl.goodReplicas() < need) return E.NOREPLICAS;
    }
  }
  // MISCONF after a failed save or AOF write
  if (s.writeRefusal !== null && (flags & F.WRITE || cmd.name === 'ping')) return s.writeRefusal;
  // over maxmemory: denyoom commands are refused, and anything queued in MULTI (Redis: processCommand)
  if ((flags & F.DENYOOM || inMulti) && s.memGate.refuse(repl.isReplica())) return E.OOM;
  if (conn.proto === 2 && conn.subscriptionCount() > 0 && !(cmd.x & X.PUBSUB_CONTEXT)) return E.onlyInPubSubContext(cmd.name);
  if (!(flags & F.STALE) && repl.isReplica() && !repl.linkUp() && !s.config.bool('replica-serve-stale-data')) return E.MASTERDOWN;
  const busy = scriptBusyReply(s);
  if (busy !== null && !(flags & F.ALLOW_BUSY)) return busy;
  return null;
}

/**
 * EXEC is checked as the transaction it runs (Redis: processCommand): a write if any queued command
 * writes (READONLY, NOREPLICAS), and refused on a stale replica if any queued command is (MASTERDOWN).
 */
export function execFlags(flags: number, queued: readonly QueuedCommand[]): number {
  for (const q of queued) {
    if (q.cmd.flags & F.WRITE) flags |= F.WRITE;
    if (q.cmd.flags & F.DENYOOM) flags |= F.DENYOOM;
    if (!(q.cmd.flags & F.STALE)) flags &= ~F.STALE;
  }
  return flags;
}
