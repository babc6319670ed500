// redis-benchmark side by side: shardis (1 shard and the default shard count) and redis-server 7 on
// free ports, the same matrix against each, rounds alternating between servers, median of rounds.
//   npm run bench:native [-- --quick] [--rounds N] [--tests set,get,...] [--requests N]
//   [--node PATH]: the Node binary that runs shardis and the ceiling server (default: this one's)
// Writes bench-results/native.json and bench-results/native.svg; prints a table with the ratio
// shardis / redis-server per row. Every figure is relative to redis-server measured in the same run.
// The platform ceiling (native-bench/ceiling.mjs: shardis's framer and socket handling, fixed replies,
// no storage) runs in the same rounds: shardis / ceiling and ceiling / redis-server per row. Each
// test is its own redis-benchmark run, with the servers' CPU time per request by thread group
// (thread-cpu.mjs) and the main thread's projected ceiling 1 / (its CPU per request).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuByGroup, sampleThreads } from './thread-cpu.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
// --smoke (the test suite): a few hundred requests from 2 clients, only to prove the suite runs and
// writes well-formed results (figures meaningless). BENCH_RESULTS_DIR: where to write.
const SMOKE = args.includes('--smoke');
const QUICK = SMOKE || args.includes('--quick');
export const RESULTS = process.env.BENCH_RESULTS_DIR ?? path.join(ROOT, 'bench-results');
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : QUICK ? 1 : 3;
const testsArg = args.indexOf('--tests');
const TESTS =
  testsArg >= 0
    ? args[testsArg + 1].split(',')
    : ['set', 'get', 'incr', 'lpush', 'lrange_100', 'mset', 'geoadd', 'xadd', 'pfadd', 'setbit', 'eval_get', 'eval_incr', 'evalsha_get', 'evalsha_incr'];
// tests redis-benchmark has no -t name for: run as a custom command (__rand_int__ is replaced by a
// 12-digit random number: here fractional digits of the coordinates and the member name)
const SCRIPT_GET = "return redis.call('get', KEYS[1])";
const SCRIPT_INCR = "return redis.call('incr', KEYS[1])";
const sha1 = (s) => createHash('sha1').update(s).digest('hex');
const CUSTOM = {
  geoadd: ['GEOADD', 'geo', '13.__rand_int__', '38.__rand_int__', 'm:__rand_int__'],
  // an entry appended to one stream; an element added to one HyperLogLog; a bit set in a small
  // string per key (a random offset would need digits without the leading zeros __rand_int__ has)
  xadd: ['XADD', 'stream', '*', 'f', 'v:__rand_int__'],
  pfadd: ['PFADD', 'hll', 'e:__rand_int__'],
  setbit: ['SETBIT', 'bits:__rand_int__', '7', '1'],
  // a GET and an INCR inside a script (key:* are the keys SET fills)
  eval_get: ['EVAL', SCRIPT_GET, '1', 'key:__rand_int__'],
  eval_incr: ['EVAL', SCRIPT_INCR, '1', 'counter:__rand_int__'],
  evalsha_get: ['EVALSHA', sha1(SCRIPT_GET), '1', 'key:__rand_int__'],
  evalsha_incr: ['EVALSHA', sha1(SCRIPT_INCR), '1', 'counter:__rand_int__'],
  // small hashes and integer sets, one per key (the compact encodings, as bytes in the byte store);
  // redis-benchmark's own hset/sadd/zadd grow one big key each
  hset_small: ['HSET', 'h:__rand_int__', 'name', 'n:__rand_int__', 'age', '42'],
  hget_small: ['HGET', 'h:__rand_int__', 'name'],
  sadd_int: ['SADD', 'is:__rand_int__', '__rand_int__'],
};
// scripts a custom test runs by EVALSHA: loaded (SCRIPT LOAD) before it
const LOAD_FIRST = { evalsha_get: SCRIPT_GET, evalsha_incr: SCRIPT_INCR };
const PIPELINES = [1, 16];
const SIZES = QUICK ? [16] : [16, 512];
const CLIENTS = SMOKE ? 2 : 50;
const nArg = args.indexOf('--requests'); // requests per redis-benchmark run
const N = nArg >= 0 ? Number(args[nArg + 1]) : SMOKE ? 500 : QUICK ? 20_000 : 200_000;
// redis-benchmark reports "inf" requests per second for a run shorter than its 1 ms clock: pipelined
// smoke runs get enough requests to take longer than that on any machine
const requests = (pipeline) => (SMOKE && pipeline > 1 ? 20_000 : N);
const DEFAULT_SHARDS = Math.max(1, os.cpus().length - 1);
const nodeArg = args.indexOf('--node');
const NODE_BIN = nodeArg >= 0 ? path.resolve(args[nodeArg + 1]) : process.execPath;
// names the Node servers' threads for thread-cpu.mjs (Node 20 calls them all "node")
const THREAD_NAMES = ['--import', path.join(ROOT, 'native-bench/thread-names.mjs')];

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** root: the checkout whose dist/main.js runs (another build for an A/B: native-bench/ab.mjs). */
export async function startServer(kind, shards, extra = [], root = ROOT) {
  const port = await freePort();
  const cmd = kind === 'shardis' || kind === 'ceiling' ? NODE_BIN : 'redis-server';
  const argv =
    kind === 'shardis'
      ? [...THREAD_NAMES, path.join(root, 'dist/main.js'), '--port', String(port), '--shards', String(shards), '--save', '', '--loglevel', 'warning', ...extra]
      : kind === 'ceiling'
        ? [...THREAD_NAMES, path.join(ROOT, 'native-bench/ceiling.mjs'), '--port', String(port)]
        : ['--port', String(port), '--save', '', '--appendonly', 'no', ...extra];
  // redis-server in a directory of its own: a replica writes the payload it receives as dump.rdb
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-bench-'));
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  proc.stdout.resume();
  proc.stderr.resume();
  // as long as a busy machine takes (two minutes: a hang, not a slow start)
  for (const end = Date.now() + 120_000; Date.now() < end; ) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') return { kind, shards, port, proc, cwd };
    if (proc.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`${kind} did not start`);
}

