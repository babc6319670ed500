/*
 * What the main thread's scripting needs of the Lua VM, in one module loaded on first use
 * (vm-modules.ts): the VM, the script runner, the Lua API and conversions FUNCTION LOAD uses.
 */

export { LuaVm } from './vm.js';
export { ScriptRun } from './script-run.js';
export { pushErrorTable } from './convert.js';
export { lauxlib, lua, toLatin1 } from './lua-api.js';
export { loadApiLog } from './shard-functions.js';
