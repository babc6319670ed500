/*
 * Command declarations: each handler module declares, next to its handlers, the commands they
 * implement, where they run (main thread or shard), how their keys are found, and shardis's own
 * per-command properties (X flags, blocking timeout position). The command table (table.ts) is built
 * from these declarations and nothing else; test/command-registry.test.ts checks every declared
 * command has a row in Redis 7.0's command data and every row is declared exactly once.
 */

/** Where a command executes. */
export const enum Route {
  /** On the main thread (server, connection and keyspace-wide commands). */
  Main = 0,
  /** On the shard that owns its key(s); keys spread over shards are coordinated by the main thread. */
  Shard = 1,
}

/** How a command finds the keys it touches (the shards it needs). */
export const enum Keys {
  /** Its key arguments, found by the table's key specs: it runs on their shard (shard 0 without keys). */
  Spec = 0,
  /** It touches no key (needs no shard locked inside EXEC). */
  None = 1,
  /** It may touch any shard's keys (keyspace-wide, or keys it finds by its own parsing). */
  All = 2,
}

/** shardis-specific command properties (bit values and names are ours). */
export const X = {
  /** Runs on the main thread only after the connection's earlier requests completed. */
  BARRIER: 1 << 0,
  /** Allowed in a RESP2 subscribed context. */
  PUBSUB_CONTEXT: 1 << 1,
  /** Not queued inside MULTI (transaction control). */
  NOT_QUEUED: 1 << 2,
  /** Keys spread over shards: split into one sub-command per shard, in one step, no locks. */
  SPLIT: 1 << 3,
  /** A SPLIT command whose per-shard integer replies are summed. */
  SPLIT_SUM: 1 << 4,
  /** An asynchronous main-thread command that may wait long: replies before it are not held back. */
  SLOW_ASYNC: 1 << 5,
} as const;

/** What a declaration says about a command, handler aside (travels to the shards in workerData). */
export interface CommandProps {
  readonly route: Route;
  readonly keys: Keys;
  /** X flags. */
  readonly x: number;
  /** Position of a blocking command's timeout argument (negative: from the end); 0 when none. */
  readonly timeoutArg: number;
}

export interface CommandDecl<H> extends CommandProps {
  /** Lower-case full name: "get", "config|get". */
  readonly name: string;
  readonly handler: H;
}

/** Optional properties of one declaration. */
export interface DeclOptions {
  keys?: Keys;
  x?: number;
  timeoutArg?: number;
}

/** A handler with properties, for an entry of shardCommands / mainCommands. */
export interface WithOptions<H> {
  readonly handler: H;
  readonly options: DeclOptions;
}

/** A handler with the properties of its command. */
export function declare<H>(handler: H, options: DeclOptions): WithOptions<H> {
  return { handler, options };
}

type Handlers<H> = Readonly<Record<string, H | WithOptions<H>>>;

function declareAll<H extends (...a: never[]) => unknown>(route: Route, defaults: DeclOptions, map: Handlers<H>): CommandDecl<H>[] {
  return Object.entries(map).map(([name, v]) => {
    const o: DeclOptions = typeof v === 'function' ? defaults : { ...defaults, ...v.options };
    const handler = typeof v === 'function' ? v : v.handler;
    return { name, route, keys: o.keys ?? Keys.All, x: o.x ?? 0, timeoutArg: o.timeoutArg ?? 0, handler };
  });
}

/** Commands run by a shard; their keys are found by the key specs. */
export function shardCommands<H extends (...a: never[]) => unknown>(map: Handlers<H>): CommandDecl<H>[] {
  return declareAll(Route.Shard, { keys: Keys.Spec }, map);
}

/**
 * Commands run on the main thread; they may touch any shard (Keys.All) unless declared otherwise,
 * per entry or for the whole module (`defaults`).
 */
export function mainCommands<H extends (...a: never[]) => unknown>(map: Handlers<H>, defaults: DeclOptions = {}): CommandDecl<H>[] {
  return declareAll(Route.Main, defaults, map);
}

/** The properties by name, checking no command is declared twice. */
export function propsByName(decls: readonly CommandDecl<unknown>[]): Map<string, CommandProps> {
  const out = new Map<string, CommandProps>();
  for (const d of decls) {
    if (out.has(d.name)) throw new Error(`command ${d.name} declared twice`);
    out.set(d.name, { route: d.route, keys: d.keys, x: d.x, timeoutArg: d.timeoutArg });
  }
  return out;
}

/** Handlers indexed by command id (undefined for rows the declarations do not cover). */
export function handlersById<H>(commands: readonly { readonly name: string }[], decls: readonly CommandDecl<H>[]): (H | undefined)[] {
  const byName = new Map<string, H>();
  for (const d of decls) byName.set(d.name, d.handler);
  return commands.map((c) => byName.get(c.name));
}
