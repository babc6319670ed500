/*
 * The shard's side of the script fast path (fast-path.ts is the main thread's): control op "script"
 * runs a whole EVAL/EVALSHA inside the shard worker, synchronously, on the worker's own Lua VM (the
 * same LuaVm, redis library and checks as the main thread's runner), with nothing else running on
 * this shard meanwhile.
 *
 * The script may only touch this shard's keys with commands a shard runs. A call that would leave
 * the shard (a key of another shard, a keyless or main-thread command), or running past
 * busy-reply-threshold, aborts the run: the keys it wrote are put back from an undo journal (each
 * key's value (strings as they are, other types serialized) and expiry, taken before its first write), its reply and writes are
 * dropped, and the main thread runs the script again on the slow path. So the aborted attempt
 * leaves no trace a client can read, and the reply and the propagated writes are those of one run.
 *
 *   args:  script <sha> <body|""> <db> <client-proto> <read-only 0|1> <write-denied error|"">
 *          <busy-ms> <numkeys> <key>... <arg>...
 *   reply: *4 :<status> $<script reply> :<commands run> *<"<level><message>" log lines>
 *          status 0: done (the writes to propagate in the record's propagation part, one as is and
 *          several in MULTI/EXEC); 1: no such script here (send the body); 2: aborted, run it on
 *          the main thread (the propagation part holds DELs of keys that expired meanwhile).
 */

import { F, Route, keyPositions, type Command } from '../commands/table.js';
import type { Args } from '../commands/args.js';
import { createDumpPayload, parseDumpPayload } from '../codec/dump.js';
import * as E from '../resp/errors.js';
import { REP_SCRIPT, SCRIPT_REP_DIVERTED, SCRIPT_REP_FALLBACK, SCRIPT_REP_NO_SCRIPT } from '../ipc/records.js';
import { scriptRunOp } from '../ipc/control.js';
import { RespWriter } from '../resp/writer.js';
import { hashSlot, slotToShardTable } from '../router/slot.js';
import type { ShardHost } from '../shard/host.js';
import { KEY_AT_1, checkScriptCommand, lookupScriptCommand, oneKeyAt1 } from './call-check.js';
import type { CallArgs, RunHost } from './host.js';
import { REPL_REPLICA } from './redis-lib.js';
import { ShardFunctions } from './shard-functions.js';
import { LuaVm, type ArgList } from './vm.js';
import { bodySha1 } from './body-sha.js';
import { ArgBytes } from './arg-bytes.js';
import { isAggregate, type StrValue } from '../shard/values/types.js';
import type { Db } from '../shard/keyspace.js';
import { KIND_OBJ, KIND_STR, sameBytes } from '../store/entry.js';
import { latin1 } from './lua-api.js';
import { SCRIPT_DONE, SCRIPT_FALLBACK, SCRIPT_NEEDS_BODY } from './service.js';


/** Scripts compiled in this worker, by sha1 (bounded: the main thread resends a body it lacks). */
const MAX_CACHED = 4096;

interface WorkerScripting {
  vm: LuaVm;
  scripts: Map<string, number>;
  fns: ShardFunctions;
  /** Connections whose scripts are given back unrun (runScriptRequest). */
  diverted: Set<number>;
  byName: Map<string, Command>;
  shardOfSlot: Uint8Array;
  /** The one script run of this worker (made on first use), set up again for each script. */
  run: ShardRun | null;
  /** Changes whenever scripts or functions may have changed (a control op "script" or "fcall"). */
  gen: number;
}

let state: WorkerScripting | null = null;

// one script runs at a time in a worker (a script cannot run a script): its writers are reused
const expiredKeys: string[] = [];
const propWriter = new RespWriter(256);
const reqWriter = new RespWriter(256);
/** Where reqWriter's arguments are (ShardRun.execute). */
let callStarts = new Int32Array(16);
let callLens = new Int32Array(16);
/** The script's reply, after 4 bytes of room (scriptReply()). */
const outWriter = new RespWriter(256);
const STATUS_ROOM = new Uint8Array(4);

/** The reply runHere() wrote. */
function scriptReply(): Uint8Array {
  return outWriter.buf.subarray(4, outWriter.len);
}

