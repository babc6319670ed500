/*
 * Cheaper stack pops in fengari's VM. fengari clears a stack slot it pops with `delete stack[i]`,
 * a call into V8's runtime (about 40 ns each on this machine: a script `return redis.call('get',
 * KEYS[1])` pops some ten slots on its way back, a tenth of its run in a shard). Writing undefined
 * there leaves the slot as a delete does for every reader (fengari reads a slot above the top only
 * as undefined, and grows or shrinks the array with its length) at the cost of a store.
 *
 * Replaced, on the module object (the VM's loop calls them through it, so the replacements are the
 * ones it runs): adjust_top (shrinking the top), and the two places a call's results are moved to
 * where the caller wants them when it wants all of them (LUA_MULTRET: `return f(...)` and a
 * script's own return): luaD_poscall, and luaD_precall's path for a JS function. Everything else
 * (Lua functions, calls with a fixed number of results, call/return hooks) goes to fengari's own
 * code, which these only front.
 */

interface Slot {
  setfrom(v: Slot): void;
}
interface Ci {
  func: unknown;
  funcOff: number;
  top: number;
  nresults: number;
  callstatus: number;
  previous: Ci;
  next: Ci | null;
}
interface State {
  stack: (Slot | undefined)[];
  top: number;
  ci: Ci;
  hookmask: number;
}
interface Ldo {
  adjust_top(L: State, newtop: number): void;
  luaD_checkstack(L: State, n: number): void;
  luaD_poscall(L: State, ci: Ci, firstResult: number, nres: number): boolean;
  luaD_precall(L: State, off: number, nresults: number): boolean;
}

export function patchStackPops(require: NodeJS.Require): void {
  const ldo = require('fengari/src/ldo.js') as Ldo;
  const lstate = require('fengari/src/lstate.js') as { luaE_extendCI(L: State): Ci };
  const lobject = require('fengari/src/lobject.js') as { TValue: new (type: number, value: unknown) => Slot };
  const defs = require('fengari/src/defs.js') as {
    LUA_MULTRET: number;
    LUA_MINSTACK: number;
    LUA_MASKCALL: number;
    LUA_MASKRET: number;
    LUA_MASKLINE: number;
    constant_types: { LUA_TLCF: number; LUA_TCCL: number; LUA_TNIL: number };
  };
  const MULTRET = defs.LUA_MULTRET;
  const MINSTACK = defs.LUA_MINSTACK;
  const CALL_HOOK = defs.LUA_MASKCALL;
  const RET_HOOKS = defs.LUA_MASKRET | defs.LUA_MASKLINE;
  const { LUA_TLCF, LUA_TCCL, LUA_TNIL } = defs.constant_types;
  const { TValue } = lobject;
  const { luaE_extendCI } = lstate;
  const poscall0 = ldo.luaD_poscall;
  const precall0 = ldo.luaD_precall;

  ldo.adjust_top = (L, newtop) => {
    const stack = L.stack;
    let top = L.top;
    if (top < newtop) {
      while (top < newtop) stack[top++] = new TValue(LUA_TNIL, null);
    } else {
      while (top > newtop) stack[--top] = undefined;
    }
    L.top = top;
  };

  /** Results firstResult.. (nres of them) to the called function's slot and up, the top after them. */
  const allResults = (L: State, ci: Ci, firstResult: number, nres: number): boolean => {
    const res = ci.funcOff;
    L.ci = ci.previous;
    L.ci.next = null;
    const stack = L.stack;
    for (let i = 0; i < nres; i++) stack[res + i]!.setfrom(stack[firstResult + i]!);
    // (from the top down, as fengari's deletes; never past the array's end: a store there would grow it)
    for (let i = Math.min(L.top, stack.length - 1); i >= res + nres; i--) stack[i] = undefined;
    L.top = res + nres;
    return false;
  };

  ldo.luaD_poscall = (L, ci, firstResult, nres) => {
    if (ci.nresults !== MULTRET || (L.hookmask & RET_HOOKS) !== 0) return poscall0(L, ci, firstResult, nres);
    return allResults(L, ci, firstResult, nres);
  };

  ldo.luaD_precall = (L, off, nresults) => {
    const func = L.stack[off] as unknown as { type: number; value: { f?: (L: State) => number } & ((L: State) => number) };
    const t = func.type;
    if ((t !== LUA_TLCF && t !== LUA_TCCL) || nresults !== MULTRET || (L.hookmask & (CALL_HOOK | RET_HOOKS)) !== 0) return precall0(L, off, nresults);
    const f = t === LUA_TCCL ? func.value.f! : func.value;
    ldo.luaD_checkstack(L, MINSTACK);
    const ci = luaE_extendCI(L);
    ci.funcOff = off;
    ci.nresults = nresults;
    ci.func = func;
    ci.top = L.top + MINSTACK;
    ci.callstatus = 0;
    const n = f(L);
    if (typeof n !== 'number' || n < 0 || (n | 0) !== n) throw Error('invalid return value from JS function (expected integer)');
    allResults(L, ci, L.top - n, n);
    return true;
  };
}
