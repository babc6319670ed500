/*
 * The `cjson` library of Redis's Lua (lua-cjson 2.1 defaults): encode (numbers with 14 significant
 * digits, "/" escaped, arrays detected from positive integer keys, excessively sparse arrays and
 * NaN/Inf refused), decode (null as cjson.null, numbers as floats, \u escapes to UTF-8), with
 * lua-cjson's error texts. Object keys come out in this VM's table order, which is not Lua 5.1's.
 */

import { formatG } from './lua-format.js';
import { lauxlib, lua, pushBytes, toBuffer, type LuaJsFunction, type LuaState } from './lua-api.js';

/** The light userdata standing for JSON null. */
export const JSON_NULL = { cjsonNull: true };

const MAX_DEPTH = 1000;

class EncodeError extends Error {}

function typeName(L: LuaState, idx: number): string {
  const t = lua.lua_type(L, idx);
  return ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'][t] ?? 'unknown';
}

function escapeString(b: Buffer, out: string[]): void {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x2f) s += '\\/';
    else if (c === 0x08) s += '\\b';
    else if (c === 0x0c) s += '\\f';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else if (c < 0x20 || c === 0x7f) s += '\\u00' + c.toString(16).padStart(2, '0');
    else s += String.fromCharCode(c);
  }
  out.push(s + '"');
}

function encodeNumber(L: LuaState, idx: number, out: string[]): void {
  const n = lua.lua_tonumber(L, idx);
  if (!Number.isFinite(n)) throw new EncodeError('Cannot serialise number: must not be NaN or Inf');
  out.push(formatG(n, 14));
}

/** Array length if the table at the top is an array (positive integer keys only), else -1. */
function arrayLength(L: LuaState): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -2);
      if (Number.isInteger(k) && k >= 1) {
        if (k > max) max = k;
        items++;
        lua.lua_pop(L, 1);
        continue;
      }
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (max > 10 && max > items * 2) throw new EncodeError('Cannot serialise table: excessively sparse array');
  return max;
}

function encodeValue(L: LuaState, out: string[], depth: number): void {
  lua.lua_checkstack(L, 6);
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) escapeString(toBuffer(L, -1)!, out);
  else if (t === lua.LUA_TNUMBER) encodeNumber(L, -1, out);
  else if (t === lua.LUA_TBOOLEAN) out.push(lua.lua_toboolean(L, -1) ? 'true' : 'false');
  else if (t === lua.LUA_TNIL) out.push('null');
  else if (t === 2 /* light userdata */ && lua.lua_touserdata(L, -1) === JSON_NULL) out.push('null');
  else if (t === lua.LUA_TTABLE) {
    if (depth + 1 > MAX_DEPTH) throw new EncodeError(`Cannot serialise, excessive nesting (${depth + 1})`);
    const len = arrayLength(L);
    if (len > 0) {
      out.push('[');
      for (let i = 1; i <= len; i++) {
        if (i > 1) out.push(',');
        lua.lua_rawgeti(L, -1, i);
        encodeValue(L, out, depth + 1);
        lua.lua_pop(L, 1);
      }
      out.push(']');
    } else {
      out.push('{');
      let first = true;
      lua.lua_pushnil(L);
      while (lua.lua_next(L, -2)) {
        if (!first) out.push(',');
        first = false;
        const kt = lua.lua_type(L, -2);
        if (kt === lua.LUA_TSTRING) escapeString(toBuffer(L, -2)!, out);
        else if (kt === lua.LUA_TNUMBER) {
          out.push('"');
          encodeNumber(L, -2, out);
          out.push('"');
        } else throw new EncodeError(`Cannot serialise ${typeName(L, -2)}: table key must be a number or string`);
        out.push(':');
        encodeValue(L, out, depth + 1);
        lua.lua_pop(L, 1);
      }
      out.push('}');
    }
  } else throw new EncodeError(`Cannot serialise ${typeName(L, -1)}: type not supported`);
}

const encode: LuaJsFunction = (L) => {
  if (lua.lua_gettop(L) !== 1) return lauxlib.luaL_argerror(L, 1, 'expected 1 argument');
  const out: string[] = [];
  try {
    encodeValue(L, out, 0);
  } catch (e) {
    if (e instanceof EncodeError) return lauxlib.luaL_error(L, e.message);
    throw e;
  }
  pushBytes(L, out.join(''));
  return 1;
};

// ---- decode ---------------------------------------------------------------------------------

class DecodeError extends Error {}

class JsonDecoder {
  p = 0;
  constructor(
    private readonly L: LuaState,
    private readonly b: Buffer,
  ) {}

  ws(): void {
    const b = this.b;
    while (this.p < b.length && (b[this.p] === 0x20 || b[this.p] === 0x09 || b[this.p] === 0x0a || b[this.p] === 0x0d)) this.p++;
  }

  private peek(n: number): string {
    return this.b.latin1Slice(this.p, Math.min(this.b.length, this.p + n));
  }

  /** The token at p, for error texts, as lua-cjson names them. */
  private tokenName(): string {
    const c = this.b[this.p];
    if (c === undefined) return 'T_END';
    const s = String.fromCharCode(c);
    if (s === '{') return 'T_OBJ_BEGIN';
    if (s === '}') return 'T_OBJ_END';
    if (s === '[') return 'T_ARR_BEGIN';
    if (s === ']') return 'T_ARR_END';
    if (s === ',') return 'T_COMMA';
    if (s === ':') return 'T_COLON';
    if (s === '"') return 'T_STRING';
    if (/[-0-9]/.test(s)) return 'T_NUMBER';
    if (this.peek(4) === 'true' || this.peek(5) === 'false') return 'T_BOOLEAN';
    if (this.peek(4) === 'null') return 'T_NULL';
    return 'invalid token';
  }