function scripting(c: ShardHost): WorkerScripting {
  if (state === null) {
    const byName = new Map<string, Command>();
    for (const cmd of c.commands) if (cmd !== undefined && cmd.parent === null) byName.set(cmd.name, cmd);
    const vm = new LuaVm();
    state = { vm, scripts: new Map(), fns: new ShardFunctions(vm), diverted: new Set(), byName, shardOfSlot: slotToShardTable(c.shardCount), run: null, gen: 0 };
  }
  return state;
}

/** Make this worker's Lua VM now (control op script-warm), before its first script. */
export function warmScripting(c: ShardHost): void {
  scripting(c);
}

/** A key before the script's first write to it: absent, a string (immutable: kept as is), or a serialized aggregate. */
const OTHER_DB_WRITERS = new Set(['move', 'copy']);

interface Saved {
  /** The key's bytes (a Lua string's, which never change). */
  key: Uint8Array;
  value: StrValue | null;
  payload: Buffer | null;
  at: number;
  /** A string in Redis's raw encoding (OBJECT ENCODING). */
  raw: boolean;
}

/** Journals up to this long are searched by a scan of their keys' bytes; longer ones get a Map too. */
const JOURNAL_SCAN = 16;
/** Journal records kept for the next script (a record per written key, reused: none made per write). */
const JOURNAL_KEEP = 64;
const NO_KEY = new Uint8Array(0);

/** One script's run in this shard; one object per worker, set up again for each run (begin()). */
class ShardRun implements RunHost {
  resp: 2 | 3 = 2;
  killed = false;
  /** The script must leave this shard: roll back and run on the main thread. */
  fallback = false;
  replFlags = 3;
  calls = 0;
  writes = 0;
  readonly prop = propWriter;
  logs: string[] = [];
  /**
   * Values of the keys written, as they were before the script's first write to each: the first
   * journalN records (the records past it are spares, reused by the next writes and scripts).
   */
  private readonly journal: Saved[] = [];
  private journalN = 0;
  /** The journal's entries by key, once it is longer than JOURNAL_SCAN (else null). */
  private journalIndex: Map<string, Saved> | null = null;
  private checked: Command | null = null;
  private checkedKeys: readonly number[] = [];
  private readonly keyScratch: number[] = [];
  private dbId = 0;
  private readOnly = false;
  private denied: string | null = null;
  busyAfterMs = Infinity;
  private direct = false;

  constructor(
    private readonly c: ShardHost,
    private readonly st: WorkerScripting,
  ) {}

  begin(o: RunOptions): void {
    this.resp = 2;
    this.killed = false;
    this.fallback = false;
    this.replFlags = 3;
    this.calls = 0;
    this.writes = 0;
    if (this.logs.length > 0) this.logs = [];
    if (this.journalN > 0) this.clearJournal();
    this.checked = null;
    this.dbId = o.db;
    this.readOnly = o.readOnly;
    this.denied = o.denied;
    this.busyAfterMs = o.busyMs;
    this.direct = o.direct;
  }

  private leave(): string {
    this.fallback = true;
    this.killed = true;
    return E.UNKNOWN_COMMAND; // never reaches a client: the run is discarded
  }

  commandExists(name: string): boolean {
    return this.st.byName.has(name.toLowerCase());
  }

  /** The command the last call named, by the name's bytes (a script's constant: the same array each call). */
  private lastName: Uint8Array | null = null;
  private lastCmd: Command | undefined = undefined;
  private readonly byName = (n: string): Command | undefined => this.st.byName.get(n);
  private readonly deniedNow = (): string | null => this.denied;

