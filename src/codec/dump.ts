/*
 * DUMP / RESTORE payloads in Redis's format (src/codec/rdb.ts): the same bytes redis-server 7.0
 * produces and accepts, so values move between shardis and Redis, and between shards for cross-shard
 * commands (RENAME, COPY, SMOVE, SUNIONSTORE, ...).
 */

import type { Value } from '../shard/values/types.js';
import { createDump, parseDump } from './rdb.js';

export function createDumpPayload(v: Value): Buffer {
  return createDump(v);
}

/** The value of a payload, or null when it is not a valid DUMP payload. */
export function parseDumpPayload(b: Uint8Array): Value | null {
  const v = parseDump(b);
  return v === 'bad-version-or-crc' || v === 'bad-data' ? null : v;
}
