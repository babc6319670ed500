/*
 * MainCtx: what a main-thread command handler sees: the server, its services (typed: replication,
 * pubsub, persistence, scripting), the client connection, the parsed arguments and a writer for its
 * one reply. A handler may be async (keyspace-wide commands ask every shard); the connection then
 * waits for it before running its next command, and the reply keeps its place in the connection's
 * reply order.
 */

import type { Args } from '../commands/args.js';
import type { Command } from '../commands/table.js';
import type { RespWriter } from '../resp/writer.js';
import type { Persistence } from '../persistence/persistence.js';
import type { Replication } from '../replication/replication.js';
import type { ScriptEngine } from '../scripting/eval.js';
import type { Connection } from './connection.js';
import type { PubSub } from './pubsub.js';
import type { Server } from './server.js';

export type MainHandler = (c: MainCtx) => void | Promise<void>;

export class MainCtx {
  constructor(
    readonly server: Server,
    readonly conn: Connection,
    readonly cmd: Command,
    readonly args: Args,
    readonly w: RespWriter,
    /** This request's sequence number on the connection. */
    readonly seq: number,
  ) {}

  /** The reply is a pub/sub push ((un)subscribe confirmations): CLIENT REPLY OFF does not silence it. */
  pushing = false;

  get argc(): number {
    return this.args.argc;
  }

  /** The replication service (role, replicas, the stream). */
  get replication(): Replication {
    return this.server.replication;
  }

  /** The pub/sub service (subscriptions, publishing). */
  get pubsub(): PubSub {
    return this.server.pubsub;
  }

  /** The persistence service (SAVE, BGSAVE, the save schedule). */
  get persistence(): Persistence {
    return this.server.persistence;
  }

  /** The scripting service (script cache, the running script). */
  get scripting(): ScriptEngine {
    return this.server.scripting;
  }
}