  check(argv: CallArgs): string | null {
    if (this.fallback) return this.leave();
    let cmd: Command | undefined;
    const name = argv.bytes[0]!;
    if (name === this.lastName) cmd = this.lastCmd;
    else {
      cmd = lookupScriptCommand(this.byName, argv);
      // (a command with subcommands is found by its second argument too: not remembered)
      if (cmd !== undefined && cmd.parent === null && cmd.subcommands === null) {
        this.lastName = name;
        this.lastCmd = cmd;
      }
    }
    const err = checkScriptCommand(cmd, argv, this.readOnly, this.deniedNow);
    if (err !== null) return err;
    // MOVE and COPY ... DB write a database the undo journal does not cover
    if (cmd!.route !== Route.Shard || OTHER_DB_WRITERS.has(cmd!.name)) return this.leave();
    const keys = oneKeyAt1(cmd!) ? KEY_AT_1 : keyPositions(cmd!, argv.length, (i) => argv.str(i), this.keyScratch);
    if (keys === null || keys.length === 0) return this.leave();
    if (this.c.shardCount > 1) {
      for (const i of keys) {
        const k = argv.bytes[i]!;
        if (this.st.shardOfSlot[hashSlot(k, 0, k.length)] !== this.c.shard) return this.leave();
      }
    }
    this.checked = cmd!;
    this.checkedKeys = keys;
    return null;
  }

  readonly executeNow = (argv: CallArgs): Uint8Array => this.execute(argv);

  /** The command's reply: the shard's reply buffer, which starts with it, valid until its next command. */
  execute(argv: CallArgs): Uint8Array {
    const cmd = this.checked!;
    this.checked = null;
    this.calls++;
    if (cmd.flags & F.WRITE) this.save(this.checkedKeys, argv);
    // the command's request, and where its arguments are in it (so it is not framed again)
    const req = reqWriter;
    req.reset();
    const bytes = argv.bytes;
    const n = bytes.length;
    req.array(n);
    if (callStarts.length < n) {
      callStarts = new Int32Array(n * 2);
      callLens = new Int32Array(n * 2);
    }
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      req.bulkBytes(b);
      callStarts[i] = req.len - 2 - b.length;
      callLens[i] = b.length;
    }
    const c = this.c;
    c.runNested(cmd.id, req.buf, req.len, callStarts, callLens, n, this.dbId, this.resp);
    const p = c.p;
    if (p.len > 0) {
      if (this.replFlags & REPL_REPLICA) {
        this.writes++;
        this.prop.rawSlice(p.buf, 0, p.len);
      }
      p.reset();
    }
    return c.w.buf;
  }

  /** Journal the command's keys not written yet by this script. */
  private save(positions: readonly number[], argv: CallArgs): void {
    const db = this.c.ks.db(this.dbId);
    for (const i of positions) {
      const key = argv.bytes[i]!;
      if (!this.journaled(key)) this.saveKey(db, key);
    }
  }

  /** True if the key is in the journal already. */
  private journaled(key: Uint8Array): boolean {
    if (this.journalIndex !== null) return this.journalIndex.has(latin1(key));
    const j = this.journal;
    for (let i = 0; i < this.journalN; i++) {
      const k = j[i]!.key;
      if (k === key || (k.length === key.length && sameBytes(k, 0, key, 0, key.length))) return true;
    }
    return false;
  }

  /** The next journal record, for the key: an absent key until the caller fills it in. */
  private record(key: Uint8Array): Saved {
    const j = this.journal;
    const n = this.journalN++;
    let s = j[n];
    if (s === undefined) {
      s = { key, value: null, payload: null, at: -1, raw: false };
      j.push(s);
    } else {
      s.key = key;
      s.value = null;
      s.payload = null;
      s.at = -1;
      s.raw = false;
    }
    if (this.journalIndex !== null) this.journalIndex.set(latin1(key), s);
    else if (n + 1 > JOURNAL_SCAN) {
      this.journalIndex = new Map();
      for (let i = 0; i <= n; i++) this.journalIndex.set(latin1(j[i]!.key), j[i]!);
    }
    return s;
  }

  /** Empty the journal, keeping up to JOURNAL_KEEP records (holding nothing of the last run) for reuse. */
  private clearJournal(): void {
    const j = this.journal;
    if (j.length > JOURNAL_KEEP) j.length = JOURNAL_KEEP;
    for (let i = 0, n = Math.min(this.journalN, j.length); i < n; i++) {
      const s = j[i]!;
      s.key = NO_KEY;
      s.value = null;
      s.payload = null;
    }
    this.journalN = 0;
    this.journalIndex = null;
  }

  /**
   * Journal the key as it is now: looked up from its bytes (an absent key, a string or a number: no
   * JS string made of the key, one lookup), else (a list, hash, set ..., the heap store) by its name.
   */
  private saveKey(db: Db, key: Uint8Array): void {
    const s = this.record(key);
    const e = db.peekBytes(key, 0, key.length);
    if (e === 0) return;
    const t = db.found!;
    const kind = e > 0 ? t.kindAt(e) : KIND_OBJ;
    if (kind !== KIND_OBJ) {
      if (kind === KIND_STR) {
        const vo = t.valueOffset(e);
        s.value = t.bytesAt(e).latin1Slice(vo, vo + t.valueLength(e));
      } else s.value = t.numberAt(e);
      if (db.expiresSize > 0) s.at = db.getExpire(latin1(key));
      s.raw = db.rawKeys.size > 0 && db.isRaw(latin1(key));
      return;
    }
    const name = latin1(key);
    const v = db.peek(name);
    if (v === undefined) return;
    s.at = db.getExpire(name);
    if (isAggregate(v)) s.payload = createDumpPayload(v);
    else {
      s.value = v;
      s.raw = db.isRaw(name);
    }
  }

  /** Put every written key back as it was. */
  rollback(): void {
    const db = this.c.ks.db(this.dbId);
    for (let i = 0; i < this.journalN; i++) {
      const saved = this.journal[i]!;
      const key = latin1(saved.key);
      db.removeAt(key, this.c.ks.slotOf(key));
      if (saved.value !== null) {
        db.installRaw(key, saved.value, saved.at);
        if (saved.raw) db.markRaw(key);
      }
      if (saved.payload === null) continue;
      const v = parseDumpPayload(saved.payload);
      if (v !== null) db.installRaw(key, v, saved.at);
    }
  }

  setRepl(flags: number): void {
    this.replFlags = flags;
  }

  log(level: number, msg: string): void {
    if (this.direct) this.leave();
    else this.logs.push(`${level}${msg}`);
  }

  drawsRandom(): boolean {
    // the server's one rand48 sequence lives on the main thread: draw there, in script order
    this.leave();
    return false;
  }

  internalError(e: unknown): void {
    // a bug on our side: undo what the run did and let the main thread run the script
    console.error(e);
    this.leave();
  }

  becameBusy(): void {
    // past busy-reply-threshold: the main thread's runner answers BUSY and honours SCRIPT KILL
    this.leave();
  }
}

