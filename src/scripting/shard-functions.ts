/*
 * Function libraries in a shard worker, for FCALL run in the shard (shard-script.ts): the main thread
 * sends a library's code with the first FCALL of one of its functions there (functions.ts validated
 * and loaded it already, so this only collects the callbacks), and later FCALLs name the function.
 */

import { lauxlib, lua, toLatin1, type LuaState } from './lua-api.js';
import type { LuaVm } from './vm.js';

/** Libraries kept (by the sha1 of their code) before the cache starts over. */
const MAX_LIBRARIES = 1024;

/**
 * Into the library-loading API table at the top: redis.log (which does nothing while a library
 * loads) and the LOG_ levels.
 */
export function loadApiLog(L: LuaState): void {
  lua.lua_pushjsfunction(L, () => 0);
  lua.lua_setfield(L, -2, 'log');
  ['LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING'].forEach((k, i) => {
    lua.lua_pushnumber(L, i);
    lua.lua_setfield(L, -2, k);
  });
}

export class ShardFunctions {
  /** Function name -> callback, per library code. */
  private readonly libs = new Map<string, Map<string, number>>();
  /** The callback of each function name, from the library last sent with it. */
  private readonly byName = new Map<string, number>();
  private collecting: Map<string, number> | null = null;

  constructor(private readonly vm: LuaVm) {
    const L = vm.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, vm.loadApiRef);
    lua.lua_pushjsfunction(L, (l) => this.register(l));
    lua.lua_setfield(L, -2, 'register_function');
    loadApiLog(L);
    lua.lua_pop(L, 1);
  }

  /** redis.register_function(name, callback) or ({function_name=, callback=, ...}). */
  private register(L: LuaState): number {
    const into = this.collecting;
    if (into === null) return 0;
    let name: string | null = null;
    if (lua.lua_gettop(L) === 1 && lua.lua_type(L, 1) === lua.LUA_TTABLE) {
      lua.lua_getfield(L, 1, 'function_name');
      name = toLatin1(L, -1);
      lua.lua_getfield(L, 1, 'callback');
    } else {
      name = toLatin1(L, 1);
      lua.lua_pushvalue(L, 2);
    }
    if (name === null || lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) return 0;
    into.set(name, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
    return 0;
  }

  /**
   * Make the library with this code sha1 the one its functions come from, loading `code` if it is
   * new here. 'missing': not here and no code sent; 'failed': the code did not load.
   */
  use(sha: string, code: Uint8Array): 'ok' | 'missing' | 'failed' {
    let lib = this.libs.get(sha);
    if (lib === undefined) {
      if (code.length === 0) return 'missing';
      const body = Buffer.from(code);
      body[0] = 0x2d; // the shebang line becomes a comment, as functions.ts loads it
      body[1] = 0x2d;
      const collected = new Map<string, number>();
      this.collecting = collected;
      try {
        if (this.vm.loadLibrary(body) !== null) {
          for (const ref of collected.values()) this.vm.release(ref);
          return 'failed';
        }
      } finally {
        this.collecting = null;
      }
      if (this.libs.size >= MAX_LIBRARIES) {
        for (const l of this.libs.values()) for (const ref of l.values()) this.vm.release(ref);
        this.libs.clear();
        this.byName.clear();
      }
      lib = collected;
      this.libs.set(sha, lib);
    }
    for (const [name, ref] of lib) this.byName.set(name, ref);
    return 'ok';
  }

  get(name: string): number | undefined {
    return this.byName.get(name);
  }
}
