/*
 * The main thread's side of the script fast path (shard-script.ts is the shard's): an EVAL/EVALSHA
 * whose KEYS all live on one shard (no keys: shard 0) runs inside that shard's worker as one control
 * request, holding only that shard, instead of as a coroutine on the main thread holding every shard
 * and paying a ring round trip per redis.call. If the script turns out to need more (another
 * shard's key, a main-thread command, running past busy-reply-threshold), the shard undoes it and
 * says so, and the caller runs it on the slow path (eval.ts). A script that keeps needing the slow
 * path is sent there directly from then on.
 */

import { ReplyErrorValue, parseOne } from '../resp/reply-parser.js';
import type { MainCtx } from '../server/main-ctx.js';
import type { ShardReply } from '../server/shard-link.js';
import { propagateForConnection } from '../server/commands/transactions.js';
import { logScriptLine, writeDenied } from './script-run.js';
import { SCRIPT_DONE, SCRIPT_NEEDS_BODY } from './shard-script.js';

/** What the fast path keeps per cached script. */
export interface FastPathState {
  body: string;
  /** Shards that have been sent the body (they compile and keep it). */
  sentTo: Set<number>;
  fastRuns: number;
  fallbacks: number;
}

export function newFastPathState(body: string): FastPathState {
  return { body, sentTo: new Set(), fastRuns: 0, fallbacks: 0 };
}

/** True if scripts like this one mostly leave their shard (then the slow path is taken at once). */
function mostlyFallsBack(f: FastPathState): boolean {
  return f.fallbacks >= 3 && f.fallbacks * 8 > f.fastRuns;
}

/**
 * Run the script in one shard if it qualifies; true if it ran there (its reply is in c.w), false if
 * the caller must run it on the main thread (nothing of it happened).
 */
export async function tryRunInShard(c: MainCtx, sha: string, f: FastPathState, numkeys: number, readOnly: boolean): Promise<boolean> {
  const s = c.server;
  // the shard cannot check ACL rules: a restricted user's scripts run on the main thread
  if (s.monitor.clients.size > 0 || mostlyFallsBack(f) || !(c.conn.aclUser ?? s.acl.defaultUser).unrestricted) return false;
  let sh = 0;
  for (let i = 0; i < numkeys; i++) {
    const k = s.shardOfKey(c.args.str(3 + i));
    if (i === 0) sh = k;
    else if (k !== sh) return false;
  }
  const conn = c.conn;
  const argv: (string | number)[] = ['script', sha, '', conn.db, conn.proto, readOnly ? 1 : 0, writeDenied(c) ?? '', s.config.int('busy-reply-threshold'), numkeys];
  for (let i = 3; i < c.argc; i++) argv.push(c.args.str(i));
  if (!f.sentTo.has(sh)) argv[2] = f.body;
  let r = await sendWhenFree(c, sh, argv);
  if (statusOf(r.reply) === SCRIPT_NEEDS_BODY) {
    // the shard dropped it from its cache: nothing ran, send it again with the body
    argv[2] = f.body;
    r = await sendWhenFree(c, sh, argv);
  }
  f.sentTo.add(sh);
  const v = parseOne(r.reply);
  // writes to propagate: the script's (done), or DELs of keys that expired meanwhile (fallback)
  if (r.prop.length > 0) propagateForConnection(s, conn, [{ db: r.db, bytes: r.prop }]);
  if (!Array.isArray(v) || v[0] !== SCRIPT_DONE) {
    if (v instanceof ReplyErrorValue) s.log.error(`script fast path: ${v.message}`);
    f.fallbacks++;
    return false;
  }
  f.fastRuns++;
  s.stats.commandsProcessed += Number(v[2]);
  for (const line of v[3] as string[]) logScriptLine(s, Number(line[0]), line.slice(1));
  c.w.raw(Buffer.from(v[1] as string, 'latin1'));
  return true;
}

/**
 * Put the request in the shard's ring at the first moment no coordinated command holds the shard,
 * and wait for its reply. The lock is held only while the request is queued: the shard runs the
 * script in one synchronous step, between the requests queued before and after it, so nothing
 * interleaves with it, and other requests for that shard (other scripts too) queue behind it
 * instead of waiting for its reply.
 */
async function sendWhenFree(c: MainCtx, sh: number, argv: readonly (string | number)[]): Promise<ShardReply> {
  const s = c.server;
  await s.coordinator.lock([sh]);
  let p: Promise<ShardReply>;
  try {
    p = s.links[sh]!.control(argv, c.conn.db);
  } finally {
    s.coordinator.unlock([sh]);
  }
  s.scheduleTick();
  return p;
}

function statusOf(reply: Buffer): number {
  // "*4\r\n:<status>\r\n..."
  return reply[0] === 0x2a && reply[4] === 0x3a ? reply[5]! - 48 : -1;
}
