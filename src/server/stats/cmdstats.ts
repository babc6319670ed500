/*
 * CommandStats: per-command counters (calls, microseconds, rejected and failed calls), latency
 * histograms and error counts by prefix, kept by every thread that executes commands (each shard for
 * the commands it runs, the main thread for its own commands and cross-shard ones) in typed arrays
 * indexed by command id: the hot path does a few array stores, no allocation. INFO commandstats /
 * errorstats / latencystats, LATENCY HISTOGRAM and the admin endpoint's /metrics merge the threads'
 * copies (encode() in a shard, merge() on the main thread): one source of truth.
 */

import type { RespWriter } from '../../resp/writer.js';
import { HIST_BUCKETS, bucketOf } from './histogram.js';

/** Redis keeps at most this many distinct error prefixes (ERROR_STATS_NUMBER). */
const MAX_ERROR_KINDS = 128;

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

  /**
   * As a RESP reply (shard -> main thread): [errorTotal, [code, n]..., [id, calls, usec, failed,
   * rejected, [bucket, count]...]...] for every command called or rejected since the last reset.
   */
  encode(w: RespWriter): void {
    const ids: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.calls[i]! > 0 || this.rejected[i]! > 0 || this.failed[i]! > 0) ids.push(i);
    w.array(3);
    w.int(this.errorTotal);
    w.array(this.errors.size * 2);
    for (const [k, n] of this.errors) {
      w.bulk(k);
      w.int(n);
    }
    w.array(ids.length);
    for (const id of ids) {
      w.array(6);
      w.int(id);
      w.int(this.calls[id]!);
      w.bulk(String(this.usec[id]!));
      w.int(this.failed[id]!);
      w.int(this.rejected[id]!);
      const h = this.hist[id];
      const pairs: number[] = [];
      if (h) for (let b = 0; b < h.length; b++) if (h[b]! > 0) pairs.push(b, h[b]!);
      w.array(pairs.length);
      for (const x of pairs) w.int(x);
    }
  }

  /** Add a copy made by encode() (parsed). */
  merge(parsed: unknown): void {
    const [total, errs, cmds] = parsed as [number, (string | number)[], [number, number, string, number, number, number[]][]];
    this.errorTotal += Number(total);
    for (let i = 0; i + 1 < errs.length; i += 2) {
      const k = String(errs[i]);
      this.errors.set(k, (this.errors.get(k) ?? 0) + Number(errs[i + 1]));
    }
    for (const [id, calls, usec, failed, rejected, pairs] of cmds) {
      if (id >= this.size) continue;
      this.calls[id]! += Number(calls);
      this.usec[id]! += Number(usec);
      this.failed[id]! += Number(failed);
      this.rejected[id]! += Number(rejected);
      if (pairs.length > 0) {
        let h = this.hist[id]!;
        if (h === null) h = this.hist[id] = new Uint32Array(HIST_BUCKETS);
        for (let i = 0; i + 1 < pairs.length; i += 2) h[Number(pairs[i])]! += Number(pairs[i + 1]);
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
