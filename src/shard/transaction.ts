/*
 * MULTI/EXEC on one shard (REQ_TXN records): every queued command's keys are here, so the whole
 * transaction runs back to back with nothing else in between.
 */

import { FLAG_IN_MULTI, REP_REPLY } from '../ipc/records.js';
import { RespWriter } from '../resp/writer.js';
import { serveReadyKeys } from './blocked.js';
import type { ShardHost } from './host.js';

/**
 * MULTI/EXEC whose commands all live on this shard: body = repeated (u32 cmdId, u32 len, request).
 * Runs them back to back (nothing else runs on this shard meanwhile), replies with one array, and
 * wraps the propagated writes in MULTI/EXEC.
 */
export function runTransaction(shard: ShardHost, body: Buffer, start: number, len: number): void {
  const connId = shard.connId;
  const seq = shard.seq;
  const db0 = shard.db;
  const end = start + len;
  const out = new RespWriter(4096);
  out.proto = shard.protocol;
  const prop = new RespWriter(1024);
  if (shard.watches.isTouched(connId)) {
    shard.watches.unwatchAll(connId);
    out.nullArray();
    shard.emit(REP_REPLY, 0, db0.id, connId, seq, out, null);
    return;
  }
  shard.watches.unwatchAll(connId);
  const items: [number, number, number][] = [];
  for (let p = start; p < end; ) {
    const cmdId = body.readUInt32LE(p);
    const l = body.readUInt32LE(p + 4);
    items.push([cmdId, p + 8, l]);
    p += 8 + l;
  }
  out.array(items.length);
  let writes = 0;
  const flagsBefore = shard.flags;
  shard.flags |= FLAG_IN_MULTI;
  for (const [cmdId, s, l] of items) {
    shard.runBody(body, s, l, cmdId);
    out.raw(shard.w.buf.subarray(0, shard.w.len));
    if (shard.p.len > 0) {
      writes++;
      prop.raw(shard.p.buf.subarray(0, shard.p.len));
      shard.p.reset();
    }
  }
  shard.flags = flagsBefore;
  shard.db = db0;
  shard.w.reset();
  // one write goes out as is (as Redis 7.0 does); several are wrapped in MULTI/EXEC
  let wrapped = prop;
  if (writes > 1) {
    wrapped = new RespWriter(prop.len + 64);
    wrapped.command(['MULTI']);
    wrapped.raw(prop.buf.subarray(0, prop.len));
    wrapped.command(['EXEC']);
  }
  shard.emit(REP_REPLY, 0, db0.id, connId, seq, out, wrapped);
  if (shard.blocked.readyKeys.length > 0) serveReadyKeys(shard);
}
