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
import { REQ_SCRIPT, SCRIPT_REP_DIVERTED, SCRIPT_REP_FALLBACK, SCRIPT_REP_NO_SCRIPT } from '../ipc/records.js';
import * as E from '../resp/errors.js';
import { scriptRunOp, type ControlArgv } from '../ipc/control.js';
import { RespWriter } from '../resp/writer.js';
import { hashSlot } from '../router/slot.js';
import { Hold, type Connection } from '../server/connection.js';
import { MainCtx, type ServerContext } from '../server/main-ctx.js';
import type { ShardReply } from '../server/shard-link.js';
import { propagateForConnection } from '../server/commands/transactions.js';
import { bodySha1 } from './body-sha.js';
import { ArgBytes } from './arg-bytes.js';
import { logScriptLine, writeDenied } from './script-checks.js';
import { SCRIPT_DONE, SCRIPT_NEEDS_BODY, type FastPathState } from './service.js';

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
  // a tracking caller remembers the script's keys if it reads (script-run.ts): that runs here
  if (s.monitor.clients.size > 0 || s.tracking.clients.has(c.conn.id) || mostlyFallsBack(f) || !(c.conn.aclUser ?? s.acl.defaultUser).unrestricted) return false;
  let sh = 0;
  for (let i = 0; i < numkeys; i++) {
    const k = s.shardOfKey(c.args.str(3 + i));
    if (i === 0) sh = k;
    else if (k !== sh) return false;
  }
  const conn = c.conn;
  // (a function: its library's code sha1 and code, then its name)
  const req = {
    id: sha,
    body: f.sentTo.has(sh) ? '' : f.body,
    fn,
    db: conn.db,
    proto: conn.proto,
    readOnly,
    denied: writeDenied(c),
    busyMs: s.config.int('busy-reply-threshold'),
    numkeys,
    args: c.args.all(3),
  };
  let r = await sendWhenFree(c, sh, scriptRunOp.request(req));
  if (scriptRunOp.status(r.reply) === SCRIPT_NEEDS_BODY) {
    // the shard dropped it from its cache: nothing ran, send it again with the body
    req.body = f.body;
    r = await sendWhenFree(c, sh, scriptRunOp.request(req));
  }
  f.sentTo.add(sh);
  // the script's keyspace events are its caller's (NOLOOP, the RESP3 push ahead of the reply)
  if (r.events) s.publishEvents(r.events, conn.id, c.seq);
  const v = scriptRunOp.read(r.reply);
  // writes to propagate: the script's (done), or DELs of keys that expired meanwhile (fallback)
  if (r.prop.length > 0) propagateForConnection(s, conn, [{ db: r.db, bytes: r.prop }]);
  if ('error' in v || v.status !== SCRIPT_DONE) {
    if ('error' in v) s.log.error(`script fast path: ${v.error}`);
    f.fallbacks++;
    return false;
  }
  f.fastRuns++;
  s.stats.commandsProcessed += v.calls;
  for (const line of v.logs) logScriptLine(s, Number(line[0]), line.slice(1));
  c.w.raw(v.reply);
  return true;
}

/**
 * Put the request in the shard's ring at the first moment no coordinated command holds the shard,
 * and wait for its reply. The lock is held only while the request is queued: the shard runs the
 * script in one synchronous step, between the requests queued before and after it, so nothing
 * interleaves with it, and other requests for that shard (other scripts too) queue behind it
 * instead of waiting for its reply.
 */
async function sendWhenFree(c: MainCtx, sh: number, argv: ControlArgv): Promise<ShardReply> {
  const s = c.server;
  await s.coordinator.lock([sh]);
  let p: Promise<ShardReply>;
  try {
    p = s.links[sh]!.control(argv, c.conn.db, 0, true);
  } finally {
    s.coordinator.unlock([sh]);
  }
  s.scheduleTick();
  return p;
}

// ---- EVALSHA / FCALL straight to their shard ---------------------------------------------------

/** A REQ_SCRIPT in flight for a connection. */
interface DirectRun {
  f: FastPathState;
  sh: number;
  cmd: Command;
  sha: string;
  seq: number;
  /** The shard's status word, once its first record came (-1 before). */
  status: number;
  /** The echoed request of a run the main thread must do (null until one comes). */
  echo: Buffer[] | null;
}

