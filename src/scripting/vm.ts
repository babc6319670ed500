/*
 * LuaVm: the one Lua state scripts run in, set up as Redis 7.0's scripting environment (the Lua 5.1
 * globals and libraries Redis exposes, read-only globals, the bit and cjson libraries, rand48
 * behind math.random), compiling scripts into registry references and running one script at a
 * time as a coroutine.
 *
 * redis.call cannot return synchronously: the command runs on a shard, across a ring. So every
 * script runs in a coroutine, and redis.call/pcall yield it with the command to run; the driver
 * (run()) awaits the command, pushes the converted reply and resumes the coroutine, whose
 * continuation returns the reply (or raises it, for redis.call and an error reply). To the script
 * this is an ordinary synchronous call. The driver's caller holds every shard meanwhile, so no other
 * client's command runs between two of the script's commands.
 *
 * A count hook checks a long-running script: past busy-reply-threshold it yields to the event loop
 * now and then (so SCRIPT KILL and BUSY replies are served), and raises the kill error once the
 * script is killed.
 */

import type { Args } from '../commands/args.js';
import { RespWriter } from '../resp/writer.js';
import { oneLine, pushErrorTable, pushReply, writeLuaValue } from './convert.js';
import { BIT_FUNCTIONS } from './lib-bit.js';
import { CJSON_FUNCTIONS, JSON_NULL } from './lib-cjson.js';
import { CMSGPACK_FUNCTIONS } from './lib-cmsgpack.js';
import { STRUCT_FUNCTIONS } from './lib-struct.js';
import { copyBytes, internals, lauxlib, loadLua, lua, lualib, luaString, ownedString, toLatin1, type LuaJsFunction, type LuaState, type LuaTable, type LuaTString } from './lua-api.js';
import { RAND48_MAX, Rand48 } from './rand48.js';
import type { PendingCall, RunHost } from './host.js';
import { installFloatMath, installStringFormat } from './lib-format.js';
import { installRedisLib } from './redis-lib.js';
import { PRELUDE } from './prelude.js';
import { SCRIPT_CALL_INTERNAL_ERROR, SCRIPT_KILLED, SCRIPT_YIELD_OUTSIDE_COROUTINE, errText } from '../resp/errors.js';

export type CompileResult = { ref: number } | { error: string };

/** Instructions between two runs of the count hook (busy-reply-threshold, SCRIPT KILL). */
const HOOK_EVERY = 100_000;

export class LuaVm {
  readonly L: LuaState;
  /** Registry refs of the real globals table and of the read-only proxy scripts see as _ENV. */
  private readonly globalsRef: number;
  private readonly proxyRef: number;
  /** The strings "KEYS" and "ARGV" (one Lua string each, hashed once). */
  private readonly keysNameRef: number;
  private readonly argvNameRef: number;
  /** Function libraries: their _ENV, the switch between load time and run time, the load-time redis table. */
  private readonly fnEnvRef: number;
  private readonly setLoadingRef: number;
  readonly loadApiRef: number;
  /** The running script's host, while one runs. */
  host: RunHost | null = null;
  pending: PendingCall | null = null;
  /** The reply pushed on resume is an error the continuation must raise. */
  raiseOnResume = false;
  co: LuaState | null = null;
  /** A finished coroutine kept for the next script, with its registry ref. */
  private idleCo: { co: LuaState; ref: number } | null = null;
  readonly rand = new Rand48();
  private startedAt = 0;
  private lastYield = 0;
  private busy = false;
  private readonly hook = (l: LuaState): void => this.countHook(l);
  /** The running coroutine's hook runs at every instruction (its script was killed). */
  private hookEveryInstruction = false;

