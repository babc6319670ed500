/*
 * Redis 7 functions: FUNCTION LOAD [REPLACE] / DELETE / LIST / FLUSH / DUMP / RESTORE / STATS / KILL
 * and FCALL / FCALL_RO. A library is Lua code opening with "#!lua name=<lib>"; loading it runs the
 * code with only redis.register_function (and redis.log) visible; the functions it registers run
 * like EVAL scripts (every shard locked, effects replicated) with KEYS and ARGV as their arguments.
 * FUNCTION LOAD/DELETE/FLUSH/RESTORE reach replicas as themselves.
 */

import { createHash } from 'node:crypto';
import { globMatch } from '../commands/glob.js';
import { REDIS_VERSION } from '../config.js';
import { In, RDB_OPCODE, RDB_VERSION, RdbWriter, crc64 } from '../codec/rdb.js';
import * as E from '../resp/errors.js';
import type { MainCtx, MainHandler, ServerContext } from '../server/main-ctx.js';
import { propagateMain } from '../server/commands/transactions.js';
import { checkMayWrite, killRunning, numkeysOf } from './script-checks.js';
import type { LuaVm } from './vm.js';
import { newFastPathState } from './fast-path.js';
import type { FastPathState, FunctionCatalog } from './service.js';
import { engineOf, type ScriptEngineApi } from './engine-api.js';
import type { LauxApi, LuaApi, LuaState } from './lua-api.js';
import { vmMain } from './vm-modules.js';
import { mainCommands } from '../commands/registry.js';

/** Function flags in the order Redis lists them. */
const FLAG_ORDER = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'];
const NAME_RE = /^[A-Za-z0-9_]+$/;

interface FunctionDef {
  name: string;
  ref: number;
  flags: Set<string>;
  description: string | null;
  library: Library;
  /** The no-writes flag. */
  noWrites: boolean;
  /** Without no-writes: FCALL_RO and read-only replicas refuse it. */
  declaresWrites: boolean;
  /** The in-shard fast path's bookkeeping (fast-path.ts; the body sent is the library's code). */
  fast: FastPathState;
}

interface Library {
  name: string;
  code: string;
  /** sha1 of the code: names this version of the library in the shards. */
  sha: string;
  functions: Map<string, FunctionDef>;
}

type Registered = Omit<FunctionDef, 'library' | 'noWrites' | 'declaresWrites' | 'fast'>;

// the Lua API, from the VM's modules (loaded with the VM, vm-modules.ts: before the first FunctionEngine)
let lua = undefined as unknown as LuaApi;
let lauxlib = undefined as unknown as LauxApi;
let toLatin1 = undefined as unknown as (L: LuaState, idx: number) => string | null;
let pushErrorTable = undefined as unknown as (L: LuaState, msg: string) => void;

function fail(L: LuaState, msg: string): number {
  pushErrorTable(L, E.errText(msg));
  return lua.lua_error(L);
}

export class FunctionEngine implements FunctionCatalog {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionDef>();
  /** register_function calls of the library being loaded. */
  private collecting: Map<string, Registered> | null = null;

