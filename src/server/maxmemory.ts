/*
 * maxmemory on the main thread: reads the shards' eviction board (src/shard/eviction.ts) to refuse
 * denyoom commands with -OOM before they are queued or routed (MULTI queueing, EXEC of a transaction
 * holding a denyoom command, commands spanning shards), and sums the shards' figures for INFO
 * (evicted_keys, the dataset bytes maxmemory is compared with).
 */

import type { Config } from '../config.js';
import { BOARD_BYTES, BOARD_EVICTED, BOARD_OVER_SINCE, BOARD_OVER_TOTAL, BOARD_STRIDE, cannotEvict, createBoard } from '../shard/eviction.js';

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

  /** The dataset bytes maxmemory is compared with (sum of the shards' estimates). */
  counted(): number {
    const b = this.board;
    let n = 0;
    for (let i = BOARD_BYTES; i < b.length; i += BOARD_STRIDE) n += b[i]!;
    return n;
  }

  evicted(): number {
    const b = this.board;
    let n = 0;
    for (let i = BOARD_EVICTED; i < b.length; i += BOARD_STRIDE) n += b[i]!;
    return n;
  }

  /** [total_eviction_exceeded_time, current_eviction_exceeded_time] in ms. */
  exceeded(): [number, number] {
    const since = this.board[BOARD_OVER_SINCE] ?? 0;
    const current = since > 0 ? Math.max(0, Date.now() - since) : 0;
    return [(this.board[BOARD_OVER_TOTAL] ?? 0) + current, current];
  }

  /**
   * True if a denyoom command must be refused now: over maxmemory and no shard can evict (the
   * policy is noeviction, or every shard over its share found nothing evictable). A replica ignores maxmemory
   * unless replica-ignore-maxmemory is no.
   */
  refuse(isReplica: boolean): boolean {
    if (this.max === 0 || (isReplica && this.replicaIgnore)) return false;
    if (this.counted() <= this.max) return false;
    return this.noeviction || cannotEvict(this.board, this.max, this.shards);
  }
}
