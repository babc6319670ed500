/*
 * Every shard command, declared by its handler module (src/commands/registry.ts). The main thread
 * builds the command table from these and MAIN_COMMANDS; test/command-registry.test.ts checks every
 * table row has exactly one handler and every handler a row.
 */

import type { CommandDecl } from '../../commands/registry.js';
import type { ShardHandler } from '../context.js';
import { commands as keys } from './keys.js';
import { commands as lists } from './lists.js';
import { commands as strings } from './strings.js';
import { commands as hashes } from './hashes.js';
import { commands as sets } from './sets.js';
import { commands as zsets } from './zsets.js';
import { commands as bitmaps } from './bitmaps.js';
import { commands as hyperloglog } from './hyperloglog.js';
import { commands as introspect } from '../introspect.js';
import { commands as geo } from './geo.js';
import { commands as streams } from './streams.js';
import { commands as streamRead } from './stream-read.js';
import { commands as streamGroups } from './stream-groups.js';
import { commands as streamInfo } from './stream-info.js';

export const SHARD_COMMANDS: readonly CommandDecl<ShardHandler>[] = [
  ...keys,
  ...lists,
  ...strings,
  ...hashes,
  ...sets,
  ...zsets,
  ...bitmaps,
  ...hyperloglog,
  ...introspect,
  ...geo,
  ...streams,
  ...streamRead,
  ...streamGroups,
  ...streamInfo,
];