function status(c: ShardHost, code: number, reply: Uint8Array, calls: number, logs: readonly string[]): void {
  const w = c.w;
  w.reset();
  w.limit = Infinity;
  w.proto = 2;
  scriptRunOp.write(w, code, reply, calls, logs);
}

/**
 * Run a compiled script here, synchronously: its reply in outWriter, its writes (one as is in
 * run.prop, several in MULTI/EXEC in c.p: propagation()). On SCRIPT_FALLBACK it has been undone,
 * and c.p holds only the DELs of keys that expired meanwhile. `direct`: a REQ_SCRIPT run, whose log lines have no way to the main
 * thread (redis.log makes it fall back).
 */
interface RunOptions {
  db: number;
  proto: 2 | 3;
  readOnly: boolean;
  denied: string | null;
  busyMs: number;
  direct: boolean;
  /** A function (FCALL), not a script. */
  fn: boolean;
  /** When the run started (performance.now()): busy-reply-threshold counts from it. */
  startedAt: number;
}

function runHere(c: ShardHost, st: WorkerScripting, ref: number, name: string, o: RunOptions, keys: ArgList, args: ArgList): number {
  const run = (st.run ??= new ShardRun(c, st));
  run.begin(o);
  const out = outWriter;
  out.reset();
  // room for a REP_SCRIPT's status word: the record goes out from this writer (runScriptRequest)
  out.raw(STATUS_ROOM);
  out.proto = o.proto;
  propWriter.reset();
  const expired = expiredKeys;
  if (expired.length > 0) expired.length = 0;
  c.expiredLog = expired;
  try {
    st.vm.runNow(ref, keys, args, run, out, name, o.fn, o.startedAt);
  } catch {
    // a failure of ours: internalError() made the run fall back
  } finally {
    c.expiredLog = null;
  }
  c.p.reset();
  if (run.fallback) {
    run.rollback();
    for (const key of expired) c.p.command(['DEL', key]);
    return SCRIPT_FALLBACK;
  }
  if (run.writes > 1) {
    c.p.command(['MULTI']);
    c.p.rawSlice(run.prop.buf, 0, run.prop.len);
    c.p.command(['EXEC']);
  }
  return SCRIPT_DONE;
}