  constructor(private readonly scripts: { readonly lua: LuaVm }) {
    const vm = scripts.lua;
    const m = vmMain();
    ({ lua, lauxlib, toLatin1, pushErrorTable } = m);
    const L = vm.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, vm.loadApiRef);
    lua.lua_pushjsfunction(L, (l) => this.registerFunction(l));
    lua.lua_setfield(L, -2, 'register_function');
    m.loadApiLog(L);
    lua.lua_pushliteral(L, REDIS_VERSION);
    lua.lua_setfield(L, -2, 'REDIS_VERSION');
    lua.lua_pop(L, 1);
  }

  private registerFunction(L: LuaState): number {
    const into = this.collecting;
    if (into === null) return fail(L, 'redis.register_function can only be called on FUNCTION LOAD command');
    const n = lua.lua_gettop(L);
    let name: string | null = null;
    let ref = -1;
    let flags = new Set<string>();
    let description: string | null = null;
    const refTop = (): void => {
      if (ref >= 0) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
      lua.lua_pushvalue(L, -1);
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    };
    const bad = (msg: string): number => {
      if (ref >= 0) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
      return fail(L, msg);
    };
    if (n === 1) {
      if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
        return bad('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      }
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1)) {
        if (lua.lua_type(L, -2) !== lua.LUA_TSTRING) return bad('named argument key given to redis.register_function is not a string');
        const key = toLatin1(L, -2)!;
        if (key === 'function_name') {
          if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) return bad('function_name argument given to redis.register_function must be a string');
          name = toLatin1(L, -1)!;
        } else if (key === 'description') {
          if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) return bad('description argument given to redis.register_function must be a string');
          description = toLatin1(L, -1)!;
        } else if (key === 'callback') {
          if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) return bad('callback argument given to redis.register_function must be a function');
          refTop();
        } else if (key === 'flags') {
          if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) return bad('flags argument to redis.register_function must be a table representing function flags');
          const r = this.readFlags(L);
          if (r === null) return bad('unknown flag given');
          flags = r;
        } else {
          return bad('unknown argument given to redis.register_function');
        }
        lua.lua_pop(L, 1);
      }
      if (name === null) return bad('redis.register_function must get a function name argument');
      if (ref < 0) return bad('redis.register_function must get a callback argument');
    } else if (n === 2) {
      if (lua.lua_type(L, 1) !== lua.LUA_TSTRING) return bad('first argument to redis.register_function must be a string');
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) return bad('second argument to redis.register_function must be a function');
      name = toLatin1(L, 1)!;
      refTop();
    } else {
      return bad('wrong number of arguments to redis.register_function');
    }
    if (!NAME_RE.test(name)) return bad('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
    if (into.has(name)) return bad('Function already exists in the library');
    into.set(name, { name, ref, flags, description });
    return 0;
  }

  /** The flags table at the top: a set, or null if one is not a known flag. */
  private readFlags(L: LuaState): Set<string> | null {
    const out = new Set<string>();
    const len = lua.lua_rawlen(L, -1);
    for (let i = 1; i <= len; i++) {
      lua.lua_rawgeti(L, -1, i);
      const f = lua.lua_type(L, -1) === lua.LUA_TSTRING ? toLatin1(L, -1) : null;
      lua.lua_pop(L, 1);
      if (f === null || !FLAG_ORDER.includes(f)) return null;
      out.add(f);
    }
    return out;
  }

  /** Load a library (FUNCTION LOAD); its name. Throws CommandError with Redis's texts. */
  load(code: string, replace: boolean): string {
    if (!code.startsWith('#!')) throw new E.CommandError(E.FUNCTION_NO_METADATA);
    const nl = code.indexOf('\n');
    if (nl < 0) throw new E.CommandError(E.FUNCTION_BAD_METADATA);
    const parts = code.slice(0, nl).split(/[ \t\r]+/).filter((p) => p.length > 0);
    if (parts.length === 0) throw new E.CommandError(E.FUNCTION_BAD_METADATA);
    const engine = parts[0]!.slice(2);
    let name: string | null = null;
    for (const p of parts.slice(1)) {
      if (p.toLowerCase().startsWith('name=')) {
        if (name !== null) throw new E.CommandError(E.FUNCTION_NAME_TWICE);
        name = p.slice(5);
        continue;
      }
      throw new E.CommandError(E.functionBadMetadataValue(p));
    }
    if (name === null) throw new E.CommandError(E.FUNCTION_NO_LIBRARY_NAME);
    if (engine.toLowerCase() !== 'lua') throw new E.CommandError(E.functionEngineNotFound(engine));
    if (!NAME_RE.test(name)) throw new E.CommandError(E.FUNCTION_LIBRARY_NAME_CHARS);
    const old = this.libraries.get(name);
    if (old && !replace) throw new E.CommandError(E.functionLibraryExists(name));
    const body = Buffer.from(code, 'latin1');
    body[0] = 0x2d; // the shebang line becomes a comment: line numbers stay
    body[1] = 0x2d;
    const collected = new Map<string, Registered>();
    this.collecting = collected;
    let r: ReturnType<LuaVm['loadLibrary']>;
    try {
      r = this.scripts.lua.loadLibrary(body);
    } finally {
      this.collecting = null;
    }
    const release = (): void => {
      for (const f of collected.values()) this.scripts.lua.release(f.ref);
    };
    if (r !== null) {
      release();
      if ('compile' in r) throw new E.CommandError(E.functionCompileError(r.compile));
      throw new E.CommandError(E.functionRegisterError(r.run));
    }
    if (collected.size === 0) throw new E.CommandError(E.FUNCTION_NONE_REGISTERED);
    for (const f of collected.keys()) {
      const other = this.functions.get(f);
      if (other && other.library !== old) {
        release();
        throw new E.CommandError(E.functionExists(f));
      }
    }
    if (old) this.remove(old);
    const lib: Library = { name, code, sha: createHash('sha1').update(body).digest('hex'), functions: new Map() };
    for (const f of collected.values()) {
      const noWrites = f.flags.has('no-writes');
      const def = { ...f, library: lib, noWrites, declaresWrites: !noWrites, fast: newFastPathState(code) };
      lib.functions.set(f.name, def);
      this.functions.set(f.name, def);
    }
    this.libraries.set(name, lib);
    return name;
  }

  remove(lib: Library): void {
    for (const f of lib.functions.values()) {
      this.functions.delete(f.name);
      this.scripts.lua.release(f.ref);
    }
    this.libraries.delete(lib.name);
  }

  flush(): void {
    for (const lib of [...this.libraries.values()]) this.remove(lib);
  }

  /** Every library's code as RDB FUNCTION2 records (FUNCTION DUMP, and a full sync's RDB). */
  records(): Buffer {
    const o = new RdbWriter(1024);
    for (const lib of this.libraries.values()) {
      o.byte(RDB_OPCODE.FUNCTION2);
      const b = Buffer.from(lib.code, 'latin1');
      o.len(b.length);
      o.raw(b);
    }
    return o.buf.subarray(0, o.n);
  }

  /** FUNCTION DUMP: the records, RDB version and CRC64. */
  dump(): Buffer {
    const o = new RdbWriter(1024);
    o.raw(this.records());
    o.byte(RDB_VERSION & 0xff);
    o.byte(RDB_VERSION >> 8);
    const body = o.buf.subarray(0, o.n);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, crc]);
  }

  /** FUNCTION RESTORE: the libraries' codes in a payload, or an error text. */
  static parseDump(b: Buffer): string[] | string {
    if (b.length < 10) return E.DUMP_PAYLOAD;
    const version = b.readUInt16LE(b.length - 10);
    if (version > RDB_VERSION || crc64(b.subarray(0, b.length - 8)) !== b.readBigUInt64LE(b.length - 8)) {
      return E.DUMP_PAYLOAD;
    }
    const r = new In(b.subarray(0, b.length - 10));
    const codes: string[] = [];
    try {
      while (r.pos < r.b.length) {
        if (r.byte() !== RDB_OPCODE.FUNCTION2) return E.FUNCTION_DUMP_NOT_FUNCTION;
        codes.push(r.str());
      }
    } catch {
      return E.FUNCTION_DUMP_INVALID;
    }
    return codes;
  }
}

