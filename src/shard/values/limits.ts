/*
 * The encoding thresholds the aggregate value classes consult (hash-max-listpack-*, set-max-intset-
 * entries, zset-max-listpack-*). Bound once per shard to its live ShardConfig object (CONFIG SET
 * updates that object in place), so values built anywhere in the shard (commands, RESTORE, RDB load)
 * pick their encoding exactly as redis-server would at that moment.
 */

import { DEFAULT_SHARD_CONFIG, type ShardConfig } from '../context.js';

export let limits: ShardConfig = DEFAULT_SHARD_CONFIG;

/** Point the value classes at a shard's configuration. */
export function bindValueLimits(cfg: ShardConfig): void {
  limits = cfg;
}
