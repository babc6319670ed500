/*
 * Dispatcher: frames a connection's input into requests and dispatches each: command lookup
 * (subcommands, arity), eviction over maxmemory (evictFirst), admission (admission.ts), MULTI
 * queueing, CLIENT PAUSE, MONITOR, tracking, then either the main-thread runner (main-runner.ts) or
 * the route to a shard (router/route.ts).
 * Refusals and framing errors are answered here, in the request's place in the reply order.
 */

import { Args } from '../commands/args.js';
import { CommandTable, F, Route, X, arityOk, type Command } from '../commands/table.js';
import * as E from '../resp/errors.js';
import { FRAME_EMPTY, FRAME_ERROR, FRAME_NEED_MORE } from '../resp/framer.js';
import { evictOp } from '../ipc/control.js';
import { RespWriter } from '../resp/writer.js';
import { holdBehindScripts, routeScript } from '../scripting/fast-path.js';
import { execFlags, refusal } from './admission.js';
import { Hold, type Connection } from './connection.js';
import type { ServerContext } from './main-ctx.js';

const QUEUED = Buffer.from('+QUEUED\r\n');
/** Eviction rounds at most before a command (evictFirst). */
const EVICT_ROUNDS = 4;

export class Dispatcher {
  /** The arguments of the request being dispatched (replaced when an async handler keeps them). */
  args = new Args();
  private readonly errWriter = new RespWriter(1024);
  /**
   * Command names by a hash of their lower-case bytes, so the hot path finds a command without making
   * a string of its name (collisions are resolved by comparing bytes).
   */
  private readonly byNameHash: Map<number, Command[]>;
  /** The last name hash looked up and its commands (lookup()). */
  private lastHash = 0;
  private lastList: Command[] | undefined = undefined;
  /** The command being dispatched (INFO commandstats rejected_calls). */
  private dispatching: Command | undefined;

  constructor(private readonly s: ServerContext) {
    this.byNameHash = nameHashIndex(s.table);
  }

  /** Frame and dispatch requests until the input runs out or the connection is held. */
  processInput(conn: Connection): void {
    const f = conn.framer;
    const repl = this.s.replication;
    while (conn.hold === Hold.None && !conn.closed && !conn.closeAfterReply) {
      if (conn.inStart >= conn.inEnd) break;
      const r = f.frame(conn.inBuf, conn.inStart, conn.inEnd);
      if (r === FRAME_NEED_MORE) break;
      if (r === FRAME_ERROR) {
        this.replyError(conn, conn.nextSeq++, f.error);
        conn.closeAfterReply = true;
        conn.inStart = conn.inEnd;
        break;
      }
      if (r === FRAME_EMPTY) {
        if (conn.isMaster) repl.applied(conn.inBuf, conn.inStart, f.end);
        conn.inStart = f.end;
        continue;
      }
      if (!this.dispatch(conn)) break; // held: the same request is framed again on resume
      if (conn.isMaster) repl.applied(conn.inBuf, conn.inStart, f.end);
      conn.inStart = f.end;
    }
    // the requests sent from this input are written to the rings before it can change (shard-link.ts)
    for (const link of this.s.links) link.flushRun();
    if (conn.isMaster) repl.appliedDone(); // before the input buffer can be let go or reused
    conn.consumed();
    // every complete request was dispatched (a hold stops the loop before that)
    conn.inputIdle = conn.hold === Hold.None;
    if (conn.sendSeq >= conn.flushAt) conn.flushAt = conn.nextSeq;
    if (conn.socket.isPaused() && conn.hold === Hold.None && !conn.closed) conn.socket.resume();
    if (conn.closeAfterReply && conn.inflight === 0) this.s.pump.queueWrite(conn);
    if (conn.inputEnded) this.s.clients.endIfDone(conn);
  }

  /** Look the request's command up (case-insensitive); subcommands are resolved by the caller. */
  private lookup(args: Args): Command | undefined {
    const table = this.s.table;
    if (args.strings) {
      const name = args.str(0);
      return table.byName.get(name) ?? table.byName.get(name.toLowerCase());
    }
    const start = args.start[0]!;
    const h = nameHashBytes(args.buf, start, start + args.len[0]!);
    // a pipeline repeats its command: the map is asked once per run of the same name hash
    let list = this.lastList;
    if (h !== this.lastHash || list === undefined) {
      list = this.byNameHash.get(h);
      if (list === undefined) return undefined;
      this.lastHash = h;
      this.lastList = list;
    }
    for (let i = 0; i < list.length; i++) if (args.is(0, list[i]!.name)) return list[i];
    return undefined;
  }

