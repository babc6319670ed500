/*
 * The Lua VM binding: loads fengari (Lua 5.3 in pure JavaScript, chosen over wasmoon: see README,
 * "Lua scripting") with integral floats printed as Lua 5.1 prints them, and gives the rest of
 * src/scripting/ a typed view of the part of its C-like API we use, plus byte-string helpers (Redis
 * values are bytes; shardis carries them as latin1 strings; fengari's strings are Uint8Arrays).
 */

import { createRequire } from 'node:module';
import { formatG } from './lua-format.js';
import { patchStackPops } from './fengari-stack.js';

/** An opaque lua_State. */
export type LuaState = { readonly __luaState: unique symbol };
export type LuaJsFunction = (L: LuaState) => number;
export type LuaKFunction = (L: LuaState, status: number, ctx: number) => number;

export interface LuaDebug {
  currentline: number;
  short_src: Uint8Array | null;
  source: Uint8Array | null;
  what: Uint8Array | null;
}

export interface LuaApi {
  LUA_OK: number;
  LUA_YIELD: number;
  LUA_ERRRUN: number;
  LUA_ERRSYNTAX: number;
  LUA_ERRMEM: number;
  LUA_ERRERR: number;
  LUA_TNIL: number;
  LUA_TBOOLEAN: number;
  LUA_TNUMBER: number;
  LUA_TSTRING: number;
  LUA_TTABLE: number;
  LUA_TFUNCTION: number;
  LUA_REGISTRYINDEX: number;
  LUA_MASKCOUNT: number;
  LUA_MULTRET: number;
  lua_Debug: new () => LuaDebug;
  lua_absindex(L: LuaState, idx: number): number;
  lua_atnativeerror(L: LuaState, f: LuaJsFunction): void;
  lua_call(L: LuaState, nargs: number, nres: number): void;
  lua_checkstack(L: LuaState, n: number): boolean;
  lua_createtable(L: LuaState, narr: number, nrec: number): void;
  lua_error(L: LuaState): number;
  lua_getfield(L: LuaState, idx: number, k: string): number;
  lua_getglobal(L: LuaState, name: string): number;
  lua_getinfo(L: LuaState, what: string, ar: LuaDebug): number;
  lua_getmetatable(L: LuaState, idx: number): boolean;
  lua_getstack(L: LuaState, level: number, ar: LuaDebug): boolean;
  lua_gettop(L: LuaState): number;
  lua_insert(L: LuaState, idx: number): void;
  lua_isinteger(L: LuaState, idx: number): boolean;
  lua_isnumber(L: LuaState, idx: number): boolean;
  lua_isstring(L: LuaState, idx: number): boolean;
  lua_newtable(L: LuaState): void;
  lua_newthread(L: LuaState): LuaState;
  lua_next(L: LuaState, idx: number): boolean;
  lua_pcall(L: LuaState, nargs: number, nres: number, msgh: number): number;
  lua_pop(L: LuaState, n: number): void;
  lua_pushboolean(L: LuaState, b: boolean | number): void;
  lua_pushinteger(L: LuaState, n: number): void;
  lua_pushjsclosure(L: LuaState, f: LuaJsFunction, n: number): void;
  lua_pushjsfunction(L: LuaState, f: LuaJsFunction): void;
  lua_pushliteral(L: LuaState, s: string): void;
  lua_pushglobaltable(L: LuaState): void;
  lua_pushlightuserdata(L: LuaState, p: object): void;
  lua_touserdata(L: LuaState, idx: number): unknown;
  /** fengari: the table, function, thread or userdata object itself (its internals). */
  lua_topointer(L: LuaState, idx: number): unknown;
  lua_isyieldable(L: LuaState): boolean;
  lua_pushnil(L: LuaState): void;
  lua_pushnumber(L: LuaState, n: number): void;
  lua_pushstring(L: LuaState, s: Uint8Array): void;
  lua_pushvalue(L: LuaState, idx: number): void;
  lua_rawequal(L: LuaState, a: number, b: number): boolean;
  lua_rawget(L: LuaState, idx: number): number;
  lua_rawgeti(L: LuaState, idx: number, n: number): number;
  lua_rawlen(L: LuaState, idx: number): number;
  lua_rawset(L: LuaState, idx: number): void;
  lua_rawseti(L: LuaState, idx: number, n: number): void;
  lua_remove(L: LuaState, idx: number): void;
  lua_replace(L: LuaState, idx: number): void;
  lua_concat(L: LuaState, n: number): void;
  lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
  lua_setfield(L: LuaState, idx: number, k: string): void;
  lua_setglobal(L: LuaState, name: string): void;
  lua_sethook(L: LuaState, f: ((L: LuaState, ar: LuaDebug) => void) | null, mask: number, count: number): void;
  lua_setmetatable(L: LuaState, idx: number): void;
  lua_settop(L: LuaState, idx: number): void;
  lua_setupvalue(L: LuaState, funcindex: number, n: number): Uint8Array | null;
  lua_toboolean(L: LuaState, idx: number): boolean;
  lua_tointeger(L: LuaState, idx: number): number;
  lua_tolstring(L: LuaState, idx: number): Uint8Array | null;
  lua_tonumber(L: LuaState, idx: number): number;
  lua_type(L: LuaState, idx: number): number;
  lua_upvalueindex(i: number): number;
  lua_xmove(from: LuaState, to: LuaState, n: number): void;
  lua_yield(L: LuaState, n: number): number;
  lua_yieldk(L: LuaState, n: number, ctx: number, k: LuaKFunction | null): number;
}

