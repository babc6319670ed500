/*
 * The `struct` library of Redis's Lua (Roberto Ierusalimschy's struct 0.2): pack(fmt, ...),
 * unpack(fmt, s [, pos]) (values, then the next position) and size(fmt), with the formats
 * < > = ! x b B h H l L T i[n] I[n] f d s c[n], sizes of a 64-bit Linux build.
 */

import { lauxlib, lua, pushBytes, type LuaJsFunction, type LuaState } from './lua-api.js';

const MAXINTSIZE = 32;
const MAXALIGN = 8;

interface Header {
  little: boolean;
  align: number;
}

class Format {
  i = 0;
  constructor(
    private readonly L: LuaState,
    private readonly f: string,
  ) {}

  private digits(def: number): number {
    const m = /^[0-9]+/.exec(this.f.slice(this.i));
    if (!m) return def;
    this.i += m[0].length;
    return Number(m[0]);
  }

  /** The next option and its size; null at the end. Header options are applied to h. */
  next(h: Header): { opt: string; size: number } | null {
    while (this.i < this.f.length) {
      const opt = this.f[this.i++]!;
      switch (opt) {
        case 'b':
        case 'B':
        case 'x':
          return { opt, size: 1 };
        case 'h':
        case 'H':
          return { opt, size: 2 };
        case 'l':
        case 'L':
        case 'T':
          return { opt, size: 8 };
        case 'f':
          return { opt, size: 4 };
        case 'd':
          return { opt, size: 8 };
        case 'c':
          return { opt, size: this.digits(1) };
        case 's':
          return { opt, size: 0 };
        case 'i':
        case 'I': {
          const size = this.digits(4);
          if (size > MAXINTSIZE) lauxlib.luaL_error(this.L, `integral size ${size} is larger than limit of ${MAXINTSIZE}`);
          return { opt, size };
        }
        case ' ':
          continue;
        case '>':
          h.little = false;
          continue;
        case '<':
        case '=':
          h.little = true;
          continue;
        case '!': {
          const a = this.digits(MAXALIGN);
          if ((a & (a - 1)) !== 0) lauxlib.luaL_error(this.L, `alignment ${a} is not a power of 2`);
          h.align = a;
          continue;
        }
        default:
          lauxlib.luaL_argerror(this.L, 1, `invalid format option '${opt}'`);
          return null;
      }
    }
    return null;
  }
}

