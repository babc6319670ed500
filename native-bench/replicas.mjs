// The replica-count comparison: for each replica count k, a master and k replicas (shardis, and the
// same with redis-server 7, alternating which goes first), measuring
//   - after a warm-up, the replication lag during writes on the master (redis-benchmark SET -P 16):
//     the master's offset is sampled continuously; a sample's lag is the time until every replica's
//     own applied offset (INFO slave_repl_offset) reached it; p99 of those, and the time for all
//     replicas to converge after the benchmark ends;
//   - then the same writes again, without that sampling: write throughput, and the CPU figures below;
//   - aggregate read throughput: one redis-benchmark GET -P 16 per node, all at once;
//   - CPU time per million writes for the master and (mean) per replica, from /proc/<pid>/stat, so
//     scaling past this machine's cores can be projected (see docs/benchmarks.md); and the master's
//     CPU per write by thread group (thread-cpu.mjs: main, shards, v8, other) with the main thread's
//     projected ceiling 1 / (its CPU per write), and the replicas' (mean) by thread group, counted
//     until every replica applied the writes.
//   npm run bench:replicas [-- --replicas 0,1,2,4] [--quick] [--rounds N] [--old DIR] [--no-reads]
// --old DIR adds an older build of shardis (a checkout with a built dist/, as bench:ab's --old) to
// each round's rotation, as the server "shardis-old"; --no-reads leaves out the read benchmark.
// Writes bench-results/replicas.json, replicas.svg (throughput), replicas-lag.svg and replicas.html
// (one file with both charts, the tables and the run's parameters).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RESULTS, startServer, stopServer } from './run.mjs';
import { htmlReport, lineSvg } from './report.mjs';
import { cpuByGroup, sampleThreads } from './thread-cpu.mjs';

const args = process.argv.slice(2);
// --smoke (the test suite): a few hundred requests, only to prove it runs (figures meaningless)
const SMOKE = args.includes('--smoke');
const QUICK = SMOKE || args.includes('--quick');
const arg = (name, d) => (args.includes(name) ? args[args.indexOf(name) + 1] : d);
const COUNTS = arg('--replicas', QUICK ? '0,1' : '0,1,2,4').split(',').map(Number);
const ROUNDS = Number(arg('--rounds', QUICK ? 1 : 2));
const OLD = arg('--old', null);
const READS = !args.includes('--no-reads');
const N = QUICK ? 20_000 : 300_000; // (pipelined: fewer requests could finish within redis-benchmark's 1 ms clock)
const SHARDS = Math.max(1, os.cpus().length - 1);
const TICK = 100; // clock ticks per second in /proc/<pid>/stat (Linux default)

function cpuMs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICK; // utime + stime
}

/** A connection that answers one INFO replication at a time, returning an offset field. */
function offsetReader(port, field) {
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  let buf = '';
  let done = null;
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    const nl = buf.indexOf('\r\n');
    if (nl < 0) return;
    const len = Number(buf.slice(1, nl));
    if (buf.length < nl + 2 + len + 2) return;
    const body = buf.slice(nl + 2, nl + 2 + len);
    buf = '';
    const m = new RegExp(`${field}:(\\d+)`).exec(body);
    done?.(m ? Number(m[1]) : -1);
  });
  return {
    ready: new Promise((r) => sock.once('connect', r)),
    read() {
      return new Promise((resolve) => {
        done = resolve;
        sock.write('*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n');
      });
    },
    close: () => sock.destroy(),
  };
}

