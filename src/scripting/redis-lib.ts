/*
 * The `redis` table scripts see: call, pcall, error_reply, status_reply, sha1hex, log, setresp,
 * set_repl, replicate_commands, breakpoint, debug, acl_check_cmd and the constants, with
 * redis-server 7.0's argument checks and error texts.
 */

import { createHash } from 'node:crypto';
import { REDIS_VERSION } from '../config.js';
import { formatG } from './lua-format.js';
import { argValue, lua, pushBytes, toBuffer, toLatin1, type LuaJsFunction, type LuaKFunction, type LuaState, type LuaTString } from './lua-api.js';
import { pushErrorTable, pushReply } from './convert.js';
import { CallArgs, type RedisLibVm } from './host.js';
import * as E from '../resp/errors.js';

/** Redis's error-table convention: "-CODE msg" keeps its code, a bare message gets ERR. */
export function errorTableText(s: string): string {
  if (s.startsWith('-')) {
    const sp = s.indexOf(' ');
    const text = sp < 0 ? E.errText(s.slice(1)) : s.slice(1);
    return text.replace(/[\r\n]+$/, '');
  }
  return E.errText(s).replace(/[\r\n]+$/, '');
}

function raiseError(L: LuaState, msg: string): number {
  pushErrorTable(L, msg);
  return lua.lua_error(L);
}

export const REPL_AOF = 1;
export const REPL_REPLICA = 2;

function versionNum(v: string): number {
  const [a, b, c] = v.split('.').map(Number);
  return ((a ?? 0) << 16) | ((b ?? 0) << 8) | (c ?? 0);
}

