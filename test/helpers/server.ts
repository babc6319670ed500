/*
 * Test helpers: start shardis (built dist/main.js) or a reference redis-server as a child process on a
 * free port, and find the Debian binaries the interop tests need.
 *
 * Binaries: outside CI a missing binary skips the test with a loud message; with CI=true it fails.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { CEILING_MS, waitFor as waitUntil, type Truthy, type WaitOptions } from './wait.js';

export { CEILING_MS, sleep, within, type Truthy, type WaitOptions } from './wait.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = path.join(ROOT, 'dist/main.js');

export interface Proc {
  port: number;
  host: string;
  proc: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

function wrap(proc: ChildProcess, port: number, out: string[]): Proc {
  const exited = new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null) resolve(proc.exitCode);
    else proc.once('exit', (code) => resolve(code));
  });
  return {
    port,
    host: '127.0.0.1',
    proc,
    exited,
    output: () => out.join(''),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      // a clean shutdown on a busy machine can be slow; SIGKILL only a process that hangs
      const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Where freePort() picks: below the kernel's ephemeral range. Outgoing connections (every client a
 * test opens) and port-0 listeners (every server the tests start) take their ports from that range,
 * so a port found free there could be taken again before the test's server binds it (seen: "admin
 * endpoint: cannot listen on 127.0.0.1:45179" with the suite's clients running).
 */
const PICK_RANGE: [number, number] = (() => {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (low > 12000) return [10000, low];
  } catch {
    // not Linux: the kernel's choice below
  }
  return [0, 0];
})();

/** Listen on 127.0.0.1:port (0: any) and close again; the port, or null if it was taken. */
function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

/** A TCP port that was free a moment ago, outside the range the kernel hands out by itself. */
export async function freePort(): Promise<number> {
  const [lo, hi] = PICK_RANGE;
  for (let i = 0; lo < hi && i < 50; i++) {
    const port = await tryListen(lo + Math.floor(Math.random() * (hi - lo)));
    if (port !== null) return port;
  }
  const port = await tryListen(0);
  if (port === null) throw new Error('no free port');
  return port;
}

export interface StartOptions {
  shards?: number;
  /** Extra command-line arguments (redis-server syntax), e.g. ['--requirepass', 'x'] or a config file path first. */
  args?: string[];
  /** Fixed port instead of port 0. */
  port?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Start shardis on port 0 (or opts.port) and resolve once it logs its ready line. */
export async function startShardis(opts: StartOptions = {}): Promise<Proc> {
  const args = [MAIN, ...(opts.args ?? [])];
  if (!args.includes('--port')) args.push('--port', String(opts.port ?? 0));
  if (!args.includes('--shards')) args.push('--shards', String(opts.shards ?? 1));
  if (!args.includes('--save')) args.push('--save', '');
  // a directory of its own unless the test gives one: files a server writes there (dump.rdb on
  // SHUTDOWN SAVE or a save point, appendonlydir) are never loaded by another test's server
  const ownDir = opts.cwd === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-test-')) : null;
  const proc = spawn(process.execPath, args, { cwd: opts.cwd ?? ownDir!, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (ownDir !== null) proc.once('exit', () => fs.rmSync(ownDir, { recursive: true, force: true }));
  return whenReady(proc, 'shardis', (out) => {
    const m = /Ready to accept connections tcp \(port (\d+)\)/.exec(out);
    return m ? Number(m[1]) : null;
  });
}

/**
 * Resolve with the wrapped process once `ready` finds its port in what it wrote so far; reject (and
 * SIGKILL it) if it exits first or stays silent past the hang ceiling.
 */
function whenReady(proc: ChildProcess, name: string, ready: (out: string) => number | null): Promise<Proc> {
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    let done = false;
    const onData = (d: Buffer): void => {
      out.push(d.toString());
      if (done) return;
      const port = ready(out.join(''));
      if (port !== null) {
        done = true;
        clearTimeout(hung);
        resolve(wrap(proc, port, out));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    const hung = setTimeout(() => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      reject(new Error(`${name} not ready after ${CEILING_MS} ms:\n${out.join('')}`));
    }, CEILING_MS);
    proc.once('exit', (code) => {
      clearTimeout(hung);
      if (!done) {
        done = true;
        reject(new Error(`${name} exited with ${code} before ready:\n${out.join('')}`));
      }
    });
  });
}

/** Path of a Debian binary, or null. With CI=true a missing binary throws. */
export function binary(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = r.status === 0 ? r.stdout.trim() : '';
  if (p) return p;
  if (process.env.CI === 'true') throw new Error(`${name} is required in CI but is not installed`);
  console.warn(`\n!!!!! SKIPPING: ${name} is not installed (apt-get install redis-server redis-tools redis-sentinel); these tests run in CI !!!!!\n`);
  return null;
}

/** True if every named binary is present (see binary()). */
export function haveBinaries(...names: string[]): boolean {
  return names.map((n) => binary(n)).every((p) => p !== null);
}

/** Start a reference redis-server on a free port; resolves when it accepts connections. */
export async function startRedis(args: string[] = [], cwd?: string, fixedPort?: number): Promise<Proc> {
  const port = fixedPort ?? (await freePort());
  // a config file, if any, must come first (redis-server syntax)
  const conf = args.length > 0 && !args[0]!.startsWith('--') ? [args[0]!] : [];
  const rest = conf.length > 0 ? args.slice(1) : args;
  // its own directory unless one is given: a replica writes the payload it receives as dump.rdb there,
  // and a later redis-server started in the same directory would load it
  const dir = cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-redis-'));
  const proc = spawn('redis-server', [...conf, '--port', String(port), '--save', '', '--appendonly', 'no', ...rest], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return whenReady(proc, 'redis-server', (out) => (/Ready to accept connections/.test(out) ? port : null));
}

/**
 * Poll `fn` until it returns truthy (and return that value). Two forms: waitFor(fn, { what, ceilingMs })
 * (see ./wait.ts) or the older waitFor(fn, what, ms, every). Either way `ms` is only a hang ceiling: it
 * is raised to the suite's CEILING_MS, so no wait fails because the machine is busy.
 */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string | WaitOptions, ms?: number, every = 50): Promise<Truthy<T>> {
  if (typeof what !== 'string') return waitUntil(fn, what);
  return waitUntil(fn, { what, ceilingMs: ms, everyMs: every });
}
