/*
 * The checks redis-server's scriptCall makes before a script's redis.call runs a command (unknown
 * command, arity, noscript, a write in a read-only script or where writes are refused), shared by
 * the main-thread runner (script-run.ts) and the in-shard runner (shard-script.ts).
 */

import { F, arityOk, type Command } from '../commands/table.js';
import * as E from '../resp/errors.js';
import type { CallArgs } from './host.js';

/** The command (or subcommand) argv names, through a top-level lookup by lower-case name. */
export function lookupScriptCommand(get: (name: string) => Command | undefined, argv: CallArgs): Command | undefined {
  let cmd = get(argv.lower(0));
  if (cmd?.subcommands && argv.length >= 2) cmd = cmd.subcommands.get(argv.lower(1));
  return cmd;
}

/**
 * The error text a script's call of `cmd` gets, or null if it may run. `writeDenied` says why writes
 * are refused right now (read-only replica, too few good replicas), or null.
 */
export function checkScriptCommand(
  cmd: Command | undefined,
  argv: CallArgs,
  readOnly: boolean,
  writeDenied: () => string | null,
): string | null {
  if (cmd === undefined) return E.UNKNOWN_COMMAND;
  if (cmd.subcommands !== null && argv.length < 2) return E.WRONG_ARITY;
  if (!arityOk(cmd, argv.length)) return E.WRONG_ARITY;
  if (cmd.flags & F.NOSCRIPT) return E.NOT_ALLOWED;
  if (cmd.flags & F.WRITE) {
    if (readOnly) return E.WRITE_IN_RO;
    return writeDenied();
  }
  return null;
}

/** The key positions of a command whose one key is its first argument (GET, SET, INCR, ...). */
export const KEY_AT_1: readonly number[] = [1];
/** By command id: 1 if its only key is its first argument whatever its arguments, 2 if not, 0 not known yet. */
const keyAt1 = new Uint8Array(4096);

export function oneKeyAt1(cmd: Command): boolean {
  let v = keyAt1[cmd.id]!;
  if (v === 0) {
    const [spec, more] = cmd.keySpecs;
    const yes = spec !== undefined && more === undefined && !spec.f.includes('NOT_KEY') && spec.b[0] === 'i' && spec.b[1] === 1 && spec.k[0] === 'r' && spec.k[1] === 0;
    v = yes ? 1 : 2;
    if (cmd.id < keyAt1.length) keyAt1[cmd.id] = v;
  }
  return v === 1;
}