function benchAsync(port, test, n) {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-benchmark', ['-p', String(port), '-t', test, '-P', '16', '-c', '50', '-n', String(n), '-r', '100000', '-d', '16', '--csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark exited ${code}`));
      const m = /^"[^"]+","([\d.]+)"/m.exec(out);
      resolve(m ? Number(m[1]) : 0);
    });
  });
}

const dbg = process.env.DEBUG_BENCH ? (m) => process.stderr.write(m + '\n') : () => {};

const p99 = (xs) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))];
};

async function measure(kind, k, root) {
  const sync = ['--repl-diskless-sync-delay', '0'];
  const master = await startServer(kind, SHARDS, sync, root);
  const replicas = [];
  try {
    for (let i = 0; i < k; i++) replicas.push(await startServer(kind, SHARDS, [...sync, '--replicaof', '127.0.0.1', String(master.port)], root));
    // wait until every replica is online
    for (const end = Date.now() + 120_000; Date.now() < end; ) {
      const info = spawnSync('redis-cli', ['-p', String(master.port), 'INFO', 'replication'], { encoding: 'utf8' }).stdout;
      if ((info.match(/state=online/g) ?? []).length === k) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    dbg('replicas online');
    // warm-up (JIT, the key tables): the measured writes run on warm code, as a server in service does
    await benchAsync(master.port, 'set', Math.max(1000, N / 15));
    const m = offsetReader(master.port, 'master_repl_offset');
    const rs = replicas.map((r) => offsetReader(r.port, 'slave_repl_offset'));
    await Promise.all([m.ready, ...rs.map((r) => r.ready)]);

    // writes, with the lag sampled meanwhile
    const masterSamples = []; // [t, offset]
    const replicaSamples = rs.map(() => []); // [t, offset]
    let writing = true;
    let end = 0;
    let finalOffset = -1;
    let convergeMs = 0;
    // samples until the benchmark ended and then every replica reached the master's final offset
    const sampler = (async () => {
      for (;;) {
        const t = performance.now();
        const [mo, ...ro] = await Promise.all([m.read(), ...rs.map((r) => r.read())]);
        const t2 = performance.now();
        if (writing) masterSamples.push([t, mo]);
        ro.forEach((o, i) => replicaSamples[i].push([t2, o]));
        if (!writing) {
          if (finalOffset < 0) finalOffset = mo;
          if (ro.every((o) => o >= finalOffset) || t2 - end > 30_000) {
            convergeMs = t2 - end;
            return;
          }
        }
      }
    })();
    const lagRunRps = await benchAsync(master.port, 'set', N);
    dbg('written');
    end = performance.now();
    writing = false;
    await sampler;

    // the same writes again for the throughput and the CPU per write, without the sampler (its INFO
    // requests, back to back, would be counted in the servers' CPU): until every replica applied them
    const cpu0 = [master, ...replicas].map((s) => cpuMs(s.proc.pid));
    const threads0 = sampleThreads(master.proc.pid);
    const replicaThreads0 = replicas.map((r) => sampleThreads(r.proc.pid));
    const writeRps = await benchAsync(master.port, 'set', N);
    const cpu1 = [master, ...replicas].map((s) => cpuMs(s.proc.pid));
    const groups = cpuByGroup(master.proc.pid, threads0, sampleThreads(master.proc.pid));
    const target = await m.read();
    for (const until = performance.now() + 30_000; performance.now() < until; ) {
      const ro = await Promise.all(rs.map((r) => r.read()));
      if (ro.every((o) => o >= target)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const replicaCpu1 = replicas.map((r) => cpuMs(r.proc.pid));
    const replicaGroups = replicas.map((r, i) => cpuByGroup(r.proc.pid, replicaThreads0[i], sampleThreads(r.proc.pid)));
    // lag of each master sample: until the slowest replica had applied it
    const lags = [];
    if (k > 0) {
      for (const [t, off] of masterSamples) {
        let worst = 0;
        for (const samples of replicaSamples) {
          const hit = samples.find(([, o]) => o >= off);
          worst = Math.max(worst, hit ? Math.max(0, hit[0] - t) : convergeMs + (end - t));
        }
        lags.push(worst);
      }
    }

    dbg('converged');
    // reads on every node at once
    const reads = READS ? await Promise.all([master, ...replicas].map((s) => benchAsync(s.port, 'get', N))) : [0];
    m.close();
    rs.forEach((r) => r.close());
    const mops = N / 1e6;
    return {
      server: kind,
      replicas: k,
      write_rps: Math.round(writeRps),
      write_rps_lag_run: Math.round(lagRunRps),
      read_rps: Math.round(reads.reduce((a, b) => a + b, 0)),
      lag_ms_p99: +p99(lags).toFixed(2),
      converge_ms: +convergeMs.toFixed(1),
      cpu_ms_per_mop_master: Math.round((cpu1[0] - cpu0[0]) / mops),
      cpu_ms_per_mop_replica: k > 0 ? Math.round(replicaCpu1.reduce((a, c, i) => a + c - cpu0[i + 1], 0) / k / mops) : null,
      ...Object.fromEntries(Object.entries(groups).map(([g, us]) => [`master_${g}_us_per_write`, +(us / N).toFixed(3)])),
      // mean over the replicas, from the start of the writes until every replica had applied them
      ...Object.fromEntries(Object.keys(groups).map((g) => [`replica_${g}_us_per_write`, k > 0 ? +(replicaGroups.reduce((a, r) => a + r[g], 0) / k / N).toFixed(3) : null])),
      master_main_max_write_rps: groups.main > 0 ? Math.round((1e6 * N) / groups.main) : null,
    };
  } finally {
    await Promise.all([master, ...replicas].map((s) => stopServer(s)));
  }
}

function svg(rows) {
  const W = 720;
  const H = 320;
  const x0 = 60;
  const y0 = 280;
  const maxK = Math.max(...rows.map((r) => r.replicas), 1);
  const maxV = Math.max(...rows.flatMap((r) => [r.write_rps, r.read_rps]), 1);
  const X = (k) => x0 + (k / maxK) * (W - x0 - 160);
  const Y = (v) => y0 - (v / maxV) * (y0 - 40);
  const series = [
    ['shardis', 'read_rps', '#2a7', ''],
    ['shardis', 'write_rps', '#2a7', '6 4'],
    ['redis-server', 'read_rps', '#36c', ''],
    ['redis-server', 'write_rps', '#36c', '6 4'],
  ];
  let body = `<text x="10" y="20" font-size="13">throughput (req/s) against the number of replicas: reads summed over all nodes, writes on the master</text>`;
  body += `<line x1="${x0}" y1="${y0}" x2="${W - 150}" y2="${y0}" stroke="#888"/><line x1="${x0}" y1="40" x2="${x0}" y2="${y0}" stroke="#888"/>`;
  for (const k of [...new Set(rows.map((r) => r.replicas))]) body += `<text x="${X(k) - 4}" y="${y0 + 16}" font-size="11">${k}</text>`;
  body += `<text x="${x0}" y="${y0 + 32}" font-size="11">replicas</text><text x="4" y="44" font-size="11">${Math.round(maxV)}</text>`;
  series.forEach(([server, field, color, dash], i) => {
    const pts = rows.filter((r) => r.server === server).sort((a, b) => a.replicas - b.replicas).map((r) => `${X(r.replicas).toFixed(1)},${Y(r[field]).toFixed(1)}`);
    if (pts.length) body += `<polyline fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}" points="${pts.join(' ')}"/>`;
    body += `<line x1="${W - 140}" y1="${60 + i * 18}" x2="${W - 115}" y2="${60 + i * 18}" stroke="${color}" stroke-width="2" stroke-dasharray="${dash}"/><text x="${W - 110}" y="${64 + i * 18}" font-size="11">${server} ${field === 'read_rps' ? 'reads' : 'writes'}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">${body}</svg>\n`;
}