/** Each EVAL engine's FUNCTION engine (made on first use; the EVAL engine holds it as its catalog). */
const fnEngines = new WeakMap<ScriptEngineApi, FunctionEngine>();

/** The server's FUNCTION engine, made if `make` (else null when none is yet). */
function functionEngineOf(server: ServerContext, make: true): FunctionEngine;
function functionEngineOf(server: ServerContext, make: false): FunctionEngine | null;
function functionEngineOf(server: ServerContext, make: boolean): FunctionEngine | null {
  const eng = engineOf(server);
  let fe = fnEngines.get(eng) ?? null;
  if (fe === null && make) {
    fe = new FunctionEngine(eng);
    fnEngines.set(eng, fe);
    eng.functionEngine = fe;
  }
  return fe;
}

function functionEngine(c: MainCtx): FunctionEngine {
  return functionEngineOf(c.server, true);
}

/**
 * A replica's full sync: the master's libraries replace ours. Returns the first load error (the
 * other libraries are still loaded), or null.
 */
export function replaceFunctionLibraries(server: ServerContext, codes: readonly string[]): string | null {
  if (codes.length === 0) {
    functionEngineOf(server, false)?.flush();
    return null;
  }
  const fe = functionEngineOf(server, true);
  fe.flush();
  let error: string | null = null;
  for (const code of codes) {
    try {
      fe.load(code, true);
    } catch (e) {
      error ??= e instanceof E.CommandError ? e.reply : String(e);
    }
  }
  return error;
}

