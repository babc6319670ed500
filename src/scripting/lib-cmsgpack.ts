/*
 * The `cmsgpack` library of Redis's Lua (lua-cmsgpack 0.4): pack(...) MessagePack-encodes each
 * argument (integral numbers as the smallest integer type, others as float32 when exact, else
 * float64; strings as fixstr/str8/16/32; tables without holes from 1 as arrays, others as maps;
 * nesting past 16 as nil); unpack(s) decodes every object in s, unpack_one(s [, offset]) one
 * (returning the next offset, -1 at the end), unpack_limit(s, limit [, offset]) at most limit.
 */

import { lauxlib, lua, pushBytes, toBuffer, type LuaJsFunction, type LuaState } from './lua-api.js';

const MAX_NESTING = 16;

class Out {
  parts: Buffer[] = [];
  push(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }
  buf(b: Buffer): void {
    this.parts.push(b);
  }
}

function encodeNumber(n: number, o: Out): void {
  if (Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER) {
    if (n >= 0) {
      if (n <= 127) o.push(n);
      else if (n <= 0xff) o.push(0xcc, n);
      else if (n <= 0xffff) typed(o, 0xcd, 2, (b) => b.writeUInt16BE(n, 1));
      else if (n <= 0xffffffff) typed(o, 0xce, 4, (b) => b.writeUInt32BE(n, 1));
      else typed(o, 0xcf, 8, (b) => b.writeBigUInt64BE(BigInt(n), 1));
    } else if (n >= -32) o.push(n & 0xff);
    else if (n >= -128) o.push(0xd0, n & 0xff);
    else if (n >= -32768) typed(o, 0xd1, 2, (b) => b.writeInt16BE(n, 1));
    else if (n >= -2147483648) typed(o, 0xd2, 4, (b) => b.writeInt32BE(n, 1));
    else typed(o, 0xd3, 8, (b) => b.writeBigInt64BE(BigInt(n), 1));
    return;
  }
  if (Math.fround(n) === n || Number.isNaN(n)) typed(o, 0xca, 4, (b) => b.writeFloatBE(n, 1));
  else typed(o, 0xcb, 8, (b) => b.writeDoubleBE(n, 1));
}

/** A type byte, then `size` bytes that `write` writes from offset 1. */
function typed(o: Out, code: number, size: number, write: (b: Buffer) => void): void {
  const b = Buffer.alloc(1 + size);
  b[0] = code;
  write(b);
  o.buf(b);
}

