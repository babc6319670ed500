/*
 * Cross-shard commands, the shard's part: the "ship" control op runs one command here with keys owned
 * by other shards installed for its duration (src/router/coordinator.ts ships them and takes the
 * modified ones home).
 */

import { createDumpPayload, parseDumpPayload } from '../codec/dump.js';
import { FLAG_COORDINATED } from '../ipc/records.js';
import { shipOp, type KeyValue } from '../ipc/control.js';
import { CommandError, SHIP_BAD_PAYLOAD } from '../resp/errors.js';
import { RespWriter } from '../resp/writer.js';
import type { ShardHost } from './host.js';

/**
 * Control op "ship": run one command here with keys owned by other shards installed for its
 * duration. The main thread holds every involved shard while this runs, so no one else can see or
 * change those keys meanwhile; it writes the modified ones back to their owners afterwards.
 * Request and reply: shipOp (src/ipc/control.ts); the reply carries the shipped keys it modified.
 */
export function runShipped(shard: ShardHost): void {
  const req = shipOp.args(shard.args);
  const db = shard.ks.db(req.db);
  const keys: string[] = [];
  for (const { key, value } of req.keys) {
    keys.push(key);
    if (value === null) continue;
    const v = parseDumpPayload(value.payload);
    if (v === null) throw new CommandError(SHIP_BAD_PAYLOAD);
    db.installRaw(key, v, value.expireAt);
  }
  const inner = req.request;
  const cmdId = req.cmdId;
  const proto = req.proto;
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
  const modified: KeyValue[] = [];
  for (const key of shard.shippedModified) {
    const v = db.peek(key);
    modified.push({ key, value: v === undefined ? null : { payload: createDumpPayload(v), expireAt: db.getExpire(key) } });
  }
  const out = new RespWriter(reply.length + 256);
  shipOp.write(out, reply, modified);
  for (const key of keys) db.removeAt(key, shard.ks.slotOf(key));
  shard.shippedModified.clear();
  shard.w.reset();
  shard.w.limit = Infinity; // the command's reply was checked; this carries values home too
  shard.w.raw(out.buf.subarray(0, out.len));
}
