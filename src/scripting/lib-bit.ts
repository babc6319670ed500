/*
 * The `bit` library of Redis's Lua (LuaBitOp 1.0): 32-bit operations on numbers, results as signed
 * 32-bit integers (tobit tohex bnot band bor bxor lshift rshift arshift rol ror bswap).
 */

import { lauxlib, lua, type LuaJsFunction, type LuaState } from './lua-api.js';

/** A Lua number to a 32-bit integer as LuaBitOp does (modulo 2^32, rounding to nearest even). */
function tobit(L: LuaState, i: number): number {
  const n = lauxlib.luaL_checknumber(L, i);
  let r = n;
  if (!Number.isInteger(r)) {
    const f = Math.floor(r);
    const d = r - f;
    r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  }
  return Number(BigInt.asIntN(32, BigInt(Number.isFinite(r) ? r : 0)));
}

function ret(L: LuaState, v: number): number {
  lua.lua_pushnumber(L, v | 0);
  return 1;
}

function fold(op: (a: number, b: number) => number): LuaJsFunction {
  return (L) => {
    let r = tobit(L, 1);
    const n = lua.lua_gettop(L);
    for (let i = 2; i <= n; i++) r = op(r, tobit(L, i));
    return ret(L, r);
  };
}

function shift(op: (a: number, s: number) => number): LuaJsFunction {
  return (L) => ret(L, op(tobit(L, 1), tobit(L, 2) & 31));
}

export const BIT_FUNCTIONS: Record<string, LuaJsFunction> = {
  tobit: (L) => ret(L, tobit(L, 1)),
  bnot: (L) => ret(L, ~tobit(L, 1)),
  band: fold((a, b) => a & b),
  bor: fold((a, b) => a | b),
  bxor: fold((a, b) => a ^ b),
  lshift: shift((a, s) => a << s),
  rshift: shift((a, s) => a >>> s),
  arshift: shift((a, s) => a >> s),
  rol: shift((a, s) => (a << s) | (a >>> (32 - s))),
  ror: shift((a, s) => (a >>> s) | (a << (32 - s))),
  bswap: (L) => {
    const a = tobit(L, 1);
    return ret(L, ((a >>> 24) & 0xff) | ((a >>> 8) & 0xff00) | ((a & 0xff00) << 8) | (a << 24));
  },
  tohex: (L) => {
    const b = tobit(L, 1);
    let n = lua.lua_type(L, 2) <= lua.LUA_TNIL ? 8 : tobit(L, 2);
    let upper = false;
    if (n < 0) {
      n = -n;
      upper = true;
    }
    if (n > 8) n = 8;
    let s = (b >>> 0).toString(16).padStart(8, '0').slice(8 - n);
    if (upper) s = s.toUpperCase();
    lua.lua_pushliteral(L, s);
    return 1;
  },
};
