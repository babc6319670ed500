/*
 * The per-request ACL check of the main thread (run before routing, so keys on any shard are
 * checked against the connection's user), with the ACL LOG entry of a denial.
 */

import type { Args } from '../commands/args.js';
import type { Command } from '../commands/table.js';
import { clientInfoLine } from '../server/commands/client.js';
import type { Connection } from '../server/connection.js';
import type { Server } from '../server/server.js';
import { DENIED_CMD, checkCommand, denialError, type Denial } from './acl.js';

/** Log a denial as addACLLogEntry does (object: the command's full name, or the key/channel). */
export function logDenial(s: Server, conn: Connection, d: Denial, cmd: Command, argv: readonly string[], context: string): void {
  const user = conn.aclUser ?? s.acl.defaultUser;
  const object = d.reason === DENIED_CMD ? cmd.name : argv[d.pos]!;
  s.acl.addLog(d.reason, context, object, user.name, clientInfoLine(s, conn));
}

/** The NOPERM error for a request the connection's user may not run (logged), or null. */
export function aclDenied(s: Server, conn: Connection, cmd: Command, args: Args): string | null {
  const user = conn.aclUser ?? s.acl.defaultUser;
  const argv = args.all(0);
  const d = checkCommand(user, cmd, argv);
  if (d === null) return null;
  logDenial(s, conn, d, cmd, argv, conn.multi !== null ? 'multi' : 'toplevel');
  return denialError(d, cmd);
}
