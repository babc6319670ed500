/*
 * Conversions between Redis replies and Lua values, as redis-server 7.0's script_lua.c makes them.
 *
 * Reply -> Lua (what redis.call returns): integer -> number; bulk -> string; null bulk / null
 * array -> false (RESP2) or nil (RESP3 null); status -> {ok=s}; error -> {err=s}; array -> table;
 * RESP3 map -> {map={k=v}}, set -> {set={member=true}}, boolean -> boolean, double -> {double=n},
 * big number -> {big_number=s}, verbatim -> {verbatim_string={format=f, string=s}}; attributes are
 * dropped. Numbers are pushed as Lua floats: Lua 5.1 has only doubles, and fengari's integers are
 * 32-bit, so an integer reply past 2^31 must not become an integer that wraps.
 *
 * Lua -> reply (a script's return value): string -> bulk; number -> integer (truncated); boolean ->
 * :1 / null (RESP2 script) or a RESP3 boolean; table with err -> error, ok -> status, double ->
 * double, big_number, map, set; other tables -> array up to the first nil; anything else -> null.
 */

import { RespWriter } from '../resp/writer.js';
import { copyBytes, lua, pushBytes, pushOwned, toLatin1, type LuaState } from './lua-api.js';

/**
 * The n entries of a RESP3 map or set, read from b at q, pushed as {map={k=v}} or {set={member=true}};
 * returns the position after them.
 */
function pushKeyed(L: LuaState, b: Uint8Array, q: number, tag: 'map' | 'set', n: number): number {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushliteral(L, tag);
  lua.lua_createtable(L, 0, n);
  for (let i = 0; i < n; i++) {
    q = pushReply(L, b, q);
    if (tag === 'map') q = pushReply(L, b, q);
    else lua.lua_pushboolean(L, true);
    lua.lua_rawset(L, -3);
  }
  lua.lua_rawset(L, -3);
  return q;
}

/** Parse one RESP reply from b at p and push it onto L; returns the position after it. */
export function pushReply(L: LuaState, b: Uint8Array, p: number): number {
  lua.lua_checkstack(L, 4);
  const t = b[p]!;
  const nl = findCR(b, p);
  const next = nl + 2;
  switch (t) {
    case 0x3a: // :
      lua.lua_pushnumber(L, lineNumber(b, p + 1, nl));
      return next;
    case 0x24: {
      // $
      const n = lineNumber(b, p + 1, nl);
      if (n < 0) {
        lua.lua_pushboolean(L, false);
        return next;
      }
      pushOwned(L, copyBytes(b, next, next + n));
      return next + n + 2;
    }
    case 0x2b: // +
      pushField(L, 'ok', latin1Slice(b, p + 1, nl));
      return next;
    case 0x2d: // -
      pushField(L, 'err', latin1Slice(b, p + 1, nl));
      return next;
    case 0x2a: // *
    case 0x3e: {
      // > (not expected from commands; read as an array)
      const n = lineNumber(b, p + 1, nl);
      if (n < 0) {
        lua.lua_pushboolean(L, false);
        return next;
      }
      lua.lua_createtable(L, n, 0);
      let q = next;
      for (let i = 1; i <= n; i++) {
        q = pushReply(L, b, q);
        lua.lua_rawseti(L, -2, i);
      }
      return q;
    }
    case 0x25: // % map
      return pushKeyed(L, b, next, 'map', lineNumber(b, p + 1, nl));
    case 0x7e: // ~ set
      return pushKeyed(L, b, next, 'set', lineNumber(b, p + 1, nl));
    case 0x5f: // _
      lua.lua_pushnil(L);
      return next;
    case 0x23: // #
      lua.lua_pushboolean(L, b[p + 1] === 0x74 && nl === p + 2);
      return next;
    case 0x2c: // ,
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushliteral(L, 'double');
      lua.lua_pushnumber(L, parseDouble(latin1Slice(b, p + 1, nl)));
      lua.lua_rawset(L, -3);
      return next;
    case 0x28: // ( big number
      pushField(L, 'big_number', latin1Slice(b, p + 1, nl));
      return next;
    case 0x3d: {
      // = verbatim
      const n = lineNumber(b, p + 1, nl);
      const body = b.subarray(next, next + n);
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushliteral(L, 'verbatim_string');
      lua.lua_createtable(L, 0, 2);
      lua.lua_pushliteral(L, 'format');
      pushBytes(L, body.subarray(0, 3));
      lua.lua_rawset(L, -3);
      lua.lua_pushliteral(L, 'string');
      pushBytes(L, body.subarray(4));
      lua.lua_rawset(L, -3);
      lua.lua_rawset(L, -3);
      return next + n + 2;
    }
    case 0x7c: {
      // | attribute: skipped, the value follows
      const n = lineNumber(b, p + 1, nl);
      let q = next;
      for (let i = 0; i < 2 * n; i++) q = skipReply(b, q);
      return pushReply(L, b, q);
    }
    default:
      lua.lua_pushnil(L);
      return b.length;
  }
}

function skipReply(b: Uint8Array, p: number): number {
  const t = b[p]!;
  const nl = findCR(b, p);
  const n = lineNumber(b, p + 1, nl);
  const next = nl + 2;
  if (t === 0x24 || t === 0x3d || t === 0x21) return n < 0 ? next : next + n + 2;
  if (t === 0x2a || t === 0x3e || t === 0x7e || t === 0x25 || t === 0x7c) {
    let q = next;
    const count = t === 0x25 || t === 0x7c ? 2 * n : n;
    for (let i = 0; i < count; i++) q = skipReply(b, q);
    return q;
  }
  return next;
}

/**
 * The CR that ends the reply line at p (a JS loop: Buffer's indexOf calls into C++, which costs
 * more than the few bytes of a header line); -1 if none.
 */