/** The loaded libraries as RDB FUNCTION2 records, for the RDB of a full sync (empty if none). */
export function functionRdbRecords(server: ServerContext): Buffer {
  return functionEngineOf(server, false)?.records() ?? Buffer.alloc(0);
}

/** Number of libraries and functions (INFO, FUNCTION STATS) without creating the engine. */
export function functionCounts(s: { readonly functionEngine: FunctionCatalog | null }): { libraries: number; functions: number } {
  const f = s.functionEngine;
  return { libraries: f?.libraries.size ?? 0, functions: f?.functions.size ?? 0 };
}

function fcall(readOnly: boolean): MainHandler {
  return (c) => {
    // redis-server: the function first, then numkeys
    const fe = functionEngine(c);
    const f = fe.functions.get(c.args.str(1));
    if (f === undefined) throw new E.CommandError(E.FUNCTION_NOT_FOUND);
    const numkeys = numkeysOf(c, E.FCALL_BAD_NUMKEYS);
    if (!f.noWrites) checkMayWrite(c, readOnly);
    return engineOf(c.server).runFast(c, f.library.sha, f.fast, f.ref, numkeys, f.noWrites, f.name);
  };
}

function writeLibrary(c: MainCtx, lib: Library, withCode: boolean): void {
  const w = c.w;
  w.map(withCode ? 4 : 3);
  w.bulk('library_name');
  w.bulk(lib.name);
  w.bulk('engine');
  w.bulk('LUA');
  w.bulk('functions');
  w.array(lib.functions.size);
  for (const f of lib.functions.values()) {
    w.map(3);
    w.bulk('name');
    w.bulk(f.name);
    w.bulk('description');
    if (f.description === null) w.nullBulk();
    else w.bulk(f.description);
    w.bulk('flags');
    const flags = FLAG_ORDER.filter((x) => f.flags.has(x));
    w.set(flags.length);
    for (const x of flags) w.simple(x);
  }
  if (withCode) {
    w.bulk('library_code');
    w.bulk(lib.code);
  }
}