  constructor() {
    loadLua();
    const L = lauxlib.luaL_newstate();
    this.L = L;
    lua.lua_atnativeerror(L, (l) => {
      lua.lua_pushliteral(l, 'internal error');
      return 1;
    });
    const libs: [string, LuaJsFunction][] = [
      ['_G', lualib.luaopen_base],
      ['table', lualib.luaopen_table],
      ['string', lualib.luaopen_string],
      ['math', lualib.luaopen_math],
      ['coroutine', lualib.luaopen_coroutine],
    ];
    for (const [name, open] of libs) {
      lauxlib.luaL_requiref(L, luaString(name), open, 1);
      lua.lua_pop(L, 1);
    }
    this.installTable('bit', BIT_FUNCTIONS);
    this.installTable('cjson', CJSON_FUNCTIONS);
    this.installTable('cmsgpack', CMSGPACK_FUNCTIONS);
    this.installTable('struct', STRUCT_FUNCTIONS);
    lua.lua_getglobal(L, 'cjson');
    lua.lua_pushlightuserdata(L, JSON_NULL);
    lua.lua_setfield(L, -2, 'null');
    lua.lua_pop(L, 1);
    installRedisLib(this);
    this.installMathRandom();
    this.installCoroutineYield();
    installStringFormat(L);
    installFloatMath(L);
    // the prelude: Lua 5.1 names, sandbox, read-only tables
    lua.lua_pushglobaltable(L);
    this.globalsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_newtable(L);
    this.proxyRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    const src = Buffer.from(PRELUDE);
    if (lauxlib.luaL_loadbufferx(L, src, src.length, luaString('=prelude'), luaString('t')) !== lua.LUA_OK) {
      throw new Error(`Lua prelude: ${toLatin1(L, -1)}`);
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.globalsRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.proxyRef);
    if (lua.lua_pcall(L, 2, 3, 0) !== lua.LUA_OK) throw new Error(`Lua prelude: ${toLatin1(L, -1)}`);
    this.loadApiRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.setLoadingRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.fnEnvRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pushstring(L, Buffer.from('KEYS', 'latin1'));
    this.keysNameRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pushstring(L, Buffer.from('ARGV', 'latin1'));
    this.argvNameRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
  }

  installTable(name: string, fns: Record<string, LuaJsFunction>): void {
    const L = this.L;
    lua.lua_createtable(L, 0, Object.keys(fns).length);
    for (const [k, f] of Object.entries(fns)) {
      lua.lua_pushjsfunction(L, f);
      lua.lua_setfield(L, -2, k);
    }
    lua.lua_setglobal(L, name);
  }

  /** math.random / math.randomseed on Redis's rand48, with Lua 5.1's argument rules. */
  private installMathRandom(): void {
    const L = this.L;
    lua.lua_getglobal(L, 'math');
    lua.lua_pushjsfunction(L, (l) => {
      if (this.host?.drawsRandom?.() === false) return lauxlib.luaL_error(l, 'random numbers are drawn elsewhere');
      const r = (this.rand.next() % RAND48_MAX) / RAND48_MAX;
      const n = lua.lua_gettop(l);
      if (n === 0) {
        lua.lua_pushnumber(l, r);
      } else if (n === 1) {
        const u = Math.trunc(lauxlib.luaL_checknumber(l, 1));
        if (!(1 <= u)) return lauxlib.luaL_argerror(l, 1, 'interval is empty');
        lua.lua_pushnumber(l, Math.floor(r * u) + 1);
      } else if (n === 2) {
        const lo = Math.trunc(lauxlib.luaL_checknumber(l, 1));
        const u = Math.trunc(lauxlib.luaL_checknumber(l, 2));
        if (!(lo <= u)) return lauxlib.luaL_argerror(l, 2, 'interval is empty');
        lua.lua_pushnumber(l, Math.floor(r * (u - lo + 1)) + lo);
      } else {
        return lauxlib.luaL_error(l, 'wrong number of arguments');
      }
      return 1;
    });
    lua.lua_setfield(L, -2, 'random');
    lua.lua_pushjsfunction(L, (l) => {
      if (this.host?.drawsRandom?.() === false) return lauxlib.luaL_error(l, 'random numbers are drawn elsewhere');
      this.rand.seed(Math.trunc(lauxlib.luaL_checknumber(l, 1)));
      return 0;
    });
    lua.lua_setfield(L, -2, 'randomseed');
    lua.lua_pop(L, 1);
  }