/**
 * A connection's scripts sent straight to a shard. Several may be in flight (a pipeline), all to
 * one shard, and nothing else of the connection is dispatched meanwhile (conn.directScripts > 0
 * holds it in the server's dispatch). When the shard gives one back (SCRIPT_REP_FALLBACK or
 * NO_SCRIPT) it gives back, unrun, every later one of that connection (DIVERTED) until told to
 * stop; the main thread runs them all, in order, then sends the next one to that shard with the
 * "undivert" bit. A connection that closes first is forgotten there by the disconnect op.
 */
interface ConnScripts {
  shard: number;
  inflight: DirectRun[];
  /** Given back, to run on the main thread in this order. */
  reruns: DirectRun[];
  rerunning: boolean;
  /**
   * Shards that gave a script of this connection back, so divert its later ones until a request
   * with the undivert bit (or the disconnect op, when the connection closes).
   */
  divertedOn: Set<number>;
}

const connScripts = new WeakMap<Connection, ConnScripts>();

/** w3's flag byte of a REQ_SCRIPT (shard-script.ts). */
export const SCRIPT_W3_READ_ONLY = 1;
export const SCRIPT_W3_FUNCTION = 2;
export const SCRIPT_W3_UNDIVERT = 4;
export const SCRIPT_W3_BODY = 8;

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