function findCR(b: Uint8Array, p: number): number {
  const n = b.length;
  for (let i = p; i < n; i++) if (b[i] === 13) return i;
  return -1;
}

/** The decimal integer in b[from, to) (a RESP length or integer line), as Number() reads its text. */
function lineNumber(b: Uint8Array, from: number, to: number): number {
  let i = from;
  const neg = b[i] === 0x2d;
  if (neg) i++;
  if (i === to || to - i > 15) return Number(latin1Slice(b, from, to));
  let n = 0;
  for (; i < to; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return Number(latin1Slice(b, from, to));
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

const latin1Of = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
function latin1Slice(b: Uint8Array, from: number, to: number): string {
  return latin1Of.call(b, from, to);
}

function parseDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (s === 'nan' || s === '-nan') return NaN;
  return Number(s);
}

/** Push a one-field table {name = latin1 string}. */
export function pushField(L: LuaState, name: string, value: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushliteral(L, name);
  pushBytes(L, value);
  lua.lua_rawset(L, -3);
}

/** Read string field `name` of the table at idx (raw access); null if absent or not a string. */
export function stringField(L: LuaState, idx: number, name: string): string | null {
  idx = lua.lua_absindex(L, idx);
  lua.lua_pushliteral(L, name);
  lua.lua_rawget(L, idx);
  const r = lua.lua_type(L, -1) === lua.LUA_TSTRING ? toLatin1(L, -1) : null;
  lua.lua_pop(L, 1);
  return r;
}

/** Error text with newlines turned into spaces (a RESP simple string cannot hold them). */
export function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

/**
 * Write the Lua value at the top of L as a reply. `scriptResp` is the protocol the script chose
 * with redis.setresp (booleans depend on it); w.proto is the client's.
 */
export function writeLuaValue(L: LuaState, w: RespWriter, scriptResp: 2 | 3, depth = 0): void {
  lua.lua_checkstack(L, 4);
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) {
    w.bulkBytes(lua.lua_tolstring(L, -1)!);
  } else if (t === lua.LUA_TBOOLEAN) {
    const v = lua.lua_toboolean(L, -1);
    if (scriptResp === 2) {
      if (v) w.int(1);
      else w.nullBulk();
    } else {
      w.bool(v);
    }
  } else if (t === lua.LUA_TNUMBER) {
    writeTruncated(w, lua.lua_tonumber(L, -1));
  } else if (t === lua.LUA_TTABLE && depth < 1000) {
    writeTable(L, w, scriptResp, depth);
  } else {
    w.nullBulk();
  }
}

/** (long long) of a double, as C casts it on x86-64. */
function writeTruncated(w: RespWriter, n: number): void {
  const t = Math.trunc(n);
  if (Number.isSafeInteger(t)) w.int(t);
  // NaN and values out of range convert to INT64_MIN on x86-64, as redis-server does
  else if (Number.isNaN(t) || t >= 9223372036854775807 || t < -9223372036854775808) w.bigint(-9223372036854775808n);
  else w.bigint(BigInt(t));
}

function writeTable(L: LuaState, w: RespWriter, scriptResp: 2 | 3, depth: number): void {
  const err = stringField(L, -1, 'err');
  if (err !== null) {
    w.error(oneLine(err));
    return;
  }
  const ok = stringField(L, -1, 'ok');
  if (ok !== null) {
    w.simple(oneLine(ok));
    return;
  }
  lua.lua_pushliteral(L, 'double');
  lua.lua_rawget(L, -2);
  if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
    w.double(lua.lua_tonumber(L, -1));
    lua.lua_pop(L, 1);
    return;
  }
  lua.lua_pop(L, 1);
  const big = stringField(L, -1, 'big_number');
  if (big !== null) {
    if (w.proto === 3) w.rawString(`(${oneLine(big)}\r\n`);
    else w.bulk(oneLine(big));
    return;
  }
  for (const kind of ['map', 'set'] as const) {
    lua.lua_pushliteral(L, kind);
    lua.lua_rawget(L, -2);
    if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
      writeMapOrSet(L, w, scriptResp, depth, kind);
      lua.lua_pop(L, 1);
      return;
    }
    lua.lua_pop(L, 1);
  }
  // an array, up to the first nil: written into a scratch writer, since its length is known only at the end
  const inner = new RespWriter(256);
  inner.proto = w.proto;
  let n = 0;
  for (let j = 1; ; j++) {
    lua.lua_rawgeti(L, -1, j);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    writeLuaValue(L, inner, scriptResp, depth + 1);
    lua.lua_pop(L, 1);
    n++;
  }
  w.array(n);
  w.raw(inner.buf.subarray(0, inner.len));
}

/** The table at the top is {map=...} or {set=...}'s inner table. */
function writeMapOrSet(L: LuaState, w: RespWriter, scriptResp: 2 | 3, depth: number, kind: 'map' | 'set'): void {
  const inner = new RespWriter(256);
  inner.proto = w.proto;
  let n = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    // key at -2, value at -1: write the key from a copy (writing must not convert it in place)
    lua.lua_pushvalue(L, -2);
    writeLuaValue(L, inner, scriptResp, depth + 1);
    lua.lua_pop(L, 1);
    if (kind === 'map') writeLuaValue(L, inner, scriptResp, depth + 1);
    lua.lua_pop(L, 1);
    n++;
  }
  if (kind === 'map') w.map(n);
  else w.set(n);
  w.raw(inner.buf.subarray(0, inner.len));
}

/** Push {err = msg} (msg with its error code). */
export function pushErrorTable(L: LuaState, msg: string): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushliteral(L, 'err');
  pushBytes(L, msg);
  lua.lua_rawset(L, -3);
}
