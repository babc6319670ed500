/*
 * OBJECT HELP, and SCRIPT KILL / FLUSH / EXISTS without a scripting engine. shardis runs no Lua (EVAL is not
 * implemented), but redis-sentinel sends SCRIPT KILL to a master that stops answering with BUSY, and
 * clients probe SCRIPT EXISTS; both get the replies redis-server gives when nothing is loaded or running.
 */

import { CommandError, SYNTAX } from '../../resp/errors.js';
import type { MainHandler } from '../main-ctx.js';
import { OBJECT_HELP } from '../../shard/commands/keys.js';

export const handlers: Record<string, MainHandler> = {
  // keyless, so it runs here rather than on a shard
  'object|help'(c) {
    c.w.helpLines(OBJECT_HELP);
  },

  'script|kill'() {
    throw new CommandError('NOTBUSY No scripts in execution right now.');
  },

  'script|flush'(c) {
    if (c.argc > 3) throw new CommandError(SYNTAX);
    if (c.argc === 3 && !c.args.is(2, 'sync') && !c.args.is(2, 'async')) {
      throw new CommandError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    }
    c.w.ok();
  },

  'script|exists'(c) {
    c.w.array(c.argc - 2);
    for (let i = 2; i < c.argc; i++) c.w.int(0);
  },

  'script|help'(c) {
    c.w.helpLines([
      'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
};
