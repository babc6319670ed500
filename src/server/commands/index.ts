/*
 * Every main-thread command handler, by full command name ("config|get" for subcommands).
 */

import type { MainHandler } from '../main-ctx.js';
import { handlers as acl } from '../../acl/commands.js';
import { clientHandlers as client } from './client.js';
import { commandHandlers as command } from './command.js';
import { handlers as clientTracking } from './client-tracking.js';
import { handlers as connection } from './connection.js';
import { handlers as keyspace } from './keyspace.js';
import { handlers as introspection } from './introspection.js';
import { handlers as persistence } from './persistence.js';
import { handlers as pubsub } from './pubsub.js';
import { handlers as replication } from './replication.js';
import { handlers as scripting } from './scripting.js';
import { handlers as server } from './server.js';
import { handlers as sort } from './sort.js';
import { handlers as transactions } from './transactions.js';
import { handlers as streams } from './streams.js';

export const MAIN_HANDLERS: Readonly<Record<string, MainHandler>> = {
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
  // after server and keyspace: its SHUTDOWN and FLUSHALL replace theirs
  ...persistence,
};
