/*
 * The shards' configuration (src/shard/context.ts ShardConfig) derived from the server's (the settings
 * whose change is sent to the shards again carry the 'shard' flag in src/config-data.ts).
 */

import type { Config } from '../config.js';
import { shardNotifyFlags } from '../commands/keyspace-events.js';
import { DEFAULT_SHARD_CONFIG, type ShardConfig } from '../shard/context.js';

/** What the shards' configuration takes from the main thread's state besides the server configuration. */
export interface ShardConfigState {
  /** CLIENT TRACKING is on for some client. */
  trackWrites: boolean;
  /** DEBUG SET-ACTIVE-EXPIRE and DEBUG PAUSE-CRON. */
  activeExpire: boolean;
  cronPaused: boolean;
  /** Something takes the replication stream (a backlog, the AOF). */
  streamWanted: boolean;
}

/** The shard configuration derived from the server configuration. */
export function shardConfig(c: Config, st: ShardConfigState): ShardConfig {
  return {
    ...DEFAULT_SHARD_CONFIG,
    protoMaxBulkLen: c.int('proto-max-bulk-len'),
    replyMaxBytes: replyLimitBytes(c),
    hashMaxListpackEntries: c.int('hash-max-listpack-entries'),
    hashMaxListpackValue: c.int('hash-max-listpack-value'),
    setMaxIntsetEntries: c.int('set-max-intset-entries'),
    zsetMaxListpackEntries: c.int('zset-max-listpack-entries'),
    zsetMaxListpackValue: c.int('zset-max-listpack-value'),
    listMaxListpackSize: c.int('list-max-listpack-size'),
    streamNodeMaxBytes: c.int('stream-node-max-bytes'),
    streamNodeMaxEntries: c.int('stream-node-max-entries'),
    hz: c.int('hz'),
    lazyfreeLazyExpire: c.bool('lazyfree-lazy-expire'),
    lazyfreeLazyUserDel: c.bool('lazyfree-lazy-user-del'),
    lazyfreeLazyUserFlush: c.bool('lazyfree-lazy-user-flush'),
    hllSparseMaxBytes: Math.min(c.int('hll-sparse-max-bytes'), Number.MAX_SAFE_INTEGER),
    maxmemory: c.int('maxmemory'),
    maxmemoryPolicy: c.get('maxmemory-policy'),
    maxmemorySamples: c.int('maxmemory-samples'),
    maxmemoryEvictionTenacity: c.int('maxmemory-eviction-tenacity'),
    lfuLogFactor: c.int('lfu-log-factor'),
    lfuDecayTime: c.int('lfu-decay-time'),
    lazyfreeLazyEviction: c.bool('lazyfree-lazy-eviction'),
    replicaIgnoreMaxmemory: c.bool('replica-ignore-maxmemory'),
    notifyFlags: shardNotifyFlags(c.keyspaceEventFlags),
    activeExpireEnabled: st.activeExpire,
    cronPaused: st.cronPaused,
    trackWrites: st.trackWrites,
    streamWanted: st.streamWanted || c.bool('appendonly'),
    keyspaceStore: c.get('keyspace-store'),
  };
}

/**
 * The most bytes one reply may take, checked by the shards while they build it (and before, for
 * counts known up front): the normal class's hard client-output-buffer-limit when one is set (Redis
 * would cut the client there), otherwise the larger of 512 MB and proto-max-bulk-len, plus 1 MB for
 * framing (so the largest value a client may store can still be read). A reply past
 * it fails its command with REPLY_TOO_LARGE quickly, instead of growing the process for minutes
 * while the shard's other clients wait.
 */
function replyLimitBytes(c: Config): number {
  const hard = c.outputBufferLimit('normal')[0];
  // the default leaves room for the framing around the largest value a client may store
  return hard > 0 ? hard : Math.max(512 * 1024 * 1024, c.int('proto-max-bulk-len')) + 1024 * 1024;
}
