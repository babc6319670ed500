/*
 * SLOWLOG, LATENCY and MEMORY (but MEMORY USAGE, which runs in the shard owning the key): the
 * introspection commands of the main thread. The data comes from stats/ (slow log, latency monitor,
 * command stats merged from every thread).
 */

import { CommandError, SLOWLOG_COUNT, noLatencySamples, subcommandSyntax } from '../../resp/errors.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { collectSlow, gatherStats } from '../stats/introspect.js';
import { cumulative } from '../stats/histogram.js';
import { latencyDoctor, latencyGraph } from '../stats/latency-report.js';
import type { Command } from '../../commands/table.js';
import type { CommandStats } from '../stats/cmdstats.js';
import { Keys, mainCommands } from '../../commands/registry.js';
import { keyspaceOp } from '../../ipc/control.js';
import { memoryFigures } from '../info.js';

const nowSec = (): number => Math.floor(Date.now() / 1000);

function histogramOf(c: MainCtx, st: CommandStats, cmd: Command): void {
  const h = st.hist[cmd.id]!;
  const total = st.calls[cmd.id]!;
  c.w.bulk(cmd.name);
  c.w.map(2);
  c.w.bulk('calls');
  c.w.int(total);
  c.w.bulk('histogram_usec');
  const cdf = cumulative(h, total);
  c.w.map(cdf.length);
  for (const [us, n] of cdf) {
    c.w.int(us);
    c.w.int(n);
  }
}

// keyless: none of these touches a key (inside EXEC they need no shard locked)
export const commands = mainCommands<MainHandler>({
  'slowlog|help'(c) {
    c.w.helpLines([
      'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'GET [<count>]',
      '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
      '    Entries are made of:',
      '    id, timestamp, time in microseconds, arguments array, client IP and port,',
      '    client name',
      'LEN',
      '    Return the length of the slowlog.',
      'RESET',
      '    Reset the slowlog.',
      'HELP',
      '    Prints this help.',
    ]);
  },

  async 'slowlog|get'(c) {
    if (c.argc > 3) throw new CommandError(subcommandSyntax(c.args.str(1), 'slowlog'));
    let count = 10;
    if (c.argc === 3) {
      const s = c.args.str(2);
      const n = /^-?\d+$/.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(n) || n < -1) throw new CommandError(SLOWLOG_COUNT);
      count = n;
    }
    await collectSlow(c.server, c.conn.id);
    const log = c.server.stats.intro.slowlog.entries;
    const list = count === -1 ? log : log.slice(0, count);
    c.w.array(list.length);
    for (const e of list) {
      c.w.array(6);
      c.w.int(e.id);
      c.w.int(e.time);
      c.w.int(e.us);
      c.w.bulkArray(e.args);
      c.w.bulk(e.addr);
      c.w.bulk(e.name);
    }
  },

  async 'slowlog|len'(c) {
    await collectSlow(c.server, c.conn.id);
    c.w.int(c.server.stats.intro.slowlog.entries.length);
  },

  async 'slowlog|reset'(c) {
    await collectSlow(c.server, c.conn.id);
    c.server.stats.intro.slowlog.reset();
    c.w.ok();
  },

  'latency|help'(c) {
    c.w.helpLines([
      'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'DOCTOR',
      '    Return a human readable latency analysis report.',
      'GRAPH <event>',
      '    Return an ASCII latency graph for the <event> class.',
      'HISTORY <event>',
      '    Return time-latency samples for the <event> class.',
      'LATEST',
      '    Return the latest latency samples for all events.',
      'RESET [<event> ...]',
      '    Reset latency data of one or more <event> classes.',
      '    (default: reset all data for all event classes)',
      'HISTOGRAM [COMMAND ...]',
      '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
      '    If no commands are specified then all histograms are replied.',
      'HELP',
      '    Prints this help.',
    ]);
  },

  async 'latency|latest'(c) {
    await collectSlow(c.server, c.conn.id);
    const events = c.server.stats.intro.latency.events;
    c.w.array(events.size);
    for (const [name, e] of events) {
      const last = e.samples[e.samples.length - 1]!;
      c.w.array(4);
      c.w.bulk(name);
      c.w.int(last[0]);
      c.w.int(last[1]);
      c.w.int(e.max);
    }
  },

  async 'latency|history'(c) {
    await collectSlow(c.server, c.conn.id);
    const e = c.server.stats.intro.latency.events.get(c.args.str(2));
    c.w.array(e ? e.samples.length : 0);
    for (const [t, ms] of e?.samples ?? []) {
      c.w.array(2);
      c.w.int(t);
      c.w.int(ms);
    }
  },

  async 'latency|graph'(c) {
    await collectSlow(c.server, c.conn.id);
    const name = c.args.str(2);
    const e = c.server.stats.intro.latency.events.get(name);
    if (!e) throw new CommandError(noLatencySamples(name));
    c.w.verbatim(latencyGraph(name, e, nowSec()));
  },

  async 'latency|doctor'(c) {
    await collectSlow(c.server, c.conn.id);
    const cfg = c.server.config;
    c.w.verbatim(latencyDoctor(c.server.stats.intro.latency, cfg.int('latency-monitor-threshold'), cfg.int('slowlog-log-slower-than'), nowSec()));
  },

  async 'latency|reset'(c) {
    await collectSlow(c.server, c.conn.id);
    const names: string[] = [];
    for (let i = 2; i < c.argc; i++) names.push(c.args.str(i));
    c.w.int(c.server.stats.intro.latency.reset(names));
  },

  async 'latency|histogram'(c) {
    const st = await gatherStats(c.server, c.conn.id);
    const table = c.server.table;
    const picked: Command[] = [];
    if (c.argc === 2) {
      for (const cmd of table.byId) if (st.hist[cmd.id] && st.calls[cmd.id]! > 0) picked.push(cmd);
    } else {
      for (let i = 2; i < c.argc; i++) {
        const cmd = table.byName.get(c.args.lower(i));
        if (!cmd) continue;
        if (st.hist[cmd.id] && st.calls[cmd.id]! > 0) picked.push(cmd);
        if (cmd.subcommands) for (const sub of cmd.subcommands.values()) if (st.hist[sub.id] && st.calls[sub.id]! > 0) picked.push(sub);
      }
    }
    c.w.map(picked.length);
    for (const cmd of picked) histogramOf(c, st, cmd);
  },

  'memory|help'(c) {
    c.w.helpLines([
      'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'DOCTOR',
      '    Return memory problems reports.',
      'MALLOC-STATS',
      '    Return internal statistics report from the memory allocator.',
      'PURGE',
      '    Attempt to purge dirty pages for reclamation by the allocator.',
      'STATS',
      '    Return information about the memory usage of the server.',
      'USAGE <key> [SAMPLES <count>]',
      '    Return memory in bytes used by <key> and its value. Nested values are',
      '    sampled up to <count> times (default: 5, 0 means sample all).',
      'HELP',
      '    Prints this help.',
    ]);
  },

  'memory|malloc-stats'(c) {
    c.w.bulk('Stats not supported for the current allocator');
  },

  'memory|purge'(c) {
    c.w.ok();
  },

  async 'memory|doctor'(c) {
    const keys = await keyCounts(c);
    const total = keys.reduce((a, [k]) => a + k, 0);
    c.w.verbatim(
      total === 0
        ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
        : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
    );
  },

  async 'memory|stats'(c) {
    const dbs = await keyCounts(c);
    await memoryStats(c, dbs);
  },
}, { keys: Keys.None });

