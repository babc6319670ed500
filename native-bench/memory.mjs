// Resident memory of shardis and redis-server each holding 1M keys with 32-byte values, loaded
// deterministically through `redis-cli --pipe`. npm run bench:memory [-- --keys N] [--shards N]
// [--hashes F: each key a hash of F fields with 10-byte values instead] [--ttl S: each key set with
// EX S, so it has an expiry time] [--old DIR: a row for the shardis build in DIR too, same run]
// [--rounds N: every row N times, alternating] [--no-ofs: without the optimize-for-size row]
// npm run bench:memory -- --populate N [--reinsert]: DEBUG POPULATE N on redis-server and a 1-shard
// shardis, one after the other, RSS and time; with --reinsert then DEL every other key (batches of
// 100k through redis-cli --pipe) and DEBUG POPULATE N/2 new keys, RSS after each step.
// Writes bench-results/memory.json. RSS is read from /proc/<pid>/status (worker threads are in the
// same process, so shardis's figure includes every shard).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS, startServer, stopServer } from './run.mjs';

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const KEYS = opt('--keys', args.includes('--quick') ? 50_000 : 1_000_000);
const SHARDS = opt('--shards', Math.max(1, os.cpus().length - 1));
const FIELDS = opt('--hashes', 0);
const TTL = opt('--ttl', 0);
const OLD = args.includes('--old') ? path.resolve(args[args.indexOf('--old') + 1]) : null;
const bulk = (s) => `$${s.length}\r\n${s}\r\n`;

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

function load(port) {
  const value = 'v'.repeat(32);
  const parts = [];
  for (let i = 0; i < KEYS; i++) {
    const k = `key:${String(i).padStart(10, '0')}`;
    if (FIELDS === 0) {
      if (TTL > 0) parts.push(`*5\r\n$3\r\nSET\r\n${bulk(k)}${bulk(value)}$2\r\nEX\r\n${bulk(String(TTL))}`);
      else parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$32\r\n${value}\r\n`);
      continue;
    }
    let cmd = `*${2 + 2 * FIELDS}\r\n$4\r\nHSET\r\n${bulk(k)}`;
    for (let f = 0; f < FIELDS; f++) cmd += bulk(`field${f}`) + bulk(String(i).padStart(10, 'x').slice(-10));
    parts.push(cmd);
  }
  const r = spawnSync('redis-cli', ['-p', String(port), '--pipe'], { input: parts.join(''), encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000 });
  if (!/errors: 0/.test(r.stdout)) throw new Error(`load failed: ${r.stdout} ${r.stderr}`);
  const n = Number(spawnSync('redis-cli', ['-p', String(port), 'DBSIZE'], { encoding: 'utf8' }).stdout.trim());
  if (n !== KEYS) throw new Error(`expected ${KEYS} keys, DBSIZE says ${n}`);
}

/** The --populate mode: large keyspaces made by DEBUG POPULATE (see the header). */
async function populate(n, reinsert) {
  const cli = (port, ...a) => spawnSync('redis-cli', ['-p', String(port), ...a], { encoding: 'utf8', timeout: 1_800_000 }).stdout.trim();
  const mb = (pid) => +(rssBytes(pid) / 1048576).toFixed(1);
  const out = [];
  for (const kind of ['redis-server', 'shardis']) {
    const s = await startServer(kind, 1, ['--enable-debug-command', 'yes']);
    try {
      const row = { server: kind, keys: n, rss_empty_mb: mb(s.proc.pid) };
      const t0 = Date.now();
      if (cli(s.port, 'DEBUG', 'POPULATE', String(n)) !== 'OK') throw new Error('DEBUG POPULATE failed');
      row.populate_s = +((Date.now() - t0) / 1000).toFixed(1);
      row.dbsize = Number(cli(s.port, 'DBSIZE'));
      row.rss_loaded_mb = mb(s.proc.pid);
      if (reinsert) {
        for (let start = 0; start < n; start += 200_000) {
          const parts = [];
          for (let i = start; i < Math.min(n, start + 200_000); i += 2) parts.push(`*2\r\n$3\r\nDEL\r\n${bulk(`key:${i}`)}`);
          const r = spawnSync('redis-cli', ['-p', String(s.port), '--pipe'], { input: parts.join(''), encoding: 'utf8', maxBuffer: 1 << 26, timeout: 600_000 });
          if (!/errors: 0/.test(r.stdout)) throw new Error(`DEL failed: ${r.stdout} ${r.stderr}`);
        }
        row.rss_after_del_mb = mb(s.proc.pid);
        if (cli(s.port, 'DEBUG', 'POPULATE', String(n / 2), 'new') !== 'OK') throw new Error('DEBUG POPULATE failed');
        row.dbsize_after_reinsert = Number(cli(s.port, 'DBSIZE'));
        row.rss_after_reinsert_mb = mb(s.proc.pid);
        row.reinsert_growth_pct = +((row.rss_after_reinsert_mb / row.rss_after_del_mb - 1) * 100).toFixed(1);
      }
      out.push(row);
    } finally {
      await stopServer(s);
    }
  }
  console.table(out);
  console.log(`shardis / redis-server RSS at ${n} keys: ${+(out[1].rss_loaded_mb / out[0].rss_loaded_mb).toFixed(2)}`);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'memory-populate.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, rows: out }, null, 2));
}

if (args.includes('--populate')) {
  await populate(opt('--populate', 0), args.includes('--reinsert'));
  process.exit(0);
}

const rows = [];
// the third row: shardis with `optimize-for-size yes` (V8's --optimize-for-size in the shards)
const round = [['redis-server', 1, []], ['shardis', SHARDS, []]];
if (!args.includes('--no-ofs')) round.push(['shardis', SHARDS, ['--optimize-for-size', 'yes']]);
if (OLD !== null) round.push(['shardis', SHARDS, [], OLD]);
const runs = [];
for (let r = opt('--rounds', 1); r > 0; r--) runs.push(...round);
for (const [kind, shards, extra, root] of runs) {
  const s = await startServer(kind, shards, extra, root);
  try {
    const before = rssBytes(s.proc.pid);
    load(s.port);
    await new Promise((r) => setTimeout(r, 1000));
    if (kind === 'shardis') spawnSync('redis-cli', ['-p', String(s.port), 'PING']);
    const after = rssBytes(s.proc.pid);
    rows.push({ server: root === undefined ? kind : `${kind} (${path.basename(root)})`, fields: FIELDS, ttl: TTL, shards, optimize_for_size: extra.length > 0, keys: KEYS, rss_empty_mb: +(before / 1048576).toFixed(1), rss_loaded_mb: +(after / 1048576).toFixed(1), bytes_per_key: Math.round((after - before) / KEYS) });
  } finally {
    await stopServer(s);
  }
}
// ratios within each round (same run, one row after another), then their medians
const per = round.length;
const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratios = (i) => {
  const xs = [];
  for (let r = 0; r + per <= rows.length; r += per) xs.push(+(rows[r + i].rss_loaded_mb / rows[r].rss_loaded_mb).toFixed(3));
  return xs;
};
const ratio = med(ratios(1));
const ratioSmall = args.includes('--no-ofs') ? null : med(ratios(2));
console.table(rows);
console.log(`shardis / redis-server resident memory: ${ratios(1).join(', ')} (median ${ratio})` + (ratioSmall === null ? '' : `; with optimize-for-size yes: ${ratios(2).join(', ')}`));
if (OLD !== null) console.log(`the build in ${OLD} / redis-server: ${ratios(per - 1).join(', ')}`);
fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, 'memory.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows, ratio, ratio_optimize_for_size: ratioSmall }, null, 2));
