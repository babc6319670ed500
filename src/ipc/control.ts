/*
 * The typed control protocol between the main thread and the shards (REQ_CONTROL records): per
 * operation, the request's argv (main thread), the reply's encoder (shard, src/shard/control.ts ...)
 * and its decoder (main thread), in one place so both sides read and write the same shape. Replies
 * travel as RESP, read with ReplyReader (src/resp/reply-reader.ts); the decoders name every field
 * instead of leaving callers to destructure positional arrays.
 *
 * The operations live in one file per family; this module lists them all:
 *   control-keyspace.ts   counters, DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHDB/FLUSHALL, SWAPDB, DEBUG POPULATE
 *   control-sort.ts       SORT's reads
 *   control-clients.ts    WATCH, blocked clients, closed connections, release-ready
 *   control-admin.ts      settings, role, RESETSTAT, crash; slow log, latency and command stats
 *   control-transfer.ts   values between threads: cross-shard commands, snapshots, RDB loading
 *   control-script.ts     a script run in a shard: request, options, reply
 *   control-common.ts     what they share (ControlArgv, the count and integer-record readers)
 *
 * Not listed here: ping (startup).
 */

export type { ControlArgv } from './control-common.js';
export * from './control-keyspace.js';
export * from './control-sort.js';
export * from './control-clients.js';
export * from './control-admin.js';
export * from './control-transfer.js';
export * from './control-script.js';
