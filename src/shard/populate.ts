/*
 * DEBUG POPULATE on a shard (control op): create the keys <prefix>:0 .. <prefix>:<count-1> that hash
 * to this shard, with values "value:<n>" (cut or zero-padded to <size> bytes when size > 0), skipping
 * keys that exist, as redis-server's debugCommand does. Each shard walks the whole range in
 * parallel with the others and keeps only its own keys: one round trip per shard, not per key.
 *
 *   populate <db> <count> <prefix> <size> <shards>  -> :<keys created>
 */

import { hashSlotOfString, SLOTS } from '../router/slot.js';
import type { Keyspace } from './keyspace.js';
import type { Args } from '../commands/args.js';
import type { RespWriter } from '../resp/writer.js';
import { populateOp } from '../ipc/control.js';

/** What the op needs of the shard (structural: importing Shard would close an import cycle). */
interface PopulateCtx {
  readonly ks: Keyspace;
  readonly args: Args;
  readonly w: RespWriter;
  readonly shard: number;
}

export const POPULATE_CONTROL: Record<string, (c: PopulateCtx) => void> = {
  populate(c) {
    const { db: dbIndex, count, prefix, size, shards } = populateOp.args(c.args);
    const db = c.ks.db(dbIndex);
    // redis formats the key into a 128-byte buffer: longer names are cut to 127 bytes
    const me = c.shard;
    let created = 0;
    for (let j = 0; j < count; j++) {
      const key = `${prefix}:${j}`.slice(0, 127);
      if (Math.floor((hashSlotOfString(key) * shards) / SLOTS) !== me) continue;
      if (db.get(key, false) !== undefined) continue;
      let v = `value:${j}`;
      if (size > 0) v = size <= v.length ? v.slice(0, size) : v + '\0'.repeat(size - v.length);
      db.add(key, v);
      created++;
    }
    populateOp.write(c.w, created);
  },
};
