/*
 * The one place tests import shardis's own modules from (unit tests and helpers that must agree with
 * the server, e.g. the slot -> shard mapping). When src is reorganised, fix the paths here only.
 */

export { SLOTS, crc16, hashSlot, hashSlotOfString, slotToShardTable } from '../../src/router/slot.js';
export { Crc64, crc64, createDump, decodeValue, encodeValue, lzfDecompress, parseDump, rdbFileEntries, rdbHeader, RdbWriter, writeEntry, RDB_OPCODE } from '../../src/codec/rdb.js';
export { Keyspace, Db, type KeyspaceHooks } from '../../src/shard/keyspace.js';
export { activeExpire } from '../../src/shard/active-expire.js';
export { HeapSlotTable, type SlotTable } from '../../src/shard/slot-table.js';
export { ByteTable } from '../../src/store/byte-table.js';
export { ByteSlots } from '../../src/store/byte-slots.js';
export { Arena } from '../../src/store/arena.js';
export { ListValue } from '../../src/shard/values/list.js';
export { HashValue } from '../../src/shard/values/hash.js';
export { SetValue } from '../../src/shard/values/set.js';
export { StreamValue } from '../../src/shard/values/stream.js';
export type { Value } from '../../src/shard/values/types.js';
export { ZSetValue } from '../../src/shard/values/zset.js';
export { StreamConsumer, StreamGroup } from '../../src/shard/values/stream.js';
export { Shard } from '../../src/shard/shard.js';
export { DEFAULT_SHARD_CONFIG } from '../../src/shard/context.js';
export { createRingBuffer } from '../../src/ipc/ring.js';
export { Coordinator } from '../../src/router/coordinator.js';
export { asinCR, cosCR, sinCR } from '../../src/commands/libm.js';
export { RingConsumer, RingProducer } from '../../src/ipc/ring.js';
export { lzfCompress } from '../../src/persistence/lzf.js';
export { newNicePool } from '../../src/persistence/pools.js';
export { FRAME_EMPTY, FRAME_ERROR, FRAME_NEED_MORE, FRAME_OK, RequestFramer } from '../../src/resp/framer.js';
export { RespWriter } from '../../src/resp/writer.js';
export { latencyDoctor, latencyGraph } from '../../src/server/stats/latency-report.js';
export { LatencyMonitor } from '../../src/server/stats/slowlog.js';
export { ACCESS, lfuData, lfuDecayed, lfuLogIncr } from '../../src/shard/access.js';
export { evictionTimeLimitUs } from '../../src/shard/eviction.js';
export { LuaVm } from '../../src/scripting/vm.js';
export * as luaApi from '../../src/scripting/lua-api.js';
// the inter-thread protocol (test/ipc-protocol.test.ts)
export { ChunkJoiner, writeChunks, writeHeader } from '../../src/ipc/chunks.js';
export { FLAG_MORE, HEADER_BYTES, flagsOf, word0 } from '../../src/ipc/records.js';
export {
  cmdstatsOp,
  configOp,
  dbsizeOp,
  disconnectOp,
  exportOp,
  flushdbOp,
  importOp,
  introspectConfigOp,
  introspectDrainOp,
  populateOp,
  rdbloadOp,
  roleOp,
  keysOp,
  keyspaceOp,
  memoryOp,
  randomkeyOp,
  scanOp,
  scriptRunOp,
  shipOp,
  snapshotNextOp,
  sortExistsOp,
  sortGetOp,
  sortSourceOp,
  standInOp,
  statsOp,
  swapdbOp,
  unblockOp,
  unwatchOp,
  watchOp,
  watchTouchedOp,
  type ControlArgv,
} from '../../src/ipc/control.js';
export { BodyFramer } from '../../src/ipc/body-framer.js';
export { Args } from '../../src/commands/args.js';
export { CommandStats } from '../../src/server/stats/cmdstats.js';
export { ReplyReader } from '../../src/resp/reply-reader.js';
export { BlockedClients } from '../../src/shard/blocked.js';
export type { BlockedRequest } from '../../src/shard/context.js';
export { buildCommands, MAIN_COMMANDS } from '../../src/server/commands/index.js';
export { handlersById, mainCommands, propsByName, shardCommands } from '../../src/commands/registry.js';
export { CommandTable, Keys, Route } from '../../src/commands/table.js';
export { WriterPool } from '../../src/server/main-runner.js';
export { randomHex } from '../../src/server/ids.js';
export { SHARD_COMMANDS } from '../../src/shard/commands/index.js';
export { SHARD_PROPS } from '../../src/commands/shard-props.js';
export { FLAG_BLOCKED, REP_NOTIFY, REP_PROPAGATE, REP_REPLY, REQ_COMMAND, REQ_CONTROL, dbOf, kindOf } from '../../src/ipc/records.js';
export { NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_KEY_MISS, NOTIFY_NEW } from '../../src/commands/keyspace-events.js';
export { encodeCommand } from '../../src/resp/writer.js';
export { Connection } from '../../src/server/connection.js';
export { EXTERNAL_BYTES, GROWTH_BYTES, IDLE_MS, IdleCollector, SLACK_BYTES, YOUNG_BYTES, type HeapFigures } from '../../src/idle-gc.js';
export { openWakeSocket } from '../../src/server/wake-socket.js';