export interface LauxApi {
  luaL_newstate(): LuaState;
  luaL_ref(L: LuaState, t: number): number;
  luaL_unref(L: LuaState, t: number, ref: number): void;
  luaL_loadbufferx(L: LuaState, buf: Uint8Array, size: number, name: Uint8Array, mode: Uint8Array | null): number;
  luaL_requiref(L: LuaState, name: Uint8Array, f: LuaJsFunction, glb: number): void;
  luaL_checkinteger(L: LuaState, arg: number): number;
  luaL_checknumber(L: LuaState, arg: number): number;
  luaL_checklstring(L: LuaState, arg: number): Uint8Array;
  luaL_optinteger(L: LuaState, arg: number, def: number): number;
  luaL_checktype(L: LuaState, arg: number, t: number): void;
  luaL_argerror(L: LuaState, arg: number, msg: string): number;
  luaL_error(L: LuaState, fmt: string, ...args: unknown[]): number;
  luaL_where(L: LuaState, level: number): void;
}

export interface LualibApi {
  luaopen_base: LuaJsFunction;
  luaopen_table: LuaJsFunction;
  luaopen_string: LuaJsFunction;
  luaopen_math: LuaJsFunction;
  luaopen_coroutine: LuaJsFunction;
}

interface Fengari {
  lua: LuaApi;
  lauxlib: LauxApi;
  lualib: LualibApi;
}

/**
 * fengari's API, once loadLua() ran (the first LuaVm does): a server that runs no script never loads
 * fengari (about 1.7 MB of heap in every isolate, the main thread's and each shard's).
 */
export let lua = undefined as unknown as LuaApi;
export let lauxlib = undefined as unknown as LauxApi;
export let lualib = undefined as unknown as LualibApi;

interface NumberSlot {
  ttisinteger(): boolean;
  setfltvalue(x: number): void;
}