  /**
   * coroutine.yield as in redis-server, where a script runs as a plain function call: yielding from
   * the script itself (not from a coroutine it created) is an error. Here the script runs in a
   * coroutine of ours, which a plain yield would suspend with no command to run.
   */
  private installCoroutineYield(): void {
    const L = this.L;
    lua.lua_getglobal(L, 'coroutine');
    lua.lua_pushjsfunction(L, (l) => {
      if (l === this.co) {
        lua.lua_pushliteral(l, SCRIPT_YIELD_OUTSIDE_COROUTINE);
        return lua.lua_error(l);
      }
      return lua.lua_yield(l, lua.lua_gettop(l));
    });
    lua.lua_setfield(L, -2, 'yield');
    lua.lua_pop(L, 1);
  }

  /** Compile a script body; its function goes to the registry. */
  compile(body: Buffer): CompileResult {
    let src = body;
    if (src.length >= 2 && src[0] === 0x23 && src[1] === 0x21) {
      // the shebang line stays a line (a comment), so line numbers match
      src = Buffer.from(src);
      src[0] = 0x2d;
      src[1] = 0x2d;
    }
    const error = this.loadChunk(src, '@user_script', this.proxyRef);
    if (error !== null) return { error };
    return { ref: lauxlib.luaL_ref(this.L, lua.LUA_REGISTRYINDEX) };
  }

  /**
   * Compile a chunk named `name` whose _ENV is the table at envRef: the function is left at the
   * top of the stack; returns null, or the compile error (as Lua 5.1 words it) with nothing left.
   */
  private loadChunk(src: Buffer, name: string, envRef: number): string | null {
    const L = this.L;
    if (lauxlib.luaL_loadbufferx(L, src, src.length, luaString(name), luaString('t')) !== lua.LUA_OK) {
      const msg = as51SyntaxMessage(toLatin1(L, -1) ?? 'unknown error');
      lua.lua_pop(L, 1);
      return msg;
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, envRef);
    lua.lua_setupvalue(L, -2, 1);
    return null;
  }

