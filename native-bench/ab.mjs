// A/B of two shardis builds against redis-server in the same run: redis-benchmark rows, rounds
// alternating the order of the three servers, median of rounds.
//   npm run bench:ab -- --old DIR [--new DIR] [--tests set,get,...] [--rounds N] [--requests N]
//     [--shards N] [--pipelines 1,16] [--old-args "..."] [--new-args "..."]
// DIR is a checkout with a built dist/ (old: e.g. `git archive <commit> | tar -x -C DIR`, a
// node_modules symlink, `npx tsc`). --new defaults to this checkout. --old-args / --new-args add
// server arguments (e.g. the same build with a setting on and off). Prints one row per test with
// old/redis, new/redis and new/old; writes bench-results/ab.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS, benchmark, startServer, stopServer } from './run.mjs';

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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const samples = {}; // `${server}|${test}|${P}` -> rps[]
for (let round = 0; round < ROUNDS; round++) {
  const order = [servers, [...servers].reverse(), [servers[1], servers[0], servers[2]]][round % 3];
  for (const sv of order) {
    const s = await startServer(sv.kind, SHARDS, sv.extra, sv.root);
    try {
      for (const P of PIPELINES)
        for (const t of TESTS) {
          const res = benchmark(s.port, { tests: [t], pipeline: P, clients: 50, dataSize: 16, n: N });
          if (!res[t]) continue;
          (samples[`${sv.name}|${t}|${P}`] ??= []).push(res[t].rps);
        }
    } finally {
      await stopServer(s);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${sv.name} done\n`);
  }
}
const rows = [];
for (const P of PIPELINES)
  for (const t of TESTS) {
    const m = (n) => median(samples[`${n}|${t}|${P}`] ?? [NaN]);
    const [r, o, n] = [m('redis-server'), m('old'), m('new')];
    rows.push({ test: t, P, redis: Math.round(r), old: Math.round(o), new: Math.round(n), old_vs_redis: +(o / r).toFixed(2), new_vs_redis: +(n / r).toFixed(2), new_vs_old: +(n / o).toFixed(2) });
  }
console.table(rows);
fs.mkdirSync(RESULTS, { recursive: true });
const meta = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, old: OLD, new: NEW, rounds: ROUNDS, n: N, shards: SHARDS };
fs.writeFileSync(path.join(RESULTS, 'ab.json'), JSON.stringify({ meta, rows, samples }, null, 2));
console.log(`wrote ${RESULTS}/ab.json (${JSON.stringify(meta)})`);