/** Load and set up fengari (once). */
export function loadLua(): void {
  if (lua !== undefined) return;
  // fengari reads its configuration from the environment once, when first loaded: integral floats
  // print as "2", not "2.0" (Lua 5.1, which Redis embeds, has only floats)
  const hadConf = process.env.FENGARICONF;
  process.env.FENGARICONF = JSON.stringify({ LUA_COMPAT_FLOATSTRING: true });
  const require = createRequire(import.meta.url);
  // and with Lua 5.1's number format ("%.14g": 1e+15, not 1000000000000000); fengari's own modules
  // read this function from luaconf when they load, so it is replaced before they do
  const defs = require('fengari/src/defs.js') as { luastring_from: (a: ArrayLike<number>) => Uint8Array }; // loads luaconf the way fengari does (defs first: they import each other)
  // every string pushed is copied with luastring_from, which is Uint8Array.from: an iterator walk, a
  // tenth of a short script's time; a typed-array copy (memcpy) makes the same array. Replaced
  // before the modules that destructure it (lstring.js) load.
  defs.luastring_from = (a) => new Uint8Array(a);
  const luaconf = require('fengari/src/luaconf.js') as { lua_number2str: (n: number) => string };
  luaconf.lua_number2str = (n: number) => (Number.isNaN(n) ? '-nan' : formatG(n, 14));
  // a string's table key (and the order `<` compares strings by) is "|" and its bytes as latin1
  // characters, not fengari's "|" and each byte in hexadecimal without padding: that made a
  // string concatenation per byte (a slow hash), two strings the same key ("\1#" and "\18\3" are
  // both "|123") and `<` wrong ("\10" < "\16" false, as "|a" > "|10"); latin1 characters keep
  // strings apart and compare as bytes, as C's strcmp. Replaced before the modules that destructure
  // them (llex, ltable, lvm) load.
  const lstring = require('fengari/src/lstring.js') as { luaS_hash: (s: Uint8Array) => string; luaS_hashlongstr: (ts: { hash: string | null; realstring: Uint8Array }) => string };
  const hashOf = (b: Uint8Array): string => '|' + latin1(b);
  lstring.luaS_hash = hashOf;
  lstring.luaS_hashlongstr = (ts) => {
    let h = ts.hash;
    if (h === null) ts.hash = h = hashOf(ts.realstring);
    return h;
  };
  // a pcall that catches an error in a coroutine (every script runs in one) must give back the hooks
  // as they were: fengari keeps that in the calling frame's CIST_OAH bit, but sets it with
  // `callstatus &= ~CIST_OAH | allowhook` (C Lua: the bit = allowhook), which never sets it; after
  // the first caught error no count hook ran in that coroutine (no busy-reply-threshold, no SCRIPT
  // KILL: `while 1 do pcall(f) end` could not be stopped). The bit is set here before fengari's
  // lua_pcallk runs; replaced before lua.js and the base library copy it.
  const lapi = require('fengari/src/lapi.js') as { lua_pcallk: (L: { ci: { callstatus: number }; allowhook: number }, ...rest: unknown[]) => number };
  const lstate = require('fengari/src/lstate.js') as { CIST_OAH: number };
  const pcallk = lapi.lua_pcallk;
  const OAH = lstate.CIST_OAH;
  lapi.lua_pcallk = (L, ...rest) => {
    if (L.allowhook) L.ci.callstatus |= OAH;
    else L.ci.callstatus &= ~OAH;
    return pcallk(L, ...rest);
  };
  // and every numeral (literals in scripts, tonumber, string coercions) read as a float, as in Lua 5.1
  // where all numbers are doubles: fengari's integers are 32-bit and wrap (1000000 * 1000000 would
  // not be 1e12); hexadecimal numerals keep their full value (0xffffffff is 4294967295, not -1)
  const fengari = require('fengari') as Fengari;
  // (fengari's modules read luaO_str2num from the module object at each call: patched once loaded)
  const lobject = require('fengari/src/lobject.js') as { luaO_str2num: (s: Uint8Array, o: NumberSlot) => number };
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = (s: Uint8Array, o: NumberSlot): number => {
    const r = str2num(s, o);
    if (r !== 0 && o.ttisinteger()) o.setfltvalue(numeralValue(Buffer.from(s.buffer, s.byteOffset, r - 1).latin1Slice()));
    return r;
  };
  // slots popped without a `delete` each (fengari-stack.ts)
  patchStackPops(require);
  if (hadConf === undefined) delete process.env.FENGARICONF;
  else process.env.FENGARICONF = hadConf;

  lua = fengari.lua;
  lauxlib = fengari.lauxlib;
  lualib = fengari.lualib;
  const lstringTypes = require('fengari/src/lstring.js') as { TString: new (L: LuaState, b: Uint8Array) => LuaTString };
  const ltable = require('fengari/src/ltable.js') as { luaH_setint: (t: LuaTable, i: number, v: LuaTValue) => void };
  const types = (defs as unknown as { constant_types: { LUA_TLNGSTR: number } }).constant_types;
  const TValue = (lobject as unknown as { TValue: new (type: number, value: unknown) => LuaTValue }).TValue;
  internals = { TValue, TString: lstringTypes.TString, luaH_setint: ltable.luaH_setint, LUA_TLNGSTR: types.LUA_TLNGSTR, nil: new TValue(lua.LUA_TNIL, null) };
}

