/*
 * DEBUG POPULATE count [prefix] [size] (main thread side): validates as redis-server does and asks
 * every shard, holding them all, to create the keys that hash to it (src/shard/populate.ts). Like
 * redis-server 7.0, the keys are not propagated to replicas.
 */

import { parseInt64 } from '../../commands/numbers.js';
import { CommandError, VALUE_OUT_OF_RANGE_POSITIVE } from '../../resp/errors.js';
import type { MainCtx } from '../main-ctx.js';
import { holdingAll } from './keyspace.js';
import { populateOp } from '../../ipc/control.js';

function positive(s: string): number {
  const v = parseInt64(s);
  if (v === null || v < 0n) throw new CommandError(VALUE_OUT_OF_RANGE_POSITIVE);
  return Number(v);
}

export async function debugPopulate(c: MainCtx): Promise<void> {
  const count = positive(c.args.str(2));
  const prefix = c.argc >= 4 ? c.args.str(3) : 'key';
  const size = c.argc === 5 ? positive(c.args.str(4)) : 0;
  const db = c.conn.db;
  const n = c.server.links.length;
  await holdingAll(c, () => c.server.allShards(populateOp.request({ db, count, prefix, size, shards: n }), db));
  c.w.ok();
}

export const POPULATE_HELP = [
  'POPULATE <count> [<prefix>] [<size>]',
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
];
