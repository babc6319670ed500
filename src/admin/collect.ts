/*
 * What the admin endpoint reports, gathered in one place: a Snapshot of INFO (the same text the INFO
 * command prints, parsed), each shard's counters (commands, keys per db, ring occupancy, busy time),
 * per-command call counts and the main thread's event-loop delay. /metrics renders a Snapshot in
 * Prometheus's text format (metrics.ts); the dashboard's once-a-second frames are derived from two
 * consecutive Snapshots (frames.ts). Nothing here runs a data command: INFO and the shards'
 * read-only control ops ("stats", "keyspace") only.
 */

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { buildInfo } from '../server/info.js';
import type { ServerContext } from '../server/main-ctx.js';
import { gatherStats, usedCommands } from '../server/stats/introspect.js';
import { keyspaceOp, statsOp } from '../ipc/control.js';

export type InfoJson = Record<string, Record<string, string>>;

/** INFO text -> { section: { field: value } } (section names lower-case, as INFO takes them). */
export function infoToJson(text: string): InfoJson {
  const out: InfoJson = {};
  let section: Record<string, string> | null = null;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      section = {};
      out[line.slice(2).toLowerCase()] = section;
    } else if (line !== '' && section) {
      const i = line.indexOf(':');
      if (i > 0) section[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

export interface ShardSample {
  index: number;
  commands: number;
  /** Per database: [keys, expires]. */
  keyspace: [number, number][];
  requestRingBytes: number;
  replyRingBytes: number;
  ringCapacity: number;
  busySeconds: number;
  inflight: number;
}

export interface ReplicaLine {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

export interface Snapshot {
  /** ms since the epoch. */
  t: number;
  info: InfoJson;
  shards: ShardSample[];
  /**
   * Commands called (or rejected) since start or CONFIG RESETSTAT, from INFO commandstats' counters:
   * [name, group, calls, usec, rejected_calls, failed_calls].
   */
  calls: [string, string, number, number, number, number][];
  /** INFO errorstats: [prefix, count]. */
  errors: [string, number][];
  loop: LoopDelay;
}

export interface LoopDelay {
  /** Quantiles (seconds) of the last completed window (about a second). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Cumulative since start. */
  sum: number;
  count: number;
}

/** The main thread's event-loop delay, rolled over once a second into cumulative sums. */
export class LoopMonitor {
  // the histogram records the time between its timer's runs: the delay is that minus the period
  private static readonly PERIOD_MS = 10;
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: LoopMonitor.PERIOD_MS });
  private last: LoopDelay = { p50: 0, p90: 0, p99: 0, max: 0, sum: 0, count: 0 };

  constructor() {
    this.h.enable();
  }

  roll(): void {
    const h = this.h;
    const n = h.count;
    const s = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e9 - LoopMonitor.PERIOD_MS / 1000) : 0);
    this.last = {
      p50: n ? s(h.percentile(50)) : 0,
      p90: n ? s(h.percentile(90)) : 0,
      p99: n ? s(h.percentile(99)) : 0,
      max: n ? s(h.max) : 0,
      sum: this.last.sum + (n ? s(h.mean) * n : 0),
      count: this.last.count + n,
    };
    h.reset();
  }

  get(): LoopDelay {
    return this.last;
  }

  stop(): void {
    this.h.disable();
  }
}

const INFO_SECTIONS = ['server', 'clients', 'memory', 'stats', 'replication', 'cpu', 'keyspace'];

export async function collect(server: ServerContext, loop: LoopMonitor): Promise<Snapshot> {
  const [text, stats, ks, cs] = await Promise.all([
    buildInfo(server, INFO_SECTIONS, null),
    server.allShards(statsOp.request()),
    server.allShards(keyspaceOp.request()),
    gatherStats(server),
  ]);
  const shards: ShardSample[] = server.links.map((l, i) => {
    return {
      index: i,
      commands: statsOp.read(stats[i]!.reply).commands,
      keyspace: keyspaceOp.read(ks[i]!.reply).map(({ keys, expires }) => [keys, expires] as [number, number]),
      requestRingBytes: l.requests.occupied(),
      replyRingBytes: l.replies.occupied(),
      ringCapacity: l.requests.capacity,
      busySeconds: l.meter[0]! / 1000,
      inflight: l.inflight,
    };
  });
  const calls = usedCommands(server.table, cs).map(
    (c) => [c.name, c.group, cs.calls[c.id]!, Math.floor(cs.usec[c.id]!), cs.rejected[c.id]!, cs.failed[c.id]!] as [string, string, number, number, number, number],
  );
  return { t: Date.now(), info: infoToJson(text), shards, calls, errors: [...cs.errors], loop: loop.get() };
}

/** INFO's slaveN lines: ip=..,port=..,state=..,offset=..,lag=.. */
export function replicaLines(info: InfoJson): ReplicaLine[] {
  const out: ReplicaLine[] = [];
  const repl = info.replication ?? {};
  for (let i = 0; repl[`slave${i}`] !== undefined; i++) {
    const f: Record<string, string> = {};
    for (const kv of repl[`slave${i}`]!.split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) f[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    out.push({ ip: f.ip ?? '', port: Number(f.port ?? 0), state: f.state ?? '', offset: Number(f.offset ?? 0), lag: Number(f.lag ?? 0) });
  }
  return out;
}
