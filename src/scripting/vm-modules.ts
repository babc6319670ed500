/*
 * The scripting modules that need the Lua VM (vm.ts with its libraries and conversions, the main
 * thread's script runner, the shard's script runner), loaded on first use: a server that runs no
 * script or function never loads them (nor fengari, which LuaVm loads), in the main thread or in a
 * shard. Loaded synchronously (require of an ES module, Node 20.19+), so every caller stays as it
 * was: the first EVAL, SCRIPT LOAD, FUNCTION LOAD or RDB with functions pays the load once.
 * preloadVmModules() (at startup) loads them at once on a Node without require of ES modules.
 */

import { createRequire } from 'node:module';
import type * as MainSide from './vm-main.js';
import type * as ShardSide from './shard-script.js';

const load = createRequire(import.meta.url);
/** require() of an ES module works (Node 20.19+, 22.12+). */
const syncLoad = (process as { features?: { require_module?: boolean } }).features?.require_module === true;

let mainSide: typeof MainSide | null = null;
let shardSide: typeof ShardSide | null = null;

/** The main thread's VM modules (LuaVm, ScriptRun, the Lua API), loaded now if they were not. */
export function vmMain(): typeof MainSide {
  return (mainSide ??= load('./vm-main.js') as typeof MainSide);
}

/** The shard's script runner (shard-script.ts), loaded now if it was not. */
export function vmShard(): typeof ShardSide {
  return (shardSide ??= load('./shard-script.js') as typeof ShardSide);
}

/** The shard's script runner if it was loaded (else null: no script ran in this thread). */
export function vmShardLoaded(): typeof ShardSide | null {
  return shardSide;
}

/** Where require() cannot load ES modules: load them now, at startup, as a static import would. */
export async function preloadVmModules(side: 'main' | 'shard'): Promise<void> {
  if (syncLoad) return;
  if (side === 'main') mainSide ??= await import('./vm-main.js');
  else shardSide ??= await import('./shard-script.js');
}
