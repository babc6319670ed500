/*
 * The admin dashboard in a real browser (headless Chromium over the DevTools pipe): a master and two
 * replicas, all with requirepass; the page asks for credentials, shows the topology with both replicas
 * and their lag, links to the replicas' dashboards, shows ops/s moving while redis-benchmark runs,
 * and follows REPLICAOF NO ONE on a replica. A screenshot goes to test-artifacts/ (not committed).
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { binary, freePort, ROOT, startShardis, waitFor, type Proc } from './helpers/server.js';
import { Browser, CHROMIUM } from './helpers/browser.js';

const PASS = 'dash-secret';
if (!CHROMIUM && process.env.CI === 'true') throw new Error('chromium is required in CI (apt-get install chromium)');
const HAVE_CHROMIUM = CHROMIUM !== null;
if (!HAVE_CHROMIUM) console.warn('\n!!!!! SKIPPING the dashboard browser tests: chromium is not installed (apt-get install chromium) !!!!!\n');
const BENCH = binary('redis-benchmark');

interface Node {
  proc: Proc;
  admin: number;
  io: Redis;
}

async function node(args: string[] = []): Promise<Node> {
  const admin = await freePort();
  const proc = await startShardis({ shards: 2, args: ['--admin-port', String(admin), '--requirepass', PASS, '--masterauth', PASS, ...args] });
  return { proc, admin, io: new Redis({ port: proc.port, password: PASS }) };
}

describe.skipIf(!HAVE_CHROMIUM || !BENCH)('admin dashboard in headless Chromium', () => {
  let master: Node;
  const replicas: Node[] = [];
  let browser: Browser;

  beforeAll(async () => {
    master = await node();
    for (let i = 0; i < 2; i++) replicas.push(await node(['--replicaof', '127.0.0.1', String(master.proc.port)]));
    await master.io.set('dash:k', 'v');
    await waitFor(async () => (await master.io.info('replication')).match(/state=online/g)?.length === 2, 'two replicas online', 20_000);
    browser = await Browser.launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const n of [master, ...replicas]) {
      if (!n) continue;
      n.io.disconnect();
      await n.proc.stop();
    }
  });

  const text = (sel: string): Promise<string> => browser.eval<string>(`(document.querySelector(${JSON.stringify(sel)}) || {}).textContent || ''`);

  it('asks for credentials: without them the page is a 401', async () => {
    const r = await fetch(`http://127.0.0.1:${master.admin}/`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('shows the master, its two replicas with their lag and links to their dashboards; ops/s moves under redis-benchmark; follows REPLICAOF NO ONE', async () => {
    await browser.authenticate('default', PASS);
    await browser.goto(`http://127.0.0.1:${master.admin}/`);
    await waitFor(async () => (await text('#role')) === 'master', 'role master on the page');
    await waitFor(async () => (await browser.eval<number>(`document.querySelectorAll('#replicas tbody tr').length`)) === 2, 'two replica rows');
    const rows = await browser.eval<string[][]>(`[...document.querySelectorAll('#replicas tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))`);
    const ports = rows.map((r) => r[0]).sort();
    expect(ports).toEqual(replicas.map((r) => `127.0.0.1:${r.proc.port}`).sort());
    for (const r of rows) {
      expect(r[1]).toBe('online');
      expect(r[3]).toMatch(/^\d+$/); // lag in bytes
      expect(r[4]).toMatch(/^\d+$/); // lag in seconds
    }
    // the replicas report their admin ports through INFO server: the rows link to their dashboards
    const links = await waitFor(
      async () => {
        const l = await browser.eval<string[]>(`[...document.querySelectorAll('#replicas tbody a')].map(a => a.href)`);
        return l.length === 2 ? l.sort() : null;
      },
      'links to the replicas dashboards',
      15_000,
    );
    expect(links).toEqual(replicas.map((r) => `http://127.0.0.1:${r.admin}/`).sort());

    // ops/s moves while a bounded redis-benchmark runs
    const bench = spawn(BENCH!, ['-p', String(master.proc.port), '-a', PASS, '-t', 'set,get', '-n', '400000', '-P', '16', '-c', '20', '-r', '10000', '-q'], { stdio: 'ignore' });
    const benchDone = new Promise((r) => bench.once('exit', r));
    try {
      // "12.3k" -> 12300
      const value = (t: string): number => Number.parseFloat(t) * (t.endsWith('M') ? 1e6 : t.endsWith('k') ? 1e3 : 1);
      const ops = await waitFor(
        async () => {
          const v = value(await text('#ops'));
          return v >= 1000 ? v : null;
        },
        'ops/s above 1000 on the page',
        30_000,
        100,
      );
      expect(ops).toBeGreaterThanOrEqual(1000);
      const legend = await text('#chart-families');
      expect(legend).toContain('string');
      await browser.screenshot(path.join(ROOT, 'test-artifacts/dashboard.png'));
    } finally {
      await benchDone;
    }

    // a replica's own dashboard: its role, then its promotion
    const r0 = replicas[0]!;
    await browser.goto(`http://127.0.0.1:${r0.admin}/`);
    await waitFor(async () => (await text('#role')) === 'slave', 'role slave on the replica page');
    expect(await text('#topology')).toContain(`master 127.0.0.1:${master.proc.port}`);
    // and links to its master's dashboard (the admin port it read from the master's INFO server)
    const up = await waitFor(async () => browser.eval<string | null>(`(document.querySelector('#topology a') || {}).href?.baseVal ?? null`), 'link to the master dashboard', 15_000);
    expect(up).toBe(`http://127.0.0.1:${master.admin}/`);
    await r0.io.replicaof('NO', 'ONE');
    await waitFor(async () => (await text('#role')) === 'master', 'role master after REPLICAOF NO ONE', 10_000);
    await browser.screenshot(path.join(ROOT, 'test-artifacts/dashboard-promoted.png'));
    // and the old master's page has one replica left
    await browser.goto(`http://127.0.0.1:${master.admin}/`);
    await waitFor(async () => (await browser.eval<number>(`document.querySelectorAll('#replicas tbody tr').length`)) === 1, 'one replica row left on the master page');
    expect(await text('#replicas tbody td')).toBe(`127.0.0.1:${replicas[1]!.proc.port}`);
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