const SERVERS = ['shardis', 'redis-server', ...(OLD ? ['shardis-old'] : [])];
const all = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const k of COUNTS) {
    // the order rotates from round to round (and replica count to replica count)
    const s = (round + k) % SERVERS.length;
    for (const kind of [...SERVERS.slice(s), ...SERVERS.slice(0, s)]) {
      const row = await measure(kind === 'redis-server' ? 'redis' : 'shardis', k, kind === 'shardis-old' ? path.resolve(OLD) : undefined);
      row.server = kind;
      row.load_avg_1m = +os.loadavg()[0].toFixed(1);
      all.push(row);
      process.stderr.write(`round ${round + 1}/${ROUNDS} ${kind} replicas=${k}: ${JSON.stringify(row)}\n`);
    }
  }
}
// median per (server, replicas) over rounds
const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const THREAD_FIELDS = ['main', 'shards', 'v8', 'other'].flatMap((g) => [`master_${g}_us_per_write`, `replica_${g}_us_per_write`]).concat('master_main_max_write_rps');
const rows = [];
for (const server of SERVERS) {
  for (const k of COUNTS) {
    const rs = all.filter((r) => r.server === server && r.replicas === k);
    const row = { server, replicas: k };
    for (const f of ['write_rps', 'read_rps', 'lag_ms_p99', 'converge_ms', 'cpu_ms_per_mop_master', 'cpu_ms_per_mop_replica', ...THREAD_FIELDS]) row[f] = median(rs.map((r) => r[f]));
    rows.push(row);
  }
}
console.table(rows);
const table = COUNTS.map((k) => {
  const s = rows.find((r) => r.server === 'shardis' && r.replicas === k);
  const r = rows.find((q) => q.server === 'redis-server' && q.replicas === k);
  const o = rows.find((q) => q.server === 'shardis-old' && q.replicas === k);
  return { replicas: k, write_ratio: +(s.write_rps / r.write_rps).toFixed(2), read_ratio: +(s.read_rps / r.read_rps).toFixed(2), shardis_lag_p99_ms: s.lag_ms_p99, redis_lag_p99_ms: r.lag_ms_p99, ...(o ? { new_vs_old_write: +(s.write_rps / o.write_rps).toFixed(2) } : {}) };
});
console.table(table);
fs.mkdirSync(RESULTS, { recursive: true });
const meta = { date: new Date().toISOString(), load_avg_1m_end: +os.loadavg()[0].toFixed(1), old: OLD, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, shards: SHARDS, n: N, rounds: ROUNDS, quick: QUICK };
fs.writeFileSync(path.join(RESULTS, 'replicas.json'), JSON.stringify({ meta, rows, runs: all }, null, 2));
const throughputSvg = svg(rows);
const lagSvg = lineSvg(rows, 'lag_ms_p99', 'replication lag p99 (ms) during the write benchmark, against the number of replicas');
fs.writeFileSync(path.join(RESULTS, 'replicas.svg'), throughputSvg);
fs.writeFileSync(path.join(RESULTS, 'replicas-lag.svg'), lagSvg);
fs.writeFileSync(
  path.join(RESULTS, 'replicas.html'),
  htmlReport({
    title: 'shardis vs redis-server: throughput and replication lag by replica count',
    notes: `redis-benchmark -P 16 -c 50 -n ${N} -d 16; reads run on every node at once; medians of ${ROUNDS} round(s).`,
    meta,
    charts: [
      { title: 'Throughput', svg: throughputSvg },
      { title: 'Replication lag', svg: lagSvg },
    ],
    tables: [
      { title: 'Medians per server and replica count', rows },
      { title: 'shardis / redis-server', rows: table },
    ],
  }),
);
console.log(`wrote ${RESULTS}/replicas.json, replicas.svg, replicas-lag.svg and replicas.html`);

