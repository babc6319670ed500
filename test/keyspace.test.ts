/*
 * Keyspace-wide commands over every shard: SCAN (cursor across shards, COUNT filled across shards,
 * MATCH, TYPE, the guarantee while keys are added), KEYS, RANDOMKEY, DBSIZE, FLUSHDB / FLUSHALL
 * [SYNC|ASYNC], SWAPDB, INFO keyspace, with their error replies.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { startShardis, waitFor, type Proc } from './helpers/server.js';

describe.each([1, 4])('keyspace commands with %i shard(s)', (shards) => {
  let srv: Proc;
  let r: Redis;
  const extra: Redis[] = [];

  function io(db = 0): Redis {
    const c = new Redis({ port: srv.port, db });
    extra.push(c);
    return c;
  }

  async function fill(c: Redis, prefix: string, n: number): Promise<string[]> {
    const keys = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    for (let i = 0; i < n; i += 100) await c.mset(...keys.slice(i, i + 100).flatMap((k) => [k, 'v']));
    return keys;
  }

  async function scanAll(c: Redis, ...opts: (string | number)[]): Promise<{ keys: string[]; calls: number }> {
    let cursor = '0';
    const keys: string[] = [];
    let calls = 0;
    do {
      const [next, batch] = (await c.call('SCAN', cursor, ...opts)) as [string, string[]];
      keys.push(...batch);
      cursor = next;
      calls++;
    } while (cursor !== '0' && calls < 100000);
    return { keys, calls };
  }

  beforeAll(async () => {
    srv = await startShardis({ shards });
    r = new Redis({ port: srv.port });
  });

  beforeEach(async () => {
    await r.flushall();
  });

  afterAll(async () => {
    r.disconnect();
    for (const c of extra) c.disconnect();
    await srv.stop();
  });

  it('DBSIZE, KEYS and RANDOMKEY see every shard', async () => {
    expect(await r.dbsize()).toBe(0);
    expect(await r.randomkey()).toBe(null);
    expect(await r.keys('*')).toEqual([]);
    const keys = await fill(r, 'k:', 500);
    expect(await r.dbsize()).toBe(500);
    expect((await r.keys('*')).sort()).toEqual([...keys].sort());
    expect((await r.keys('k:1?')).sort()).toEqual(['k:10', 'k:11', 'k:12', 'k:13', 'k:14', 'k:15', 'k:16', 'k:17', 'k:18', 'k:19']);
    expect(await r.keys('nomatch*')).toEqual([]);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add((await r.randomkey())!);
    for (const k of seen) expect(keys).toContain(k);
    // random keys come from more than one place
    expect(seen.size).toBeGreaterThan(10);
    await r.set('other', 'x');
    const db2 = io(2);
    expect(await db2.dbsize()).toBe(0);
    expect(await db2.randomkey()).toBe(null);
  });

  it('RANDOMKEY picks every key about equally often, also with several shards', async () => {
    await r.flushall();
    const keys = await fill(r, 'rk:', 500);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add((await r.randomkey())!);
    for (const k of seen) expect(keys).toContain(k);
    // uniform picks: 200 draws from 500 keys give ~165 distinct keys (sd ~6); the walk from a random
    // slot to the next filled one gave ~50 with 4 shards (the first keys after other shards' slots)
    expect(seen.size).toBeGreaterThan(120);
  });

  it('SCAN returns every key, honours COUNT across shards, MATCH and TYPE', async () => {
    // a small keyspace spread over every shard comes back whole from one call, as in Redis
    const few = await fill(r, 'few:', 8);
    const [c0, k0] = (await r.call('SCAN', '0')) as [string, string[]];
    expect(c0).toBe('0');
    expect(new Set(k0)).toEqual(new Set(few));
    await r.flushall();
    const keys = await fill(r, 's:', 1000);
    // one call with COUNT 100 returns about 100 keys, not just the first shard's first slot
    const [cur, first] = (await r.call('SCAN', '0', 'COUNT', '100')) as [string, string[]];
    expect(first.length).toBeGreaterThanOrEqual(100);
    expect(first.length).toBeLessThan(200);
    expect(cur).not.toBe('0');
    const [, dflt] = (await r.call('SCAN', '0')) as [string, string[]];
    expect(dflt.length).toBeGreaterThanOrEqual(10);
    const all = await scanAll(r, 'COUNT', 50);
    expect(new Set(all.keys)).toEqual(new Set(keys));
    expect(all.calls).toBeGreaterThanOrEqual(15);
    expect(all.calls).toBeLessThanOrEqual(30);
    const big = await scanAll(r, 'COUNT', 100000);
    expect(big.calls).toBe(1);
    expect(big.keys.length).toBe(1000);
    const matched = await scanAll(r, 'MATCH', 's:1*', 'COUNT', 20);
    expect(new Set(matched.keys)).toEqual(new Set(keys.filter((k) => k.startsWith('s:1'))));
    expect((await scanAll(r, 'TYPE', 'string', 'COUNT', 200)).keys.length).toBe(1000);
    expect((await scanAll(r, 'TYPE', 'list', 'COUNT', 200)).keys).toEqual([]);
    expect((await scanAll(r, 'TYPE', 'nosuchtype')).keys).toEqual([]);
  });

  it('SCAN with a small COUNT returns every key present for the whole scan while keys are added', async () => {
    const base = await fill(r, 'g:', 400);
    const writer = io();
    let cursor = '0';
    const seen = new Set<string>();
    let added = 0;
    do {
      const [next, batch] = (await r.call('SCAN', cursor, 'COUNT', 3)) as [string, string[]];
      for (const k of batch) seen.add(k);
      cursor = next;
      // grow the keyspace between calls
      await writer.mset(...Array.from({ length: 5 }, (_, i) => [`new:${added + i}`, 'v']).flat());
      added += 5;
    } while (cursor !== '0');
    for (const k of base) expect(seen.has(k)).toBe(true);
    expect(added).toBeGreaterThan(50);
  });

  it('SCAN cursor parsing and errors', async () => {
    await fill(r, 'e:', 10);
    await expect(r.call('SCAN', 'x')).rejects.toThrow('ERR invalid cursor');
    await expect(r.call('SCAN', '99999999999999999999')).rejects.toThrow('ERR invalid cursor');
    expect(await r.call('SCAN', '18446744073709551615')).toEqual(['0', []]);
    expect(await r.call('SCAN', '-1')).toEqual(['0', []]);
    await expect(r.call('SCAN', '0', 'COUNT', '0')).rejects.toThrow('ERR syntax error');
    await expect(r.call('SCAN', '0', 'COUNT', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(r.call('SCAN', '0', 'MATCH')).rejects.toThrow('ERR syntax error');
    await expect(r.call('SCAN', '0', 'FOO', 'bar')).rejects.toThrow('ERR syntax error');
    await expect(r.call('KEYS')).rejects.toThrow("ERR wrong number of arguments for 'keys' command");
  });

  it('FLUSHDB and FLUSHALL [SYNC|ASYNC] empty every shard; errors', async () => {
    const db1 = io(1);
    for (const mode of [[], ['SYNC'], ['ASYNC']] as string[][]) {
      await fill(r, 'f:', 100);
      await fill(db1, 'f:', 50);
      expect(await r.call('FLUSHDB', ...mode)).toBe('OK');
      expect(await r.dbsize()).toBe(0);
      expect(await db1.dbsize()).toBe(50);
      await fill(r, 'f:', 100);
      expect(await r.call('FLUSHALL', ...mode)).toBe('OK');
      expect(await r.dbsize()).toBe(0);
      expect(await db1.dbsize()).toBe(0);
    }
    await expect(r.call('FLUSHALL', 'foo')).rejects.toThrow('ERR syntax error');
    await expect(r.call('FLUSHDB', 'SYNC', 'ASYNC')).rejects.toThrow('ERR syntax error');
  });

  it('SWAPDB swaps whole databases on every shard; errors', async () => {
    const db1 = io(1);
    await fill(r, 'a:', 100);
    await fill(db1, 'b:', 30);
    expect(await r.swapdb(0, 1)).toBe('OK');
    expect(await r.dbsize()).toBe(30);
    expect(await db1.dbsize()).toBe(100);
    expect(await r.get('b:7')).toBe('v');
    expect(await db1.get('a:99')).toBe('v');
    expect(await r.swapdb(1, 1)).toBe('OK');
    expect(await db1.dbsize()).toBe(100);
    await expect(r.call('SWAPDB', 'a', '1')).rejects.toThrow('ERR invalid first DB index');
    await expect(r.call('SWAPDB', '0', 'b')).rejects.toThrow('ERR invalid second DB index');
    await expect(r.call('SWAPDB', '0', '99')).rejects.toThrow('ERR DB index is out of range');
    await expect(r.call('SWAPDB', '-1', '0')).rejects.toThrow('ERR DB index is out of range');
  });

  it('SWAPDB serves a client blocked on a key the swap brings in', async () => {
    const blocked = io();
    const db1 = io(1);
    const id = (await blocked.client('ID')) as number;
    const pending = blocked.bzpopmin('swz', 0);
    // the server has taken the BZPOPMIN (no timeout: however slow the machine, the swap wakes it)
    await waitFor(async () => ((await r.client('LIST', 'ID', String(id))) as string).includes(' cmd=bzpopmin '), 'BZPOPMIN taken');
    await db1.zadd('swz', 1, 'm');
    expect(await r.swapdb(0, 1)).toBe('OK');
    expect(await pending).toEqual(['swz', 'm', '1']);
  });

  it('SCAN TYPE filters by value type across shards', async () => {
    await fill(r, 't:s', 30);
    for (let i = 0; i < 20; i++) await r.hset(`t:h${i}`, 'f', 'v');
    for (let i = 0; i < 10; i++) await r.sadd(`t:set${i}`, 'm');
    for (let i = 0; i < 5; i++) await r.zadd(`t:z${i}`, 1, 'm');
    expect((await scanAll(r, 'TYPE', 'hash', 'COUNT', 7)).keys.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `t:h${i}`).sort());
    expect((await scanAll(r, 'TYPE', 'set', 'COUNT', 7)).keys.length).toBe(10);
    expect((await scanAll(r, 'TYPE', 'zset')).keys.length).toBe(5);
    expect((await scanAll(r, 'TYPE', 'STRING', 'MATCH', 't:s1*')).keys.length).toBe(11);
  });

  it('INFO keyspace lists each non-empty database', async () => {
    await fill(r, 'i:', 20);
    await r.set('i:ttl', 'v', 'EX', 100);
    await io(3).set('x', 'y');
    const info = (await r.info('keyspace')) as string;
    expect(info).toMatch(/^# Keyspace\r\n/);
    expect(info).toMatch(/\r\ndb0:keys=21,expires=1,avg_ttl=\d+\r\n/);
    expect(info).toMatch(/\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n/);
    expect(info).not.toMatch(/db1:/);
  });

  it('node-redis scanIterator walks every key', async () => {
    const keys = await fill(r, 'nr:', 300);
    const c = createClient({ socket: { port: srv.port } });
    await c.connect();
    try {
      const seen = new Set<string>();
      for await (const k of c.scanIterator({ COUNT: 7 })) {
        for (const x of Array.isArray(k) ? k : [k]) seen.add(x);
      }
      expect(seen).toEqual(new Set(keys));
    } finally {
      await c.disconnect();
    }
  });
});
