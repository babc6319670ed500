/*
 * The per-request ACL check of the main thread (run before routing, so keys on any shard are
 * checked against the connection's user), with the ACL LOG entry of a denial.
 */

import type { Args } from '../commands/args.js';
import type { Command } from '../commands/table.js';
import { clientInfoLine } from '../server/commands/client.js';
import type { Connection } from '../server/connection.js';
import type { ServerContext } from '../server/main-ctx.js';
import { noPermExec } from '../resp/errors.js';
import { DENIED_CMD, checkCommand, denialError, type Denial } from './acl.js';

/** Log a denial as addACLLogEntry does (object: the command's full name, or the key/channel). */
export function logDenial(s: ServerContext, conn: Connection, d: Denial, cmd: Command, argv: readonly string[], context: string): void {
  const user = conn.aclUser ?? s.acl.defaultUser;
  const object = d.reason === DENIED_CMD ? cmd.name : argv[d.pos]!;
  s.acl.addLog(d.reason, context, object, user.name, clientInfoLine(s, conn));
}

/** The NOPERM error for a request the connection's user may not run (logged), or null. */
export function aclDenied(s: ServerContext, conn: Connection, cmd: Command, args: Args): string | null {
  const user = conn.aclUser ?? s.acl.defaultUser;
  const argv = args.all(0);
  const d = checkCommand(user, cmd, argv);
  if (d === null) return null;
  logDenial(s, conn, d, cmd, argv, conn.multi !== null ? 'multi' : 'toplevel');
  return denialError(d, cmd);
}

const EXEC_REASONS: Record<number, string> = {
  1: 'no permission to execute the command or subcommand',
  2: 'no permission to touch the specified keys',
  4: 'no permission to access one of the channels used as arguments',
};

/**
 * EXEC re-checks every queued command (the rules may have changed since it was queued): the error
 * replies of the commands no longer allowed, by queue index (logged with context "multi"), or null.
 */
export function execDenials(s: ServerContext, conn: Connection, queued: readonly { cmd: Command; argv: string[] }[]): Map<number, string> | null {
  const user = conn.aclUser ?? s.acl.defaultUser;
  if (user.unrestricted) return null;
  let out: Map<number, string> | null = null;
  for (let i = 0; i < queued.length; i++) {
    const q = queued[i]!;
    const d = checkCommand(user, q.cmd, q.argv);
    if (d === null) continue;
    logDenial(s, conn, d, q.cmd, q.argv, 'multi');
    (out ??= new Map()).set(i, noPermExec(EXEC_REASONS[d.reason] ?? 'no permission'));
  }
  return out;
}