export const functionCommands = mainCommands<MainHandler>({
  fcall: fcall(false),
  fcall_ro: fcall(true),

  'function|load'(c) {
    let replace = false;
    let i = 2;
    for (; i < c.argc - 1; i++) {
      if (c.args.is(i, 'replace')) replace = true;
      else throw new E.CommandError(E.functionUnknownOption(c.args.str(i)));
    }
    if (i >= c.argc) throw new E.CommandError(E.FUNCTION_CODE_MISSING);
    const name = functionEngine(c).load(c.args.str(i), replace);
    propagateMain(c, c.conn.db, c.args.all(0));
    c.w.bulk(name);
  },

  'function|delete'(c) {
    // (no engine yet: no library, and the Lua VM is not made for that)
    const fe = functionEngineOf(c.server, false);
    const lib = fe?.libraries.get(c.args.str(2));
    if (lib === undefined) throw new E.CommandError(E.FUNCTION_LIBRARY_NOT_FOUND);
    fe!.remove(lib);
    propagateMain(c, c.conn.db, c.args.all(0));
    c.w.ok();
  },

  'function|flush'(c) {
    if (c.argc > 3) throw new E.CommandError(E.subcommandSyntax(c.args.str(1), 'function'));
    if (c.argc === 3 && !c.args.is(2, 'sync') && !c.args.is(2, 'async')) throw new E.CommandError(E.FUNCTION_FLUSH_MODE);
    functionEngineOf(c.server, false)?.flush();
    propagateMain(c, c.conn.db, c.args.all(0));
    c.w.ok();
  },

  'function|list'(c) {
    let withCode = false;
    let pattern: string | null = null;
    for (let i = 2; i < c.argc; i++) {
      // each option once (redis-server: a second one is an unknown argument)
      if (!withCode && c.args.is(i, 'withcode')) {
        withCode = true;
        continue;
      }
      if (pattern === null && c.args.is(i, 'libraryname')) {
        if (++i >= c.argc) throw new E.CommandError(E.FUNCTION_LIST_NO_NAME);
        pattern = c.args.str(i);
        continue;
      }
      throw new E.CommandError(E.functionUnknownArgument(c.args.str(i)));
    }
    const libs = [...(functionEngineOf(c.server, false)?.libraries.values() ?? [])].filter((l) => pattern === null || globMatch(pattern, l.name));
    c.w.array(libs.length);
    for (const lib of libs) writeLibrary(c, lib, withCode);
  },

  'function|stats'(c) {
    const eng = engineOf(c.server);
    const w = c.w;
    w.map(2);
    w.bulk('running_script');
    const info = eng.runningInfo;
    if (info === null) w.nullBulk();
    else {
      w.map(3);
      w.fields([['name', info.name]]);
      w.bulk('command');
      w.bulkArray(info.command);
      w.fields([['duration_ms', Date.now() - info.started]]);
    }
    const counts = functionCounts(eng);
    w.bulk('engines');
    w.map(1);
    w.bulk('LUA');
    w.map(2);
    w.fields([
      ['libraries_count', counts.libraries],
      ['functions_count', counts.functions],
    ]);
  },

  'function|help'(c) {
    c.w.helpLines([
      'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'LOAD [REPLACE] <FUNCTION CODE>',
      '    Create a new library with the given library name and code.',
      'DELETE <LIBRARY NAME>',
      '    Delete the given library.',
      'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
      '    Return general information on all the libraries:',
      '    * Library name',
      '    * The engine used to run the Library',
      '    * Library description',
      '    * Functions list',
      '    * Library code (if WITHCODE is given)',
      '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
      'STATS',
      '    Return information about the current function running:',
      '    * Function name',
      '    * Command used to run the function',
      '    * Duration in MS that the function is running',
      '    If no function is running, return nil',
      '    In addition, returns a list of available engines.',
      'KILL',
      '    Kill the current running function.',
      'FLUSH [ASYNC|SYNC]',
      '    Delete all the libraries.',
      '    When called without the optional mode argument, the behavior is determined by the',
      '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
      '    * ASYNC: Asynchronously flush the libraries.',
      '    * SYNC: Synchronously flush the libraries.',
      'DUMP',
      '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
      'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
      '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
      '    control how to handle existing libraries (default APPEND):',
      '    * FLUSH: delete all existing libraries.',
      '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
      '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
      '      libraries with the new libraries (notice that even on this option there is a chance of failure',
      '      in case of functions name collision with another library).',
      'HELP',
      '    Prints this help.',
    ]);
  },

  'function|kill'(c) {
    killRunning(c, true);
    c.w.ok();
  },

  'function|dump'(c) {
    c.w.bulkBytes(functionEngine(c).dump());
  },

  'function|restore'(c) {
    let policy = 'append';
    if (c.argc > 4) throw new E.CommandError(E.subcommandSyntax(c.args.str(1), 'function'));
    if (c.argc === 4) {
      policy = c.args.lower(3);
      if (policy !== 'flush' && policy !== 'append' && policy !== 'replace') {
        throw new E.CommandError(E.FUNCTION_RESTORE_POLICY);
      }
    }
    const codes = FunctionEngine.parseDump(c.args.bytes(2));
    if (typeof codes === 'string') throw new E.CommandError(codes);
    const fe = functionEngine(c);
    // all or nothing: keep the current libraries to put back if one fails
    const saved = [...fe.libraries.values()].map((l) => l.code);
    if (policy === 'flush') fe.flush();
    try {
      for (const code of codes) fe.load(code, policy !== 'append');
    } catch (e) {
      fe.flush();
      for (const code of saved) fe.load(code, true);
      throw e;
    }
    propagateMain(c, c.conn.db, c.args.all(0));
    c.w.ok();
  },
});

