/*
 * Main-thread side of command statistics, the slow log and the latency monitor: times the commands
 * the main thread runs (its own and cross-shard ones), collects what the shards recorded (control ops
 * "cmdstats" and "introspect-drain", see shard/introspect.ts), pushes the configuration
 * (slowlog-log-slower-than, latency-monitor-threshold, latency-tracking) to the shards, and formats
 * INFO commandstats / errorstats / latencystats.
 */

import type { Command, CommandTable } from '../../commands/table.js';
import type { Config } from '../../config.js';
import { cmdstatsOp, introspectConfigOp, introspectDrainOp } from '../../ipc/control.js';
import { CommandStats } from './cmdstats.js';
import { valueAtPercentile } from './histogram.js';
import type { MainIntrospection } from './main-intro.js';

/** What this module needs of the server (structural: keeps it out of the server's import cycle). */
export interface IntroServer {
  readonly config: Config;
  readonly table: CommandTable;
  readonly conns: ReadonlyMap<number, { addr: string; name: string }>;
  readonly stats: { intro: MainIntrospection };
  readonly closers: (() => void)[];
  whenConfigChanged(listener: (names: string[]) => void): void;
  whenClosed(listener: (conn: { id: number; addr: string }) => void): void;
  allShards(argv: readonly (string | number | Uint8Array)[]): Promise<{ reply: Buffer }[]>;
}

/** Addresses of clients that closed recently, by id. */
const gone = new Map<number, string>();
const GONE_MAX = 4096;

/** Send the shards the settings they time commands by; again whenever one changes. */
export function installIntrospection(server: IntroServer): void {
  const push = (): void => {
    const c = server.config;
    const intro = server.stats.intro;
    intro.slowerThan = c.int('slowlog-log-slower-than');
    intro.latencyThreshold = c.int('latency-monitor-threshold');
    intro.commands.tracking = c.bool('latency-tracking');
    void server.allShards(introspectConfigOp.request({ slowerThan: intro.slowerThan, latencyThreshold: intro.latencyThreshold, tracking: intro.commands.tracking, maxLen: c.int('slowlog-max-len') }));
  };
  push();
  const keys = ['slowlog-log-slower-than', 'latency-monitor-threshold', 'latency-tracking', 'slowlog-max-len'];
  server.whenConfigChanged((names) => {
    if (names.some((n) => keys.includes(n))) push();
  });
  // a slow entry collected after its client left still shows the client's address and name
  server.whenClosed((conn) => {
    gone.set(conn.id, conn.addr);
    if (gone.size > GONE_MAX) {
      const oldest = gone.keys().next().value as number;
      gone.delete(oldest);
      server.stats.intro.names.delete(oldest);
    }
  });
  // shards hold their slow entries until collected: collect once a second so clients are still known
  const timer = setInterval(() => {
    if (server.config.int('slowlog-log-slower-than') >= 0 || server.config.int('latency-monitor-threshold') > 0) void collectSlow(server);
  }, 1000);
  timer.unref();
  server.closers.push(() => clearInterval(timer));
}

/** Move the shards' pending slow log entries and latency samples here, and settle ids. */
export async function collectSlow(server: IntroServer, waiter = 0): Promise<void> {
  const intro = server.stats.intro;
  const t0 = performance.now();
  const replies = await server.allShards(introspectDrainOp.request());
  intro.waited(waiter, t0);
  for (const r of replies) {
    const { slow, latency } = introspectDrainOp.read(r.reply);
    for (const [stamp, time, us, args, connId] of slow) intro.slowlog.pending.push([stamp, time, us, [...args], connId, null, null]);
    for (const [, event, time, ms] of latency.sort((a, b) => a[0] - b[0])) intro.latency.add(event, time, ms);
  }
  intro.slowlog.settle(server.config.int('slowlog-max-len'), (id, stamp) => {
    const c = server.conns.get(id);
    return [c ? c.addr : (gone.get(id) ?? ''), intro.nameAt(id, stamp)];
  });
  // names of clients gone with nothing left to resolve
  for (const id of intro.names.keys()) if (!server.conns.has(id) && !gone.has(id)) intro.names.delete(id);
}

/** Every thread's command stats, merged. */
export async function gatherStats(server: IntroServer, waiter = 0): Promise<CommandStats> {
  const all = new CommandStats(4096);
  const t0 = performance.now();
  const replies = await server.allShards(cmdstatsOp.request());
  server.stats.intro.waited(waiter, t0);
  all.add(server.stats.intro.commands);
  for (const r of replies) all.merge(cmdstatsOp.read(r.reply));
  return all;
}

/** Commands with calls or rejections, in table order. */
export function usedCommands(table: CommandTable, st: CommandStats): Command[] {
  return table.byId.filter((c) => st.calls[c.id]! > 0 || st.rejected[c.id]! > 0 || st.failed[c.id]! > 0);
}

export function commandstatsLines(table: CommandTable, st: CommandStats): string[] {
  return usedCommands(table, st).map((c) => {
    const calls = st.calls[c.id]!;
    const usec = Math.floor(st.usec[c.id]!);
    const per = calls > 0 ? usec / calls : 0;
    return `cmdstat_${c.name}:calls=${calls},usec=${usec},usec_per_call=${per.toFixed(2)},rejected_calls=${st.rejected[c.id]!},failed_calls=${st.failed[c.id]!}`;
  });
}

export function errorstatsLines(st: CommandStats): string[] {
  return [...st.errors].map(([k, n]) => `errorstat_${k}:count=${n}`);
}

/** "%f" trimmed of trailing zeros, as Redis prints a percentile's name. */
function percentileName(p: number): string {
  return p.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

export function latencystatsLines(table: CommandTable, st: CommandStats, percentiles: number[]): string[] {
  const out: string[] = [];
  for (const c of table.byId) {
    const h = st.hist[c.id];
    const total = st.calls[c.id]!;
    if (!h || total === 0) continue;
    const parts = percentiles.map((p) => `p${percentileName(p)}=${(valueAtPercentile(h, total, p) / 1000).toFixed(3)}`);
    out.push(`latency_percentiles_usec_${c.name}:${parts.join(',')}`);
  }
  return out;
}

export function infoPercentiles(server: IntroServer): number[] {
  return server.config
    .get('latency-tracking-info-percentiles')
    .split(' ')
    .filter(Boolean)
    .map(Number);
}
