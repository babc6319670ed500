/*
 * maxmemory is compared with the used_memory INFO reports (less mem_not_counted_for_evict), as in
 * Redis: Redis 7.0.15's own tests (tracking.tcl, info.tcl) set maxmemory to that figure plus some kB
 * and write past it. Each test runs the same steps on shardis (4 shards) and on redis-server 7.
 * Also the latency events of the shards' own cycles: expire-cycle (both servers), eviction-cycle and
 * eviction-del (shardis only: redis-server's eviction calls stop after ~500 us at the default
 * maxmemory-eviction-tenacity, under the smallest threshold, 1 ms).
 */

import { afterAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { info } from './helpers/replication.js';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
const procs: Proc[] = [];
const clients: Redis[] = [];
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(procs.map((p) => p.stop()));
});

type Server = 'shardis' | 'redis-server';
const servers: Server[] = haveBinaries('redis-server') ? ['shardis', 'redis-server'] : ['shardis'];

async function connect(server: Server): Promise<Redis> {
  const p = server === 'shardis' ? await startShardis({ shards: 4 }) : await startRedis(['--save', '']);
  procs.push(p);
  const c = new Redis({ port: p.port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  clients.push(c);
  return c;
}

/** What maxmemory is compared with: INFO used_memory less mem_not_counted_for_evict. */
async function counted(c: Redis): Promise<number> {
  const m = await info(c, 'memory');
  return Number(m.used_memory) - Number(m.mem_not_counted_for_evict);
}

describe.each(servers)('maxmemory against used_memory (%s)', (server) => {
  it('a write is refused with OOM once a value takes used_memory past maxmemory (noeviction)', async () => {
    const c = await connect(server);
    await c.config('SET', 'maxmemory-policy', 'noeviction');
    await c.config('SET', 'maxmemory', String((await counted(c)) + 100 * 1024));
    // under the limit: writes go through
    expect(await c.set('small', 'v')).toBe('OK');
    // 200 kB: past the limit
    expect(await c.setbit('big', 1_600_000, 0)).toBe(0);
    await expect(c.set('other', 'v')).rejects.toThrow(OOM);
    // reads and deletes still work
    expect(await c.getbit('big', 0)).toBe(0);
    expect(await c.get('small')).toBe('v');
    expect(await c.del('big')).toBe(1);
    await c.config('SET', 'maxmemory', '0');
  });

  it('a key with a TTL is evicted before the next command once a value takes used_memory past maxmemory (volatile-random)', async () => {
    const c = await connect(server);
    await c.config('SET', 'maxmemory', String((await counted(c)) + 100 * 1024));
    await c.config('SET', 'maxmemory-policy', 'volatile-random');
    await c.setex('volatile-key', 10000, 'x');
    expect(await c.get('volatile-key')).toBe('x');
    expect(await c.setbit('big-key', 1_600_000, 0)).toBe(0);
    // the next command (on another shard than volatile-key's in shardis) evicts it first
    expect(await c.getbit('big-key', 0)).toBe(0);
    expect(await c.exists('volatile-key')).toBe(0);
    expect(Number((await info(c, 'stats')).evicted_keys)).toBe(1);
    // the key without a TTL stays: nothing else to evict under a volatile policy
    expect(await c.exists('big-key')).toBe(1);
    await c.config('SET', 'maxmemory', '0');
  });

  it('the active expiry cycle records an expire-cycle latency event over latency-monitor-threshold', async () => {
    const c = await connect(server);
    await c.config('SET', 'latency-monitor-threshold', '1');
    // 100,000 keys expiring together: the cycles that remove them take milliseconds
    for (let b = 0; b < 10; b++) {
      const p = c.pipeline();
      for (let i = 0; i < 10_000; i++) p.set(`k:${b}:${i}`, 'v', 'PX', 200);
      await p.exec();
    }
    await waitFor(async () => (await c.dbsize()) === 0, 'the keys expired by the active cycle');
    const latest = (await c.call('LATENCY', 'LATEST')) as [string, number, number, number][];
    const ev = latest.find((e) => e[0] === 'expire-cycle');
    expect(ev).toBeDefined();
    expect(ev![2]).toBeGreaterThanOrEqual(1);
    const history = (await c.call('LATENCY', 'HISTORY', 'expire-cycle')) as [number, number][];
    expect(history.length).toBeGreaterThan(0);
  });
});

describe('latency events of eviction (shardis)', () => {
  it('evicting keys records eviction-cycle and eviction-del latency events over latency-monitor-threshold', async () => {
    const p = await startShardis({ shards: 4, args: ['--enable-debug-command', 'yes'] });
    procs.push(p);
    const c = new Redis({ port: p.port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    clients.push(c);
    await c.call('DEBUG', 'POPULATE', '200000');
    await c.config('SET', 'latency-monitor-threshold', '1');
    await c.config('SET', 'maxmemory-policy', 'allkeys-random');
    // room for all but ~10 MB of the data: tens of thousands of keys go, calls of milliseconds
    await c.config('SET', 'maxmemory', String((await counted(c)) - 10_000_000));
    await c.set('x', 'y');
    await waitFor(async () => Number((await info(c, 'stats')).evicted_keys) > 0, 'evictions');
    await waitFor(async () => {
      const latest = (await c.call('LATENCY', 'LATEST')) as [string, number, number, number][];
      return latest.some((e) => e[0] === 'eviction-cycle') && latest.some((e) => e[0] === 'eviction-del');
    }, 'eviction-cycle and eviction-del in LATENCY LATEST');
    await c.config('SET', 'maxmemory', '0');
  });
});
