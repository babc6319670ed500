/*
 * Keys on chosen shards. shardis routes a key by its hash slot (CRC16, Redis Cluster's hashtag rule)
 * and gives shard i of n the slots [i*16384/n, (i+1)*16384/n); these helpers use the server's own
 * functions for both (imported through ./src.ts, not copied), and test/helpers.test.ts checks them
 * against a running server's per-shard key counts. A test that needs "keys on different shards"
 * asks for them here, and the helper asserts it, instead of hoping that unrelated names spread.
 */

import { expect } from 'vitest';
import { hashSlotOfString, slotToShardTable } from './src.js';

const tables = new Map<number, Uint8Array>();

/** The shard of an `shards`-shard server that holds `key`. */
export function shardOf(key: string, shards: number): number {
  let t = tables.get(shards);
  if (!t) tables.set(shards, (t = slotToShardTable(shards)));
  return t[hashSlotOfString(key)]!;
}

/** Assert that every key lives on a different shard of an `shards`-shard server. */
export function expectDistinctShards(keys: readonly string[], shards: number): void {
  const where = keys.map((k) => `${k}:${shardOf(k, shards)}`);
  expect(new Set(keys.map((k) => shardOf(k, shards))).size, `keys on distinct shards of ${shards} (key:shard) ${where.join(' ')}`).toBe(keys.length);
}

/**
 * `n` keys (`${prefix}${i}` for the smallest i that reach a new shard), each on a different shard of an
 * `shards`-shard server, asserted. With n = shards every shard gets one.
 */
export function keysOnDistinctShards(shards: number, n = shards, prefix = 'k'): string[] {
  if (n > shards) throw new Error(`keysOnDistinctShards: ${n} keys cannot be on distinct shards of ${shards}`);
  const keys: string[] = [];
  const used = new Set<number>();
  for (let i = 0; keys.length < n; i++) {
    const k = `${prefix}${i}`;
    const sh = shardOf(k, shards);
    if (!used.has(sh)) {
      used.add(sh);
      keys.push(k);
    }
  }
  expectDistinctShards(keys, shards);
  return keys;
}

/** Keys `${prefix}${i}` (in order of i) that are NOT on the shard of `key`, `n` of them. */
export function keysOffShardOf(key: string, shards: number, n: number, prefix = `${key}-other`): string[] {
  const home = shardOf(key, shards);
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (shardOf(`${prefix}${i}`, shards) !== home) out.push(`${prefix}${i}`);
  expect(out.filter((k) => shardOf(k, shards) === home), `keys off the shard of ${key}`).toEqual([]);
  return out;
}

/**
 * `n` keys `${prefix}${i}` spread over as many shards as there are (min(n, shards) distinct shards,
 * asserted): with one shard they all share it, with 4 shards 4 keys land on 4 shards.
 */
export function spreadKeys(shards: number, n: number, prefix = 'k'): string[] {
  const first = keysOnDistinctShards(shards, Math.min(n, shards), prefix);
  const rest: string[] = [];
  for (let i = 0; first.length + rest.length < n; i++) {
    const k = `${prefix}${i}`;
    if (!first.includes(k)) rest.push(k);
  }
  return [...first, ...rest];
}
