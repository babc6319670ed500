/*
 * string.format as Lua 5.1 (Redis's Lua) behaves for %d and %i: there the argument is a double cast
 * to a 64-bit integer, so values past 32 bits and fractions (truncated) format fine, while fengari's
 * integers are 32-bit and refuse them. Such arguments are formatted here and handed to fengari's
 * string.format as strings; everything else goes through unchanged. Errors keep string.format's
 * name and the script's position. math.floor and math.ceil return floats, as in Lua 5.1, so their
 * results do not meet fengari's 32-bit integer arithmetic either.
 */

import { lauxlib, lua, pushBytes, toLatin1, type LuaState } from './lua-api.js';

const SPEC = /%([-+ #0]*[0-9]*(?:\.[0-9]*)?)([A-Za-z%]?)/g;

export function installStringFormat(L: LuaState): void {
  lua.lua_getglobal(L, 'string');
  lua.lua_getfield(L, -1, 'format');
  lua.lua_pushjsclosure(
    L,
    (l) => {
      const n = lua.lua_gettop(l);
      if (n >= 1 && lua.lua_type(l, 1) === lua.LUA_TSTRING) {
        const fmt = toLatin1(l, 1)!;
        let arg = 1;
        let changed = false;
        const out = fmt.replace(SPEC, (whole: string, flags: string, conv: string) => {
          if (conv === '%' || conv === '') return whole;
          arg++;
          if ((conv !== 'd' && conv !== 'i') || arg > n || lua.lua_type(l, arg) !== lua.LUA_TNUMBER) return whole;
          const v = lua.lua_tonumber(l, arg);
          if (!Number.isFinite(v) || (Number.isInteger(v) && v >= -2147483648 && v < 2147483648)) return whole;
          pushBytes(l, BigInt(Math.trunc(v)).toString());
          lua.lua_replace(l, arg);
          changed = true;
          return `%${flags.replace(/[#0+ ]/g, '')}s`;
        });
        if (changed) {
          pushBytes(l, out);
          lua.lua_replace(l, 1);
        }
      }
      lua.lua_pushvalue(l, lua.lua_upvalueindex(1));
      lua.lua_insert(l, 1);
      if (lua.lua_pcall(l, n, 1, 0) === lua.LUA_OK) return 1;
      // fengari's message names no function ('?') and has no position: as Lua 5.1 words it
      const msg = (toLatin1(l, -1) ?? '').replace(/^[^:]*:[0-9]+: /, '').replace(/to '[^']*'/, "to 'format'");
      lauxlib.luaL_where(l, 1);
      pushBytes(l, msg);
      lua.lua_concat(l, 2);
      return lua.lua_error(l);
    },
    1,
  );
  lua.lua_setfield(L, -2, 'format');
  lua.lua_pop(L, 1);
}

/** Replace lib[name] by a function calling it and turning an integer result into a float. */
function floatResult(L: LuaState, lib: string, name: string): void {
  lua.lua_getglobal(L, lib);
  lua.lua_getfield(L, -1, name);
  lua.lua_pushjsclosure(
    L,
    (l) => {
      const n = lua.lua_gettop(l);
      lua.lua_pushvalue(l, lua.lua_upvalueindex(1));
      lua.lua_insert(l, 1);
      if (lua.lua_pcall(l, n, 1, 0) !== lua.LUA_OK) {
        const msg = (toLatin1(l, -1) ?? '').replace(/^[^:]*:[0-9]+: /, '').replace(/to '[^']*'/, `to '${name}'`);
        lauxlib.luaL_where(l, 1);
        pushBytes(l, msg);
        lua.lua_concat(l, 2);
        return lua.lua_error(l);
      }
      if (lua.lua_isinteger(l, -1)) {
        const v = lua.lua_tonumber(l, -1);
        lua.lua_pop(l, 1);
        lua.lua_pushnumber(l, v);
      }
      return 1;
    },
    1,
  );
  lua.lua_setfield(L, -2, name);
  lua.lua_pop(L, 1);
}

export function installFloatMath(L: LuaState): void {
  floatResult(L, 'math', 'floor');
  floatResult(L, 'math', 'ceil');
}
