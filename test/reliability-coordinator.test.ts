/*
 * Reliability of multi-shard commands: the coordinator never stalls the main thread (split commands
 * next to commands holding shard locks, a replica attaching while clients run cross-shard commands),
 * and a multi-key command's bad arguments are refused before any shard is touched.
 *
 * Load tests are bounded (a fixed number of requests per client) with generous ceilings: they assert
 * that every request completes, never how fast.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import { expectDistinctShards } from './helpers/shards.js';
import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { haveBinaries, startShardis, type Proc } from './helpers/server.js';
import { contents, waitInSync } from './helpers/replication.js';

const FAST = ['--repl-diskless-sync-delay', '0'];
const { procs, client } = useProcesses();

/** With 2 shards, {a}... and {b}... live on different shards (slots 15495 and 3300), asserted. */
const A = '{a}x';
const B = '{b}y';
expectDistinctShards([A, B], 2);

async function shardis(args: string[] = [], shards = 2): Promise<Proc> {
  const p = await startShardis({ args: [...FAST, ...args], shards });
  procs.push(p);
  return p;
}

/** Requests completed so far by each loop (for the failure message). */
const progress = new Map<string, number>();

/** Run `n` requests one after another, counting completions under `name`. */
async function loop(name: string, n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  progress.set(name, 0);
  for (let i = 0; i < n; i++) {
    await fn(i);
    progress.set(name, i + 1);
  }
  return n;
}

/** Every loop finishes within a generous ceiling, or the test fails saying how far each got. */
async function allComplete(loops: { name: string; n: number; run: (name: string, n: number) => Promise<number> }[], ceilingMs = 100_000): Promise<void> {
  progress.clear();
  const runs = loops.map((l) => l.run(l.name, l.n));
  let timer: NodeJS.Timeout | undefined;
  const ceiling = new Promise<'stalled'>((r) => (timer = setTimeout(() => r('stalled'), ceilingMs)));
  const res = await Promise.race([Promise.all(runs), ceiling]);
  clearTimeout(timer);
  expect(res, `requests stalled: ${loops.map((l) => `${l.name} ${progress.get(l.name) ?? 0}/${l.n}`).join(', ')}`).not.toBe('stalled');
  for (const l of loops) expect(progress.get(l.name), l.name).toBe(l.n);
}

/** Run redis-benchmark to completion (killed at the ceiling); its exit code and output. */
function benchmark(args: string[], ceilingMs = 100_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), ceilingMs);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe.skipIf(!haveBinaries('redis-benchmark'))('the coordinator under redis-benchmark', () => {
  it('redis-benchmark cross-shard MSET next to two-client cross-shard MGET on a master with a replica completes, and SIGTERM stops the master', async () => {
    const m = await shardis();
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.port)]);
    await waitInSync(client(m.port), client(r.port));
    const [mset, mget] = await Promise.all([
      benchmark(['-p', String(m.port), '-c', '1', '-n', '5000', '-q', 'MSET', A, '1', B, '2']),
      benchmark(['-p', String(m.port), '-c', '2', '-n', '10000', '-q', 'MGET', A, B]),
    ]);
    expect(mset.code, mset.out.slice(-300)).toBe(0);
    expect(mget.code, mget.out.slice(-300)).toBe(0);
    expect(mset.out).toMatch(/MSET .*requests per second/);
    expect(mget.out).toMatch(/MGET .*requests per second/);
    // a stalled main thread ignores SIGTERM: stop() would SIGKILL it after 10 s (exit code null)
    expect(await m.stop()).toBe(0);
  }, 150_000);
});

