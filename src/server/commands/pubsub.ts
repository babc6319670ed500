/*
 * Pub/Sub commands on the main thread: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE
 * SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP).
 *
 * Confirmations are one 3-element array (RESP3: push) per channel or pattern, as Redis sends them;
 * the count is the connection's channels + patterns (shard channels count on their own). The state
 * and delivery live in ../pubsub.ts. PUBLISH and SPUBLISH are propagated to replicas so their
 * subscribers hear the message too.
 */

import { globMatch } from '../../commands/glob.js';
import { CommandError, SSUBSCRIBE_DENY_BLOCKING, subcommandSyntax } from '../../resp/errors.js';
import type { RespWriter } from '../../resp/writer.js';
import type { Connection } from '../connection.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { PubSub, type Subscribers } from '../pubsub.js';
import { execRunning, propagateMain } from './transactions.js';
import { Keys, X, declare, mainCommands, type WithOptions } from '../../commands/registry.js';

function confirm(w: RespWriter, kind: string, name: string | null, count: number): void {
  w.push(3);
  w.bulk(kind);
  if (name === null) w.nullBulk();
  else w.bulk(name);
  w.int(count);
}

function globalCount(conn: Connection): number {
  return conn.channels.size + conn.patterns.size;
}

/** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: each named one, confirmed with the count after it is added. */
function join(c: MainCtx, registry: Subscribers, own: Set<string>, kind: string, count: (conn: Connection) => number): void {
  const conn = c.conn;
  for (let i = 1; i < c.argc; i++) {
    const name = c.args.str(i);
    PubSub.add(registry, own, conn, name);
    confirm(c.w, kind, name, count(conn));
  }
}

/** UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the named ones, or all (a nil confirmation if none). */
function leave(c: MainCtx, registry: Subscribers, own: Set<string>, kind: string, count: (conn: Connection) => number): void {
  const conn = c.conn;
  const names = c.argc > 1 ? c.args.all(1) : [...own];
  if (names.length === 0) {
    confirm(c.w, kind, null, count(conn));
    return;
  }
  for (const name of names) {
    PubSub.remove(registry, own, conn, name);
    confirm(c.w, kind, name, count(conn));
  }
}

function channelList(c: MainCtx, registry: Subscribers): void {
  const pattern = c.argc === 3 ? c.args.str(2) : null;
  const out: string[] = [];
  for (const name of registry.keys()) if (pattern === null || globMatch(pattern, name)) out.push(name);
  c.w.bulkArray(out);
}

function numSub(c: MainCtx, registry: Subscribers): void {
  c.w.array((c.argc - 2) * 2);
  for (let i = 2; i < c.argc; i++) {
    const name = c.args.str(i);
    c.w.bulk(name);
    c.w.int(registry.get(name)?.size ?? 0);
  }
}

function optionalPatternArity(c: MainCtx): void {
  if (c.argc > 3) throw new CommandError(subcommandSyntax(c.args.str(1), 'pubsub'));
}

const HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

function shardCount(conn: Connection): number {
  return conn.shardChannels.size;
}

/** SUBSCRIBE & co (join) or UNSUBSCRIBE & co (leave) for one kind of subscription, confirmed by pushes. */
function subscription(kind: 'channels' | 'patterns' | 'shardChannels', move: typeof join, name: string, count: (conn: Connection) => number): WithOptions<MainHandler> {
  return declare<MainHandler>((c) => {
    c.pushing = true;
    move(c, c.pubsub[kind], c.conn[kind], name, count);
  }, { x: X.PUBSUB_CONTEXT });
}

// keyless: none of these touches a key (inside EXEC they need no shard locked)
export const commands = mainCommands<MainHandler>({
  subscribe: subscription('channels', join, 'subscribe', globalCount),
  psubscribe: subscription('patterns', join, 'psubscribe', globalCount),

  ssubscribe: declare((c) => {
    // inside EXEC the client cannot take the confirmation stream (Redis: a DENY BLOCKING client)
    if (execRunning.has(c.conn)) throw new CommandError(SSUBSCRIBE_DENY_BLOCKING);
    c.pushing = true;
    join(c, c.pubsub.shardChannels, c.conn.shardChannels, 'ssubscribe', shardCount);
  }, { x: X.PUBSUB_CONTEXT }),

  unsubscribe: subscription('channels', leave, 'unsubscribe', globalCount),
  punsubscribe: subscription('patterns', leave, 'punsubscribe', globalCount),
  sunsubscribe: subscription('shardChannels', leave, 'sunsubscribe', shardCount),

  publish(c) {
    const ch = c.args.str(1);
    const msg = c.args.str(2);
    const n = c.pubsub.publish(ch, msg, false);
    propagateMain(c, c.conn.db, ['PUBLISH', c.args.bytes(1), c.args.bytes(2)]);
    c.w.int(n);
  },

  spublish(c) {
    const n = c.pubsub.publish(c.args.str(1), c.args.str(2), true);
    propagateMain(c, c.conn.db, ['SPUBLISH', c.args.bytes(1), c.args.bytes(2)]);
    c.w.int(n);
  },

  'pubsub|channels'(c) {
    optionalPatternArity(c);
    channelList(c, c.pubsub.channels);
  },

  'pubsub|shardchannels'(c) {
    optionalPatternArity(c);
    channelList(c, c.pubsub.shardChannels);
  },

  'pubsub|numsub'(c) {
    numSub(c, c.pubsub.channels);
  },

  'pubsub|shardnumsub'(c) {
    numSub(c, c.pubsub.shardChannels);
  },

  'pubsub|numpat'(c) {
    c.w.int(c.pubsub.patterns.size);
  },

  'pubsub|help'(c) {
    c.w.array(HELP.length);
    for (const line of HELP) c.w.simple(line);
  },
}, { keys: Keys.None });