  /** Step over the byte `ch` if it is next. */
  private eat(ch: number): boolean {
    if (this.b[this.p] !== ch) return false;
    this.p++;
    return true;
  }

  /** After a member or element: true when a comma follows (more come), false at `end`. */
  private more(end: number, expected: string): boolean {
    this.ws();
    if (this.eat(0x2c)) return true;
    if (this.eat(end)) return false;
    return this.fail(expected);
  }

  fail(expected: string): never {
    throw new DecodeError(`Expected ${expected} but found ${this.tokenName()} at character ${this.p + 1}`);
  }

  value(depth: number): void {
    const L = this.L;
    lua.lua_checkstack(L, 6);
    this.ws();
    const b = this.b;
    const c = b[this.p];
    if (c === 0x7b || c === 0x5b) {
      if (depth + 1 > MAX_DEPTH) throw new DecodeError(`Found too many nested data structures (${depth + 1}) at character ${this.p + 1}`);
    }
    if (c === 0x7b) {
      this.p++;
      lua.lua_newtable(L);
      this.ws();
      if (this.eat(0x7d)) return;
      do {
        this.ws();
        if (b[this.p] !== 0x22) this.fail('object key string');
        this.string();
        this.ws();
        if (!this.eat(0x3a)) this.fail('colon');
        this.value(depth + 1);
        lua.lua_rawset(L, -3);
      } while (this.more(0x7d, 'comma or object end'));
      return;
    }
    if (c === 0x5b) {
      this.p++;
      lua.lua_newtable(L);
      this.ws();
      if (this.eat(0x5d)) return;
      let i = 0;
      do {
        this.value(depth + 1);
        lua.lua_rawseti(L, -2, ++i);
      } while (this.more(0x5d, 'comma or array end'));
      return;
    }
    if (c === 0x22) return this.string();
    const rest = b.latin1Slice(this.p, Math.min(b.length, this.p + 400));
    if (rest.startsWith('true')) {
      this.p += 4;
      lua.lua_pushboolean(L, true);
      return;
    }
    if (rest.startsWith('false')) {
      this.p += 5;
      lua.lua_pushboolean(L, false);
      return;
    }
    if (rest.startsWith('null')) {
      this.p += 4;
      lua.lua_pushlightuserdata(L, JSON_NULL);
      return;
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(rest);
    if (m && m[0].length > 0 && m[0] !== '-') {
      this.p += m[0].length;
      lua.lua_pushnumber(L, Number(m[0]));
      return;
    }
    this.fail('value');
  }

  private string(): void {
    const b = this.b;
    const start = this.p;
    this.p++;
    const out: number[] = [];
    for (;;) {
      const c = b[this.p];
      if (c === undefined) {
        this.p = start;
        throw new DecodeError(`Expected value but found invalid token at character ${start + 1}`);
      }
      this.p++;
      if (c === 0x22) break;
      if (c !== 0x5c) {
        out.push(c);
        continue;
      }
      const e = b[this.p++];
      const simple: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9 };
      if (e !== undefined && simple[e] !== undefined) {
        out.push(simple[e]!);
        continue;
      }
      if (e === 0x75) {
        let cp = parseInt(this.peek(4), 16);
        if (!/^[0-9a-fA-F]{4}$/.test(this.peek(4))) {
          this.p = start;
          throw new DecodeError(`Expected value but found invalid unicode escape code at character ${start + 1}`);
        }
        this.p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && b[this.p] === 0x5c && b[this.p + 1] === 0x75) {
          const lo = parseInt(b.latin1Slice(this.p + 2, Math.min(b.length, this.p + 6)), 16);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            this.p += 6;
          }
        }
        for (const byte of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(byte);
        continue;
      }
      this.p = start;
      throw new DecodeError(`Expected value but found invalid escape code at character ${start + 1}`);
    }
    pushBytes(this.L, Uint8Array.from(out));
  }
}

const decode: LuaJsFunction = (L) => {
  if (lua.lua_gettop(L) !== 1) return lauxlib.luaL_argerror(L, 1, 'expected 1 argument');
  const b = Buffer.from(lauxlib.luaL_checklstring(L, 1));
  const d = new JsonDecoder(L, b);
  try {
    d.value(0);
    d.ws();
    if (d.p < b.length) d.fail('the end');
  } catch (e) {
    if (e instanceof DecodeError) return lauxlib.luaL_error(L, e.message);
    throw e;
  }
  return 1;
};

/** Configuration functions: shardis keeps lua-cjson's defaults and reports them. */
function setting(...values: (number | boolean | string)[]): LuaJsFunction {
  return (L) => {
    for (const v of values) {
      if (typeof v === 'number') lua.lua_pushnumber(L, v);
      else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
      else lua.lua_pushliteral(L, v);
    }
    return values.length;
  };
}

export const CJSON_FUNCTIONS: Record<string, LuaJsFunction> = {
  encode,
  decode,
  encode_sparse_array: setting(false, 2, 10),
  encode_max_depth: setting(MAX_DEPTH),
  decode_max_depth: setting(MAX_DEPTH),
  encode_number_precision: setting(14),
  encode_keep_buffer: setting(true),
  encode_invalid_numbers: setting(false),
  decode_invalid_numbers: setting(true),
};