export function stopServer(s) {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null) return resolve();
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGTERM');
    setTimeout(() => s.proc.kill('SIGKILL'), 5000);
  });
}

/** One redis-benchmark run; returns { rps, p50_ms } per test from its CSV output. */
export function benchmark(port, { tests, pipeline, clients, dataSize, n, random = 100_000 }) {
  const common = ['-p', String(port), '-P', String(pipeline), '-c', String(clients), '-d', String(dataSize), '-n', String(n), '-r', String(random), '--csv'];
  const builtin = tests.filter((t) => !CUSTOM[t]);
  const runs = builtin.length ? [[null, ['-t', builtin.join(',')]]] : [];
  for (const t of tests) if (CUSTOM[t]) runs.push([t, CUSTOM[t]]);
  const out = {};
  for (const [name, extra] of runs) {
    const custom = name !== null;
    if (custom && LOAD_FIRST[name]) spawnSync('redis-cli', ['-p', String(port), 'SCRIPT', 'LOAD', LOAD_FIRST[name]], { encoding: 'utf8' });
    const r = spawnSync('redis-benchmark', custom ? [...common, ...extra] : [...extra, ...common], { encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
    for (const line of r.stdout.split('\n')) {
      const m = /^"([^"]+)","([\d.]+)","[\d.]+","[\d.]+","([\d.]+)"/.exec(line);
      // a custom run is named by its test (several share a command name: eval_get, eval_incr)
      if (m) out[custom ? name : m[1].toLowerCase().split(' ')[0]] = { rps: Number(m[2]), p50_ms: Number(m[3]) };
    }
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function svgChart(rows) {
  const groups = rows.filter((r) => r.server === 'shardis');
  const W = 900;
  const barH = 14;
  const H = 40 + groups.length * (barH + 6);
  let y = 30;
  let body = `<text x="10" y="18" font-size="13">shardis / redis-server throughput ratio (1.0 = parity), redis-benchmark -c ${CLIENTS}</text>`;
  const x0 = 330;
  const scale = (W - x0 - 60) / 2;
  body += `<line x1="${x0 + scale}" y1="24" x2="${x0 + scale}" y2="${H - 4}" stroke="#888" stroke-dasharray="4"/>`;
  for (const r of groups) {
    const ref = rows.find((q) => q.server === 'redis-server' && q.test === r.test && q.pipeline === r.pipeline && q.data_size === r.data_size);
    const ratio = ref ? r.rps / ref.rps : 0;
    const w = Math.min(2, ratio) * scale;
    body += `<text x="10" y="${y + 11}" font-size="11">${r.test} P${r.pipeline} ${r.data_size}B shards=${r.shards}</text>`;
    body += `<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${ratio >= 1 ? '#2a7' : '#d64'}"/>`;
    body += `<text x="${(x0 + w + 4).toFixed(1)}" y="${y + 11}" font-size="11">${ratio.toFixed(2)}</text>`;
    y += barH + 6;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${body}</svg>\n`;
}

async function main() {
  const configs = [
    { kind: 'redis-server', shards: 0 },
    { kind: 'ceiling', shards: 0 },
    { kind: 'shardis', shards: 1 },
    ...(DEFAULT_SHARDS !== 1 ? [{ kind: 'shardis', shards: DEFAULT_SHARDS }] : []),
  ];
  const samples = new Map(); // key -> { rps: [], p50: [] }
  for (let round = 0; round < ROUNDS; round++) {
    // alternate the order of servers between rounds
    const order = round % 2 === 0 ? configs : [...configs].reverse();
    for (const cfg of order) {
      const s = await startServer(cfg.kind, cfg.shards);
      try {
        for (const pipeline of PIPELINES) {
          for (const dataSize of SIZES) {
            for (const t of TESTS) {
              const before = sampleThreads(s.proc.pid);
              const res = benchmark(s.port, { tests: [t], pipeline, clients: CLIENTS, dataSize, n: requests(pipeline) });
              // CPU per request of the whole run (lrange_100's includes redis-benchmark's LPUSH fill)
              const cpu = cpuByGroup(s.proc.pid, before, sampleThreads(s.proc.pid));
              const reqs = requests(pipeline) * Math.max(1, Object.keys(res).length);
              for (const [test, v] of Object.entries(res)) {
                if (test !== t && res[t]) continue; // lrange_100's LPUSH fill is not the lpush test
                const key = JSON.stringify([cfg.kind, cfg.shards, test, pipeline, dataSize]);
                const e = samples.get(key) ?? { rps: [], p50: [], cpu: [] };
                e.rps.push(v.rps);
                e.p50.push(v.p50_ms);
                e.cpu.push(Object.fromEntries(Object.entries(cpu).map(([g, us]) => [g, us / reqs])));
                samples.set(key, e);
              }
            }
          }
        }
      } finally {
        await stopServer(s);
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS}: ${cfg.kind}${cfg.shards ? ` shards=${cfg.shards}` : ''} done\n`);
    }
  }
  const rows = [];
  for (const [key, e] of samples) {
    const [server, shards, test, pipeline, data_size] = JSON.parse(key);
    const cpu_us_per_req = Object.fromEntries(Object.keys(e.cpu[0]).map((g) => [g, +median(e.cpu.map((c) => c[g])).toFixed(3)]));
    // the throughput the main thread could carry with enough cores for everything else
    const main_thread_max_rps = cpu_us_per_req.main > 0 ? Math.round(1e6 / cpu_us_per_req.main) : null;
    rows.push({ server, shards: server === 'redis-server' ? 1 : shards, test, pipeline, clients: CLIENTS, data_size, rps: Math.round(median(e.rps)), p50_ms: median(e.p50), cpu_us_per_req, main_thread_max_rps });
  }
  const same = (a, b) => a.test === b.test && a.pipeline === b.pipeline && a.data_size === b.data_size;
  const ratio = (a, b) => (a && b ? +(a / b).toFixed(2) : null);
  const table = rows
    .filter((r) => r.server === 'shardis')
    .map((r) => {
      const ref = rows.find((q) => q.server === 'redis-server' && q.test === r.test && q.pipeline === r.pipeline && q.data_size === r.data_size);
      const ceil = rows.find((q) => q.server === 'ceiling' && same(q, r));
      return { test: r.test, P: r.pipeline, size: r.data_size, shards: r.shards, shardis_rps: r.rps, redis_rps: ref?.rps, ratio: ref ? +(r.rps / ref.rps).toFixed(2) : null, shardis_p50: r.p50_ms, redis_p50: ref?.p50_ms, ceiling_rps: ceil?.rps, vs_ceiling: ratio(r.rps, ceil?.rps), ceiling_vs_redis: ratio(ceil?.rps, ref?.rps) };
    });
  console.table(table);
  // CPU per request by thread group, and the main thread's projection against redis-server's
  console.table(
    rows.map((r) => {
      const ref = rows.find((q) => q.server === 'redis-server' && same(q, r));
      const c = r.cpu_us_per_req;
      return { server: r.server, shards: r.shards, test: r.test, P: r.pipeline, size: r.data_size, main_us: c.main, shards_us: c.shards, v8_us: c.v8, other_us: c.other, main_max_rps: r.main_thread_max_rps, vs_redis_main_max: ratio(r.main_thread_max_rps, ref?.main_thread_max_rps) };
    }),
  );
  fs.mkdirSync(RESULTS, { recursive: true });
  const meta = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, redis: spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.trim(), rounds: ROUNDS, quick: QUICK, n: N, server_node: spawnSync(NODE_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim() };
  fs.writeFileSync(path.join(RESULTS, 'native.json'), JSON.stringify({ meta, rows }, null, 2));
  fs.writeFileSync(path.join(RESULTS, 'native.svg'), svgChart(rows));
  console.log(`wrote ${RESULTS}/native.json and native.svg (${JSON.stringify(meta)})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
