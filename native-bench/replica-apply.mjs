// The replica's apply path alone, against a client issuing the same writes (issue #18):
//   - apply: a stand-in master (this script) does the handshake, sends an empty RDB and then a
//     prebuilt stream of SETs (redis-benchmark's keys: key:<12 digits> out of 100000, 16-byte
//     values) as fast as the replica reads it; measured: the replica's CPU per write, by thread
//     group (main, shards, v8, other), from the first byte of the stream until a client's PING
//     sent after the replica reported the whole stream applied (slave_repl_offset) is answered
//     (so every write has run in its shard);
//   - client: one client connection sends the same stream of SETs to a server that is no replica
//     and reads the replies; the server's CPU per write, the same way.
// No master process and no redis-benchmark share the CPU with the server measured, so the figures
// are the apply path's and the request path's own. Servers: shardis, redis-server and (--old DIR)
// an older build, alternating order from round to round.
//   - fanout: the client's run again on a master with 2 stand-in replicas (they read the stream and
//     acknowledge, nothing else), so fanout / client is the master's cost of 2 replicas without
//     replica processes competing for the CPU and the caches.
//   node native-bench/replica-apply.mjs [--writes N] [--rounds N] [--old DIR] [--modes apply,client,fanout]
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, stopServer } from './run.mjs';
import { cpuByGroup, sampleThreads } from './thread-cpu.mjs';

const args = process.argv.slice(2);
const arg = (name, d) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const N = Number(arg('--writes', 1_000_000));
const WARM = Math.max(10_000, Math.floor(N / 5));
const ROUNDS = Number(arg('--rounds', 3));
const OLD = arg('--old', null);
const MODES = arg('--modes', 'apply,client').split(',');
const SHARDS = Math.max(1, os.cpus().length - 1);

/** n SET commands as redis-benchmark -t set -r 100000 -d 16 sends them. */
function setStream(n, seed) {
  const one = Buffer.from(`*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000000\r\n$16\r\n${'x'.repeat(16)}\r\n`);
  const out = Buffer.allocUnsafe(one.length * n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    const o = i * one.length;
    one.copy(out, o);
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const k = String(x % 100000).padStart(12, '0');
    out.write(k, o + 22, 'latin1');
  }
  return out;
}

const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xff]), Buffer.alloc(8)]);
const SELECT0 = Buffer.from('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n');