/** Keys and keys with a TTL per database, over every shard. */
async function keyCounts(c: MainCtx): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const r of await c.server.allShards(keyspaceOp.request())) {
    keyspaceOp.read(r.reply).forEach(({ keys, expires }, i) => {
      const cur = out[i] ?? [0, 0];
      out[i] = [cur[0] + keys, cur[1] + expires];
    });
  }
  return out;
}

/** Main-hash-table cost per key and per TTL in our store (see shard/introspect.ts). */
const ENTRY = 40;
let peak = 0;
let startup = 0;

async function memoryStats(c: MainCtx, dbs: [number, number][]): Promise<void> {
  const mem = process.memoryUsage();
  // as INFO memory: every shard's memory, and the dataset from the shards' stores
  const { used, dataset } = await memoryFigures(c.server);
  if (startup === 0) startup = Math.min(used, mem.heapUsed);
  if (used > peak) peak = used;
  const s = c.server;
  const backlog = s.replication.backlogBytes();
  let normal = 0;
  let slaves = 0;
  for (const conn of s.conns.values()) {
    const b = conn.pendingInput() + conn.socket.writableLength;
    if (conn.isReplica) slaves += b;
    else normal += b;
  }
  const overhead = used - dataset;
  const perDb: [number, number, number][] = [];
  let keys = 0;
  dbs.forEach(([k, e], i) => {
    if (k === 0) return;
    perDb.push([i, k * ENTRY, e * ENTRY]);
    keys += k;
  });
  const net = used - startup;
  const w = c.w;
  w.map(27 + perDb.length);
  const num = (name: string, v: number): void => {
    w.bulk(name);
    w.int(v);
  };
  const dbl = (name: string, v: number): void => {
    w.bulk(name);
    w.double(v);
  };
  num('peak.allocated', peak);
  num('total.allocated', used);
  num('startup.allocated', startup);
  num('replication.backlog', backlog);
  num('clients.slaves', slaves);
  num('clients.normal', normal);
  num('cluster.links', 0);
  num('aof.buffer', 0);
  num('lua.caches', 0);
  num('functions.caches', 0);
  for (const [db, main, expires] of perDb) {
    w.bulk(`db.${db}`);
    w.map(3);
    num('overhead.hashtable.main', main);
    num('overhead.hashtable.expires', expires);
    num('overhead.hashtable.slot-to-keys', 0);
  }
  num('overhead.total', overhead);
  num('keys.count', keys);
  num('keys.bytes-per-key', keys > 0 ? Math.floor(net / keys) : 0);
  num('dataset.bytes', dataset);
  dbl('dataset.percentage', net > 0 ? (dataset * 100) / net : 0);
  dbl('peak.percentage', (used * 100) / Math.max(1, peak));
  num('allocator.allocated', used);
  num('allocator.active', mem.heapTotal + mem.external + mem.arrayBuffers);
  num('allocator.resident', mem.rss);
  dbl('allocator-fragmentation.ratio', (mem.heapTotal + mem.external + mem.arrayBuffers) / Math.max(1, used));
  num('allocator-fragmentation.bytes', mem.heapTotal - mem.heapUsed);
  dbl('allocator-rss.ratio', mem.rss / Math.max(1, mem.heapTotal + mem.external + mem.arrayBuffers));
  num('allocator-rss.bytes', mem.rss - (mem.heapTotal + mem.external + mem.arrayBuffers));
  dbl('rss-overhead.ratio', 1);
  num('rss-overhead.bytes', 0);
  dbl('fragmentation', mem.rss / Math.max(1, used));
  num('fragmentation.bytes', mem.rss - used);
}
