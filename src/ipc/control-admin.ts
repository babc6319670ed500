/*
 * Control operations that set a shard up (CONFIG SET's settings, the replica role, the timing
 * thresholds), reset, evict or crash it, and gather what it timed (SLOWLOG, LATENCY, INFO commandstats).
 * Shard side: src/shard/control.ts and src/shard/introspect.ts; main thread: src/server/stats/.
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';
import type { CommandStats, CommandStatsCopy } from '../server/stats/cmdstats.js';
import type { ControlArgv } from './control-common.js';

/** config <json> -> OK: the shard takes these settings (src/shard/context.ts ShardConfig) */
export const configOp = {
  request: (config: object): ControlArgv => ['config', JSON.stringify(config)],
  /** The settings a request carries (shard side). */
  settings: (a: Args): object => JSON.parse(a.str(1)) as object,
};

/** role master|replica -> OK: a replica's shards keep expired keys until the master deletes them */
export const roleOp = {
  request: (replica: boolean): ControlArgv => ['role', replica ? 'replica' : 'master'],
  /** Whether a request makes the shard a replica's (shard side). */
  isReplica: (a: Args): boolean => a.str(1) === 'replica',
};

/** resetstat -> OK: CONFIG RESETSTAT's share of the shard (hits, misses, command stats ...) */
export const resetstatOp = { request: (): ControlArgv => ['resetstat'] };

/**
 * evict -> OK: over maxmemory, the shard evicts its part now (src/shard/eviction.ts perform), sent
 * to every shard before a command while the memory is over the limit (src/server/dispatch.ts)
 */
export const evictOp = { request: (): ControlArgv => ['evict'] };

/** crash: DEBUG SEGFAULT's stand-in, the shard's thread exits */
export const crashOp = { request: (): ControlArgv => ['crash'] };

/** What a shard times commands by (slowlog-log-slower-than, latency-monitor-threshold ...). */
export interface IntrospectSettings {
  slowerThan: number;
  latencyThreshold: number;
  tracking: boolean;
  maxLen: number;
}

/** introspect-config <slowlog-log-slower-than> <latency-monitor-threshold> <latency-tracking 0|1> <slowlog-max-len> -> OK */
export const introspectConfigOp = {
  request: (s: IntrospectSettings): ControlArgv => ['introspect-config', s.slowerThan, s.latencyThreshold, s.tracking ? 1 : 0, s.maxLen],
  /** The settings a request carries (shard side). */
  settings: (a: Args): IntrospectSettings => ({ slowerThan: Number(a.str(1)), latencyThreshold: Number(a.str(2)), tracking: a.str(3) === '1', maxLen: Number(a.str(4)) }),
};

// ---- introspection (src/shard/introspect.ts -> src/server/stats/) -------------------------------------

/** A slow command a shard timed: when (ms since the epoch, fractional), its unix time, µs, args, client. */
export type SlowRecord = readonly [stamp: number, time: number, us: number, args: readonly string[], connId: number];

/** A latency sample a shard took: when (as SlowRecord), the event, its unix time, ms. */
export type LatencyRecord = readonly [stamp: number, event: string, time: number, ms: number];

/** introspect-drain -> the shard's pending slow log entries and latency samples (then forgotten there) */
export const introspectDrainOp = {
  request: (): ControlArgv => ['introspect-drain'],
  /** slow: SlowRecords (further fields of the shard's own entries are not sent). */
  write(w: RespWriter, slow: readonly (readonly [...SlowRecord, ...unknown[]])[], latency: readonly LatencyRecord[]): void {
    w.array(2);
    w.array(slow.length);
    for (const [stamp, time, us, args, connId] of slow) {
      w.array(5);
      w.bulk(String(stamp));
      w.int(time);
      w.int(us);
      w.array(args.length);
      for (const a of args) w.bulk(a);
      w.int(connId);
    }
    w.array(latency.length);
    for (const [stamp, event, time, ms] of latency) {
      w.array(4);
      w.bulk(String(stamp));
      w.bulk(event);
      w.int(time);
      w.int(ms);
    }
  },
  read(reply: Buffer): { slow: SlowRecord[]; latency: LatencyRecord[] } {
    const r = new ReplyReader(reply);
    r.array();
    const slow: SlowRecord[] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      const stamp = Number(r.str());
      const time = r.int();
      const us = r.int();
      const args: string[] = [];
      for (let j = r.array(); j > 0; j--) args.push(r.str());
      slow.push([stamp, time, us, args, r.int()]);
    }
    const latency: LatencyRecord[] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      latency.push([Number(r.str()), r.str(), r.int(), r.int()]);
    }
    return { slow, latency };
  },
};

/** cmdstats -> the shard's command stats (every command called, failed or rejected since the last reset) */
export const cmdstatsOp = {
  request: (): ControlArgv => ['cmdstats'],
  /** [errorTotal, [code, n]..., [id, calls, usec, failed, rejected, [bucket, count]...]...] */
  write(w: RespWriter, st: CommandStats): void {
    const ids: number[] = [];
    for (let i = 0; i < st.size; i++) if (st.calls[i]! > 0 || st.rejected[i]! > 0 || st.failed[i]! > 0) ids.push(i);
    w.array(3);
    w.int(st.errorTotal);
    w.array(st.errors.size * 2);
    for (const [k, n] of st.errors) {
      w.bulk(k);
      w.int(n);
    }
    w.array(ids.length);
    for (const id of ids) {
      w.array(6);
      w.int(id);
      w.int(st.calls[id]!);
      w.bulk(String(st.usec[id]!));
      w.int(st.failed[id]!);
      w.int(st.rejected[id]!);
      const h = st.hist[id];
      const pairs: number[] = [];
      if (h) for (let b = 0; b < h.length; b++) if (h[b]! > 0) pairs.push(b, h[b]!);
      w.array(pairs.length);
      for (const x of pairs) w.int(x);
    }
  },
  read(reply: Buffer): CommandStatsCopy {
    const r = new ReplyReader(reply);
    r.array();
    const errorTotal = r.int();
    const errors: [string, number][] = [];
    for (let n = r.array(); n >= 2; n -= 2) errors.push([r.str(), r.int()]);
    const commands: CommandStatsCopy['commands'] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      const id = r.int();
      const calls = r.int();
      const usec = Number(r.str());
      const failed = r.int();
      const rejected = r.int();
      const hist: [number, number][] = [];
      for (let n = r.array(); n >= 2; n -= 2) hist.push([r.int(), r.int()]);
      commands.push({ id, calls, usec, failed, rejected, hist });
    }
    return { errorTotal, errors, commands };
  },
};