function lenHeader(o: Out, n: number, fix: number, fixMax: number, c8: number | null, c16: number, c32: number): void {
  if (n <= fixMax) o.push(fix | n);
  else if (c8 !== null && n <= 0xff) o.push(c8, n);
  else if (n <= 0xffff) o.push(c16, n >> 8, n & 0xff);
  else o.push(c32, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Array length if the table at the top has exactly the keys 1..n, else -1. */
function arrayLength(L: LuaState): number {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    lua.lua_pop(L, 1);
    if (lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
      lua.lua_pop(L, 1);
      return -1;
    }
    const k = lua.lua_tonumber(L, -1);
    if (!Number.isInteger(k) || k < 1) {
      lua.lua_pop(L, 1);
      return -1;
    }
    count++;
    if (k > max) max = k;
  }
  return max === count ? count : -1;
}

function encodeValue(L: LuaState, o: Out, level: number): void {
  lua.lua_checkstack(L, 6);
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TNIL) o.push(0xc0);
  else if (t === lua.LUA_TBOOLEAN) o.push(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
  else if (t === lua.LUA_TNUMBER) encodeNumber(lua.lua_tonumber(L, -1), o);
  else if (t === lua.LUA_TSTRING) {
    const b = Buffer.from(toBuffer(L, -1)!);
    lenHeader(o, b.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
    o.buf(b);
  } else if (t === lua.LUA_TTABLE && level < MAX_NESTING) {
    const n = arrayLength(L);
    if (n >= 0) {
      lenHeader(o, n, 0x90, 15, null, 0xdc, 0xdd);
      for (let i = 1; i <= n; i++) {
        lua.lua_rawgeti(L, -1, i);
        encodeValue(L, o, level + 1);
        lua.lua_pop(L, 1);
      }
    } else {
      let pairs = 0;
      lua.lua_pushnil(L);
      while (lua.lua_next(L, -2)) {
        lua.lua_pop(L, 1);
        pairs++;
      }
      lenHeader(o, pairs, 0x80, 15, null, 0xde, 0xdf);
      lua.lua_pushnil(L);
      while (lua.lua_next(L, -2)) {
        lua.lua_pushvalue(L, -2);
        encodeValue(L, o, level + 1);
        lua.lua_pop(L, 1);
        encodeValue(L, o, level + 1);
        lua.lua_pop(L, 1);
      }
    }
  } else o.push(0xc0);
}

const pack: LuaJsFunction = (L) => {
  const n = lua.lua_gettop(L);
  if (n === 0) return lauxlib.luaL_argerror(L, 0, 'MessagePack pack needs input.');
  const o = new Out();
  for (let i = 1; i <= n; i++) {
    lua.lua_pushvalue(L, i);
    encodeValue(L, o, 0);
    lua.lua_pop(L, 1);
  }
  pushBytes(L, Buffer.concat(o.parts));
  return 1;
};

class DecodeError extends Error {}

class Decoder {
  constructor(
    readonly b: Buffer,
    public p: number,
  ) {}

  private need(n: number): void {
    if (this.p + n > this.b.length) throw new DecodeError('Missing bytes in input.');
  }

  private bytes(L: LuaState, n: number): void {
    this.need(n);
    pushBytes(L, this.b.subarray(this.p, this.p + n));
    this.p += n;
  }

  private array(L: LuaState, n: number): void {
    lua.lua_createtable(L, n, 0);
    for (let i = 1; i <= n; i++) {
      this.value(L);
      lua.lua_rawseti(L, -2, i);
    }
  }

  private map(L: LuaState, n: number): void {
    lua.lua_createtable(L, 0, n);
    for (let i = 0; i < n; i++) {
      this.value(L);
      this.value(L);
      if (lua.lua_type(L, -2) === lua.LUA_TNIL) lua.lua_pop(L, 2);
      else lua.lua_rawset(L, -3);
    }
  }

  value(L: LuaState): void {
    lua.lua_checkstack(L, 6);
    this.need(1);
    const b = this.b;
    const c = b[this.p++]!;
    if (c <= 0x7f) return lua.lua_pushnumber(L, c);
    if (c >= 0xe0) return lua.lua_pushnumber(L, c - 256);
    if ((c & 0xf0) === 0x80) return this.map(L, c & 0x0f);
    if ((c & 0xf0) === 0x90) return this.array(L, c & 0x0f);
    if ((c & 0xe0) === 0xa0) return this.bytes(L, c & 0x1f);
    const num = NUMBERS.get(c);
    if (num !== undefined) {
      const [n, read] = num;
      this.need(n);
      const v = read(b, this.p);
      this.p += n;
      return lua.lua_pushnumber(L, Number(v));
    }
    const sized = SIZED.get(c);
    if (sized !== undefined) {
      const [n, kind] = sized;
      this.need(n);
      const len = n === 1 ? b[this.p]! : n === 2 ? b.readUInt16BE(this.p) : b.readUInt32BE(this.p);
      this.p += n;
      if (kind === SizedKind.Bytes) return this.bytes(L, len);
      if (kind === SizedKind.Array) return this.array(L, len);
      return this.map(L, len);
    }
    if (c === 0xc0) return lua.lua_pushnil(L);
    if (c === 0xc2 || c === 0xc3) return lua.lua_pushboolean(L, c === 0xc3);
    throw new DecodeError('Bad data format in input.');
  }
}

/** Numbers of a fixed size after their type byte: uint 8-64, int 8-64, float 32 and 64 (big-endian). */
const NUMBERS = new Map<number, readonly [number, (b: Buffer, p: number) => number | bigint]>([
  [0xcc, [1, (b, p) => b.readUInt8(p)]],
  [0xcd, [2, (b, p) => b.readUInt16BE(p)]],
  [0xce, [4, (b, p) => b.readUInt32BE(p)]],
  [0xcf, [8, (b, p) => b.readBigUInt64BE(p)]],
  [0xd0, [1, (b, p) => b.readInt8(p)]],
  [0xd1, [2, (b, p) => b.readInt16BE(p)]],
  [0xd2, [4, (b, p) => b.readInt32BE(p)]],
  [0xd3, [8, (b, p) => b.readBigInt64BE(p)]],
  [0xca, [4, (b, p) => b.readFloatBE(p)]],
  [0xcb, [8, (b, p) => b.readDoubleBE(p)]],
]);

const enum SizedKind {
  Bytes,
  Array,
  Map,
}

/**
 * str, array and map with a 1, 2 or 4-byte length after their type byte. (bin 8/16/32 are not read:
 * redis-server's cmsgpack answers "Bad data format in input." to them.)
 */
const SIZED = new Map<number, readonly [number, SizedKind]>([
  [0xd9, [1, SizedKind.Bytes]],
  [0xda, [2, SizedKind.Bytes]],
  [0xdb, [4, SizedKind.Bytes]],
  [0xdc, [2, SizedKind.Array]],
  [0xdd, [4, SizedKind.Array]],
  [0xde, [2, SizedKind.Map]],
  [0xdf, [4, SizedKind.Map]],
]);

/** Decode up to `limit` objects (0 = all) from `offset`; pushes them; returns [count, next offset]. */
function decodeMany(L: LuaState, s: Buffer, limit: number, offset: number): [number, number] {
  const d = new Decoder(s, offset);
  let n = 0;
  while (d.p < s.length && (limit <= 0 || n < limit)) {
    d.value(L);
    n++;
  }
  return [n, d.p];
}

function unpackWith(L: LuaState, limit: number, offset: number, withOffset: boolean): number {
  const s = Buffer.from(lauxlib.luaL_checklstring(L, 1));
  if (offset < 0 || offset > s.length) return lauxlib.luaL_error(L, `Start offset ${offset} greater than input length ${s.length}.`);
  const base = lua.lua_gettop(L);
  let count: number;
  let next: number;
  try {
    [count, next] = decodeMany(L, s, limit, offset);
  } catch (e) {
    if (e instanceof DecodeError) {
      lua.lua_settop(L, base);
      return lauxlib.luaL_error(L, e.message);
    }
    throw e;
  }
  if (!withOffset) return count;
  lua.lua_pushnumber(L, next >= s.length ? -1 : next);
  lua.lua_insert(L, base + 1);
  return count + 1;
}

export const CMSGPACK_FUNCTIONS: Record<string, LuaJsFunction> = {
  pack,
  unpack: (L) => unpackWith(L, 0, 0, false),
  unpack_one: (L) => unpackWith(L, 1, Math.trunc(lauxlib.luaL_optinteger(L, 2, 0)), true),
  unpack_limit: (L) => unpackWith(L, Math.trunc(lauxlib.luaL_checkinteger(L, 2)), Math.trunc(lauxlib.luaL_optinteger(L, 3, 0)), true),
};