function toAlign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function putInt(n: number, size: number, little: boolean): Buffer {
  const b = Buffer.alloc(size);
  let v = BigInt.asUintN(size * 8, BigInt(Math.trunc(n)));
  for (let k = 0; k < size; k++) {
    b[little ? k : size - 1 - k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

function getInt(b: Buffer, p: number, size: number, little: boolean, signed: boolean): number {
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(b[little ? p + size - 1 - k : p + k]!);
  if (signed) v = BigInt.asIntN(size * 8, v);
  return Number(v);
}

const pack: LuaJsFunction = (L) => {
  const fmt = Buffer.from(lauxlib.luaL_checklstring(L, 1)).latin1Slice();
  const h: Header = { little: true, align: 1 };
  const f = new Format(L, fmt);
  const out: Buffer[] = [];
  let len = 0;
  let arg = 2;
  for (let o = f.next(h); o !== null; o = f.next(h)) {
    const pad = toAlign(len, h, o.opt, o.size);
    if (pad > 0) out.push(Buffer.alloc(pad));
    len += pad;
    let piece: Buffer;
    switch (o.opt) {
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I':
        piece = putInt(lauxlib.luaL_checknumber(L, arg++), o.size, h.little);
        break;
      case 'x':
        piece = Buffer.alloc(1);
        break;
      case 'f':
      case 'd': {
        piece = Buffer.alloc(o.size);
        const n = lauxlib.luaL_checknumber(L, arg++);
        if (o.size === 4) h.little ? piece.writeFloatLE(n) : piece.writeFloatBE(n);
        else h.little ? piece.writeDoubleLE(n) : piece.writeDoubleBE(n);
        break;
      }
      case 'c':
      case 's': {
        const s = Buffer.from(lauxlib.luaL_checklstring(L, arg));
        let size = o.size;
        if (o.opt === 's') size = s.length + 1;
        else if (size === 0) size = s.length;
        if (s.length < size && o.opt === 'c') return lauxlib.luaL_argerror(L, arg, 'string too short');
        piece = Buffer.alloc(size);
        s.copy(piece, 0, 0, Math.min(size, s.length));
        arg++;
        break;
      }
      default:
        piece = Buffer.alloc(0);
    }
    out.push(piece);
    len += piece.length;
  }
  pushBytes(L, Buffer.concat(out));
  return 1;
};

const unpack: LuaJsFunction = (L) => {
  const fmt = Buffer.from(lauxlib.luaL_checklstring(L, 1)).latin1Slice();
  const data = Buffer.from(lauxlib.luaL_checklstring(L, 2));
  let pos = Math.trunc(lauxlib.luaL_optinteger(L, 3, 1)) - 1;
  if (pos < 0) return lauxlib.luaL_argerror(L, 3, 'offset must be 1 or greater');
  const h: Header = { little: true, align: 1 };
  const f = new Format(L, fmt);
  let n = 0;
  let lastNumber = 0;
  for (let o = f.next(h); o !== null; o = f.next(h)) {
    pos += toAlign(pos, h, o.opt, o.size);
    if (o.size > data.length - pos && o.opt !== 's') return lauxlib.luaL_argerror(L, 2, 'data string too short');
    lua.lua_checkstack(L, 2);
    switch (o.opt) {
      case 'b':
      case 'h':
      case 'l':
      case 'i':
      case 'B':
      case 'H':
      case 'L':
      case 'T':
      case 'I':
        lastNumber = getInt(data, pos, o.size, h.little, o.opt === o.opt.toLowerCase());
        lua.lua_pushnumber(L, lastNumber);
        n++;
        break;
      case 'x':
        break;
      case 'f':
      case 'd':
        lastNumber = o.size === 4 ? (h.little ? data.readFloatLE(pos) : data.readFloatBE(pos)) : h.little ? data.readDoubleLE(pos) : data.readDoubleBE(pos);
        lua.lua_pushnumber(L, lastNumber);
        n++;
        break;
      case 'c': {
        let size = o.size;
        if (size === 0) {
          if (n === 0 || lua.lua_type(L, -1) !== lua.LUA_TNUMBER) return lauxlib.luaL_error(L, 'format \'c0\' needs a previous size');
          size = Math.trunc(lua.lua_tonumber(L, -1));
          lua.lua_pop(L, 1);
          n--;
          if (size > data.length - pos) return lauxlib.luaL_argerror(L, 2, 'data string too short');
        }
        pushBytes(L, data.subarray(pos, pos + size));
        n++;
        pos += size;
        continue;
      }
      case 's': {
        const e = data.indexOf(0, pos);
        if (e < 0) return lauxlib.luaL_error(L, 'unfinished string in data');
        pushBytes(L, data.subarray(pos, e));
        n++;
        pos = e + 1;
        continue;
      }
    }
    pos += o.size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return n + 1;
};

const size: LuaJsFunction = (L) => {
  const fmt = Buffer.from(lauxlib.luaL_checklstring(L, 1)).latin1Slice();
  const h: Header = { little: true, align: 1 };
  const f = new Format(L, fmt);
  let pos = 0;
  for (let o = f.next(h); o !== null; o = f.next(h)) {
    if (o.opt === 's' || (o.opt === 'c' && o.size === 0)) return lauxlib.luaL_argerror(L, 1, `option '${o.opt === 's' ? 's' : 'c0'}' has no fixed size`);
    pos += toAlign(pos, h, o.opt, o.size) + o.size;
  }
  lua.lua_pushnumber(L, pos);
  return 1;
};

export const STRUCT_FUNCTIONS: Record<string, LuaJsFunction> = { pack, unpack, size };
