/*
 * The RDB value codec (RDB version 10, as redis-server 7.0) for DUMP/RESTORE, moving values between
 * shards, saved files, AOF base files and full-sync payloads; the shards and replication both use it.
 *
 *   DUMP payload = <type byte> <value> <RDB version: u16 LE = 10> <CRC64 (Jones, reflected) u64 LE>
 *
 * This module gathers the codec: rdb-format.ts (constants, CRC64), rdb-write.ts, rdb-read.ts and
 * rdb-stream.ts (streams, used by the other two).
 */

export * from './rdb-format.js';
export * from './rdb-write.js';
export * from './rdb-read.js';