/** A stand-in master on a free port: answers the handshake, then streams what send() is given. */
function fakeMaster() {
  return new Promise((resolve) => {
    let sock = null;
    let synced;
    const ready = new Promise((r) => (synced = r));
    const srv = net.createServer((s) => {
      s.setNoDelay(true);
      let buf = '';
      s.on('data', (d) => {
        if (sock !== null) return; // REPLCONF ACKs from here on
        buf += d.toString('latin1');
        for (;;) {
          const m = /^\*(\d+)\r\n/.exec(buf);
          if (!m) return;
          // parse one multibulk
          let p = m[0].length;
          const parts = [];
          for (let i = 0; i < Number(m[1]); i++) {
            const l = /^\$(\d+)\r\n/.exec(buf.slice(p));
            if (!l) return;
            const len = Number(l[1]);
            if (buf.length < p + l[0].length + len + 2) return;
            parts.push(buf.slice(p + l[0].length, p + l[0].length + len));
            p += l[0].length + len + 2;
          }
          buf = buf.slice(p);
          const cmd = parts[0].toUpperCase();
          if (cmd === 'PING') s.write('+PONG\r\n');
          else if (cmd === 'REPLCONF') s.write('+OK\r\n');
          else if (cmd === 'PSYNC' || cmd === 'SYNC') {
            s.write(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n$${EMPTY_RDB.length}\r\n`);
            s.write(EMPTY_RDB);
            s.write(SELECT0);
            sock = s;
            synced();
            return;
          }
        }
      });
      s.on('error', () => {});
    });
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        port: srv.address().port,
        ready,
        send: (b) => sock.write(b),
        close: () => {
          sock?.destroy();
          srv.close();
        },
      }),
    );
  });
}

const info = (port, field) => Number(new RegExp(`${field}:(\\d+)`).exec(spawnSync('redis-cli', ['-p', String(port), 'INFO', 'replication'], { encoding: 'utf8' }).stdout)?.[1] ?? -1);
const ping = (port) => spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Send the stream to a replica through the stand-in master; resolve when it is applied. */
async function applyRun(master, port, stream, offset) {
  master.send(stream);
  const target = offset + stream.length;
  // (every 25 ms: each INFO is a connection and a command the replica's CPU count includes)
  while (info(port, 'slave_repl_offset') < target) await sleep(25);
  ping(port); // behind every write in the shards' request rings
  return target;
}

/** Send the stream as one client and read every reply (+OK\r\n each). */
function clientRun(port, stream, n) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      if (got >= n * 5) {
        s.destroy();
        resolve();
      }
    });
    s.on('connect', () => s.write(stream));
  });
}

/**
 * A stand-in replica of the server on `port`: PSYNC with capa eof, then it reads and discards
 * everything, acknowledging every 200 ms.
 */
function fakeReplica(port) {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  let got = 0;
  s.on('data', (d) => (got += d.length));
  s.on('error', () => {});
  const cmd = (...a) => `*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`;
  s.on('connect', () => s.write(cmd('REPLCONF', 'listening-port', '1') + cmd('REPLCONF', 'capa', 'eof', 'capa', 'psync2') + cmd('PSYNC', '?', '-1')));
  // (an EOF-marked payload: the stream starts at the first ACK)
  const ack = setInterval(() => s.write(cmd('REPLCONF', 'ACK', '0')), 200);
  return { close: () => (clearInterval(ack), s.destroy()), received: () => got };
}

async function measure(kind, mode, root, warm, stream) {
  const k = kind === 'redis-server' ? 'redis' : 'shardis';
  if (mode === 'fanout') {
    // the master's own cost of 2 replicas: stand-in replicas that only read, no replica process on the CPU
    const s = await startServer(k, SHARDS, ['--repl-diskless-sync-delay', '0'], root);
    const reps = [fakeReplica(s.port), fakeReplica(s.port)];
    try {
      while ((spawnSync('redis-cli', ['-p', String(s.port), 'INFO', 'replication'], { encoding: 'utf8' }).stdout.match(/state=online/g) ?? []).length < 2) await sleep(20);
      await clientRun(s.port, warm, WARM);
      const t0 = sampleThreads(s.proc.pid);
      await clientRun(s.port, stream, N);
      return cpuByGroup(s.proc.pid, t0, sampleThreads(s.proc.pid));
    } finally {
      reps.forEach((r) => r.close());
      await stopServer(s);
    }
  }
  if (mode === 'apply') {
    const master = await fakeMaster();
    const r = await startServer(k, SHARDS, ['--replicaof', '127.0.0.1', String(master.port)], root);
    try {
      await master.ready;
      while (!/master_link_status:up/.test(spawnSync('redis-cli', ['-p', String(r.port), 'INFO', 'replication'], { encoding: 'utf8' }).stdout)) await sleep(20);
      let off = await applyRun(master, r.port, warm, SELECT0.length); // (the stream's SELECT came first)
      const t0 = sampleThreads(r.proc.pid);
      // PERF_OUT=file (with NODE_OPTIONS=--perf-basic-prof): a perf profile of the replica meanwhile
      const perf = process.env.PERF_OUT && k === 'shardis' ? spawn('perf', ['record', '-F', '999', '-g', '-p', String(r.proc.pid), '-o', `${process.env.PERF_OUT}-${kind}.data`], { stdio: 'ignore' }) : null;
      await applyRun(master, r.port, stream, off);
      if (perf) await new Promise((res) => (perf.once('exit', res), perf.kill('SIGINT')));
      return cpuByGroup(r.proc.pid, t0, sampleThreads(r.proc.pid));
    } finally {
      master.close();
      await stopServer(r);
    }
  }
  const s = await startServer(k, SHARDS, [], root);
  try {
    await clientRun(s.port, warm, WARM);
    const t0 = sampleThreads(s.proc.pid);
    await clientRun(s.port, stream, N);
    return cpuByGroup(s.proc.pid, t0, sampleThreads(s.proc.pid));
  } finally {
    await stopServer(s);
  }
}

const warm = setStream(WARM, 7);
const stream = setStream(N, 11);
const SERVERS = ['shardis', 'redis-server', ...(OLD ? ['shardis-old'] : [])];
const runs = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of MODES) {
    const s = round % SERVERS.length;
    for (const kind of [...SERVERS.slice(s), ...SERVERS.slice(0, s)]) {
      if (mode === 'fanout' && kind === 'redis-server') continue; // (redis-server never took the stand-in replicas online: left out)
      const g = await measure(kind, mode, kind === 'shardis-old' ? path.resolve(OLD) : undefined, warm, stream);
      const row = { round: round + 1, server: kind, mode, load: +os.loadavg()[0].toFixed(1) };
      let total = 0;
      for (const [grp, us] of Object.entries(g)) {
        row[`${grp}_us`] = +(us / N).toFixed(3);
        total += us;
      }
      row.total_us = +(total / N).toFixed(3);
      runs.push(row);
      console.log(JSON.stringify(row));
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = [];
for (const mode of MODES) for (const server of SERVERS) {
  const rs = runs.filter((r) => r.mode === mode && r.server === server);
  if (rs.length === 0) continue;
  rows.push({ mode, server, total_us: +median(rs.map((r) => r.total_us)).toFixed(3), main_us: +median(rs.map((r) => r.main_us)).toFixed(3), shards_us: +median(rs.map((r) => r.shards_us)).toFixed(3), v8_us: +median(rs.map((r) => r.v8_us)).toFixed(3) });
}
console.table(rows);
const t = (mode, server) => rows.find((r) => r.mode === mode && r.server === server)?.total_us;
const ratios = {};
for (const mode of MODES.filter((m) => m !== 'fanout')) ratios[`${mode}: shardis / redis-server`] = +(t(mode, 'shardis') / t(mode, 'redis-server')).toFixed(2);
if (OLD) for (const mode of MODES) ratios[`${mode}: shardis / shardis-old`] = +(t(mode, 'shardis') / t(mode, 'shardis-old')).toFixed(2);
if (MODES.includes('apply') && MODES.includes('client')) ratios['shardis apply / client'] = +(t('apply', 'shardis') / t('client', 'shardis')).toFixed(2);
if (MODES.includes('fanout') && MODES.includes('client')) for (const server of SERVERS.filter((x) => x !== 'redis-server')) ratios[`${server} master with 2 replicas / none`] = +(t('fanout', server) / t('client', server)).toFixed(2);
console.table(ratios);
