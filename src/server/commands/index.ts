/*
 * Every main-thread command, declared by its handler module (src/commands/registry.ts).
 */

import { handlersById, propsByName, type CommandDecl, type CommandProps } from '../../commands/registry.js';
import { CommandTable } from '../../commands/table.js';
// the shard commands' properties only: their modules (handlers, values, store) load in the shards
import { SHARD_PROPS } from '../../commands/shard-props.js';
import type { MainHandler } from '../main-ctx.js';
import { commands as acl } from '../../acl/commands.js';
import { commands as client } from './client.js';
import { commands as command } from './command.js';
import { commands as clientTracking } from './client-tracking.js';
import { commands as connection } from './connection.js';
import { commands as keyspace } from './keyspace.js';
import { commands as introspection } from './introspection.js';
import { commands as persistence } from './persistence.js';
import { commands as pubsub } from './pubsub.js';
import { commands as replication } from './replication.js';
import { commands as scripting } from './scripting.js';
import { commands as server } from './server.js';
import { commands as sort } from './sort.js';
import { commands as transactions } from './transactions.js';
import { commands as streams } from './streams.js';

export const MAIN_COMMANDS: readonly CommandDecl<MainHandler>[] = [
  ...acl,
  ...client,
  ...clientTracking,
  ...command,
  ...connection,
  ...keyspace,
  ...introspection,
  ...pubsub,
  ...replication,
  ...scripting,
  ...server,
  ...sort,
  ...transactions,
  ...streams,
  ...persistence,
];

/** The command table built from every declaration, and the main-thread handlers by command id. */
export function buildCommands(): {
  table: CommandTable;
  mainHandlers: readonly (MainHandler | undefined)[];
  implemented: [string, CommandProps][];
} {
  const implemented = propsByName([...SHARD_PROPS, ...MAIN_COMMANDS]);
  const table = new CommandTable(implemented);
  return { table, mainHandlers: handlersById(table.byId, MAIN_COMMANDS), implemented: [...implemented] };
}
