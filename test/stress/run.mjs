// The test suite under load (npm run test:stress): runs `vitest run` while a bounded background load
// keeps the machine's cores busy, and exits with vitest's status. The suite must pass on a busy
// machine: no test may depend on how fast the machine is.
//
// The load: a redis-server of its own on 127.0.0.1 (a free port, a temporary directory, no
// persistence) and STRESS_CLIENTS (default: one per core) redis-benchmark processes hammering it
// with pipelined SET/GET/INCR/LPUSH, restarted as they finish. It is bounded: it stops when the suite
// ends, and in any case after STRESS_MAX_MINUTES (default 30; the suite is then killed too, as hung).
// Every process started here is killed at the end, also when the suite fails or this script is
// interrupted; a watchdog shell kills the redis-server should this script itself be SIGKILLed.
//
//   npm run test:stress                     # whole suite under load
//   npm run test:stress -- test/pubsub.test.ts   # arguments go to vitest
//
// Prints how long the suite took and how much load ran meanwhile (commands the load server
// processed), the figures the README records.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENTS = Number(process.env.STRESS_CLIENTS ?? os.cpus().length);
const MAX_MS = Number(process.env.STRESS_MAX_MINUTES ?? 30) * 60_000;
const started = Date.now();
const children = new Set();
let stopping = false;

const log = (m) => process.stderr.write(`[stress] ${m}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function track(proc) {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

let watchdog = null;
let vitest = null;
let loadDir = null;

function killAll() {
  stopping = true;
  for (const p of children) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    // vitest runs in a process group of its own: its workers and the servers they started go too
    if (p === vitest) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        p.kill('SIGKILL');
      }
    } else p.kill('SIGKILL');
  }
  if (watchdog && watchdog.exitCode === null) watchdog.kill('SIGKILL'); // its server is gone already
  if (loadDir) fs.rmSync(loadDir, { recursive: true, force: true });
}

function need(bin) {
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
    log(`${bin} is required (apt-get install redis-server redis-tools)`);
    process.exit(2);
  }
}

async function startLoadServer() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-stress-'));
  loadDir = dir;
  const proc = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`load redis-server not ready:\n${out}`)), 120_000);
    const check = () => {
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    proc.stdout.on('data', check);
    proc.once('exit', (code) => reject(new Error(`load redis-server exited ${code}:\n${out}`)));
  });
  // should this script be SIGKILLed, the server must not outlive it
  watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 2; done; kill -9 ${proc.pid} 2>/dev/null`], { stdio: 'ignore', detached: true });
  watchdog.unref();
  return { port, proc, dir };
}

/** One load client: redis-benchmark runs back to back until the suite ends or the time is up. */
async function loadClient(port, i) {
  while (!stopping && Date.now() - started < MAX_MS) {
    const p = track(
      spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-q', '-c', '8', '-P', '16', '-n', '2000000', '-r', '100000', '-d', '64', '-t', 'set,get,incr,lpush'], { stdio: 'ignore' }),
    );
    await new Promise((resolve) => p.once('exit', resolve));
    if (!stopping && p.exitCode !== 0 && p.signalCode === null) {
      log(`load client ${i}: redis-benchmark exited ${p.exitCode}; retrying in 1 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function commandsProcessed(port) {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'stats'], { encoding: 'utf8', timeout: 30_000 });
  const m = /total_commands_processed:(\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : null;
}

async function main() {
  for (const b of ['redis-server', 'redis-benchmark', 'redis-cli']) need(b);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      log(`${sig}: stopping the load and the suite`);
      killAll();
      process.exit(130);
    });
  }
  process.on('exit', killAll);

  const load = await startLoadServer();
  log(`load: redis-server on 127.0.0.1:${load.port}, ${CLIENTS} redis-benchmark client(s), at most ${MAX_MS / 60_000} min`);
  const clients = Array.from({ length: CLIENTS }, (_, i) => loadClient(load.port, i));
  // let the load get going before the suite starts
  await new Promise((r) => setTimeout(r, 2000));

  const t0 = Date.now();
  vitest = track(spawn(path.join(ROOT, 'node_modules/.bin/vitest'), ['run', ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', detached: true }));
  const hung = setTimeout(() => {
    log(`the suite is still running after ${MAX_MS / 60_000} min: killed as hung`);
    killAll();
  }, Math.max(60_000, MAX_MS - (t0 - started)));
  const code = await new Promise((resolve) => vitest.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  clearTimeout(hung);
  const suiteMs = Date.now() - t0;
  const loadCommands = commandsProcessed(load.port);

  killAll();
  await Promise.all(clients);
  const loadRan = loadCommands !== null && loadCommands > 0;
  log(`suite ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${(suiteMs / 1000).toFixed(0)} s under load; ` + `the load server processed ${loadCommands ?? '?'} commands meanwhile (${os.cpus().length} cores, ${new Date().toISOString()})`);
  if (!loadRan) log('the background load did not run: this was not a stress run');
  process.exit(code === 0 && loadRan ? 0 : 1);
}

main().catch((e) => {
  log(String(e?.stack ?? e));
  killAll();
  process.exit(1);
});