describe('the coordinator never stalls the main thread', () => {
  it('cross-shard MGETs from several clients next to cross-shard MSETs on a master with a replica all complete', async () => {
    const m = await shardis();
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.port)]);
    const mc = client(m.port);
    const rc = client(r.port);
    await waitInSync(mc, rc);
    const writer = client(m.port);
    const readers = [client(m.port), client(m.port), client(m.port)];
    const N = 2000;
    await allComplete([
      { name: 'MSET', n: N, run: (name, n) => loop(name, n, (i) => writer.mset(A, String(i), B, String(i))) },
      ...readers.map((c, k) => ({ name: `MGET#${k}`, n: N, run: (name, n) => loop(name, n, () => c.mget(A, B)) })),
    ]);
    expect(await mc.ping()).toBe('PONG');
    await waitInSync(mc, rc);
    expect(await rc.mget(A, B)).toEqual([String(N - 1), String(N - 1)]);
  }, 150_000);

  it('cross-shard MGET/DEL/EXISTS next to cross-shard SUNIONSTORE, RENAME and MULTI all complete', async () => {
    const m = await shardis();
    const lockers = [client(m.port), client(m.port), client(m.port)];
    const splitters = [client(m.port), client(m.port), client(m.port), client(m.port)];
    const N = 1000;
    await lockers[0]!.sadd('{a}s', 1, 2);
    await lockers[0]!.sadd('{b}s', 3);
    await allComplete([
      { name: 'SUNIONSTORE', n: N, run: (name, n) => loop(name, n, () => lockers[0]!.sunionstore('{a}u', '{a}s', '{b}s')) },
      {
        name: 'RENAME',
        n: N,
        run: (name, n) => loop(name, n, (i) => lockers[1]!.set('{a}r', i).then(() => lockers[1]!.rename('{a}r', '{b}r'))),
      },
      { name: 'MULTI', n: N, run: (name, n) => loop(name, n, (i) => lockers[2]!.multi().set(A, i).set(B, i).exec()) },
      { name: 'MGET', n: N, run: (name, n) => loop(name, n, () => splitters[0]!.mget(A, B)) },
      { name: 'DEL', n: N, run: (name, n) => loop(name, n, () => splitters[1]!.del('{a}none', '{b}none')) },
      { name: 'EXISTS', n: N, run: (name, n) => loop(name, n, () => splitters[2]!.exists(A, B)) },
      { name: 'MGET#2', n: N, run: (name, n) => loop(name, n, () => splitters[3]!.mget(B, A)) },
    ]);
    expect(await splitters[0]!.smembers('{a}u')).toEqual(expect.arrayContaining(['1', '2', '3']));
  }, 150_000);

  it('a replica attaching while clients run cross-shard MGETs and MSETs gets in sync and every request completes', async () => {
    const m = await shardis();
    const mc = client(m.port);
    const N = 3000;
    const readers = [client(m.port), client(m.port)];
    const writer = client(m.port);
    const attach = (async () => {
      await new Promise((res) => setTimeout(res, 200));
      const r = await shardis();
      const rc = client(r.port);
      await rc.replicaof('127.0.0.1', m.port);
      return rc;
    })();
    await allComplete([
      { name: 'MSET', n: N, run: (name, n) => loop(name, n, (i) => writer.mset(A, String(i), B, String(i))) },
      ...readers.map((c, k) => ({ name: `MGET#${k}`, n: N, run: (name, n) => loop(name, n, () => c.mget(A, B)) })),
    ]);
    const rc = await attach;
    await waitInSync(mc, rc);
    expect(await rc.mget(A, B)).toEqual([String(N - 1), String(N - 1)]);
  }, 150_000);

  it('a cross-shard blocking command that waits and retries never releases the locks of other multi-shard commands (every client completes, the replica equals the master)', async () => {
    const m = await shardis(['--shards', '3']);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.port)]);
    const mc = client(m.port);
    const rc = client(r.port);
    await waitInSync(mc, rc);
    const tags = ['a', 'b', 'c', 'd', 'e'];
    const k = (i: number): string => `{${tags[i % 5]}}k`;
    const N = 800;
    const c = (): Redis => client(m.port);
    const [c1, c2, c3, c4, c5, c6, c7, c8] = [c(), c(), c(), c(), c(), c(), c(), c()];
    await allComplete([
      { name: 'MSET', n: N, run: (name, n) => loop(name, n, (i) => c1!.mset(k(i), i, k(i + 1), i, k(i + 2), i)) },
      { name: 'MGET', n: N, run: (name, n) => loop(name, n, (i) => c2!.mget(k(i), k(i + 3), k(i + 4))) },
      { name: 'SUNIONSTORE', n: N, run: (name, n) => loop(name, n, (i) => c3!.sadd('{a}s', i).then(() => c3!.sunionstore('{b}u', '{a}s', '{c}s'))) },
      { name: 'RENAME', n: N, run: (name, n) => loop(name, n, (i) => c4!.set('{d}r', i).then(() => c4!.rename('{d}r', '{e}r'))) },
      { name: 'MULTI', n: N, run: (name, n) => loop(name, n, (i) => c5!.multi().set(k(i), i).incr('{c}n').get(k(i + 1)).exec()) },
      { name: 'LMOVE', n: N, run: (name, n) => loop(name, n, (i) => c6!.rpush('{a}l', i).then(() => c6!.lmove('{a}l', '{b}l', 'LEFT', 'RIGHT'))) },
      // mostly finds {b}l empty: waits, retries, times out or is served
      { name: 'BLMOVE', n: N, run: (name, n) => loop(name, n, () => c7!.blmove('{b}l', '{c}l', 'LEFT', 'RIGHT', 0.01)) },
      { name: 'EXISTS', n: N, run: (name, n) => loop(name, n, (i) => c8!.exists(k(i), k(i + 1), k(i + 2), k(i + 3))) },
    ]);
    await waitInSync(mc, rc);
    expect([...(await contents(rc))].sort()).toEqual([...(await contents(mc))].sort());
  }, 150_000);
});
