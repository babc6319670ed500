/*
 * The main thread's side of the script fast path (shard-script.ts is the shard's): an EVAL/EVALSHA
 * whose KEYS all live on one shard (no keys: shard 0) runs inside that shard's worker as one control
 * request, holding only that shard, instead of as a coroutine on the main thread holding every shard
 * and paying a ring round trip per redis.call. If the script turns out to need more (another
 * shard's key, a main-thread command, running past busy-reply-threshold), the shard undoes it and
 * says so, and the caller runs it on the slow path (eval.ts). A script that keeps needing the slow
 * path is sent there directly from then on.
 */

import { Args } from '../commands/args.js';
import type { Command } from '../commands/table.js';
import { REQ_SCRIPT, SCRIPT_REP_FALLBACK, SCRIPT_REP_NO_SCRIPT } from '../ipc/records.js';
import * as E from '../resp/errors.js';
import { ReplyErrorValue, parseOne } from '../resp/reply-parser.js';
import { RespWriter } from '../resp/writer.js';
import { hashSlot } from '../router/slot.js';
import { Hold, type Connection } from '../server/connection.js';
import { MainCtx } from '../server/main-ctx.js';
import type { Server } from '../server/server.js';
import type { ShardReply } from '../server/shard-link.js';
import { propagateForConnection } from '../server/commands/transactions.js';
import { scriptEngine } from './eval.js';
import { functionNamed } from './functions.js';
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
export async function tryRunInShard(c: MainCtx, sha: string, f: FastPathState, numkeys: number, readOnly: boolean, fn: string | null = null): Promise<boolean> {
  const s = c.server;
  // the shard cannot check ACL rules: a restricted user's scripts run on the main thread
  if (s.monitors.size > 0 || mostlyFallsBack(f) || !(c.conn.aclUser ?? s.acl.defaultUser).unrestricted) return false;
  let sh = 0;
  for (let i = 0; i < numkeys; i++) {
    const k = s.shardOfKey(c.args.str(3 + i));
    if (i === 0) sh = k;
    else if (k !== sh) return false;
  }
  const conn = c.conn;
  // (a function: its library's code sha1 and code, then its name; shard-script.ts)
  const argv: (string | number)[] = [fn === null ? 'script' : 'fcall', sha, '', ...(fn === null ? [] : [fn]), conn.db, conn.proto, readOnly ? 1 : 0, writeDenied(c) ?? '', s.config.int('busy-reply-threshold'), numkeys];
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

// ---- EVALSHA straight to its shard ------------------------------------------------------------

/** A REQ_SCRIPT in flight for a connection (one at a time: the connection holds meanwhile). */
interface DirectRun {
  f: FastPathState;
  sh: number;
  cmd: Command;
  sha: string;
  seq: number;
  t0: number;
  /** The shard's status word, once its first record came (-1 before). */
  status: number;
  /** The echoed request of a run the main thread must do. */
  echo: Buffer[];
}

const directRuns = new Map<Connection, DirectRun>();

/** Requests re-run on the main thread after their shard gave them back: no second shard attempt. */
const slowOnly = new WeakSet<MainCtx>();

export function mustRunOnMain(c: MainCtx): boolean {
  return slowOnly.has(c);
}

/** A plain decimal argument (no sign, no leading zeros beyond "0"), or -1. */
function smallInt(a: Args, i: number): number {
  const len = a.len[i]!;
  if (len === 0 || len > 6) return -1;
  const b = a.buf;
  let n = 0;
  for (let p = a.start[i]!, end = p + len; p < end; p++) {
    const d = b[p]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return len > 1 && b[a.start[i]!] === 48 ? -1 : n;
}

/**
 * EVALSHA / EVALSHA_RO whose keys (at least one) all live on one shard that already compiled the
 * script: sent to that shard as the client's request, like a keyed command, without the main
 * thread's handler (the checks that handler makes first are all made here: the script is known,
 * numkeys is valid, the caller unrestricted, nothing refuses a write). Returns true if sent, false
 * if the connection must hold it (the shard is locked or congested), null if it does not qualify
 * (the main-thread handler runs it). The connection holds until the shard answers (scriptReplied):
 * the shard may hand the script back, and then it runs on the main thread before anything the
 * client sent after it.
 */
export function routeScript(s: Server, conn: Connection, cmd: Command, args: Args): boolean | null {
  const fn = cmd.name === 'fcall' || cmd.name === 'fcall_ro';
  if (!fn && cmd.name !== 'evalsha' && cmd.name !== 'evalsha_ro') return null;
  const f = conn.framer;
  if (f.inline || args.inline !== null || conn.isMaster || s.monitors.size > 0 || s.links.length === 0) return null;
  if (!(conn.aclUser ?? s.acl.defaultUser).unrestricted) return null;
  const numkeys = smallInt(args, 2);
  if (numkeys < 1 || numkeys > args.argc - 3 || (!fn && args.len[1] !== 40)) return null;
  const sha = fn ? args.str(1) : args.str(1).toLowerCase();
  const script = fn ? functionNamed(s, sha) : scriptEngine(s).get(sha);
  if (script === undefined || mostlyFallsBack(script.fast)) return null;
  const roCommand = cmd.name === 'evalsha_ro' || cmd.name === 'fcall_ro';
  // (a script or function that may write, called read-only: the handler's error)
  if (writeDenied({ server: s, conn } as MainCtx) !== null || (script.declaresWrites && roCommand)) return null;
  const busyMs = s.config.int('busy-reply-threshold');
  if (busyMs > 0xffff || busyMs < 0) return null;
  let sh = -1;
  const buf = args.buf;
  for (let i = 3; i < 3 + numkeys; i++) {
    const st = args.start[i]!;
    const k = s.shardOfSlot[hashSlot(buf, st, st + args.len[i]!)]!;
    if (sh < 0) sh = k;
    else if (k !== sh) return null;
  }
  if (!script.fast.sentTo.has(sh)) return null;
  const link = s.links[sh]!;
  if (link.lockedBy !== null || link.congested) {
    s.stallOn(conn, link);
    return false;
  }
  s.stats.commandsProcessed++;
  conn.lastCmd = cmd.name;
  const seq = conn.nextSeq++;
  const readOnly = (roCommand && !fn) || script.noWrites;
  const w3 = busyMs | (conn.proto << 16) | ((readOnly ? 1 : 0) << 24) | ((fn ? 2 : 0) << 24);
  link.send(REQ_SCRIPT, 0, conn.db, conn.id, seq, w3, conn.inBuf, conn.inStart, f.end - conn.inStart, conn.inputStable());
  conn.inflight++;
  link.inflight++;
  conn.hold = Hold.Busy;
  conn.busySeq = -1;
  conn.busySlow = false;
  directRuns.set(conn, { f: script.fast, sh, cmd, sha, seq, t0: performance.now(), status: -1, echo: [] });
  s.scheduleTick();
  return true;
}

/**
 * A REP_SCRIPT record for the connection (its propagation already fed): deliver the reply, or run
 * the script on the main thread when the shard gave it back. True if a reply was delivered.
 */
export function scriptReplied(s: Server, conn: Connection, seq: number, bytes: Uint8Array, more: boolean): boolean {
  const d = directRuns.get(conn);
  if (d === undefined || d.seq !== seq) return false;
  let reply = bytes;
  if (d.status < 0) {
    d.status = Buffer.from(bytes.buffer, bytes.byteOffset, 4).readUInt32LE(0);
    reply = bytes.subarray(4);
  }
  if (d.status === SCRIPT_REP_FALLBACK || d.status === SCRIPT_REP_NO_SCRIPT) {
    d.echo.push(Buffer.from(reply));
    if (more) return false;
    directRuns.delete(conn);
    rerunOnMain(s, conn, d);
    return false;
  }
  if (more) {
    conn.deliverChunk(seq, reply, false);
    return false;
  }
  directRuns.delete(conn);
  d.f.fastRuns++;
  s.stats.commandsProcessed += d.status;
  const failed = conn.hasPartial(seq) ? false : reply[0] === 0x2d;
  s.stats.intro.called(conn, d.cmd, [d.cmd.name, d.sha], d.t0, failed);
  s.endBusy(conn);
  if (conn.hasPartial(seq)) conn.deliverChunk(seq, reply, true);
  else conn.deliver(seq, reply, true);
  return true;
}

/** The request's arguments from its RESP multibulk bytes (latin1 strings). */
function requestArgv(req: Buffer): string[] {
  let p = 1;
  let n = 0;
  while (req[p] !== 13) n = n * 10 + req[p++]! - 48;
  p += 2;
  const argv: string[] = [];
  for (let i = 0; i < n; i++) {
    p++;
    let l = 0;
    while (req[p] !== 13) l = l * 10 + req[p++]! - 48;
    p += 2;
    argv.push(req.toString('latin1', p, p + l));
    p += l + 2;
  }
  return argv;
}

/** Run a script its shard gave back on the main thread, at its place in the connection's replies. */
function rerunOnMain(s: Server, conn: Connection, d: DirectRun): void {
  const argv = requestArgv(Buffer.concat(d.echo));
  const args = new Args();
  args.set(Buffer.alloc(0), new Int32Array(0), new Int32Array(0), argv.length, argv);
  const w = new RespWriter(1024);
  w.proto = conn.proto;
  const ctx = new MainCtx(s, conn, d.cmd, args, w, d.seq);
  if (d.status === SCRIPT_REP_NO_SCRIPT) {
    d.f.sentTo.delete(d.sh); // the shard dropped it: the handler's shard attempt sends the body
  } else {
    d.f.fallbacks++;
    slowOnly.add(ctx);
  }
  const done = (failed: boolean): void => {
    s.stats.intro.called(conn, d.cmd, args, d.t0, failed);
    s.endBusy(conn);
  };
  new Promise<void>((resolve) => resolve(s.mainHandlers[d.cmd.name]!(ctx))).then(
    () => {
      s.reply(conn, d.seq, Buffer.from(w.buf.subarray(0, w.len)));
      done(w.len > 0 && w.buf[0] === 0x2d);
    },
    (e: unknown) => {
      if (!(e instanceof E.CommandError)) s.log.error({ err: e }, 'script re-run failed');
      s.replyError(conn, d.seq, e instanceof E.CommandError ? e.reply : E.internalError(d.cmd.name));
      done(true);
    },
  );
}