  /**
   * Compile and run a function library's code (FUNCTION LOAD) with only the loading API visible.
   * Returns null on success (register_function calls went to the caller's collector), or the
   * error: compile errors as {compile: msg}, errors while running as {run: msg}.
   */
  loadLibrary(code: Buffer): { compile: string } | { run: string } | null {
    const L = this.L;
    const compile = this.loadChunk(code, '@user_function', this.fnEnvRef);
    if (compile !== null) return { compile };
    this.setLoading(true);
    try {
      if (lua.lua_pcall(L, 0, 0, 0) === lua.LUA_OK) return null;
      let msg: string;
      if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
        lua.lua_pushliteral(L, 'err');
        lua.lua_rawget(L, -2);
        msg = toLatin1(L, -1) ?? errText('unknown error');
        lua.lua_pop(L, 1);
      } else {
        msg = errText(as51Message(toLatin1(L, -1) ?? 'unknown error'));
      }
      lua.lua_pop(L, 1);
      return { run: msg };
    } finally {
      this.setLoading(false);
      lua.lua_settop(L, 0);
    }
  }

  private setLoading(on: boolean): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.setLoadingRef);
    lua.lua_pushboolean(L, on);
    lua.lua_call(L, 1, 0);
  }

  release(ref: number): void {
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  /** Set KEYS and ARGV in the globals. */
  private setArgs(keys: ArgList, args: ArgList): void {
    this.setArgTable(this.argTables[0]!, this.keysNameRef, keys);
    this.setArgTable(this.argTables[1]!, this.argvNameRef, args);
  }

  /** The KEYS and ARGV tables the last script got (null: none yet) and their lengths. */
  private readonly argTables: { t: LuaTable | null; n: number }[] = [
    { t: null, n: 0 },
    { t: null, n: 0 },
  ];

  /**
   * Set KEYS or ARGV (named by the string at nameRef). The last script's table is filled again in
   * place (making a table and setting a global cost more than the strings) when that script left it
   * an array and nothing else: no metatable and, once refilled, no more entries than the new list
   * (which fengari's table tells in constant time). Otherwise a new table goes in its place.
   */
  private setArgTable(slot: { t: LuaTable | null; n: number }, nameRef: number, list: ArgList): void {
    const L = this.L;
    const n = listLength(list);
    const t = slot.t;
    if (t !== null) {
      fillList(L, t, list);
      for (let i = n + 1; i <= slot.n; i++) internals.luaH_setint(t, i, internals.nil);
      slot.n = n;
      if (t.metatable === null && t.strong.size === n) return;
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.globalsRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, nameRef);
    pushList(L, list);
    slot.t = lua.lua_topointer(L, -1) as LuaTable;
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
    slot.n = n;
  }

  /** The coroutine a script runs in, set up with the compiled function (and a function's arguments). */
  private prepare(ref: number, keys: ArgList, args: ArgList, host: RunHost, fn: boolean, startedAt: number): { co: LuaState; ref: number } {
    const L = this.L;
    if (!fn) this.setArgs(keys, args);
    // a coroutine that ended normally is back at its base level and can run the next script
    // (making one per script was a third of the cost of a short script)
    let idle = this.idleCo;
    this.idleCo = null;
    if (idle === null) {
      const made = lua.lua_newthread(L);
      idle = { co: made, ref: lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) };
    }
    const co = idle.co;
    lua.lua_settop(co, 0);
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, ref);
    if (fn) {
      // a function gets KEYS and ARGV as its two arguments
      pushList(co, keys);
      pushList(co, args);
    }
    this.host = host;
    this.co = co;
    this.pending = null;
    this.raiseOnResume = false;
    this.startedAt = startedAt;
    this.lastYield = startedAt;
    this.busy = false;
    return idle;
  }

  /** The script ended (status st of its last resume): its reply or error to w. True if it ended normally. */
  private finish(co: LuaState, st: number, host: RunHost, w: RespWriter, name: string): boolean {
    if (st === lua.LUA_OK) {
      if (lua.lua_gettop(co) === 0) w.nullBulk();
      else {
        lua.lua_settop(co, 1);
        writeLuaValue(co, w, host.resp);
      }
      lua.lua_settop(co, 0);
      return true;
    }
    w.error(oneLine(this.errorText(co, name)));
    return false;
  }

  /** After a run: keep its coroutine for the next one if it ended normally. */
  private endRun(idle: { co: LuaState; ref: number }, reusable: boolean): void {
    this.host = null;
    this.co = null;
    if (this.hookEveryInstruction) {
      // (the killed script's coroutine, or one it made, had it: back to the usual count for all)
      this.hookEveryInstruction = false;
      lua.lua_sethook(idle.co, this.hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
      lua.lua_sethook(this.L, this.hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    }
    if (reusable) this.idleCo = idle;
    else lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, idle.ref);
    lua.lua_settop(this.L, 0);
  }

  /**
   * Run a compiled script to its end; its reply (or error) is written to w. `name` is what error
   * texts call it (the sha1 for EVAL).
   */
  async run(ref: number, keys: ArgList, args: ArgList, host: RunHost, w: RespWriter, name: string, fn = false): Promise<void> {
    const L = this.L;
    const idle = this.prepare(ref, keys, args, host, fn, performance.now());
    const co = idle.co;
    let reusable = false;
    try {
      let nargs = fn ? 2 : 0;
      for (;;) {
        const st = lua.lua_resume(co, L, nargs);
        if (st === lua.LUA_YIELD) {
          const p = this.pending as PendingCall | null;
          this.pending = null;
          lua.lua_settop(co, 0);
          if (p === null) {
            // the count hook yielded: let the event loop serve others (BUSY, SCRIPT KILL)
            await new Promise((r) => setImmediate(r));
            this.lastYield = performance.now();
            nargs = 0;
            continue;
          }
          let reply: Uint8Array;
          try {
            // a host that answers synchronously (a shard's) keeps the whole script synchronous
            const r = host.execute(p.argv);
            reply = r instanceof Promise ? await r : r;
          } catch (e) {
            // a bug on our side: the script sees an error reply, the log gets the details
            console.error(e);
            reply = Buffer.from(`-${SCRIPT_CALL_INTERNAL_ERROR}\r\n`);
          }
          pushReply(co, reply, 0);
          this.raiseOnResume = p.raise && reply[0] === 0x2d;
          nargs = 1;
          // commands that complete without I/O (main-thread ones) never let the event loop in:
          // past the busy threshold, give it a turn now and then, as the count hook does
          if (this.pastBusyThreshold(host) && !host.killed) {
            await new Promise((r) => setImmediate(r));
            this.lastYield = performance.now();
          }
          continue;
        }
        reusable = this.finish(co, st, host, w, name);
        return;
      }
    } catch (e) {
      // a failure of ours (not the script's): a synchronous host must learn it before run() returns
      host.internalError?.(e);
      throw e;
    } finally {
      this.endRun(idle, reusable);
    }
  }

  /**
   * Run a compiled script to its end, synchronously, for a host whose commands run in place
   * (executeNow) and that kills its script rather than let it pass busy-reply-threshold: such a
   * script never suspends. A failure of ours is reported to host.internalError (and thrown).
   */
  runNow(ref: number, keys: ArgList, args: ArgList, host: RunHost, w: RespWriter, name: string, fn = false, startedAt = performance.now()): void {
    const idle = this.prepare(ref, keys, args, host, fn, startedAt);
    let reusable = false;
    try {
      const st = lua.lua_resume(idle.co, this.L, fn ? 2 : 0);
      if (st === lua.LUA_YIELD) throw new Error('a script run in place was suspended');
      reusable = this.finish(idle.co, st, host, w, name);
    } catch (e) {
      host.internalError?.(e);
      throw e;
    } finally {
      this.endRun(idle, reusable);
    }
  }

  /** The error reply of a script that failed (Redis's __redis__err__handler and luaCallFunction). */
  private errorText(co: LuaState, name: string): string {
    // where: the innermost function of the script itself (native functions and the prelude's
    // wrappers stand for Redis's C functions, which its error handler skips)
    const ar = new lua.lua_Debug();
    let where = '';
    for (let level = 0; level < 8; level++) {
      if (!lua.lua_getstack(co, level, ar)) break;
      lua.lua_getinfo(co, 'Sl', ar);
      const what = ar.what ? Buffer.from(ar.what).toString() : '';
      const source = ar.source ? Buffer.from(ar.source).latin1Slice() : '';
      if (what === 'C' || what === 'J' || source === '=prelude') continue;
      if (source && ar.currentline > 0) where = ` script: ${name}, on ${source}:${ar.currentline}.`;
      break;
    }
    // the error object, read on the main thread (the dead coroutine's stack has no room)
    const L = this.L;
    lua.lua_xmove(co, L, 1);
    let msg: string;
    if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      lua.lua_pushliteral(L, 'err');
      lua.lua_rawget(L, -2);
      const t = lua.lua_type(L, -1);
      msg = t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER ? (toLatin1(L, -1) ?? '') : errText('unknown error');
      lua.lua_pop(L, 1);
    } else {
      const t = lua.lua_type(L, -1);
      const s = t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER ? toLatin1(L, -1) : null;
      msg = errText(s === null ? (t === lua.LUA_TNIL ? 'nil' : 'unknown error') : as51Message(s));
    }
    lua.lua_pop(L, 1);
    return msg + where;
  }

  // ---- hooks --------------------------------------------------------------------------------

  private countHook(L: LuaState): void {
    const host = this.host;
    if (host === null) return;
    // (a shard's host kills its script when it passes the threshold: checked after it)
    const past = this.pastBusyThreshold(host);
    if (host.killed) {
      // from now on at every instruction, as redis-server's hook after SCRIPT KILL: a pcall in the
      // script catches the error, and the next instruction outside it raises it again (raised only
      // every HOOK_EVERY instructions, a `while 1 do pcall(f) end` would nearly always be inside f)
      // (on the thread running now: a coroutine the script made has a hook of its own)
      lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, 1);
      this.hookEveryInstruction = true;
      pushErrorTable(L, SCRIPT_KILLED);
      lua.lua_error(L);
      return;
    }
    // only the script's own coroutine may be suspended (a coroutine the script made would resume its caller)
    if (past && L === this.co && lua.lua_isyieldable(L)) lua.lua_yield(L, 0);
  }

  /** True when the script has run past busy-reply-threshold and last yielded 20 ms ago or more. */
  private pastBusyThreshold(host: RunHost): boolean {
    const now = performance.now();
    if (now - this.startedAt < host.busyAfterMs) return false;
    if (!this.busy) {
      this.busy = true;
      host.becameBusy();
    }
    return now - this.lastYield >= 20;
  }
}

