/*
 * DUMP / RESTORE payloads: <RDB value type byte><RDB value encoding><RDB version u16 LE><CRC64 u64 LE>,
 * the format redis-server 7.0 produces and accepts, so values move between shardis and Redis (and
 * between shards, for cross-shard commands).
 *
 * PLACEHOLDER until the RDB codec lands: strings and lists only.
 */

import type { Value } from '../shard/values/types.js';
import { ListValue } from '../shard/values/list.js';

export function createDumpPayload(v: Value): Buffer {
  const json = typeof v === 'object' ? (v instanceof ListValue ? { l: v.toArray() } : { x: 1 }) : { s: String(v), n: typeof v === 'number' };
  return Buffer.from(JSON.stringify(json), 'latin1');
}

export function parseDumpPayload(b: Uint8Array): Value | null {
  try {
    const j = JSON.parse(Buffer.from(b).toString('latin1')) as { s?: string; n?: boolean; l?: string[] };
    if (j.l) return ListValue.from(j.l);
    if (j.s !== undefined) return j.n ? Number(j.s) : j.s;
    return null;
  } catch {
    return null;
  }
}
