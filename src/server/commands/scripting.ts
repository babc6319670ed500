/*
 * OBJECT HELP and SCRIPT HELP; EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL,
 * FCALL, FCALL_RO and FUNCTION come from the Lua scripting engine (src/scripting/eval.ts, functions.ts).
 */

import { evalCommands } from '../../scripting/eval.js';
import { functionCommands } from '../../scripting/functions.js';
import type { MainHandler } from '../main-ctx.js';
import { OBJECT_HELP } from '../../shard/commands/keys.js';
import { mainCommands } from '../../commands/registry.js';

const helpCommands = mainCommands<MainHandler>({
  // keyless, so it runs here rather than on a shard
  'object|help'(c) {
    c.w.helpLines(OBJECT_HELP);
  },

  'script|help'(c) {
    c.w.helpLines([
      'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'DEBUG (YES|SYNC|NO)',
      '    Set the debug mode for subsequent scripts executed.',
      'EXISTS <sha1> [<sha1> ...]',
      '    Return information about the existence of the scripts in the script cache.',
      'FLUSH [ASYNC|SYNC]',
      '    Flush the Lua scripts cache. Very dangerous on replicas.',
      '    When called without the optional mode argument, the behavior is determined by the',
      '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
      '    * ASYNC: Asynchronously flush the scripts cache.',
      '    * SYNC: Synchronously flush the scripts cache.',
      'KILL',
      '    Kill the currently executing Lua script.',
      'LOAD <script>',
      '    Load a script into the scripts cache without executing it.',
      'HELP',
      '    Prints this help.',
    ]);
  },
});

export const commands = [...evalCommands, ...functionCommands, ...helpCommands];
