/*
 * The ACL command universe: every Redis 7.0 command and subcommand (from spec-data.ts, implemented by
 * shardis or not, as Redis's ACL works on its original command table) with its ACL categories, the
 * category list in Redis's order, and lookups by full name ("client|list").
 */

import { CommandTable, Keys, Route, type Command } from '../commands/table.js';
import type { CommandProps } from '../commands/registry.js';
import { COMMAND_DATA } from '../commands/spec-data.js';

/** ACL categories in Redis's order (ACL CAT, description best fit). */
export const CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
] as const;

function buildUniverse(): CommandTable {
  const all = new Map<string, CommandProps>();
  const props: CommandProps = { route: Route.Main, keys: Keys.All, x: 0, timeoutArg: 0 };
  for (const d of COMMAND_DATA) {
    all.set(d.n, props);
    for (const s of d.sub ?? []) all.set(s.n, props);
  }
  return new CommandTable(all);
}

/** Every command (containers, then their subcommands), in table order. */
export const UNIVERSE = buildUniverse();

/** Number of ids in the universe (size of a permission bitmap). */
export const UNIVERSE_SIZE = UNIVERSE.byId.length;

/** Commands (with subcommands) in a category, by category name without '@'. */
export const BY_CATEGORY = new Map<string, Command[]>();
for (const c of CATEGORIES) BY_CATEGORY.set(c, []);
for (const cmd of UNIVERSE.byId) {
  for (const cat of cmd.acl) BY_CATEGORY.get(cat.slice(1))?.push(cmd);
}
