// A/B of two shardis builds against redis-server in the same run: redis-benchmark rows, rounds
// alternating the order of the three servers, median of rounds.
//   npm run bench:ab -- --old DIR [--new DIR] [--tests set,get,...] [--rounds N] [--requests N]
//     [--shards N] [--pipelines 1,16] [--old-args "..."] [--new-args "..."] [--ceiling]
// DIR is a checkout with a built dist/ (old: e.g. `git archive <commit> | tar -x -C DIR`, a
// node_modules symlink, `npx tsc`). --new defaults to this checkout. --old-args / --new-args add
// server arguments (e.g. the same build with a setting on and off). --ceiling adds the platform
// ceiling server (native-bench/ceiling.mjs) to the rotation. Prints one row per test with old/redis,
// new/redis and new/old (and new/ceiling), then the main and shard threads' CPU µs per request
// (medians, from /proc as in bench:native); writes bench-results/ab.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS, benchmark, startServer, stopServer } from './run.mjs';
import { cpuByGroup, sampleThreads } from './thread-cpu.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const OLD = opt('--old');
if (!OLD) {
  console.error('usage: npm run bench:ab -- --old DIR [--new DIR] [--tests set,get] [--rounds N]');
  process.exit(2);
}
const NEW = path.resolve(opt('--new', ROOT));
const TESTS = opt('--tests', 'set,get,incr,lpush,lrange_100,mset').split(',');
const ROUNDS = Number(opt('--rounds', '3'));
const N = Number(opt('--requests', '200000'));
const SHARDS = Number(opt('--shards', String(Math.max(1, os.cpus().length - 1))));
const PIPELINES = opt('--pipelines', '1,16').split(',').map(Number);
const split = (s) => (s ? s.split(' ').filter(Boolean) : []);
const servers = [
  { name: 'redis-server', kind: 'redis-server', extra: [] },
  { name: 'old', kind: 'shardis', root: path.resolve(OLD), extra: split(opt('--old-args')) },
  { name: 'new', kind: 'shardis', root: NEW, extra: split(opt('--new-args')) },
];
if (args.includes('--ceiling')) servers.push({ name: 'ceiling', kind: 'ceiling', extra: [] });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadStart = os.loadavg()[0];
const samples = {}; // `${server}|${test}|${P}` -> rps[]
const cpuSamples = {}; // `${server}|${test}|${P}` -> { main, shards, v8, other } µs per request, one per round
const rotate = (xs, k) => [...xs.slice(k % xs.length), ...xs.slice(0, k % xs.length)];
for (let round = 0; round < ROUNDS; round++) {
  // who goes first changes every round, and every other round the order is reversed
  const order = round % 2 ? rotate(servers, round).reverse() : rotate(servers, round);
  for (const sv of order) {
    const s = await startServer(sv.kind, SHARDS, sv.extra, sv.root);
    try {
      for (const P of PIPELINES)
        for (const t of TESTS) {
          const before = sampleThreads(s.proc.pid);
          const res = benchmark(s.port, { tests: [t], pipeline: P, clients: 50, dataSize: 16, n: N });
          const cpu = cpuByGroup(s.proc.pid, before, sampleThreads(s.proc.pid));
          if (!res[t]) continue;
          (samples[`${sv.name}|${t}|${P}`] ??= []).push(res[t].rps);
          // per request of the whole run (lrange_100's includes redis-benchmark's LPUSH fill)
          const reqs = N * Object.keys(res).length;
          (cpuSamples[`${sv.name}|${t}|${P}`] ??= []).push(Object.fromEntries(Object.entries(cpu).map(([g, us]) => [g, us / reqs])));
        }
    } finally {
      await stopServer(s);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${sv.name} done\n`);
  }
}
const rows = [];
const cpuRows = [];
const withCeiling = servers.some((s) => s.name === 'ceiling');
for (const P of PIPELINES)
  for (const t of TESTS) {
    const m = (n) => median(samples[`${n}|${t}|${P}`] ?? [NaN]);
    const [r, o, n, c] = [m('redis-server'), m('old'), m('new'), m('ceiling')];
    const row = { test: t, P, redis: Math.round(r), old: Math.round(o), new: Math.round(n), old_vs_redis: +(o / r).toFixed(2), new_vs_redis: +(n / r).toFixed(2), new_vs_old: +(n / o).toFixed(2) };
    if (withCeiling) Object.assign(row, { ceiling: Math.round(c), old_vs_ceiling: +(o / c).toFixed(2), new_vs_ceiling: +(n / c).toFixed(2) });
    rows.push(row);
    const us = (name, g) => +median((cpuSamples[`${name}|${t}|${P}`] ?? []).map((x) => x[g])).toFixed(2);
    const cr = { test: t, P };
    for (const sv of servers) {
      cr[`${sv.name}_main`] = us(sv.name, 'main');
      if (sv.kind === 'shardis') cr[`${sv.name}_shards`] = us(sv.name, 'shards');
    }
    cpuRows.push(cr);
  }
console.table(rows);
console.log('CPU µs per request (median of rounds; main: the I/O / event-loop thread, shards: worker threads):');
console.table(cpuRows);
fs.mkdirSync(RESULTS, { recursive: true });
const meta = { date: new Date().toISOString(), load_avg_1m: [+loadStart.toFixed(1), +os.loadavg()[0].toFixed(1)], node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, old: OLD, new: NEW, rounds: ROUNDS, n: N, shards: SHARDS };
fs.writeFileSync(path.join(RESULTS, 'ab.json'), JSON.stringify({ meta, rows, cpuRows, samples, cpuSamples }, null, 2));
console.log(`load average (1 min) at start / end: ${meta.load_avg_1m.join(" / ")}`);
console.log(`wrote ${RESULTS}/ab.json (${JSON.stringify(meta)})`);
