/*
 * Every shard command handler, by full command name. The command table (built from the names the
 * server implements) numbers them; test/command-table.test.ts checks each shard-routed command has
 * exactly one handler here.
 */

import type { ShardHandler } from '../context.js';
import { handlers as keys } from './keys.js';
import { handlers as lists } from './lists.js';
import { handlers as strings } from './strings.js';
import { handlers as hashes } from './hashes.js';
import { handlers as sets } from './sets.js';
import { handlers as zsets } from './zsets.js';
import { handlers as bitmaps } from './bitmaps.js';
import { handlers as hyperloglog } from './hyperloglog.js';
import { handlers as introspect } from '../introspect.js';
import { handlers as geo } from './geo.js';
import { handlers as streams } from './streams.js';
import { handlers as streamRead } from './stream-read.js';
import { handlers as streamGroups } from './stream-groups.js';
import { handlers as streamInfo } from './stream-info.js';

export const SHARD_HANDLERS: Readonly<Record<string, ShardHandler>> = {
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
};
