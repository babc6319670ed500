/*
 * ScriptRun: one script execution's side of the server: checks each redis.call as redis-server's
 * scriptCall does (unknown command, arity, noscript, writes in a read-only script, on a read-only
 * replica, without enough good replicas), runs it (on its shard, across shards through the
 * coordinator, or a main-thread handler in place) and collects the writes' propagation. The caller
 * holds every shard for the whole script: nothing else runs between its commands.
 *
 * The script has its own database (SELECT in a script does not change the caller's) and its own
 * protocol (redis.setresp).
 */

import { Args } from '../commands/args.js';
import { F, Route, keyPositions, type Command } from '../commands/table.js';
import { checkScriptCommand, lookupScriptCommand } from './call-check.js';
import { DENIED_CMD, DENIED_KEY, checkCommand } from '../acl/acl.js';
import { logDenial } from '../acl/check.js';
import { FLAG_COORDINATED, FLAG_DEFER_READY, FLAG_IN_MULTI } from '../ipc/records.js';
import * as E from '../resp/errors.js';
import { RespWriter, encodeCommand } from '../resp/writer.js';
import { MainCtx } from '../server/main-ctx.js';
import { captureMainPropagation, type PropPart } from '../server/commands/transactions.js';
import { REPL_REPLICA } from './redis-lib.js';
import type { CallArgs, RunHost } from './host.js';
import { logScriptLine, writeDenied } from './script-checks.js';

function errorReply(msg: string): Buffer {
  return Buffer.from(`-${E.sanitizeErrorText(msg)}\r\n`, 'latin1');
}

export class ScriptRun implements RunHost {
  resp: 2 | 3 = 2;
  killed = false;
  /** A write command ran (SCRIPT KILL then refuses). */
  wrote = false;
  replFlags = 3;
  db: number;
  readonly parts: PropPart[] = [];
  /** Shards the script's commands ran on (their blocked clients are served when it ends). */
  readonly touched = new Set<number>();
  busyAfterMs: number;
  private checked: Command | null = null;

  constructor(
    private readonly c: MainCtx,
    private readonly readOnly: boolean,
    private readonly onBusy: () => void,
  ) {
    this.db = c.conn.db;
    this.busyAfterMs = c.server.config.int('busy-reply-threshold') || Infinity;
  }

  private lookup(argv: CallArgs): Command | undefined {
    return lookupScriptCommand((n) => this.c.server.table.get(n), argv);
  }

  commandExists(name: string): boolean {
    return this.c.server.table.get(name.toLowerCase()) !== undefined;
  }

  check(argv: CallArgs): string | null {
    const cmd = this.lookup(argv);
    const err = checkScriptCommand(cmd, argv, this.readOnly, () => writeDenied(this.c)) ?? this.aclCheck(cmd!, argv.strings());
    if (err === null) this.checked = cmd!;
    return err;
  }

  /** The script runs as its caller's user (Redis: scriptVerifyACL): a denial is logged with context lua. */
  private aclCheck(cmd: Command, argv: string[]): string | null {
    const s = this.c.server;
    const d = checkCommand(this.c.conn.aclUser ?? s.acl.defaultUser, cmd, argv);
    if (d === null) return null;
    logDenial(s, this.c.conn, d, cmd, argv, 'lua');
    return d.reason === DENIED_CMD ? E.SCRIPT_ACL_COMMAND : d.reason === DENIED_KEY ? E.SCRIPT_ACL_KEY : E.SCRIPT_ACL_CHANNEL;
  }