/** The writes a run that ended (SCRIPT_DONE) propagates: one as it is, several in MULTI/EXEC (runHere). */
function propagation(c: ShardHost, run: ShardRun): RespWriter {
  return run.writes > 1 ? c.p : run.prop;
}

/** The compiled script of this sha1, compiling `body` if it is new here (undefined: neither). */
function compiled(st: WorkerScripting, sha: string, body: Uint8Array | null): number | undefined {
  const ref = st.scripts.get(sha);
  if (ref !== undefined || body === null || body.length === 0) return ref;
  const r = st.vm.compile(Buffer.from(body));
  if ('error' in r) return undefined;
  if (st.scripts.size >= MAX_CACHED) {
    for (const old of st.scripts.values()) st.vm.release(old);
    st.scripts.clear();
  }
  st.scripts.set(sha, r.ref);
  return r.ref;
}

/** KEYS and ARGV of the script about to run: the request's arguments, pushed to Lua from their bytes (keysAndArgs()). */
const keyList = { args: null as unknown as Args, from: 0, n: 0 };
const argList = { args: null as unknown as Args, from: 0, n: 0 };

/** KEYS: numkeys arguments of the request from `from` on; ARGV: the rest. */
function keysAndArgs(c: ShardHost, numkeys: number, from: number): void {
  const a = c.args;
  keyList.args = a;
  keyList.from = from;
  keyList.n = numkeys;
  argList.args = a;
  argList.from = from + numkeys;
  argList.n = a.argc - from - numkeys;
}

/** The options of a REQ_SCRIPT run (one object, set again for each). */
const directOptions: RunOptions = { db: 0, proto: 2, readOnly: false, denied: null, busyMs: Infinity, direct: true, fn: false, startedAt: 0 };

const statusBytes = Buffer.alloc(4);

/**
 * The script or function the last REQ_SCRIPT named (its sha1, body or function name, by kind: w3's
 * function and body bits), valid while the worker's caches are as they were (gen).
 */
const lastNamed = { id: new ArgBytes(), kind: -1, gen: -1, name: '', ref: 0 };
/** The command (EVALSHA, FCALL, ...) the last REQ_SCRIPT's name bytes named. */
const commandMemo = { id: new ArgBytes(), cmd: null as Command | null };

/**
 * A REQ_SCRIPT (EVAL / EVALSHA / FCALL key... sent straight here, framed in c.args from its bytes,
 * body[start, start+len)): run it and answer the
 * client with one REP_SCRIPT record, or, when it must run on the main thread, with the request echoed.
 * w3: busy-reply-threshold ms | protocol << 16 | (read-only 1 | function 2 | undivert 4 | body 8) << 24.
 */
