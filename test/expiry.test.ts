/*
 * Expiry: lazy on access and the active cycle per shard, millisecond precision, with 1 and 4 shards.
 * (No timing assertions: keys are given short TTLs and we wait until they are gone.)
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { waitFor } from './helpers/server.js';
import { stopwatch, ttlSeconds } from './helpers/wait.js';

describe.each([1, 4])('expiry with %i shard(s)', (shards) => {
  const s = useServers({ shards });

  it('a key with PX expires and is gone on access (lazy)', async () => {
    await s.io.set('lazy', 'v', 'PX', 1500);
    expect(await s.io.get('lazy')).toBe('v');
    await waitFor(async () => (await s.io.get('lazy')) === null, 'lazy expiry');
    expect(await s.io.exists('lazy')).toBe(0);
  });

  it('the active cycle removes expired keys nobody touches (DBSIZE, INFO keyspace)', async () => {
    await s.io.flushall();
    const pipe = s.io.pipeline();
    for (let i = 0; i < 500; i++) pipe.set(`act:${i}`, 'v', 'PX', 200 + (i % 50));
    for (let i = 0; i < 50; i++) pipe.set(`keep:${i}`, 'v');
    await pipe.exec();
    // (no count right after loading: on a loaded machine the cycle may already have started)
    // DBSIZE counts keys without touching them: only the active cycle brings it down
    await waitFor(async () => (await s.io.dbsize()) === 50, { what: 'active expiry of 500 keys', everyMs: 100 });
    expect(await s.io.info('keyspace')).toMatch(/db0:keys=50,expires=0,/);
    expect(Number(/expired_keys:(\d+)/.exec(await s.io.info('stats'))![1])).toBeGreaterThanOrEqual(500);
  });

  it('TTL/PTTL report milliseconds precision; PERSIST and SET drop the TTL; KEEPTTL keeps it', async () => {
    // bounds from a stopwatch started before each write: they hold however long the round trips take
    let sw = stopwatch();
    await s.io.set('t', 'v', 'PX', 100_000);
    const pttl = await s.io.pttl('t');
    expect(pttl).toBeGreaterThanOrEqual(100_000 - sw.elapsed());
    expect(pttl).toBeLessThanOrEqual(100_000);
    expect(await s.io.ttl('t')).toBeGreaterThanOrEqual(ttlSeconds(100_000 - sw.elapsed()));
    expect(await s.io.ttl('t')).toBeLessThanOrEqual(100);
    sw = stopwatch();
    const before = await s.io.pttl('t');
    await s.io.set('t', 'v2', 'KEEPTTL');
    const kept = await s.io.pttl('t');
    expect(kept).toBeLessThanOrEqual(before);
    expect(kept).toBeGreaterThanOrEqual(before - sw.elapsed());
    await s.io.set('t', 'v3');
    expect(await s.io.pttl('t')).toBe(-1);
    expect(await s.io.pttl('nokey')).toBe(-2);
    const at = Math.floor(Date.now() / 1000) + 1000;
    await s.io.set('t', 'v', 'EXAT', at);
    expect(await s.io.ttl('t')).toBeGreaterThanOrEqual(ttlSeconds(at * 1000 - Date.now()));
    expect(await s.io.ttl('t')).toBeLessThanOrEqual(1000);
    await s.io.set('t2', 'v', 'PXAT', Date.now() - 1);
    expect(await s.io.get('t2')).toBeNull();
  });

  it('GETEX sets and removes expiry; expired keys count as misses', async () => {
    await s.io.set('gx', 'v');
    expect(await s.io.getex('gx', 'PX', 25)).toBe('v');
    await waitFor(async () => (await s.io.get('gx')) === null, 'GETEX expiry');
    await s.io.set('gx2', 'v', 'EX', 100);
    expect(await s.io.getex('gx2', 'PERSIST')).toBe('v');
    expect(await s.io.ttl('gx2')).toBe(-1);
  });
});
