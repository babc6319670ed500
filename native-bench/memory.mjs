// Resident memory of shardis and redis-server each holding 1M keys with 32-byte values, loaded
// deterministically through `redis-cli --pipe`. npm run bench:memory [-- --keys N] [--shards N]
// [--hashes F: each key a hash of F fields with 10-byte values instead] [--old DIR: a row for the
// shardis build in DIR too, same run]
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
      parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$32\r\n${value}\r\n`);
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

const rows = [];
// the third row: shardis with `optimize-for-size yes` (V8's --optimize-for-size in the shards)
const runs = [['redis-server', 1, []], ['shardis', SHARDS, []], ['shardis', SHARDS, ['--optimize-for-size', 'yes']]];
if (OLD !== null) runs.push(['shardis', SHARDS, [], OLD]);
for (const [kind, shards, extra, root] of runs) {
  const s = await startServer(kind, shards, extra, root);
  try {
    const before = rssBytes(s.proc.pid);
    load(s.port);
    await new Promise((r) => setTimeout(r, 1000));
    if (kind === 'shardis') spawnSync('redis-cli', ['-p', String(s.port), 'PING']);
    const after = rssBytes(s.proc.pid);
    rows.push({ server: root === undefined ? kind : `${kind} (${path.basename(root)})`, fields: FIELDS, shards, optimize_for_size: extra.length > 0, keys: KEYS, rss_empty_mb: +(before / 1048576).toFixed(1), rss_loaded_mb: +(after / 1048576).toFixed(1), bytes_per_key: Math.round((after - before) / KEYS) });
  } finally {
    await stopServer(s);
  }
}
const ratio = +(rows[1].rss_loaded_mb / rows[0].rss_loaded_mb).toFixed(2);
const ratioSmall = +(rows[2].rss_loaded_mb / rows[0].rss_loaded_mb).toFixed(2);
console.table(rows);
console.log(`shardis / redis-server resident memory: ${ratio} (with optimize-for-size yes: ${ratioSmall})`);
if (OLD !== null) console.log(`the build in ${OLD} / redis-server: ${+(rows[3].rss_loaded_mb / rows[0].rss_loaded_mb).toFixed(2)}`);
fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, 'memory.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, rows, ratio, ratio_optimize_for_size: ratioSmall }, null, 2));
