/*
 * The shard's entry points into scripting (shard.ts, the control ops), without loading it: the
 * script runner (shard-script.ts, with the Lua VM) is loaded by the first script this shard runs
 * (vm-modules.ts), so a shard that runs none never loads it.
 */

import type { ShardHost } from '../shard/host.js';
import { vmShard, vmShardLoaded } from './vm-modules.js';

/** A REQ_SCRIPT (shard-script.ts runScriptRequest). */
export function runScriptRequest(c: ShardHost, w3: number, body: Buffer, start: number, len: number): void {
  vmShard().runScriptRequest(c, w3, body, start, len);
}

/** The disconnect op: a closed connection's scripts are no longer diverted here (none if no script ran). */
export function forgetScriptConnection(connId: number): void {
  vmShardLoaded()?.forgetScriptConnection(connId);
}

/** Control ops "script" and "fcall" (shard-script.ts). */
export const SCRIPT_CONTROL_HANDLERS: Record<string, (c: ShardHost) => void> = {
  script: (c) => vmShard().SCRIPT_CONTROL_HANDLERS.script!(c),
  fcall: (c) => vmShard().SCRIPT_CONTROL_HANDLERS.fcall!(c),
  /** script-warm (ipc/control-script.ts). */
  'script-warm'(c) {
    vmShard().warmScripting(c);
    c.w.ok();
  },
};