export function installRedisLib(vm: RedisLibVm): void {
  const L = vm.L;
  const k: LuaKFunction = (l) => {
    if (vm.raiseOnResume) {
      vm.raiseOnResume = false;
      return lua.lua_error(l);
    }
    return 1;
  };
  const fail = (l: LuaState, msg: string, raise: boolean): number => {
    pushErrorTable(l, msg);
    return raise ? lua.lua_error(l) : 1;
  };
  // one for the VM: a call's arguments are read (or copied) by the host before the next call
  const argv = new CallArgs();
  const call =
    (raise: boolean): LuaJsFunction =>
    (l) => {
      const host = vm.host;
      const n = lua.lua_gettop(l);
      if (n === 0) return fail(l, E.NO_ARGS, raise);
      argv.resize(n);
      const bytes = argv.bytes;
      for (let i = 1; i <= n; i++) {
        // the value itself (lua_type and lua_tolstring would each find it again)
        const v = argValue(l, i);
        const t = v.type & 0x0f;
        if (t === lua.LUA_TSTRING) bytes[i - 1] = (v.value as LuaTString).realstring;
        else if (t === lua.LUA_TNUMBER) bytes[i - 1] = Buffer.from(formatG(lua.lua_tonumber(l, i), 17), 'latin1');
        else {
          argv.reset();
          return fail(l, E.BAD_ARG_TYPE, raise);
        }
      }
      if (host === null) return fail(l, E.NO_ARGS, raise);
      if (l !== vm.co) return fail(l, E.SCRIPT_CALL_IN_COROUTINE, raise);
      const err = host.check(argv);
      if (err !== null) return fail(l, err, raise);
      // a host that answers at once (a shard's) is called in place: no yield and resume; only where
      // the script could yield, so that a call the main thread refuses is refused here too
      if (host.executeNow !== undefined && lua.lua_isyieldable(l)) {
        let reply: Uint8Array;
        try {
          reply = host.executeNow(argv);
        } catch (e) {
          console.error(e);
          reply = Buffer.from(`-${E.SCRIPT_CALL_INTERNAL_ERROR}\r\n`);
        }
        pushReply(l, reply, 0);
        return raise && reply[0] === 0x2d ? lua.lua_error(l) : 1;
      }
      vm.pending = { argv, raise };
      return lua.lua_yieldk(l, 0, 0, k);
    };

  const fns: Record<string, LuaJsFunction> = {
    call: call(true),
    pcall: call(false),
    error_reply(l) {
      if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(l, E.WRONG_ARGS_OR_TYPE);
        return 1;
      }
      const s = toLatin1(l, -1)!;
      pushErrorTable(l, errorTableText(s.startsWith('-') ? s : `-${s}`));
      return 1;
    },
    status_reply(l) {
      if (lua.lua_gettop(l) !== 1 || lua.lua_type(l, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(l, E.WRONG_ARGS_OR_TYPE);
        return 1;
      }
      const s = toBuffer(l, -1)!;
      lua.lua_createtable(l, 0, 1);
      lua.lua_pushliteral(l, 'ok');
      pushBytes(l, Buffer.from(s));
      lua.lua_rawset(l, -3);
      return 1;
    },
    sha1hex(l) {
      if (lua.lua_gettop(l) !== 1) return raiseError(l, E.WRONG_ARGS);
      const b = lua.lua_type(l, 1) === lua.LUA_TSTRING || lua.lua_type(l, 1) === lua.LUA_TNUMBER ? toBuffer(l, 1)! : Buffer.alloc(0);
      lua.lua_pushliteral(l, createHash('sha1').update(b).digest('hex'));
      return 1;
    },
    log(l) {
      const n = lua.lua_gettop(l);
      if (n < 2) return raiseError(l, E.LOG_ARGS);
      if (!lua.lua_isnumber(l, 1)) return raiseError(l, E.LOG_LEVEL_NOT_NUMBER);
      const level = lua.lua_tonumber(l, 1);
      if (!(level >= 0 && level <= 3)) return raiseError(l, E.LOG_LEVEL);
      const parts: string[] = [];
      for (let i = 2; i <= n; i++) {
        const t = lua.lua_type(l, i);
        if (t === lua.LUA_TSTRING || t === lua.LUA_TNUMBER) parts.push(toLatin1(l, i)!);
      }
      vm.host?.log(level, parts.join(' '));
      return 0;
    },
    setresp(l) {
      if (lua.lua_gettop(l) !== 1) return raiseError(l, E.SETRESP_ARGS);
      const v = lua.lua_tonumber(l, 1);
      if (v !== 2 && v !== 3) return raiseError(l, E.SETRESP_VERSION);
      if (vm.host) vm.host.resp = v;
      return 0;
    },
    set_repl(l) {
      if (lua.lua_gettop(l) !== 1) return raiseError(l, E.SET_REPL_ARGS);
      const flags = lua.lua_tonumber(l, 1);
      if (!Number.isInteger(flags) || (flags & ~(REPL_AOF | REPL_REPLICA)) !== 0) return raiseError(l, E.SET_REPL_FLAGS);
      vm.host?.setRepl(flags);
      return 0;
    },
    replicate_commands(l) {
      lua.lua_pushboolean(l, true);
      return 1;
    },
    breakpoint(l) {
      lua.lua_pushboolean(l, false);
      return 1;
    },
    debug() {
      return 0;
    },
    acl_check_cmd(l) {
      if (lua.lua_gettop(l) === 0) return raiseError(l, E.NO_ARGS);
      const name = lua.lua_type(l, 1) === lua.LUA_TSTRING ? toLatin1(l, 1)! : '';
      if (!vm.host?.commandExists(name)) return raiseError(l, E.ACL_CHECK_INVALID);
      lua.lua_pushboolean(l, true);
      return 1;
    },
  };
  vm.installTable('redis', fns);
  lua.lua_getglobal(L, 'redis');
  const consts: [string, number][] = [
    ['LOG_DEBUG', 0],
    ['LOG_VERBOSE', 1],
    ['LOG_NOTICE', 2],
    ['LOG_WARNING', 3],
    ['REPL_NONE', 0],
    ['REPL_AOF', REPL_AOF],
    ['REPL_SLAVE', REPL_REPLICA],
    ['REPL_REPLICA', REPL_REPLICA],
    ['REPL_ALL', REPL_AOF | REPL_REPLICA],
    ['REDIS_VERSION_NUM', versionNum(REDIS_VERSION)],
  ];
  for (const [name, v] of consts) {
    lua.lua_pushnumber(L, v);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_pushliteral(L, REDIS_VERSION);
  lua.lua_setfield(L, -2, 'REDIS_VERSION');
  lua.lua_pop(L, 1);
}