  /**
   * Dispatch the request just framed. Returns false if the connection must hold it (it will be
   * framed again when the connection resumes).
   */
  private dispatch(conn: Connection): boolean {
    const s = this.s;
    const f = conn.framer;
    const args = this.args;
    args.set(conn.inBuf, f.argStart, f.argLen, f.argc, f.inline ? inlineArgs(conn, f.argc) : null);
    let cmd = this.lookup(args);
    this.dispatching = undefined;
    if (cmd === undefined) {
      return this.reject(conn, E.unknownCommand(args.str(0), args.all(1)));
    }
    if (cmd.subcommands !== null && args.argc >= 2) {
      const sub = cmd.subcommands.get(args.lower(1));
      if (sub === undefined) return this.reject(conn, E.unknownSubcommand(args.str(1), cmd.name));
      cmd = sub;
    }
    this.dispatching = cmd;
    if (!arityOk(cmd, args.argc)) return this.reject(conn, E.wrongArity(cmd.name));
    if (conn.authenticated && !conn.isMaster && this.evictFirst(conn)) return false;
    let flags = cmd.flags;
    if (conn.multi !== null && cmd.name === 'exec') flags = execFlags(flags, conn.multi);
    const inMulti = conn.multi !== null && !(cmd.x & X.NOT_QUEUED);
    const refused = refusal(s, conn, cmd, args, flags, inMulti);
    if (refused !== null) return this.reject(conn, refused);
    if (inMulti) return this.queueMulti(conn, cmd, args);
    if (s.pause.holds(conn, cmd)) return false;
    if (conn.directScripts > 0 && holdBehindScripts(conn, cmd)) return false;
    if (s.monitor.clients.size > 0 && !s.loading && !(flags & (F.ADMIN | F.SKIP_MONITOR))) return s.monitor.dispatch(conn, cmd, args);
    if (s.tracking.clients.size > 0) s.tracking.onCommand(conn, cmd, args, (flags & F.READONLY) !== 0);
    if (cmd.route === Route.Main) return routeScript(s, conn, cmd, args) ?? s.runner.run(conn, cmd, args);
    return s.router.route(conn, cmd, args);
  }

  /** The request (its seq) each connection last had the shards evict for (evictFirst). */
  private readonly evictedFor = new WeakMap<Connection, number>();

  /**
   * maxmemory before a command (Redis's performEvictions in processCommand): while the memory is
   * over the limit and a shard holding data can still evict, every shard evicts its part first, so
   * what evicting keys of other shards than the request's sends (tracking invalidations, keyspace
   * events, the DELs to replicas) comes before its reply, as in Redis. The connection waits for the
   * shards (held), then the same request is dispatched again, that time without this step. Rounds
   * repeat (up to EVICT_ROUNDS) while still over and the last one changed something: a shard that
   * found nothing to evict in one leaves its share to the others in the next (dataShare).
   */
  private evictFirst(conn: Connection): boolean {
    if (!this.s.memGate.mustEvict(this.s.replication) || this.evictedFor.get(conn) === conn.nextSeq) return false;
    this.evictedFor.set(conn, conn.nextSeq);
    conn.hold = Hold.Busy;
    conn.busySeq = -1;
    this.evictRounds(conn);
    return true;
  }

  /**
   * evictFirst's rounds. A function of its own: its closures' captured variables are allocated on
   * entry to the function declaring them, which evictFirst, run for every request, must not pay.
   */
  private evictRounds(conn: Connection): void {
    const s = this.s;
    const gate = s.memGate;
    const replica = s.replication;
    const done = (): void => s.runner.endBusy(conn);
    const round = (n: number): void => {
      const before = gate.progress();
      s.allShards(evictOp.request()).then(() => {
        if (n + 1 < EVICT_ROUNDS && gate.progress() !== before && gate.mustEvict(replica)) round(n + 1);
        else done();
      }, done);
    };
    round(0);
  }

  /** Reply with an error for the current request (flagging an open MULTI as failed). */
  reject(conn: Connection, msg: string): boolean {
    if (conn.multi !== null) conn.multiError = true;
    if (this.args.argc > 0 && this.args.is(0, 'exec')) {
      // a refused EXEC, in MULTI or not, ends the transaction (Redis: execCommandAbort)
      conn.multi = null;
      conn.multiError = false;
      void this.s.unwatchAll(conn);
      msg = E.execAbort(msg);
    }
    this.s.stats.intro.rejected(this.dispatching);
    this.replyError(conn, conn.nextSeq++, msg);
    return true;
  }

  replyError(conn: Connection, seq: number, msg: string): void {
    const w = this.errWriter;
    w.reset();
    w.error(E.sanitizeErrorText(msg));
    conn.deliver(seq, w.toBuffer(), false);
    this.s.pump.queueWrite(conn);
  }

  /** Deliver a complete reply produced on the main thread. */
  reply(conn: Connection, seq: number, bytes: Uint8Array, pushing = false): void {
    conn.deliver(seq, bytes, false, pushing);
    this.s.pump.queueWrite(conn);
  }

  private queueMulti(conn: Connection, cmd: Command, args: Args): boolean {
    if (cmd.flags & F.NO_MULTI) return this.reject(conn, E.NOT_ALLOWED_IN_MULTI);
    const argv = args.all();
    const w = new RespWriter(256);
    w.command(argv);
    conn.multi!.push({ cmd, body: w.toBuffer(), argv });
    this.reply(conn, conn.nextSeq++, QUEUED);
    return true;
  }
}

/** Arguments of an inline request as strings (quoted ones are already unescaped by the framer). */
function inlineArgs(conn: Connection, argc: number): string[] {
  const f = conn.framer;
  if (f.inlineArgs) return f.inlineArgs;
  const out: string[] = [];
  for (let i = 0; i < argc; i++) out.push(conn.inBuf.latin1Slice(f.argStart[i]!, f.argStart[i]! + f.argLen[i]!));
  return out;
}

/** Top-level commands by nameHash of their names (lists: hash collisions). */
function nameHashIndex(table: CommandTable): Map<number, Command[]> {
  const index = new Map<number, Command[]>();
  for (const cmd of table.byId) {
    if (cmd.parent !== null) continue;
    const h = nameHash(cmd.name, 0, cmd.name.length);
    const list = index.get(h);
    if (list) list.push(cmd);
    else index.set(h, [cmd]);
  }
  return index;
}

/** FNV-1a of an ASCII name, lower-cased (command names are lower-case in the table). */
function nameHash(name: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** nameHash of a request's name bytes, folding A-Z to lower case. */
function nameHashBytes(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193);
  }
  return h >>> 0;
}
