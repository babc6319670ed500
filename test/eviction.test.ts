/*
 * maxmemory: every maxmemory-policy with keys on 4 shards (which keys survive), the OOM error (reads
 * keep working, MULTI/EXEC aborts), evicted_keys and INFO memory, eviction propagated to replicas as
 * DEL / UNLINK, replica-ignore-maxmemory, OBJECT FREQ / IDLETIME under LFU, and DEBUG POPULATE.
 *
 * maxmemory is compared with INFO's used_memory less mem_not_counted_for_evict, as in Redis; between
 * two measures of the threads' memory that figure moves with the shards' dataset estimates (MEMORY
 * USAGE of every key), so the tests size maxmemory as that figure's part outside the data (overhead())
 * plus the bytes of keys (MEMORY USAGE) to keep. Keys are made "old" without sleeping with RESTORE ...
 * IDLETIME. maxmemory-samples is raised to 10 so the sampled approximation is tight.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { haveBinaries, sleep, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { info, waitInSync } from './helpers/replication.js';
import { stopwatch } from './helpers/wait.js';
import { ACCESS, lfuData, lfuDecayed, lfuLogIncr } from './helpers/src.js';
import { evictionTimeLimitUs } from './helpers/src.js';

const procs: Proc[] = [];
const clients: Redis[] = [];
const connect = (p: Proc): Redis => {
  const c = new Redis({ port: p.port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  clients.push(c);
  return c;
};
async function shardis(args: string[] = []): Promise<Proc> {
  const p = await startShardis({ shards: 4, args: ['--enable-debug-command', 'yes', ...args] });
  procs.push(p);
  return p;
}
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all(procs.map((p) => p.stop()));
});

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
const VALUE = 'x'.repeat(100);

/** Sum of MEMORY USAGE over keys. */
async function usage(c: Redis, keys: string[]): Promise<number> {
  const p = c.pipeline();
  for (const k of keys) p.memory('USAGE', k);
  const res = (await p.exec())!;
  return res.reduce((s, [, v]) => s + Number(v ?? 0), 0);
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}:${i}`);

/** Keys set now, optionally with a TTL (seconds, per key). */
async function setKeys(c: Redis, keys: string[], ttl?: (i: number) => number): Promise<void> {
  const p = c.pipeline();
  keys.forEach((k, i) => (ttl ? p.set(k, VALUE, 'EX', ttl(i)) : p.set(k, VALUE)));
  await p.exec();
}

/** Keys last accessed `idle` seconds ago (RESTORE ... IDLETIME). */
async function oldKeys(c: Redis, keys: string[], ttlMs = 0, idle = 10000): Promise<void> {
  await c.set('__tmp', VALUE);
  const payload = await c.dumpBuffer('__tmp');
  await c.del('__tmp');
  const p = c.pipeline();
  for (const k of keys) p.restore(k, ttlMs, payload, 'IDLETIME', idle);
  await p.exec();
}

async function existing(c: Redis, keys: string[]): Promise<string[]> {
  const res = (await c.pipeline(keys.map((k) => ['exists', k])).exec())!;
  return keys.filter((_, i) => res[i]![1] === 1);
}

async function evictedKeys(c: Redis): Promise<number> {
  return Number((await info(c, 'stats')).evicted_keys);
}

/**
 * The memory maxmemory is compared with (INFO used_memory less mem_not_counted_for_evict) outside
 * the data: less the MEMORY USAGE of every key.
 */
async function overhead(c: Redis): Promise<number> {
  const m = await info(c, 'memory');
  const keys: string[] = [];
  for (let cursor = '0'; ; ) {
    const [next, batch] = await c.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    if ((cursor = next) === '0') break;
  }
  return Number(m.used_memory) - Number(m.mem_not_counted_for_evict) - (await usage(c, keys));
}

/** Set maxmemory to leave `bytes` for the data and wait until the shards evicted down to it (they evict in their cron too). */
async function limitTo(c: Redis, bytes: number, all: string[]): Promise<void> {
  await c.config('SET', 'maxmemory', String(Math.round((await overhead(c)) + bytes)));
  await waitFor(async () => (await usage(c, all)) <= bytes, 'eviction down to maxmemory');
}

describe('maxmemory policies (4 shards)', () => {
  let c: Redis;
  beforeAll(async () => {
    c = connect(await shardis());
  });
  beforeEach(async () => {
    await c.config('SET', 'maxmemory', '0');
    await c.flushall();
    await c.config('SET', 'maxmemory-samples', '10');
  });

  it('allkeys-lru evicts the least recently used keys and keeps recently touched ones', async () => {
    await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const old = names('old', 200);
    const hot = names('hot', 50);
    await oldKeys(c, old);
    await setKeys(c, hot);
    const all = [...old, ...hot];
    const before = await evictedKeys(c);
    await limitTo(c, (await usage(c, hot)) + (await usage(c, old)) / 2, all);
    expect((await existing(c, hot)).length).toBeGreaterThanOrEqual(48);
    const oldLeft = (await existing(c, old)).length;
    expect(oldLeft).toBeGreaterThan(60);
    expect(oldLeft).toBeLessThanOrEqual(100);
    expect((await evictedKeys(c)) - before).toBe(all.length - (await c.dbsize()));
  });

  it('volatile-lru evicts only keys with a TTL, least recently used first', async () => {
    await c.config('SET', 'maxmemory-policy', 'volatile-lru');
    const persistent = names('p', 100);
    const volOld = names('vo', 100);
    const volHot = names('vh', 50);
    await oldKeys(c, persistent);
    // (not EXPIRE after: it touches the key, as in Redis)
    await oldKeys(c, volOld, 10_000_000);
    await setKeys(c, volHot, () => 10000);
    const all = [...persistent, ...volOld, ...volHot];
    await limitTo(c, (await usage(c, all)) - (await usage(c, volOld)) / 2, all);
    expect(await existing(c, persistent)).toEqual(persistent);
    expect((await existing(c, volHot)).length).toBeGreaterThanOrEqual(48);
    expect((await existing(c, volOld)).length).toBeLessThanOrEqual(50);
  });

  it('volatile-ttl evicts the keys nearest to expiring first, and never keys without TTL', async () => {
    await c.config('SET', 'maxmemory-policy', 'volatile-ttl');
    const persistent = names('p', 50);
    const vol = names('t', 100);
    await setKeys(c, persistent);
    await setKeys(c, vol, (i) => 1000 + i * 100);
    const all = [...persistent, ...vol];
    await limitTo(c, (await usage(c, all)) - (await usage(c, vol)) / 2, all);
    expect(await existing(c, persistent)).toEqual(persistent);
    const left = new Set(await existing(c, vol));
    const longest = vol.slice(60).filter((k) => left.has(k)).length;
    const shortest = vol.slice(0, 40).filter((k) => left.has(k)).length;
    // sampled (per shard, 10 samples, a pool of 16): nearly, not exactly, the shortest TTLs first
    expect(longest).toBeGreaterThanOrEqual(34);
    expect(shortest).toBeLessThanOrEqual(12);
  });

  it('allkeys-lfu keeps frequently used keys', async () => {
    await c.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    const cold = names('cold', 200);
    const hot = names('hot', 50);
    await setKeys(c, cold);
    await setKeys(c, hot);
    for (let r = 0; r < 5; r++) await c.pipeline(hot.map((k) => ['get', k])).exec();
    const all = [...cold, ...hot];
    await limitTo(c, (await usage(c, hot)) + (await usage(c, cold)) / 2, all);
    expect((await existing(c, hot)).length).toBeGreaterThanOrEqual(48);
    expect((await existing(c, cold)).length).toBeLessThanOrEqual(100);
  });

  it('volatile-lfu evicts only keys with a TTL, least frequently used first', async () => {
    await c.config('SET', 'maxmemory-policy', 'volatile-lfu');
    const persistent = names('p', 100);
    const cold = names('vc', 100);
    const hot = names('vh', 50);
    await setKeys(c, persistent);
    await setKeys(c, cold, () => 10000);
    await setKeys(c, hot, () => 10000);
    for (let r = 0; r < 5; r++) await c.pipeline(hot.map((k) => ['get', k])).exec();
    const all = [...persistent, ...cold, ...hot];
    await limitTo(c, (await usage(c, all)) - (await usage(c, cold)) / 2, all);
    expect(await existing(c, persistent)).toEqual(persistent);
    expect((await existing(c, hot)).length).toBeGreaterThanOrEqual(48);
    expect((await existing(c, cold)).length).toBeLessThanOrEqual(50);
  });

  it('allkeys-random evicts keys of every kind until under maxmemory', async () => {
    await c.config('SET', 'maxmemory-policy', 'allkeys-random');
    const a = names('a', 150);
    const b = names('b', 150);
    await setKeys(c, a);
    await setKeys(c, b, () => 10000);
    const all = [...a, ...b];
    await limitTo(c, (await usage(c, all)) / 2, all);
    const leftA = (await existing(c, a)).length;
    const leftB = (await existing(c, b)).length;
    expect(leftA).toBeLessThan(150);
    expect(leftB).toBeLessThan(150);
    expect(leftA + leftB).toBeGreaterThan(100);
  });

  it('volatile-random evicts only keys with a TTL', async () => {
    await c.config('SET', 'maxmemory-policy', 'volatile-random');
    const persistent = names('p', 100);
    const vol = names('v', 100);
    await setKeys(c, persistent);
    await setKeys(c, vol, () => 10000);
    const all = [...persistent, ...vol];
    await limitTo(c, (await usage(c, all)) - (await usage(c, vol)) / 2, all);
    expect(await existing(c, persistent)).toEqual(persistent);
    expect((await existing(c, vol)).length).toBeLessThanOrEqual(50);
  });

  it('volatile-* with no key to evict refuses denyoom commands with OOM, reads and deletes still work', async () => {
    await c.config('SET', 'maxmemory-policy', 'volatile-lru');
    const keys = names('k', 40);
    await setKeys(c, keys);
    await c.config('SET', 'maxmemory', String((await overhead(c)) + (await usage(c, keys)) - 200));
    // the shards find nothing to evict (at their next command or cron): SETNX on existing keys writes nothing
    await waitFor(async () => (await c.setnx('k:0', 'x').catch((e: Error) => e.message)) === OOM, 'OOM');
    await expect(c.set('new', 'v')).rejects.toThrow(OOM);
    expect(await c.get('k:1')).toBe(VALUE);
    expect(await c.dbsize()).toBe(40);
    expect(await c.del('k:1', 'k:2', 'k:3', 'k:4', 'k:5')).toBe(5);
    expect(await c.set('new', 'v')).toBe('OK');
  });

  it('volatile-lru evicts every key with a TTL and then, still over maxmemory, refuses writes with OOM', async () => {
    await c.config('SET', 'maxmemory-policy', 'volatile-lru');
    const persistent = names('p', 40);
    const vol = names('v', 8);
    await setKeys(c, persistent);
    await setKeys(c, vol, () => 10000);
    await c.config('SET', 'maxmemory', String((await overhead(c)) + (await usage(c, persistent.slice(0, 30)))));
    await waitFor(async () => (await c.setnx('p:0', 'x').catch((e: Error) => e.message)) === OOM, 'OOM');
    expect(await existing(c, vol)).toEqual([]);
    expect(await existing(c, persistent)).toEqual(persistent);
    await expect(c.set('new', 'v')).rejects.toThrow(OOM);
  });

  it('noeviction: OOM for denyoom commands, reads work, MULTI aborts with EXECABORT', async () => {
    await c.config('SET', 'maxmemory-policy', 'noeviction');
    const keys = names('k', 40);
    await setKeys(c, keys);
    const evicted = await evictedKeys(c);
    await c.config('SET', 'maxmemory', '1000');
    await expect(c.set('new', 'v')).rejects.toThrow(OOM);
    await expect(c.lpush(`k:{x}`, 'a')).rejects.toThrow(OOM);
    await expect(c.mset('k:1', 'a', 'k:2', 'b')).rejects.toThrow(OOM);
    expect(await c.get('k:1')).toBe(VALUE);
    expect(await c.exists('k:1')).toBe(1);
    expect(await c.expire('k:1', 100)).toBe(1);
    expect(await c.dbsize()).toBe(40);
    expect(await evictedKeys(c)).toBe(evicted);
    // INFO stats: time spent over maxmemory (current while still over), as Redis counts it
    await waitFor(async () => Number((await info(c, 'stats')).current_eviction_exceeded_time) > 0, 'current_eviction_exceeded_time');
    const st = await info(c, 'stats');
    expect(Number(st.total_eviction_exceeded_time)).toBeGreaterThanOrEqual(Number(st.current_eviction_exceeded_time));
    // queued commands are refused over maxmemory (even reads), and EXEC then aborts
    const r = await c.multi().get('k:1').exec().catch((e: Error) => e);
    expect(String(r)).toContain('EXECABORT Transaction discarded because of previous errors.');
  });

  it('a transaction queued before the limit was crossed is aborted at EXEC if it holds a denyoom command', async () => {
    await c.config('SET', 'maxmemory-policy', 'noeviction');
    const keys = names('k', 40);
    await setKeys(c, keys);
    const c2 = new Redis({ port: c.options.port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    clients.push(c2);
    await c2.multi({ pipeline: false });
    await c2.set('x', '1');
    await c.config('SET', 'maxmemory', '1000');
    await waitFor(async () => (await c.setnx('k:0', 'x').catch((e: Error) => e.message)) === OOM, 'OOM');
    await expect(c2.exec()).rejects.toThrow(`EXECABORT Transaction discarded because of: ${OOM}`);
  });

  it('INFO memory reports maxmemory, maxmemory_human and maxmemory_policy', async () => {
    await c.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    await c.config('SET', 'maxmemory', '10mb');
    const m = await info(c, 'memory');
    expect(m.maxmemory).toBe(String(10 * 1024 * 1024));
    expect(m.maxmemory_human).toBe('10.00M');
    expect(m.maxmemory_policy).toBe('allkeys-lfu');
    // replicas' output buffers (and Redis's AOF buffer): none here
    expect(m.mem_not_counted_for_evict).toBe('0');
  });

  it('evicted_keys counts evictions and CONFIG RESETSTAT clears it', async () => {
    await c.config('SET', 'maxmemory-policy', 'allkeys-random');
    const keys = names('k', 100);
    await setKeys(c, keys);
    await c.config('RESETSTAT');
    await limitTo(c, (await usage(c, keys)) / 2, keys);
    const n = await evictedKeys(c);
    expect(n).toBe(100 - (await c.dbsize()));
    expect(n).toBeGreaterThanOrEqual(45);
    await c.config('SET', 'maxmemory', '0');
    await waitFor(async () => (await info(c, 'stats')).current_eviction_exceeded_time === '0', 'back under maxmemory');
    expect(Number((await info(c, 'stats')).total_eviction_exceeded_time)).toBeGreaterThanOrEqual(0);
    await c.config('RESETSTAT');
    expect(await evictedKeys(c)).toBe(0);
    expect((await info(c, 'stats')).total_eviction_exceeded_time).toBe('0');
  });
});

describe('OBJECT FREQ and IDLETIME under the maxmemory policies', () => {
  let c: Redis;
  beforeAll(async () => {
    c = connect(await shardis());
  });

  it('OBJECT FREQ answers under an LFU policy (new key 5, +1 on first access) and errs otherwise', async () => {
    await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const written = stopwatch();
    await c.set('f', 'v');
    await expect(c.object('FREQ', 'f')).rejects.toThrow(
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
    // just written: 0 seconds, or the seconds since then when a clock boundary passed (loaded machine)
    expect(await c.object('IDLETIME', 'f')).toBeLessThanOrEqual(Math.ceil(written.elapsed() / 1000) + 1);
    await c.config('SET', 'maxmemory-policy', 'volatile-lfu');
    await c.set('g', 'v');
    expect(await c.object('FREQ', 'g')).toBe(5);
    await c.get('g');
    expect(await c.object('FREQ', 'g')).toBe(6);
    expect(await c.object('FREQ', 'nokey')).toBe(null);
    await expect(c.object('IDLETIME', 'g')).rejects.toThrow(
      'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    );
    // RESTORE ... FREQ sets the counter under LFU
    const payload = await c.dumpBuffer('g');
    await c.restore('h', 0, payload, 'FREQ', 100);
    expect(await c.object('FREQ', 'h')).toBe(100);
    await c.config('SET', 'maxmemory-policy', 'noeviction');
  });
});

describe('maxmemory settings from the command line', () => {
  it('--maxmemory-policy allkeys-lfu tracks frequencies from the start; --maxmemory evicts', async () => {
    // a limit below what the server takes before any data: every key is evicted
    const p = await shardis(['--maxmemory', '20000', '--maxmemory-policy', 'allkeys-lfu']);
    const c = connect(p);
    expect((await info(c, 'memory')).maxmemory).toBe('20000');
    await c.config('SET', 'maxmemory', '0');
    await c.set('a', 'b');
    expect(await c.object('FREQ', 'a')).toBe(5);
    await setKeys(c, names('k', 300));
    await c.config('SET', 'maxmemory', '20000');
    await waitFor(async () => Number((await info(c, 'stats')).evicted_keys) > 0, 'evictions');
    expect(await c.dbsize()).toBeLessThan(301);
  });
});

describe('maxmemory and replication', () => {
  it('evictions reach a replica; the replica ignores its own maxmemory (replica-ignore-maxmemory yes)', async () => {
    const mp = await shardis();
    const rp = await shardis(['--replicaof', '127.0.0.1', String(mp.port)]);
    const m = connect(mp);
    const r = connect(rp);
    await waitInSync(m, r);
    // the replica's own maxmemory is ignored
    await r.config('SET', 'maxmemory-policy', 'allkeys-random');
    await r.config('SET', 'maxmemory', '1000');
    const keys = names('k', 200);
    await setKeys(m, keys);
    await waitInSync(m, r);
    expect(await r.dbsize()).toBe(200);
    expect(Number((await info(r, 'stats')).evicted_keys)).toBe(0);
    // the master evicts: its replica follows by the propagated deletes
    await m.config('SET', 'maxmemory-policy', 'allkeys-random');
    await limitTo(m, (await usage(m, keys)) / 2, keys);
    await sleep(300);
    await waitInSync(m, r);
    const left = await m.dbsize();
    expect(left).toBeLessThan(120);
    expect(await r.dbsize()).toBe(left);
    expect(await existing(r, keys)).toEqual(await existing(m, keys));
  });

  it.skipIf(!haveBinaries('redis-server'))('evictions are propagated as DEL, or UNLINK with lazyfree-lazy-eviction (redis-server replica MONITOR)', async () => {
    const mp = await shardis();
    const m = connect(mp);
    const keys = names('k', 100);
    await setKeys(m, keys);
    const rp = await startRedis(['--replicaof', '127.0.0.1', String(mp.port)]);
    procs.push(rp);
    const r = connect(rp);
    await waitInSync(m, r);
    const mon = await r.monitor();
    const seen: string[][] = [];
    mon.on('monitor', (_t: string, args: string[]) => seen.push(args));
    await m.config('SET', 'maxmemory-policy', 'allkeys-random');
    await limitTo(m, (await usage(m, keys)) * 0.8, keys);
    await waitInSync(m, r);
    await waitFor(() => seen.filter((a) => a[0]?.toUpperCase() === 'DEL').length >= 15, 'DEL on the replica');
    const dels = seen.filter((a) => a[0]?.toUpperCase() === 'DEL');
    expect(dels.every((a) => a.length === 2 && keys.includes(a[1]!))).toBe(true);
    expect(await r.dbsize()).toBe(await m.dbsize());
    // lazyfree-lazy-eviction: UNLINK
    seen.length = 0;
    await m.config('SET', 'lazyfree-lazy-eviction', 'yes');
    await limitTo(m, (await usage(m, keys)) * 0.8, keys);
    await waitInSync(m, r);
    await waitFor(() => seen.some((a) => a[0]?.toUpperCase() === 'UNLINK'), 'UNLINK on the replica');
    expect(seen.some((a) => a[0]?.toUpperCase() === 'DEL')).toBe(false);
    mon.disconnect();
  });
});

describe('DEBUG POPULATE', () => {
  let p: Proc;
  let c: Redis;
  beforeAll(async () => {
    p = await shardis();
    c = connect(p);
  });

  it('creates count keys key:N = value:N on every shard', async () => {
    await c.flushall();
    expect(await c.call('DEBUG', 'POPULATE', '1000')).toBe('OK');
    expect(await c.dbsize()).toBe(1000);
    expect(await c.get('key:0')).toBe('value:0');
    expect(await c.get('key:999')).toBe('value:999');
    // keys of all four shards exist: MGET across shards returns them all
    expect(await c.mget('key:1', 'key:2', 'key:3', 'key:4', 'key:5')).toEqual(['value:1', 'value:2', 'value:3', 'value:4', 'value:5']);
  });

  it('takes a prefix and a size (values cut or zero-padded), and skips existing keys', async () => {
    await c.flushall();
    await c.set('p:1', 'mine');
    expect(await c.call('DEBUG', 'POPULATE', '3', 'p', '10')).toBe('OK');
    expect(await c.dbsize()).toBe(3);
    expect(await c.get('p:1')).toBe('mine');
    expect(await c.get('p:0')).toBe('value:0\0\0\0');
    expect(await c.call('DEBUG', 'POPULATE', '2', 'q', '3')).toBe('OK');
    expect(await c.get('q:1')).toBe('val');
    expect(await c.call('DEBUG', 'POPULATE', '2', '', '0')).toBe('OK');
    expect(await c.get(':1')).toBe('value:1');
    expect(await c.call('DEBUG', 'POPULATE', '0')).toBe('OK');
  });

  it('answers errors as redis-server 7.0.15', async () => {
    await expect(c.call('DEBUG', 'POPULATE', '-1')).rejects.toThrow('ERR value is out of range, must be positive');
    await expect(c.call('DEBUG', 'POPULATE', 'x')).rejects.toThrow('ERR value is out of range, must be positive');
    await expect(c.call('DEBUG', 'POPULATE', '1', 'a', '-1')).rejects.toThrow('ERR value is out of range, must be positive');
    await expect(c.call('DEBUG', 'POPULATE', '1', 'a', '2', '3')).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'POPULATE'. Try DEBUG HELP.");
  });

  it('is refused when enable-debug-command is no (the default)', async () => {
    const q = await startShardis({ shards: 2 });
    procs.push(q);
    const d = connect(q);
    await expect(d.call('DEBUG', 'POPULATE', '10')).rejects.toThrow('ERR DEBUG command not allowed.');
    expect(await d.dbsize()).toBe(0);
  });

  it('is not propagated to replicas (as redis-server 7.0)', async () => {
    const rp = await shardis(['--replicaof', '127.0.0.1', String(p.port)]);
    const r = connect(rp);
    await c.flushall();
    await waitInSync(c, r);
    await c.call('DEBUG', 'POPULATE', '100');
    await c.set('marker', '1');
    await waitInSync(c, r);
    expect(await r.get('marker')).toBe('1');
    expect(await r.dbsize()).toBe(1);
  });
});

describe('LFU counter and eviction tenacity (unit)', () => {
  it('the counter decays by one per lfu-decay-time minutes elapsed, across the 16-bit minute wrap', () => {
    ACCESS.decayTime = 1;
    const now = 1_000_000 * 60; // seconds
    expect(lfuDecayed(lfuData(10, now), now)).toBe(10);
    expect(lfuDecayed(lfuData(10, now - 3 * 60), now)).toBe(7);
    expect(lfuDecayed(lfuData(10, now - 30 * 60), now)).toBe(0);
    ACCESS.decayTime = 2;
    expect(lfuDecayed(lfuData(10, now - 4 * 60), now)).toBe(8);
    ACCESS.decayTime = 0;
    expect(lfuDecayed(lfuData(10, now - 30 * 60), now)).toBe(10);
    ACCESS.decayTime = 1;
    // minutes kept on 16 bits: 65535 -> 2 is 2 minutes (Redis's LFUTimeElapsed: 65535 - ldt + now)
    const before = 65535 * 60;
    expect(lfuDecayed(lfuData(10, before), before + 3 * 60)).toBe(8);
  });

  it('the counter grows logarithmically: always up to LFU_INIT_VAL + 1, rarely near 255, never past it', () => {
    ACCESS.logFactor = 10;
    expect(lfuLogIncr(5)).toBe(6);
    expect(lfuLogIncr(0)).toBe(1);
    expect(lfuLogIncr(255)).toBe(255);
    let c = 5;
    for (let i = 0; i < 1000; i++) c = lfuLogIncr(c);
    expect(c).toBeGreaterThan(10);
    expect(c).toBeLessThan(40);
  });

  it('maxmemory-eviction-tenacity maps to a time limit as Redis (0..500 us linear, then x1.15 per step, unlimited at 100)', () => {
    expect(evictionTimeLimitUs(0)).toBe(0);
    expect(evictionTimeLimitUs(10)).toBe(500);
    expect(evictionTimeLimitUs(11)).toBeCloseTo(575, 6);
    expect(evictionTimeLimitUs(100)).toBe(Infinity);
  });
});

describe('OOM and LFU error replies as redis-server 7', () => {
  /** The same session on a server: every reply, errors as their message. */
  async function session(c: Redis): Promise<unknown[]> {
    const out: unknown[] = [];
    const run = async (...a: string[]): Promise<void> => {
      out.push(await c.call(a[0]!, ...a.slice(1)).catch((e: Error) => `ERR:${e.message}`));
    };
    await run('SET', 'a', 'b');
    await run('OBJECT', 'FREQ', 'a');
    await run('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    await run('OBJECT', 'IDLETIME', 'a');
    await run('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await run('CONFIG', 'SET', 'maxmemory', '1');
    // (shardis applies CONFIG SET to its shards asynchronously: wait for the refusal)
    await waitFor(async () => String(await c.setnx('a', 'x').catch((e: Error) => e.message)).startsWith('OOM'), 'OOM');
    await run('SET', 'x', 'y');
    await run('GET', 'a');
    await run('INCR', 'n');
    await run('MULTI');
    await run('GET', 'a');
    await run('EXEC');
    await run('CONFIG', 'SET', 'maxmemory', '0');
    return out;
  }

  /** Recorded from redis-server 7.0.15. */
  const GOLDEN = [
    'OK',
    'ERR:ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    'OK',
    'ERR:ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    'OK',
    'OK',
    `ERR:${OOM}`,
    'b',
    `ERR:${OOM}`,
    'OK',
    `ERR:${OOM}`,
    'ERR:EXECABORT Transaction discarded because of previous errors.',
    'OK',
  ];

  it('shardis replies as recorded from redis-server', async () => {
    expect(await session(connect(await shardis()))).toEqual(GOLDEN);
  });

  it.skipIf(!haveBinaries('redis-server'))('redis-server still replies as recorded', async () => {
    const rp = await startRedis([]);
    procs.push(rp);
    expect(await session(connect(rp))).toEqual(GOLDEN);
  });
});
