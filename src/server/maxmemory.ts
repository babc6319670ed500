/*
 * maxmemory on the main thread: reads the shards' eviction board (src/shard/eviction.ts) to refuse
 * denyoom commands with -OOM before they are queued or routed (MULTI queueing, EXEC of a transaction
 * holding a denyoom command, commands spanning shards), keeps the main thread's row of it (its own
 * memory, sampled), and sums the rows for INFO (used_memory, evicted_keys).
 */

import type { Config } from '../config.js';
import { BOARD_BASE, BOARD_COUNTING, BOARD_EVICTED, BOARD_STUCK, BOARD_OVER_SINCE, BOARD_OVER_TOTAL, BOARD_STRIDE, MEASURE_ASKED_MS, MEASURE_EVERY_MS, cannotEvict, createBoard, isolateBytes, usedBytes } from '../shard/eviction.js';

export class MemoryGate {
  readonly buffer: SharedArrayBuffer;
  private readonly board: Float64Array;
  private max = 0;
  private noeviction = true;
  private replicaIgnore = true;

  constructor(private readonly shards: number) {
    this.buffer = createBoard(shards);
    this.board = new Float64Array(this.buffer);
  }

  /** Read the configuration again (at start and after CONFIG SET). */
  configure(cfg: Config): void {
    this.max = cfg.int('maxmemory');
    this.noeviction = cfg.get('maxmemory-policy') === 'noeviction';
    this.replicaIgnore = cfg.bool('replica-ignore-maxmemory');
  }

  /**
   * Measure the main thread's memory again (its isolate's, see isolateBytes, and the rings it shares
   * with the shards, `shared` bytes), less `notCounted`: replicas' output buffers, which Redis leaves
   * out of the memory it compares with maxmemory (freeMemoryGetNotCountedMemory).
   */
  sampleMain(shared: number, notCounted: number): void {
    this.board[this.shards * BOARD_STRIDE + BOARD_BASE] = isolateBytes() + shared - notCounted;
    this.sampledAt = Date.now();
  }

  private sampledAt = 0;

  /**
   * True when the main thread's memory is due to be measured again: for INFO (`asked`) when the last
   * measure is 1 s old, while maxmemory is set when it is 10 s old (see src/shard/eviction.ts).
   */
  due(asked: boolean): boolean {
    const age = Date.now() - this.sampledAt;
    return asked ? age >= MEASURE_ASKED_MS : this.max > 0 && age >= MEASURE_EVERY_MS;
  }

  /** The memory maxmemory is compared with: INFO's used_memory less mem_not_counted_for_evict. */
  counted(): number {
    return usedBytes(this.board);
  }

  /**
   * What changes as the shards evict: keys evicted, shards out of keys to evict, and shards that took
   * maxmemory's setting (until every shard has, none can tell its share: dataShare).
   */
  progress(): number {
    const b = this.board;
    let n = 0;
    for (let i = 0; i < this.shards; i++) {
      const row = i * BOARD_STRIDE;
      n += b[row + BOARD_EVICTED]! + 1e12 * b[row + BOARD_STUCK]! + 1e9 * b[row + BOARD_COUNTING]!;
    }
    return n;
  }

  evicted(): number {
    const b = this.board;
    let n = 0;
    for (let i = 0; i < this.shards; i++) n += b[i * BOARD_STRIDE + BOARD_EVICTED]!;
    return n;
  }

  /** [total_eviction_exceeded_time, current_eviction_exceeded_time] in ms. */
  exceeded(): [number, number] {
    const since = this.board[BOARD_OVER_SINCE] ?? 0;
    const current = since > 0 ? Math.max(0, Date.now() - since) : 0;
    return [(this.board[BOARD_OVER_TOTAL] ?? 0) + current, current];
  }

  /**
   * True if the shards should evict before the next command (Redis's performEvictions): over
   * maxmemory under an evicting policy, and some shard holding data has not found itself out of keys
   * to evict. A replica ignores maxmemory unless replica-ignore-maxmemory is no.
   */
  mustEvict(repl: { isReplica(): boolean }): boolean {
    if (this.max === 0 || this.noeviction || (this.replicaIgnore && repl.isReplica())) return false;
    return this.counted() > this.max && !cannotEvict(this.board);
  }

  /**
   * True if a denyoom command must be refused now: over maxmemory and no shard can evict (the
   * policy is noeviction, or every shard holding data found nothing evictable). A replica ignores
   * maxmemory unless replica-ignore-maxmemory is no.
   */
  refuse(isReplica: boolean): boolean {
    if (this.max === 0 || (isReplica && this.replicaIgnore)) return false;
    if (this.counted() <= this.max) return false;
    return this.noeviction || cannotEvict(this.board);
  }
}
