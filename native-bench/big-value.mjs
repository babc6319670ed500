// One huge SET then GET of it, on redis-server and on shardis alternately (a fresh server each time):
// time of each and the server's peak resident memory (VmHWM of /proc/<pid>/status; VmRSS sampled too).
// npm run bench:big-value [-- --mb N (400)] [--rounds N (2)] [--shards N (cores - 1)] [--smoke]
// Writes bench-results/big-value.json. The value is checked byte for byte as the GET reply streams in.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RESULTS, startServer, stopServer } from './run.mjs';

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const SMOKE = args.includes('--smoke'); // the test suite's run: a few MB, one round
const MB = opt('--mb', SMOKE ? 4 : 400);
const ROUNDS = opt('--rounds', SMOKE ? 1 : 2);
const SHARDS = opt('--shards', Math.max(1, os.cpus().length - 1));
const N = MB * 1024 * 1024;

const value = Buffer.allocUnsafe(N);
for (let i = 0; i < N; i += 4) value.writeUInt32LE(((i * 2654435761) ^ 0x5eed) >>> 0, i);

function status(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(s)[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Send `req` (array of buffers) and resolve with the time until the reply `check` accepts is complete. */
function roundTrip(sock, req, onData) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const handler = (d) => {
      try {
        if (onData(d)) {
          sock.off('data', handler);
          resolve(Number(process.hrtime.bigint() - t0) / 1e9);
        }
      } catch (e) {
        sock.off('data', handler);
        reject(e);
      }
    };
    sock.on('data', handler);
    for (const b of req) sock.write(b);
  });
}

async function one(kind) {
  const s = await startServer(kind, kind === 'shardis' ? SHARDS : 1);
  const pid = s.proc.pid;
  let sampledPeak = 0;
  const timer = setInterval(() => {
    try {
      sampledPeak = Math.max(sampledPeak, status(pid).rss);
    } catch {}
  }, 20);
  try {
    const base = status(pid).rss;
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let got = '';
    const setS = await roundTrip(sock, [Buffer.from(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${N}\r\n`), value, Buffer.from('\r\n')], (d) => {
      got += d.toString('latin1');
      if (!got.endsWith('\r\n')) return false;
      if (got !== '+OK\r\n') throw new Error(`${kind}: SET answered ${JSON.stringify(got.slice(0, 200))}`);
      return true;
    });
    const afterSet = status(pid);
    // GET: the header, then N bytes compared with the value as they come, then CRLF
      let off = -1;
    const getS = await roundTrip(sock, [Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n')], (d) => {
      let p = 0;
      if (off < 0) {
        const text = d.toString('latin1', 0, Math.min(d.length, 32));
        const nl = text.indexOf('\r\n');
        if (nl < 0 || text.slice(0, nl) !== `$${N}`) throw new Error(`${kind}: GET answered ${JSON.stringify(text)}`);
        p = nl + 2;
        off = 0;
      }
      const take = Math.min(d.length - p, N - off);
      if (take > 0 && !d.subarray(p, p + take).equals(value.subarray(off, off + take))) throw new Error(`${kind}: GET bytes differ near offset ${off}`);
      off += d.length - p; // the value's bytes, then the final CRLF
      return off >= N + 2;
    });
    const afterGet = status(pid);
    sock.destroy();
    return { server: kind, shards: s.shards, mb: MB, set_s: +setS.toFixed(4), get_s: +getS.toFixed(4), rss_start_mb: +(base / 1048576).toFixed(0), rss_after_set_mb: +(afterSet.rss / 1048576).toFixed(0), peak_after_set_mb: +(afterSet.hwm / 1048576).toFixed(0), peak_mb: +(afterGet.hwm / 1048576).toFixed(0), sampled_peak_mb: +(sampledPeak / 1048576).toFixed(0) };
  } finally {
    clearInterval(timer);
    await stopServer(s);
  }
}

const rows = [];
for (let r = 0; r < ROUNDS; r++) for (const kind of ['redis-server', 'shardis']) rows.push(await one(kind));
console.table(rows);
const mean = (kind, k) => rows.filter((x) => x.server === kind).reduce((a, x) => a + x[k], 0) / ROUNDS;
const ratio = (k) => +(mean('shardis', k) / mean('redis-server', k)).toFixed(2);
const summary = { set_time: ratio('set_s'), get_time: ratio('get_s'), peak_after_set: ratio('peak_after_set_mb'), peak: ratio('peak_mb') };
console.log(`shardis / redis-server (mean of ${ROUNDS} alternating rounds): SET time ${summary.set_time}, GET time ${summary.get_time}, peak RSS after SET ${summary.peak_after_set}, peak RSS after GET ${summary.peak}`);
fs.mkdirSync(RESULTS, { recursive: true });
fs.writeFileSync(path.join(RESULTS, 'big-value.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), rows, ratios: summary }, null, 2));
