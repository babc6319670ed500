// Persistence side by side: shardis vs redis-server 7 in the same run, alternating which goes first.
//   npm run bench:persistence [-- --keys 1000000,10000000] [--load-keys 10000000] [--sync-keys 1000000]
//                             [--requests 100000] [--always-requests 10000] [--rounds 1] [--rdb-files DIR] [--shards N] [--only bgsave,aof,load,sync]
// Quick run: npm run bench:persistence -- --keys 100000 --load-keys 100000 --sync-keys 100000 --requests 20000 --always-requests 2000
//
// - bgsave: DEBUG POPULATE n keys, then BGSAVE while another client sends SETs one at a time; prints
//   the BGSAVE time (BGSAVE sent until INFO shows rdb_bgsave_in_progress:0) and the worst and 99th
//   percentile SET round trip while it ran.
// - aof: redis-benchmark -t set (50 clients, 16-byte values, 100k random keys) with appendonly yes and
//   appendfsync everysec, then always (and appendonly no as the baseline).
// - load: the 10M-key RDB written by redis-server's BGSAVE (the same file for both) and the one
//   shardis wrote: time from spawn until PING answers +PONG and DBSIZE is the key count.
// - sync: worst and p99 SET round trip on a master while a replica of the same kind does a full sync.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, summary } from './resp.mjs';
import { benchmark, freePort, startServer, stopServer } from './run.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const KEYS = opt('--keys', '1000000,10000000').split(',').map(Number);
const LOAD_KEYS = Number(opt('--load-keys', 10_000_000));
const SYNC_KEYS = Number(opt('--sync-keys', 1_000_000));
const REQUESTS = Number(opt('--requests', 100_000));
// appendfsync always runs at disk-flush speed: fewer requests
const ALWAYS_REQUESTS = Number(opt('--always-requests', Math.min(REQUESTS, 10_000)));
const ROUNDS = Number(opt('--rounds', 1));
const SHARDS = Number(opt('--shards', Math.max(1, os.cpus().length - 1)));
const ONLY = opt('--only', 'bgsave,aof,load,sync').split(',');
// a directory with redis.rdb and shardis.rdb of --load-keys keys from an earlier run (skips writing them)
const RDB_FILES = opt('--rdb-files', null);
const DEBUG = ['--enable-debug-command', 'yes'];
const NAME = { shardis: 'shardis', redis: 'redis-server' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const order = (k) => (k % 2 === 0 ? ['shardis', 'redis'] : ['redis', 'shardis']);

async function populate(port, n) {
  const c = client(port);
  await c.ready;
  const r = await c.cmd('DEBUG', 'POPULATE', n);
  if (r !== '+OK\r\n') throw new Error(`DEBUG POPULATE: ${r}`);
  c.close();
}

async function infoField(c, section, field) {
  const info = await c.cmd('INFO', section);
  const m = new RegExp(`\r\n${field}:([^\r]*)`).exec(info);
  return m ? m[1] : undefined;
}

/** Send SETs one at a time until stop() is called; returns { stop: () => times }. */
function setStream(port) {
  const c = client(port);
  const times = [];
  let on = true;
  let recording = false;
  const done = (async () => {
    await c.ready;
    for (let i = 0; on; i++) {
      const s = performance.now();
      await c.cmd('SET', `w:${i % 1000}`, 'x');
      if (recording) times.push(performance.now() - s);
    }
    c.close();
  })();
  return {
    start: () => (recording = true),
    stop: async () => {
      on = false;
      await done;
      return times;
    },
  };
}

async function bgsaveRound(kind, n) {
  const srv = await startServer(kind, SHARDS, DEBUG);
  try {
    await populate(srv.port, n);
    const ctl = client(srv.port);
    await ctl.ready;
    const w = setStream(srv.port);
    await sleep(500); // the stream is warm
    w.start();
    const t0 = performance.now();
    const r = await ctl.cmd('BGSAVE');
    if (!r.startsWith('+')) throw new Error(`BGSAVE: ${r}`);
    while ((await infoField(ctl, 'persistence', 'rdb_bgsave_in_progress')) !== '0') await sleep(20);
    const ms = performance.now() - t0;
    const times = await w.stop();
    const status = await infoField(ctl, 'persistence', 'rdb_last_bgsave_status');
    ctl.close();
    const size = fs.statSync(path.join(srv.cwd, 'dump.rdb')).size;
    return { ms, status, size, ...summary(times) };
  } finally {
    await stopServer(srv);
    fs.rmSync(srv.cwd, { recursive: true, force: true });
  }
}

/** Fill a server of `kind`, BGSAVE, and keep its dump.rdb at `dest`. */
async function writeRdb(kind, n, dest) {
  const srv = await startServer(kind, SHARDS, DEBUG);
  try {
    await populate(srv.port, n);
    const ctl = client(srv.port);
    await ctl.ready;
    await ctl.cmd('SAVE');
    ctl.close();
    fs.renameSync(path.join(srv.cwd, 'dump.rdb'), dest);
  } finally {
    await stopServer(srv);
    fs.rmSync(srv.cwd, { recursive: true, force: true });
  }
}

/** Spawn `kind` in a directory holding `file` as dump.rdb; ms until PING is +PONG and DBSIZE is n. */
async function loadRound(kind, file, n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-bench-load-'));
  fs.linkSync(file, path.join(dir, 'dump.rdb'));
  const port = await freePort();
  const argv =
    kind === 'shardis'
      ? [path.join(ROOT, 'dist/main.js'), '--port', String(port), '--shards', String(SHARDS), '--save', '', '--loglevel', 'warning']
      : ['--port', String(port), '--save', '', '--appendonly', 'no'];
  const t0 = performance.now();
  const proc = spawn(kind === 'shardis' ? process.execPath : 'redis-server', argv, { stdio: 'ignore', cwd: dir });
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${kind} exited while loading`);
      const c = client(port);
      try {
        await c.ready;
        if ((await c.cmd('PING')) === '+PONG\r\n' && (await c.cmd('DBSIZE')) === `:${n}\r\n`) return performance.now() - t0;
      } catch {
        // not listening yet
      } finally {
        c.close();
      }
      await sleep(20);
    }
  } finally {
    await stopServer({ proc });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function syncRound(kind) {
  const opts = [...DEBUG, '--repl-diskless-sync-delay', '0'];
  const master = await startServer(kind, SHARDS, opts);
  const replica = await startServer(kind, SHARDS, opts);
  try {
    await populate(master.port, SYNC_KEYS);
    const r = client(replica.port);
    await r.ready;
    const w = setStream(master.port);
    await sleep(500);
    w.start();
    const t0 = performance.now();
    await r.cmd('REPLICAOF', '127.0.0.1', master.port);
    while ((await infoField(r, 'replication', 'master_link_status')) !== 'up') await sleep(20);
    const ms = performance.now() - t0;
    const times = await w.stop();
    r.close();
    return { ms, ...summary(times) };
  } finally {
    await stopServer(master);
    await stopServer(replica);
    fs.rmSync(master.cwd, { recursive: true, force: true });
    fs.rmSync(replica.cwd, { recursive: true, force: true });
  }
}

async function aofRound(kind, fsync) {
  const extra = fsync === 'off' ? [] : ['--appendonly', 'yes', '--appendfsync', fsync];
  const srv = await startServer(kind, SHARDS, extra);
  try {
    const n = fsync === 'always' ? ALWAYS_REQUESTS : REQUESTS;
    return benchmark(srv.port, { tests: ['set'], pipeline: 1, clients: 50, dataSize: 16, n }).set.rps;
  } finally {
    await stopServer(srv);
    fs.rmSync(srv.cwd, { recursive: true, force: true });
  }
}

const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : '-');
const fmt = (x, d = 1) => x.toFixed(d);
const rows = [];
const row = (what, s, r, unit, d = 1) => {
  rows.push(`| ${what} | ${fmt(s, d)} ${unit} | ${fmt(r, d)} ${unit} | ${ratio(s, r)} |`);
  console.log(`${what}: shardis ${fmt(s, d)} ${unit}, redis-server ${fmt(r, d)} ${unit}, ratio ${ratio(s, r)}`);
};
const worstOf = (xs, f) => Math.max(...xs.map(f));
const meanOf = (xs, f) => xs.reduce((a, x) => a + f(x), 0) / xs.length;

console.log(`shardis --shards ${SHARDS} vs redis-server, ${ROUNDS} round(s), ${new Date().toISOString()}, ${os.cpus().length} x ${os.cpus()[0].model}, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

if (ONLY.includes('bgsave')) {
  for (const n of KEYS) {
    const res = { shardis: [], redis: [] };
    for (let k = 0; k < ROUNDS; k++) {
      for (const kind of order(k)) {
        const r = await bgsaveRound(kind, n);
        res[kind].push(r);
        console.log(`bgsave ${n} keys round ${k + 1} ${kind.padEnd(7)} ${fmt(r.ms / 1000, 2)} s (${r.status}, ${(r.size / 1e6).toFixed(1)} MB)  SETs during it ${r.n}  worst ${fmt(r.worst)} ms  p99 ${fmt(r.p99, 2)} ms`);
      }
    }
    row(`BGSAVE of ${n.toLocaleString('en')} keys, time (mean)`, meanOf(res.shardis, (r) => r.ms / 1000), meanOf(res.redis, (r) => r.ms / 1000), 's', 2);
    row(`worst SET round trip during it`, worstOf(res.shardis, (r) => r.worst), worstOf(res.redis, (r) => r.worst), 'ms');
    row(`p99 SET round trip during it (worst round)`, worstOf(res.shardis, (r) => r.p99), worstOf(res.redis, (r) => r.p99), 'ms', 2);
  }
}

if (ONLY.includes('aof')) {
  for (const fsync of ['off', 'everysec', 'always']) {
    const res = { shardis: [], redis: [] };
    for (let k = 0; k < ROUNDS; k++) {
      for (const kind of order(k)) {
        const rps = await aofRound(kind, fsync);
        res[kind].push(rps);
        console.log(`aof ${fsync} round ${k + 1} ${kind.padEnd(7)} ${Math.round(rps)} SET/s`);
      }
    }
    const label = fsync === 'off' ? 'SET/s, appendonly no' : `SET/s, appendonly yes, appendfsync ${fsync}`;
    row(label, meanOf(res.shardis, (x) => x), meanOf(res.redis, (x) => x), 'req/s', 0);
  }
}

if (ONLY.includes('load')) {
  const tmp = RDB_FILES ?? fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-bench-rdb-'));
  try {
    const files = { redis: path.join(tmp, 'redis.rdb'), shardis: path.join(tmp, 'shardis.rdb') };
    if (RDB_FILES === null) {
      await writeRdb('redis', LOAD_KEYS, files.redis);
      await writeRdb('shardis', LOAD_KEYS, files.shardis);
    }
    for (const [writer, file] of Object.entries(files)) {
      if (!fs.existsSync(file)) continue; // --rdb-files with only one of them
      const res = { shardis: [], redis: [] };
      for (let k = 0; k < ROUNDS; k++) {
        for (const kind of order(k)) {
          const ms = await loadRound(kind, file, LOAD_KEYS);
          res[kind].push(ms);
          console.log(`load ${NAME[writer]}'s ${(fs.statSync(file).size / 1e6).toFixed(1)} MB file round ${k + 1} ${kind.padEnd(7)} ${fmt(ms / 1000, 2)} s`);
        }
      }
      row(`startup with ${NAME[writer]}'s ${LOAD_KEYS.toLocaleString('en')}-key RDB until PING and DBSIZE answer (mean)`, meanOf(res.shardis, (x) => x / 1000), meanOf(res.redis, (x) => x / 1000), 's', 2);
    }
  } finally {
    if (RDB_FILES === null) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (ONLY.includes('sync')) {
  const res = { shardis: [], redis: [] };
  for (let k = 0; k < ROUNDS; k++) {
    for (const kind of order(k)) {
      const r = await syncRound(kind);
      res[kind].push(r);
      console.log(`full sync of ${SYNC_KEYS} keys round ${k + 1} ${kind.padEnd(7)} ${fmt(r.ms / 1000, 2)} s  SETs during it ${r.n}  worst ${fmt(r.worst)} ms  p99 ${fmt(r.p99, 2)} ms`);
    }
  }
  row(`full sync of ${SYNC_KEYS.toLocaleString('en')} keys, time (mean)`, meanOf(res.shardis, (r) => r.ms / 1000), meanOf(res.redis, (r) => r.ms / 1000), 's', 2);
  row(`worst SET round trip during the full sync`, worstOf(res.shardis, (r) => r.worst), worstOf(res.redis, (r) => r.worst), 'ms');
  row(`p99 SET round trip during the full sync (worst round)`, worstOf(res.shardis, (r) => r.p99), worstOf(res.redis, (r) => r.p99), 'ms', 2);
}

console.log(`\n| | shardis | redis-server | ratio |\n|---|---|---|---|\n${rows.join('\n')}`);
console.log(`load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