const SCRIPT_COMMANDS = new Set(['eval', 'eval_ro', 'evalsha', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * While scripts of the connection are in flight to a shard, whether this request must wait until
 * they are done (anything but another script, which routeScript decides on): true means held.
 */
export function holdBehindScripts(conn: Connection, cmd: Command): boolean {
  if (SCRIPT_COMMANDS.has(cmd.name)) return false;
  conn.hold = Hold.Busy;
  return true;
}

interface Target {
  sh: number;
  fast: FastPathState;
  sha: string;
  fn: boolean;
  /** EVAL / EVAL_RO (the script's body in the request). */
  body: boolean;
  readOnly: boolean;
  busyMs: number;
}

/**
 * busy-reply-threshold and min-replicas-to-write, read for every script sent straight to a shard:
 * kept as numbers, read again whenever the configuration changes.
 */
interface ScriptLimits {
  busyMs: number;
  minReplicas: number;
}

const limitsByConfig = new WeakMap<ServerContext['config'], ScriptLimits>();

function limitsOf(s: ServerContext): ScriptLimits {
  let l = limitsByConfig.get(s.config);
  if (l === undefined) {
    const read = (): ScriptLimits => ({ busyMs: s.config.int('busy-reply-threshold'), minReplicas: s.config.int('min-replicas-to-write') });
    const made = read();
    s.config.onChange(() => Object.assign(made, read()));
    limitsByConfig.set(s.config, made);
    l = made;
  }
  return l;
}

/** The name (sha1, function name) the last script request's argument 1 gave, by kind (function 1 | body 2). */
const lastNamed = { id: new ArgBytes(), kind: -1, name: '' };

/** Where an EVALSHA / FCALL can go straight to, or null (the main-thread handler runs it). */
function targetOf(s: ServerContext, conn: Connection, cmd: Command, args: Args): Target | null {
  const fn = cmd.name === 'fcall' || cmd.name === 'fcall_ro';
  const body = cmd.name === 'eval' || cmd.name === 'eval_ro';
  if (conn.framer.inline || args.strings !== null || conn.isMaster || s.monitor.clients.size > 0 || s.links.length === 0) return null;
  if (!(conn.aclUser ?? s.acl.defaultUser).unrestricted) return null;
  const numkeys = smallInt(args, 2);
  if (numkeys < 0 || numkeys > args.argc - 3 || (!fn && !body && args.len[1] !== 40)) return null;
  // EVAL: the sha1 of the body names it (the shard computes it too)
  const kind = (fn ? 1 : 0) | (body ? 2 : 0);
  let sha = lastNamed.name;
  if (lastNamed.kind !== kind || !lastNamed.id.matches(args, 1)) {
    sha = fn ? args.str(1) : body ? bodySha1(args.bytes(1)) : args.str(1).toLowerCase();
    lastNamed.id.remember(args, 1);
    lastNamed.kind = kind;
    lastNamed.name = sha;
  }
  const script = fn ? s.scripting.functionEngine?.functions.get(sha) : s.scripting.get(sha);
  if (script === undefined || mostlyFallsBack(script.fast)) return null;
  const roCommand = cmd.name === 'evalsha_ro' || cmd.name === 'fcall_ro' || cmd.name === 'eval_ro';
  const l = limitsOf(s);
  // (writeDenied(), for a connection that is not our master)
  if (s.replication.isReplica() ? s.config.bool('replica-read-only') : l.minReplicas > 0 && s.replication.goodReplicas() < l.minReplicas) return null;
  // (a script or function that may write, called read-only: the handler's error)
  if (script.declaresWrites && roCommand) return null;
  const busyMs = l.busyMs;
  if (busyMs > 0xffff || busyMs < 0) return null;
  // no keys: shard 0, as tryRunInShard chooses (a script that then touches a key elsewhere is given back)
  // (with one shard every key is on it: no slot hashing)
  let sh = 0;
  if (numkeys > 0 && s.links.length > 1) {
    sh = -1;
    const buf = args.buf;
    for (let i = 3; i < 3 + numkeys; i++) {
      const st = args.start[i]!;
      const k = s.shardOfSlot[hashSlot(buf, st, st + args.len[i]!)]!;
      if (sh < 0) sh = k;
      else if (k !== sh) return null;
    }
  }
  if (!script.fast.sentTo.has(sh)) return null;
  // (one object for every request: routeScript reads it before the next one is routed)
  const t = target;
  t.sh = sh;
  t.fast = script.fast;
  t.sha = sha;
  t.fn = fn;
  t.body = body;
  t.readOnly = (roCommand && !fn) || script.noWrites;
  t.busyMs = busyMs;
  return t;
}

const target: Target = { sh: 0, fast: null as unknown as FastPathState, sha: '', fn: false, body: false, readOnly: false, busyMs: 0 };

/**
 * EVAL / EVALSHA / FCALL and their _RO forms whose keys all live on one shard (no keys: shard 0) that
 * already has the script or the function's library: sent to that shard as the client's request,
 * like a keyed command, without the main thread's handler (the checks that handler makes first
 * are all made here: the script is known, numkeys is valid, the caller unrestricted, nothing
 * refuses a write). Returns true if sent, false if the connection must hold it (the shard is
 * locked or congested, or earlier scripts of the connection are in flight elsewhere or being
 * re-run), null if it does not qualify (the main-thread handler runs it).
 */
export function routeScript(s: ServerContext, conn: Connection, cmd: Command, args: Args): boolean | null {
  if (!SCRIPT_COMMANDS.has(cmd.name)) return null;
  const t = targetOf(s, conn, cmd, args);
  let cs = connScripts.get(conn);
  if (conn.directScripts > 0 && (t === null || t.sh !== cs!.shard || cs!.reruns.length > 0 || cs!.rerunning)) {
    conn.hold = Hold.Busy;
    return false;
  }
  if (t === null) return null;
  const link = s.links[t.sh]!;
  if (link.lockedBy !== null || link.congested) {
    s.pump.stallOn(conn, link);
    return false;
  }
  if (cs === undefined) {
    cs = { shard: t.sh, inflight: [], reruns: [], rerunning: false, divertedOn: new Set() };
    connScripts.set(conn, cs);
  }
  let flags = (t.readOnly ? SCRIPT_W3_READ_ONLY : 0) | (t.fn ? SCRIPT_W3_FUNCTION : 0) | (t.body ? SCRIPT_W3_BODY : 0);
  if (cs.divertedOn.size > 0 && cs.divertedOn.delete(t.sh)) flags |= SCRIPT_W3_UNDIVERT;
  cs.shard = t.sh;
  s.stats.commandsProcessed++;
  conn.lastCmd = cmd.name;
  const seq = conn.nextSeq++;
  const f = conn.framer;
  link.send(REQ_SCRIPT, 0, conn.db, conn.id, seq, t.busyMs | (conn.proto << 16) | (flags << 24), conn.inBuf, conn.inStart, f.end - conn.inStart, conn.inputStable());
  conn.inflight++;
  link.inflight++;
  conn.directScripts++;
  cs.inflight.push({ f: t.fast, sh: t.sh, cmd, sha: t.sha, seq, status: -1, echo: null });
  s.scheduleTick();
  return true;
}

/**
 * The shards that may keep script state of a closing connection (it was diverted there, or a script
 * is still in flight there and may be given back), for the close path's disconnect op; null if none.
 */
export function scriptShardsOf(conn: Connection): Set<number> | null {
  const cs = connScripts.get(conn);
  if (cs === undefined || (cs.divertedOn.size === 0 && cs.inflight.length === 0)) return null;
  const shards = new Set(cs.divertedOn);
  for (const d of cs.inflight) shards.add(d.sh);
  return shards;
}

/** One of the connection's scripts is finished: when none is left, the connection goes on. */
function scriptDone(s: ServerContext, conn: Connection): void {
  if (--conn.directScripts === 0) s.endBusy(conn);
}

/**
 * A REP_SCRIPT record for the connection (its propagation already fed), its bytes data[start,
 * start+len) in ring memory: deliver the reply, or queue the script for the main thread when the
 * shard gave it back. True if a reply was delivered.
 */
export function scriptReplied(s: ServerContext, conn: Connection, seq: number, data: Buffer, start: number, len: number, more: boolean): boolean {
  const cs = connScripts.get(conn);
  const d = cs?.inflight[0];
  if (d === undefined || d.seq !== seq) return false;
  let from = start;
  const end = start + len;
  if (d.status < 0) {
    d.status = data.readUInt32LE(start);
    from += 4;
  }
  if (d.status >= SCRIPT_REP_DIVERTED) {
    (d.echo ??= []).push(Buffer.from(data.subarray(from, end)));
    if (more) return false;
    cs!.inflight.shift();
    cs!.reruns.push(d);
    cs!.divertedOn.add(d.sh);
    if (cs!.inflight.length === 0 && !cs!.rerunning) void rerunAll(s, conn, cs!);
    return false;
  }
  if (more) {
    conn.deliverChunk(seq, data.subarray(from, end), false);
    return false;
  }
  cs!.inflight.shift();
  d.f.fastRuns++;
  s.stats.commandsProcessed += d.status;
  // (its shard counted and timed it: its run, not its wait in the queue)
  if (conn.hasPartial(seq)) conn.deliverChunk(seq, data.subarray(from, end), true);
  else conn.deliverFromRing(seq, data, from, end - from);
  scriptDone(s, conn);
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

/** Run the scripts the shard gave back on the main thread, one after the other, in order. */
async function rerunAll(s: ServerContext, conn: Connection, cs: ConnScripts): Promise<void> {
  cs.rerunning = true;
  try {
    for (let d = cs.reruns.shift(); d !== undefined; d = cs.reruns.shift()) {
      await rerunOnMain(s, conn, d);
      scriptDone(s, conn);
    }
  } finally {
    cs.rerunning = false;
  }
}

/** Run one script its shard gave back, through its handler, at its place in the replies. */
async function rerunOnMain(s: ServerContext, conn: Connection, d: DirectRun): Promise<void> {
  const t0 = performance.now();
  const argv = requestArgv(Buffer.concat(d.echo ?? []));
  const args = new Args();
  args.set(Buffer.alloc(0), new Int32Array(0), new Int32Array(0), argv.length, argv);
  const w = new RespWriter(1024);
  w.proto = conn.proto;
  const ctx = new MainCtx(s, conn, d.cmd, args, w, d.seq);
  if (d.status === SCRIPT_REP_NO_SCRIPT) {
    d.f.sentTo.delete(d.sh); // the shard dropped it: the handler's shard attempt sends the body
  } else if (d.status === SCRIPT_REP_FALLBACK) {
    d.f.fallbacks++;
    slowOnly.add(ctx);
  }
  let failed = true;
  try {
    await s.mainHandlers[d.cmd.id]!(ctx);
    s.reply(conn, d.seq, Buffer.from(w.buf.subarray(0, w.len)));
    failed = w.len > 0 && w.buf[0] === 0x2d;
  } catch (e) {
    if (!(e instanceof E.CommandError)) s.log.error({ err: e }, 'script re-run failed');
    s.replyError(conn, d.seq, e instanceof E.CommandError ? e.reply : E.internalError(d.cmd.name));
  }
  s.stats.intro.called(conn, d.cmd, args, t0, failed);
}
