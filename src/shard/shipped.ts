/*
 * Cross-shard commands, the shard's part: the "ship" control op runs one command here with keys owned
 * by other shards installed for its duration (src/router/coordinator.ts ships them and takes the
 * modified ones home).
 */

import { createDumpPayload, parseDumpPayload } from '../codec/dump.js';
import { FLAG_COORDINATED } from '../ipc/records.js';
import { CommandError, SHIP_BAD_PAYLOAD } from '../resp/errors.js';
import { RespWriter } from '../resp/writer.js';
import type { ShardHost } from './host.js';

/**
 * Control op "ship": run one command here with keys owned by other shards installed for its
 * duration. The main thread holds every involved shard while this runs, so no one else can see or
 * change those keys meanwhile; it writes the modified ones back to their owners afterwards.
 *   args: ship <db> <cmdId> <proto> <n> (<key> <payload|""> <expire-at>){n} <request>
 *   reply: [<reply bytes>, [<key> <payload|""> <expire-at>]...] for the shipped keys it modified
 */
export function runShipped(shard: ShardHost): void {
  const a = shard.args;
  const db = shard.ks.db(Number(a.str(1)));
  const cmdId = Number(a.str(2));
  const proto: 2 | 3 = a.str(3) === '3' ? 3 : 2;
  const n = Number(a.str(4));
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = a.str(5 + i * 3);
    const payload = a.bytes(6 + i * 3);
    const at = Number(a.str(7 + i * 3));
    keys.push(key);
    if (payload.length === 0) continue;
    const v = parseDumpPayload(payload);
    if (v === null) throw new CommandError(SHIP_BAD_PAYLOAD);
    db.installRaw(key, v, at);
  }
  const inner = a.bytes(5 + n * 3);
  const flagsBefore = shard.flags;
  shard.shippedKeys = new Set(keys);
  shard.shippedModified.clear();
  shard.db = db;
  shard.protocol = proto;
  shard.flags |= FLAG_COORDINATED;
  try {
    shard.runBody(inner, 0, inner.length, cmdId);
  } finally {
    shard.flags = flagsBefore;
    shard.shippedKeys = null;
  }
  const reply = shard.w.toBuffer();
  const out = new RespWriter(reply.length + 256);
  out.array(2);
  out.bulkBytes(reply);
  out.array(shard.shippedModified.size * 3);
  for (const key of shard.shippedModified) {
    const v = db.peek(key);
    out.bulk(key);
    if (v === undefined) out.bulk('');
    else out.bulkBytes(createDumpPayload(v));
    out.int(v === undefined ? -1 : db.getExpire(key));
  }
  for (const key of keys) db.removeAt(key, shard.ks.slotOf(key));
  shard.shippedModified.clear();
  shard.w.reset();
  shard.w.limit = Infinity; // the command's reply was checked; this carries values home too
  shard.w.raw(out.buf.subarray(0, out.len));
}
