/*
 * Start real redis-sentinel processes (Debian's redis-sentinel 7) for the high-availability tests.
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type Proc } from './server.js';
import { CEILING_MS } from './wait.js';

export interface SentinelOptions {
  masterName: string;
  masterPort: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  dir: string;
  index: number;
  /** More lines for the sentinel's config file (e.g. sentinel auth-user / auth-pass). */
  extra?: string[];
}

/** Start one redis-sentinel with its own writable config file in `dir`. */
export async function startSentinel(o: SentinelOptions): Promise<Proc & { conf: string }> {
  const port = await freePort();
  const conf = path.join(o.dir, `sentinel-${o.index}.conf`);
  fs.writeFileSync(
    conf,
    [
      `port ${port}`,
      `bind 127.0.0.1`,
      `dir ${o.dir}`,
      `sentinel monitor ${o.masterName} 127.0.0.1 ${o.masterPort} ${o.quorum}`,
      `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
      `sentinel failover-timeout ${o.masterName} ${o.failoverTimeoutMs}`,
      `sentinel parallel-syncs ${o.masterName} 1`,
      ...(o.extra ?? []),
      '',
    ].join('\n'),
  );
  const proc = spawn('redis-sentinel', [conf], { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const end = Date.now() + CEILING_MS;
    const t = setInterval(() => {
      if (Date.now() > end) {
        clearInterval(t);
        proc.kill('SIGKILL');
        reject(new Error(`redis-sentinel not ready after ${CEILING_MS} ms:\n${out.join('')}`));
      }
      if (/Sentinel ID is|monitor master/.test(out.join(''))) {
        clearInterval(t);
        resolve();
      }
      if (proc.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`redis-sentinel exited:\n${out.join('')}`));
      }
    }, 20);
  });
  return {
    port,
    host: '127.0.0.1',
    proc,
    conf,
    exited,
    output: () => out.join(''),
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
