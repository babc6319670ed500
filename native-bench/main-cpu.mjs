// The main thread's CPU per request of several server command lines, rounds alternating their order:
// CPU time from /proc/PID/task/PID/schedstat (the scheduler's run time in ns, not 10 ms ticks, so a
// short run still resolves 0.01 µs per request) and the thread's voluntary / involuntary context
// switches per 1000 requests from .../status. For experiments: any command line that serves RESP on
// a port, e.g. one build against another, or a scratch build with a part of the request path cut out.
//   node native-bench/main-cpu.mjs [--rounds 3] [--tests get,set] [--pipelines 16,1] [--requests N] \
//     -- 'name=node dist/main.js --port PORT --shards 1 --save EMPTY' 'ceiling=node native-bench/ceiling.mjs --port PORT'
// PORT is replaced by a free port, EMPTY by an empty argument. P1 runs use a quarter of N requests.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const ROUNDS = Number(opt('--rounds', '3'));
const TESTS = opt('--tests', 'get,set').split(',');
const PIPELINES = opt('--pipelines', '16,1').split(',').map(Number);
const N = Number(opt('--requests', '1000000'));
const sep = args.indexOf('--');
if (sep < 0) {
  console.error("usage: node native-bench/main-cpu.mjs [options] -- 'name=command line with PORT' ...");
  process.exit(2);
}
const specs = args.slice(sep + 1).map((s) => {
  const i = s.indexOf('=');
  return { name: s.slice(0, i), argv: s.slice(i + 1).split(' ').filter(Boolean) };
});

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
/** The main thread's run time so far, µs. */
const runUs = (pid) => Number(fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
const switches = (pid) => {
  const t = fs.readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
  return [Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(t)[1]), Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(t)[1])];
};
const bench = (port, extra, timeout = 300_000) =>
  spawnSync('redis-benchmark', ['-p', String(port), '-c', '50', '-d', '16', '-r', '100000', ...extra], { encoding: 'utf8', timeout });

const results = {}; // `${test} P${P}` -> name -> [{ us, vcs, ics, rps }]
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...specs].reverse() : specs;
  for (const sp of order) {
    const port = await freePort();
    const argv = sp.argv.map((x) => (x === 'PORT' ? String(port) : x === 'EMPTY' ? '' : x));
    const proc = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    try {
      let up = false;
      for (let i = 0; i < 600 && !up; i++) {
        up = spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() === 'PONG';
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      if (!up) throw new Error(`${sp.name} did not start`);
      bench(port, ['-t', TESTS.join(','), '-P', '16', '-n', '50000', '-q']); // warm-up
      for (const P of PIPELINES)
        for (const t of TESTS) {
          const n = P === 1 ? Math.floor(N / 4) : N;
          const us0 = runUs(proc.pid);
          const cs0 = switches(proc.pid);
          const r = bench(port, ['-t', t, '-P', String(P), '-n', String(n), '--csv']);
          if (r.status !== 0) throw new Error(`redis-benchmark failed on ${sp.name}: ${r.stderr}`);
          const us1 = runUs(proc.pid);
          const cs1 = switches(proc.pid);
          const rps = Number(r.stdout.trim().split('\n').pop().split(',')[1].replace(/"/g, ''));
          const key = `${t} P${P}`;
          ((results[key] ??= {})[sp.name] ??= []).push({ us: (us1 - us0) / n, vcs: ((cs1[0] - cs0[0]) * 1000) / n, ics: ((cs1[1] - cs0[1]) * 1000) / n, rps });
        }
    } finally {
      proc.kill('SIGTERM');
      if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
    }
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done, load ${os.loadavg()[0].toFixed(1)}\n`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const [key, byName] of Object.entries(results)) {
  console.log(key);
  for (const [name, xs] of Object.entries(byName)) {
    console.log(
      `  ${name.padEnd(12)} main ${median(xs.map((x) => x.us)).toFixed(2)} µs/req (rounds ${xs.map((x) => x.us.toFixed(2)).join(' ')}), ` +
        `switches per 1k req: voluntary ${median(xs.map((x) => x.vcs)).toFixed(1)}, involuntary ${median(xs.map((x) => x.ics)).toFixed(1)}; ${Math.round(median(xs.map((x) => x.rps)))} req/s`,
    );
  }
}