  async execute(call: CallArgs): Promise<Buffer> {
    const cmd = this.checked ?? this.lookup(call);
    this.checked = null;
    const argv = call.strings();
    if (cmd === undefined) return errorReply(E.UNKNOWN_COMMAND);
    const s = this.c.server;
    s.stats.commandsProcessed++;
    if (cmd.flags & F.WRITE) this.wrote = true;
    if (cmd.flags & F.READONLY && !this.trackedCaller && s.tracking.clients.has(this.c.conn.id)) this.trackCallerKeys();
    if (s.monitor.clients.size > 0 && !(cmd.flags & (F.ADMIN | F.SKIP_MONITOR))) s.monitor.feed(this.c.conn, argv, this.db, 'lua');
    if (cmd.route === Route.Main) return this.runMain(cmd, argv);
    const keys = keyPositions(cmd, argv.length, (i) => argv[i]!) ?? [];
    const shards = new Set<number>();
    for (const i of keys) shards.add(s.shardOfKey(argv[i]!));
    if (shards.size <= 1) {
      const sh = shards.size === 0 ? 0 : [...shards][0]!;
      this.touched.add(sh);
      const t0 = performance.now();
      const p = s.links[sh]!.command(FLAG_IN_MULTI | FLAG_COORDINATED | FLAG_DEFER_READY, this.db, cmd.id, this.resp, encodeCommand(argv), true);
      s.scheduleTick();
      const r = await p;
      // counted as Redis counts a script's calls (the shard leaves coordinated commands to us)
      s.stats.intro.called(this.c.conn, cmd, argv, t0, r.reply[0] === 0x2d);
      this.addProp(r.db, r.prop);
      // the script's writes are its caller's (NOLOOP, the RESP3 push ahead of the reply)
      if (r.events) s.publishEvents(r.events, this.c.conn.id, this.c.seq);
      return r.reply;
    }
    try {
      for (const sh of shards) this.touched.add(sh);
      const t0 = performance.now();
      const res = await s.coordinator.runLocked({ db: this.db, proto: this.resp, cmd, argv, keys, flags: FLAG_IN_MULTI | FLAG_DEFER_READY });
      s.stats.intro.called(this.c.conn, cmd, argv, t0, res.reply[0] === 0x2d);
      for (const part of res.prop) this.addProp(part.db, part.bytes);
      if (res.events) s.publishEvents(res.events, this.c.conn.id, this.c.seq);
      return res.reply;
    } catch (e) {
      return errorReply(e instanceof E.CommandError ? e.reply : E.SCRIPT_CALL_INTERNAL_ERROR);
    }
  }

  private trackedCaller = false;

  /**
   * A script that reads makes its tracking caller remember the script's declared keys (Redis's
   * trackingRememberKeys(script_caller): the caller's command is EVAL/FCALL, its keys are KEYS).
   */
  private trackCallerKeys(): void {
    this.trackedCaller = true;
    const c = this.c;
    const pos = keyPositions(c.cmd, c.argc, (i) => c.args.str(i));
    if (pos !== null && pos.length > 0) c.server.tracking.remember(c.conn, pos.map((i) => c.args.str(i)));
  }

  private addProp(db: number, bytes: Buffer): void {
    if (bytes.length > 0 && this.replFlags & REPL_REPLICA) this.parts.push({ db, bytes });
  }

  /** A main-thread command, in the script's database and protocol, its writes captured. */
  private async runMain(cmd: Command, argv: string[]): Promise<Buffer> {
    const c = this.c;
    const s = c.server;
    const conn = c.conn;
    const handler = s.mainHandlers[cmd.id];
    if (!handler) return errorReply(E.UNKNOWN_COMMAND);
    const w = new RespWriter(256);
    w.proto = this.resp;
    const args = new Args();
    args.set(Buffer.alloc(0), new Int32Array(0), new Int32Array(0), argv.length, argv);
    const savedDb = conn.db;
    const savedProto = conn.proto;
    const captured: PropPart[] = [];
    const restore = captureMainPropagation(conn, captured);
    conn.db = this.db;
    conn.proto = this.resp;
    try {
      const r = handler(new MainCtx(s, conn, cmd, args, w, c.seq));
      if (r instanceof Promise) await r;
    } catch (e) {
      w.reset();
      w.error(E.sanitizeErrorText(e instanceof E.CommandError ? e.reply : E.SCRIPT_CALL_INTERNAL_ERROR));
    } finally {
      this.db = conn.db;
      conn.db = savedDb;
      conn.proto = savedProto;
      restore();
    }
    for (const p of captured) this.addProp(p.db, p.bytes);
    return w.toBuffer();
  }

  setRepl(flags: number): void {
    this.replFlags = flags;
  }

  log(level: number, msg: string): void {
    logScriptLine(this.c.server, level, msg);
  }

  becameBusy(): void {
    this.onBusy();
  }
}