/*
 * fengari's own objects, for the few hot paths that skip its C-like API (each API call finds its
 * stack slot, checks it, makes a new stack value): a value is a TValue {type, value}; a string a
 * TString around its bytes (never changed once made); a table keeps its entries in a Map (integer
 * keys as numbers), each entry's value a TValue that may be set in place (as luaH_setint does).
 */
export interface LuaTValue {
  type: number;
  value: unknown;
}
export interface LuaTString {
  realstring: Uint8Array;
}
export interface LuaTable {
  strong: Map<unknown, { value: LuaTValue }>;
  metatable: unknown;
}
/** A lua_State's inside: its stack, the top, the running function's slot. */
interface LuaStateInside {
  stack: LuaTValue[];
  top: number;
  ci: { funcOff: number };
}

export let internals = undefined as unknown as {
  TValue: new (type: number, value: unknown) => LuaTValue;
  TString: new (L: LuaState, b: Uint8Array) => LuaTString;
  luaH_setint(t: LuaTable, i: number, v: LuaTValue): void;
  LUA_TLNGSTR: number;
  /** A nil value (luaH_setint with it removes the entry). */
  nil: LuaTValue;
};

/** A new Lua string value of these bytes, which it keeps (the caller gives them up). */
export function ownedString(L: LuaState, b: Uint8Array): LuaTValue {
  return new internals.TValue(internals.LUA_TLNGSTR, new internals.TString(L, b));
}

/**
 * Push bytes the string keeps (the caller gives them up: lua_pushstring would copy them). The
 * stack must have room (lua_checkstack).
 */
export function pushOwned(L: LuaState, b: Uint8Array): void {
  const s = L as unknown as LuaStateInside;
  s.stack[s.top++] = ownedString(L, b);
}

/** The running JS function's argument i (1-based; i <= lua_gettop): its value, not a copy. */
export function argValue(L: LuaState, i: number): LuaTValue {
  const s = L as unknown as LuaStateInside;
  return s.stack[s.ci.funcOff + i]!;
}

/** A copy of src[start, end) (short strings by a loop: cheaper than a view and a memcpy). */
export function copyBytes(src: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  const b = new Uint8Array(n);
  if (n > 32) b.set(src.subarray(start, end));
  else for (let i = 0; i < n; i++) b[i] = src[start + i]!;
  return b;
}

/** The value of an integer numeral (decimal or 0x hexadecimal, optional sign and spaces). */
function numeralValue(text: string): number {
  const t = text.trim();
  const neg = t.startsWith('-');
  const body = t.replace(/^[-+]/, '');
  const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : Number(body);
  return neg ? -v : v;
}
/** Push a latin1 (byte) string or bytes as a Lua string. */
export function pushBytes(L: LuaState, s: string | Uint8Array): void {
  lua.lua_pushstring(L, typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
}

/** Bytes as a latin1 (byte) string (Buffer's decoder works on any Uint8Array: no Buffer made). */
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
export function latin1(b: Uint8Array): string {
  return latin1Slice.call(b, 0, b.length);
}

/** The Lua value at idx as a latin1 (byte) string; null if it is neither a string nor a number. */
export function toLatin1(L: LuaState, idx: number): string | null {
  const b = lua.lua_tolstring(L, idx);
  return b === null ? null : latin1(b);
}

/** A Lua string as bytes (a view, no copy). */
export function toBuffer(L: LuaState, idx: number): Buffer | null {
  const b = lua.lua_tolstring(L, idx);
  return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function luaString(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}