export function runScriptRequest(c: ShardHost, w3: number, body: Buffer, start: number, len: number): void {
  const st = scripting(c);
  const a = c.args;
  const fn = ((w3 >>> 24) & 2) !== 0;
  if ((w3 >>> 24) & 4) st.diverted.delete(c.connId);
  const diverted = st.diverted.size > 0 && st.diverted.has(c.connId);
  let status = diverted ? SCRIPT_REP_DIVERTED : SCRIPT_REP_NO_SCRIPT;
  c.p.reset();
  // the script (or function) this request names: most requests name the one the last did
  const memo = lastNamed;
  const kind = (w3 >>> 24) & 10;
  let ref: number | undefined;
  let name = '';
  if (diverted) ref = undefined;
  else if (memo.kind === kind && memo.gen === st.gen && memo.id.matches(a, 1)) {
    ref = memo.ref;
    name = memo.name;
  } else {
    name = fn ? a.str(1) : kind & 8 ? bodySha1(a.bytes(1)) : a.str(1).toLowerCase();
    ref = fn ? st.fns.get(name) : st.scripts.get(name);
    if (ref !== undefined) {
      memo.id.remember(a, 1);
      memo.kind = kind;
      memo.gen = st.gen;
      memo.name = name;
      memo.ref = ref;
    }
  }
  if (ref !== undefined) {
    if (!commandMemo.id.matches(a, 0)) {
      commandMemo.cmd = st.byName.get(a.lower(0))!;
      commandMemo.id.remember(a, 0);
    }
    const cmd = commandMemo.cmd!;
    const t0 = c.intro.beginScript();
    keysAndArgs(c, a.int(2), 3); // (the main thread checked numkeys)
    const o = directOptions;
    o.db = c.db.id;
    o.proto = ((w3 >>> 16) & 0xff) === 3 ? 3 : 2;
    o.readOnly = ((w3 >>> 24) & 1) !== 0;
    o.busyMs = w3 & 0xffff || Infinity;
    o.fn = fn;
    o.startedAt = t0;
    if (runHere(c, st, ref, name, o, keyList, argList) === SCRIPT_DONE) {
      // (given back, the main thread's run is the one counted)
      c.intro.endScript(c.connId, cmd, t0, outWriter.buf[4] === 0x2d, body, start, len);
      // the record from the reply's writer: the status word, then the reply
      const out = outWriter;
      out.buf.writeUInt32LE(st.run!.calls >>> 0, 0);
      c.emit(REP_SCRIPT, 0, c.db.id, c.connId, c.seq, out, propagation(c, st.run!));
      c.p.reset();
      return;
    }
    status = SCRIPT_REP_FALLBACK;
  }
  // given back (the request echoed): the connection's later scripts here are given back too, unrun,
  // until undiverted
  st.diverted.add(c.connId);
  const w = c.w;
  w.reset();
  w.limit = Infinity;
  statusBytes.writeUInt32LE(status >>> 0, 0);
  w.raw(statusBytes);
  w.rawSlice(body, start, len);
  c.emit(REP_SCRIPT, 0, c.db.id, c.connId, c.seq, w, c.p);
  c.p.reset();
}

/** The rest of a control op "script" / "fcall" (from args[at]): db proto read-only denied busy-ms numkeys key... arg... */
function runControlled(c: ShardHost, st: WorkerScripting, ref: number, name: string, fn: boolean, at: number): void {
  const opts = scriptRunOp.options(c.args, at);
  const o = { db: opts.db, proto: opts.proto, readOnly: opts.readOnly, denied: opts.denied, busyMs: opts.busyMs, direct: false, fn, startedAt: performance.now() };
  keysAndArgs(c, opts.numkeys, opts.keysAt);
  const r = runHere(c, st, ref, name, o, keyList, argList);
  const done = r === SCRIPT_DONE;
  // (the control op's reply goes out with c.p: a single write is copied there)
  if (done && st.run!.writes === 1) c.p.rawSlice(propWriter.buf, 0, propWriter.len);
  status(c, r, done ? scriptReply() : Buffer.alloc(0), done ? st.run!.calls : 0, done ? st.run!.logs : []);
}

/** The disconnect op: a closed connection's scripts are no longer diverted here. */
export function forgetScriptConnection(connId: number): void {
  state?.diverted.delete(connId);
}

export const SCRIPT_CONTROL_HANDLERS: Record<string, (c: ShardHost) => void> = {
  script(c) {
    const st = scripting(c);
    st.gen++;
    const sha = c.args.str(1);
    const body = c.args.bytes(2);
    const ref = compiled(st, sha, body);
    if (ref === undefined) return status(c, body.length === 0 ? SCRIPT_NEEDS_BODY : SCRIPT_FALLBACK, Buffer.alloc(0), 0, []);
    runControlled(c, st, ref, sha, false, 3);
  },

  /** fcall <library code sha1> <code|""> <function> <db> ...: as "script", for a function. */
  fcall(c) {
    const st = scripting(c);
    st.gen++;
    const lib = st.fns.use(c.args.str(1), c.args.bytes(2));
    const ref = lib === 'ok' ? st.fns.get(c.args.str(3)) : undefined;
    if (ref === undefined) return status(c, lib === 'missing' ? SCRIPT_NEEDS_BODY : SCRIPT_FALLBACK, Buffer.alloc(0), 0, []);
    runControlled(c, st, ref, c.args.str(3), true, 4);
  },
};
