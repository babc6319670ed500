/*
 * Network namespaces for fault tests (root only): two namespaces joined by a veth pair with private
 * addresses (10.200.N.1 and 10.200.N.2, on the pair only; nothing is routed out of them), a shardis
 * started inside a namespace, a unix-socket forwarder so the test (in the root namespace) reaches
 * it, a cut and a heal of the link, and a cleanup that runs in afterAll and at process exit.
 *
 * netnsAvailable(): false (with a loud message) where `ip netns` is not permitted; with CI=true it
 * throws instead.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAIN, ROOT } from './server.js';

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** True when this process may create network namespaces and veth pairs. */
export function netnsAvailable(): boolean {
  const probe = `fzprobe${process.pid}`;
  const r = ip(['netns', 'add', probe]);
  if (r.ok) ip(['netns', 'del', probe]);
  if (r.ok) return true;
  const why = `ip netns is not permitted here (${r.err || 'no ip binary'}); the partition tests need root and iproute2`;
  if (process.env.CI === 'true') throw new Error(`${why}: required in CI`);
  console.warn(`\n!!!!! SKIPPING: ${why}; they run in CI !!!!!\n`);
  return false;
}

export interface NsServer {
  ns: string;
  proc: ChildProcess;
  /** Port inside the namespace. */
  port: number;
  /** Unix socket in the root namespace that forwards to 127.0.0.1:port inside the namespace. */
  sock: string;
  output(): string;
  alive(): boolean;
  kill(): Promise<void>;
}

const FORWARDER = `
const net = require('node:net');
const [sock, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), '127.0.0.1');
  c.pipe(u); u.pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
  c.on('close', () => u.destroy()); u.on('close', () => c.destroy());
}).listen(sock, () => console.log('forwarding'));
`;

/** Two namespaces joined by a veth pair: `a` holds 10.200.N.1, `b` holds 10.200.N.2. */
export class NetnsPair {
  readonly a: string;
  readonly b: string;
  readonly addrA: string;
  readonly addrB: string;
  private readonly vethA: string;
  private readonly vethB: string;
  private readonly procs: ChildProcess[] = [];
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-netns-'));
  private readonly onExit = (): void => this.destroySync();

  constructor() {
    const id = `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
    this.a = `fzm${id}`;
    this.b = `fzr${id}`;
    this.vethA = `fza${id}`.slice(0, 15);
    this.vethB = `fzb${id}`.slice(0, 15);
    const n = 1 + Math.floor(Math.random() * 250);
    this.addrA = `10.200.${n}.1`;
    this.addrB = `10.200.${n}.2`;
    process.once('exit', this.onExit);
    const steps: string[][] = [
      ['netns', 'add', this.a],
      ['netns', 'add', this.b],
      ['-n', this.a, 'link', 'set', 'lo', 'up'],
      ['-n', this.b, 'link', 'set', 'lo', 'up'],
      ['link', 'add', this.vethA, 'netns', this.a, 'type', 'veth', 'peer', 'name', this.vethB, 'netns', this.b],
      ['-n', this.a, 'addr', 'add', `${this.addrA}/30`, 'dev', this.vethA],
      ['-n', this.b, 'addr', 'add', `${this.addrB}/30`, 'dev', this.vethB],
      ['-n', this.a, 'link', 'set', this.vethA, 'up'],
      ['-n', this.b, 'link', 'set', this.vethB, 'up'],
    ];
    for (const s of steps) {
      const r = ip(s);
      if (!r.ok) {
        this.destroySync();
        throw new Error(`ip ${s.join(' ')} failed: ${r.err}`);
      }
    }
  }

  /** Cut the link between the namespaces (both directions: the veth end goes down). */
  cut(): void {
    const r = ip(['-n', this.a, 'link', 'set', this.vethA, 'down']);
    if (!r.ok) throw new Error(`cutting the link failed: ${r.err}`);
  }

  heal(): void {
    const r = ip(['-n', this.a, 'link', 'set', this.vethA, 'up']);
    if (!r.ok) throw new Error(`healing the link failed: ${r.err}`);
  }

  /** Start shardis (dist/main.js) inside namespace `ns`, listening on 127.0.0.1 and its veth address. */
  async startShardis(ns: string, args: string[]): Promise<NsServer> {
    const addr = ns === this.a ? this.addrA : this.addrB;
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN, '--port', '0', '--bind', '127.0.0.1', addr, '--protected-mode', 'no', '--save', '', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.procs.push(proc);
    const out: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        out.push(d.toString());
        const m = /Ready to accept connections tcp \(port (\d+)\)/.exec(out.join(''));
        if (m) resolve(Number(m[1]));
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`shardis in ${ns} exited with ${code}:\n${out.join('')}`)));
    });
    const sock = path.join(this.dir, `${ns}-${port}.sock`);
    const fwd = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', FORWARDER, sock, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(fwd);
    await new Promise<void>((resolve, reject) => {
      fwd.stdout!.once('data', () => resolve());
      fwd.once('exit', (code) => reject(new Error(`forwarder in ${ns} exited with ${code}`)));
    });
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    return {
      ns,
      proc,
      port,
      sock,
      output: () => out.join(''),
      alive: () => proc.exitCode === null && proc.signalCode === null,
      async kill() {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await exited;
        fwd.kill('SIGKILL');
      },
    };
  }

  /** Kill everything started here and delete the namespaces (idempotent). */
  destroySync(): void {
    for (const p of this.procs) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGCONT');
        p.kill('SIGKILL');
      }
    }
    // processes still inside would keep the namespace's network alive: ip netns pids finds them
    for (const ns of [this.a, this.b]) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      ip(['netns', 'del', ns]);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    process.removeListener('exit', this.onExit);
  }
}