/**
 * A runtime error message in Lua 5.1's words: 5.3 says "attempt to index a nil value (local 'a')"
 * where 5.1 says "attempt to index local 'a' (a nil value)".
 */
export function as51Message(s: string): string {
  return s.replace(/attempt to (.+?) a (\w+) value \((global|local|field|upvalue|method|constant) '([^']*)'\)/, (_, op: string, type: string, kind: string, name: string) =>
    `attempt to ${op} ${kind === 'constant' ? 'field' : kind} '${name}' (a ${type} value)`,
  );
}

/**
 * A Lua 5.3 syntax error as Lua 5.1 words it: 5.1 quotes every token it names (`near '<eof>'`,
 * `'<name>' expected`), and says `unfinished long string` without where it started.
 */
export function as51SyntaxMessage(s: string): string {
  return s.replace(/(^|[^'<])<(eof|name|number|integer|string)>(?!')/g, "$1'<$2>'").replace(/(unfinished long (?:string|comment)) \(starting at line \d+\)/, '$1');
}

/** A script's KEYS or ARGV: binary strings, or `n` arguments of a framed request from index `from`. */
export type ArgList = readonly string[] | { readonly args: Args; readonly from: number; readonly n: number };

function listLength(list: ArgList): number {
  return isStrings(list) ? list.length : list.n;
}

/** Push a new array table of the list's strings (a request's arguments copied from its bytes). */
function pushList(L: LuaState, list: ArgList): void {
  lua.lua_createtable(L, listLength(list), 0);
  fillList(L, lua.lua_topointer(L, -1) as LuaTable, list);
}

/** Set entries 1..n of table t to the list's strings (set in place where t has them). */
function fillList(L: LuaState, t: LuaTable, list: ArgList): void {
  const n = listLength(list);
  const strings = isStrings(list) ? list : list.args.strings;
  const from = isStrings(list) ? 0 : list.from;
  for (let i = 0; i < n; i++) {
    const e = t.strong.get(i + 1);
    let b: Uint8Array;
    if (strings !== null) b = new Uint8Array(Buffer.from(strings[from + i]!, 'latin1'));
    else {
      const a = (list as Exclude<ArgList, readonly string[]>).args;
      const st = a.start[from + i]!;
      const end = st + a.len[from + i]!;
      // the same bytes as the last script's entry (a client calling a script on the same keys): kept
      if (e !== undefined && e.value.type === internals.LUA_TLNGSTR && sameBytes((e.value.value as LuaTString).realstring, a.buf, st, end)) continue;
      b = copyBytes(a.buf, st, end);
    }
    if (e === undefined) internals.luaH_setint(t, i + 1, ownedString(L, b));
    else {
      e.value.type = internals.LUA_TLNGSTR;
      e.value.value = new internals.TString(L, b);
    }
  }
}

/** True if s holds the bytes b[start, end). */
function sameBytes(s: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s[i] !== b[start + i]) return false;
  return true;
}

function isStrings(list: ArgList): list is readonly string[] {
  return Array.isArray(list);
}
