// Worst write stall on a master while a replica does a full sync, shardis vs redis-server 7 in the
// same run (alternating). The master holds KEYS keys (loaded with redis-cli --pipe); one client then
// sends SETs one at a time and records each round trip while a replica of the same kind attaches and
// completes its full sync. Prints the worst and the 99th percentile round trip during the sync, and
// the sync's duration, per server, and the ratio shardis / redis-server.
//   npm run bench:sync-stall [-- --keys 1000000] [--rounds 2]
import { spawn } from 'node:child_process';
import os from 'node:os';
import { client } from './resp.mjs';
import { startServer, stopServer } from './run.mjs';

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const KEYS = opt('--keys', 1_000_000);
const ROUNDS = opt('--rounds', 2);
const SHARDS = opt('--shards', Math.max(1, os.cpus().length - 1));
const SYNC = ['--repl-diskless-sync-delay', '0'];

function load(port) {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'ignore', 'inherit'] });
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli --pipe exited ${code}`))));
    let i = 0;
    const write = () => {
      while (i < KEYS) {
        let chunk = '';
        for (let j = 0; j < 1000 && i < KEYS; j++, i++) {
          const k = `key:${i}`;
          const v = `value-${i}-xxxxxxxxxxxxxxxx`;
          chunk += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
        }
        if (!p.stdin.write(chunk)) return p.stdin.once('drain', write);
      }
      p.stdin.end();
    };
    write();
  });
}

async function round(kind) {
  const master = await startServer(kind, SHARDS, SYNC);
  const replica = await startServer(kind, SHARDS, SYNC);
  try {
    await load(master.port);
    const w = client(master.port);
    const r = client(replica.port);
    await Promise.all([w.ready, r.ready]);
    const times = [];
    let syncing = true;
    const t0 = performance.now();
    await r.cmd('REPLICAOF', '127.0.0.1', master.port);
    const watcher = (async () => {
      for (;;) {
        const info = await r.cmd('INFO', 'replication');
        if (/master_link_status:up/.test(info)) break;
        await new Promise((res) => setTimeout(res, 20));
      }
      syncing = false;
    })();
    let i = 0;
    while (syncing) {
      const s = performance.now();
      await w.cmd('SET', `w:${i++ % 1000}`, 'x');
      times.push(performance.now() - s);
    }
    await watcher;
    const syncMs = performance.now() - t0;
    times.sort((a, b) => a - b);
    w.close();
    r.close();
    return { worst: times[times.length - 1], p99: times[Math.floor(times.length * 0.99)], writes: times.length, syncMs };
  } finally {
    await stopServer(master);
    await stopServer(replica);
  }
}

const results = { shardis: [], redis: [] };
for (let k = 0; k < ROUNDS; k++) {
  for (const kind of k % 2 === 0 ? ['shardis', 'redis'] : ['redis', 'shardis']) {
    const res = await round(kind);
    results[kind].push(res);
    console.log(`round ${k + 1} ${kind.padEnd(7)} worst ${res.worst.toFixed(1)} ms  p99 ${res.p99.toFixed(2)} ms  writes during sync ${res.writes}  sync ${(res.syncMs / 1000).toFixed(2)} s`);
  }
}
const worst = (kind) => Math.max(...results[kind].map((r) => r.worst));
const sync = (kind) => results[kind].reduce((a, r) => a + r.syncMs, 0) / results[kind].length;
console.log(`\n${KEYS} keys, ${SHARDS} shard(s), ${ROUNDS} round(s), ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${os.cpus()[0].model}, node ${process.version}`);
console.log(`worst write round trip during a full sync: shardis ${worst('shardis').toFixed(1)} ms, redis-server ${worst('redis').toFixed(1)} ms, ratio ${(worst('shardis') / worst('redis')).toFixed(2)}`);
console.log(`full sync duration (mean): shardis ${(sync('shardis') / 1000).toFixed(2)} s, redis-server ${(sync('redis') / 1000).toFixed(2)} s, ratio ${(sync('shardis') / sync('redis')).toFixed(2)}`);
