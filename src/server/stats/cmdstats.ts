/*
 * CommandStats: per-command counters (calls, microseconds, rejected and failed calls), latency
 * histograms and error counts by prefix, kept by every thread that executes commands (each shard for
 * the commands it runs, the main thread for its own commands and cross-shard ones) in typed arrays
 * indexed by command id: the hot path does a few array stores, no allocation. INFO commandstats /
 * errorstats / latencystats, LATENCY HISTOGRAM and the admin endpoint's /metrics merge the threads'
 * copies (a shard sends its own with cmdstatsOp, src/ipc/control.ts; merge() adds it here): one source of truth.
 */

import { HIST_BUCKETS, bucketOf } from './histogram.js';

/** Redis keeps at most this many distinct error prefixes (ERROR_STATS_NUMBER). */
const MAX_ERROR_KINDS = 128;

/** A shard's command stats as they cross to the main thread (cmdstatsOp in src/ipc/control.ts). */
export interface CommandStatsCopy {
  errorTotal: number;
  /** Error prefix -> count. */
  errors: [string, number][];
  /** The commands called, failed or rejected; hist: [bucket, count] pairs of the latency histogram. */
  commands: { id: number; calls: number; usec: number; failed: number; rejected: number; hist: [number, number][] }[];
}

export class CommandStats {
  readonly calls: Float64Array;
  readonly usec: Float64Array;
  readonly failed: Float64Array;
  readonly rejected: Float64Array;
  /** Latency histograms (see histogram.ts), allocated for a command on its first call. */
  readonly hist: (Uint32Array | null)[];
  /** latency-tracking */
  tracking = true;
  readonly errors = new Map<string, number>();
  /** Every error reply written (INFO total_error_replies). */
  errorTotal = 0;

  constructor(readonly size: number) {
    this.calls = new Float64Array(size);
    this.usec = new Float64Array(size);
    this.failed = new Float64Array(size);
    this.rejected = new Float64Array(size);
    this.hist = new Array<Uint32Array | null>(size).fill(null);
  }

  /** One call of command `id` that took `us` microseconds. */
  record(id: number, us: number): void {
    this.calls[id]! += 1;
    this.usec[id]! += us;
    if (this.tracking) {
      let h = this.hist[id]!;
      if (h === null) h = this.hist[id] = new Uint32Array(HIST_BUCKETS);
      h[bucketOf(us * 1000)]! += 1;
    }
  }

  /** An error reply (its text without the leading '-'): counted by its first word. */
  errorReply(msg: string): void {
    this.errorTotal++;
    const sp = msg.indexOf(' ');
    const code = sp < 0 ? msg : msg.slice(0, sp);
    const n = this.errors.get(code);
    if (n !== undefined) this.errors.set(code, n + 1);
    else if (this.errors.size < MAX_ERROR_KINDS) this.errors.set(code, 1);
  }

  reset(): void {
    this.calls.fill(0);
    this.usec.fill(0);
    this.failed.fill(0);
    this.rejected.fill(0);
    this.hist.fill(null);
    this.errors.clear();
    this.errorTotal = 0;
  }

  /** Add a copy sent by a shard (src/ipc/control.ts cmdstatsOp). */
  merge(copy: CommandStatsCopy): void {
    this.errorTotal += copy.errorTotal;
    for (const [k, n] of copy.errors) this.errors.set(k, (this.errors.get(k) ?? 0) + n);
    for (const { id, calls, usec, failed, rejected, hist } of copy.commands) {
      if (id >= this.size) continue;
      this.calls[id]! += calls;
      this.usec[id]! += usec;
      this.failed[id]! += failed;
      this.rejected[id]! += rejected;
      if (hist.length > 0) {
        let h = this.hist[id]!;
        if (h === null) h = this.hist[id] = new Uint32Array(HIST_BUCKETS);
        for (const [bucket, count] of hist) h[bucket]! += count;
      }
    }
  }

  /** Add another in-process copy. */
  add(o: CommandStats): void {
    this.errorTotal += o.errorTotal;
    for (const [k, n] of o.errors) this.errors.set(k, (this.errors.get(k) ?? 0) + n);
    for (let id = 0; id < Math.min(this.size, o.size); id++) {
      this.calls[id]! += o.calls[id]!;
      this.usec[id]! += o.usec[id]!;
      this.failed[id]! += o.failed[id]!;
      this.rejected[id]! += o.rejected[id]!;
      const h = o.hist[id];
      if (h) {
        let mine = this.hist[id]!;
        if (mine === null) mine = this.hist[id] = new Uint32Array(HIST_BUCKETS);
        for (let b = 0; b < h.length; b++) mine[b]! += h[b]!;
      }
    }
  }
}
