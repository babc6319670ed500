/*
 * Replication of the bitmap, SORT ... STORE and HyperLogLog writes: a shardis master with 4 shards
 * (so BITOP, SORT patterns and PFMERGE span shards) feeds a shardis replica and an unmodified
 * redis-server 7 replica; both end with the master's exact bytes (bitmaps, stored sort results, HLL
 * registers and cached cardinalities). And shardis replicating from redis-server, whose stream carries
 * SORT ... STORE and PFCOUNT (cache update) verbatim.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis } from './helpers/server.js';
import { contents, differences, info, waitInSync } from './helpers/replication.js';

const HAVE = haveBinaries('redis-server');
const FAST = ['--repl-diskless-sync-delay', '0'];
const { procs, client } = useProcesses();

async function writes(m: Redis, t: string): Promise<void> {
  await m.setbit(`${t}:bits`, 1000, 1);
  await m.setbit(`${t}:bits`, 7, 1);
  await m.setbit(`${t}:bits`, 7, 0);
  await m.set(`${t}:other`, Buffer.from([0xf0, 0x0f, 0xaa]));
  await m.bitop('XOR', `${t}:xor`, `${t}:bits`, `${t}:other`);
  await m.bitop('NOT', `${t}:not`, `${t}:other`);
  await m.call('BITFIELD', `${t}:bf`, 'SET', 'i8', '#0', '100', 'OVERFLOW', 'SAT', 'INCRBY', 'i8', '#0', '100', 'OVERFLOW', 'FAIL', 'INCRBY', 'u4', '20', '99', 'OVERFLOW', 'WRAP', 'INCRBY', 'u16', '#3', '-1');
  await m.rpush(`${t}:ids`, '3', '1', '2');
  for (const i of [1, 2, 3]) {
    await m.set(`${t}:w${i}`, String(10 - i));
    await m.hset(`${t}:o${i}`, 'name', `n${i}`);
  }
  await m.sort(`${t}:ids`, 'BY', `${t}:w*`, 'GET', `${t}:o*->name`, 'GET', '#', 'STORE', `${t}:sorted`);
  await m.sort(`${t}:ids`, 'ALPHA', 'DESC', 'STORE', `${t}:sorted2`);
  await m.sadd(`${t}:set`, 'b', 'a', 'c');
  await m.sort(`${t}:set`, 'BY', 'nosort', 'STORE', `${t}:sorted3`);
  await m.pfadd(`${t}:hll`, ...Array.from({ length: 300 }, (_, i) => `e${i}`));
  await m.pfcount(`${t}:hll`);
  await m.pfadd(`${t}:hll2`, ...Array.from({ length: 3000 }, (_, i) => `f${i}`));
  await m.pfmerge(`${t}:hll3`, `${t}:hll`, `${t}:hll2`);
  await m.pfcount(`${t}:hll3`);
  await m.call('PFDEBUG', 'TODENSE', `${t}:hll`);
}

describe.skipIf(!HAVE)('bitmaps, SORT STORE and HyperLogLogs replicate', () => {
  it('a shardis replica and a redis-server replica of a 4-shard shardis end with the same bytes', async () => {
    const mp = await startShardis({ args: FAST, shards: 4 });
    procs.push(mp);
    const m = client(mp);
    await writes(m, 'pre');
    const [sp, rp] = await Promise.all([
      startShardis({ args: [...FAST, '--replicaof', '127.0.0.1', String(mp.port)], shards: 2 }),
      startRedis(['--replicaof', '127.0.0.1', String(mp.port)]),
    ]);
    procs.push(sp, rp);
    const s = client(sp);
    const r = client(rp);
    await waitInSync(m, s);
    await waitInSync(m, r);
    await writes(m, 'post');
    await waitInSync(m, s);
    await waitInSync(m, r);
    const [a, b, c] = await Promise.all([contents(m), contents(s), contents(r)]);
    expect(a.size).toBeGreaterThan(30);
    expect(differences(a, b)).toEqual([]);
    expect(differences(a, c)).toEqual([]);
  });

  it('shardis replicating from redis-server applies its SORT STORE and PFCOUNT', async () => {
    const mp = await startRedis(FAST);
    procs.push(mp);
    const m = client(mp);
    const sp = await startShardis({ args: [...FAST, '--replicaof', '127.0.0.1', String(mp.port)], shards: 4 });
    procs.push(sp);
    const s = client(sp);
    await waitInSync(m, s);
    await writes(m, 'x');
    await waitInSync(m, s);
    expect(differences(await contents(m), await contents(s))).toEqual([]);
  });
});

describe('which bitmap writes reach the replication stream', () => {
  it('SETBIT and BITFIELD SET are propagated only when they change a value or grow the string; INCRBY always', async () => {
    const mp = await startShardis({ args: FAST });
    procs.push(mp);
    const m = client(mp);
    const sp = await startShardis({ args: [...FAST, '--replicaof', '127.0.0.1', String(mp.port)] });
    procs.push(sp);
    const s = client(sp);
    await waitInSync(m, s);
    const offset = async (): Promise<number> => Number((await info(m)).master_repl_offset);
    await m.setbit('foo', 0, 0);
    await m.call('BITFIELD', 'foo2', 'SET', 'i5', '0', '0');
    let o = await offset();
    await m.setbit('foo', 0, 0);
    await m.call('BITFIELD', 'foo2', 'SET', 'i5', '0', '0');
    await m.call('BITFIELD', 'foo2', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9');
    await m.call('BITFIELD', 'foo2', 'GET', 'i5', '0');
    expect(await offset()).toBe(o);
    await m.call('BITFIELD', 'foo2', 'SET', 'i5', '0', '1');
    expect(await offset()).toBeGreaterThan(o);
    o = await offset();
    await m.call('BITFIELD', 'foo2', 'SET', 'i5', '90', '0');
    expect(await offset()).toBeGreaterThan(o);
    o = await offset();
    await m.setbit('foo', 90, 0);
    expect(await offset()).toBeGreaterThan(o);
    o = await offset();
    await m.call('BITFIELD', 'foo3', 'INCRBY', 'i5', '0', '1');
    expect(await offset()).toBeGreaterThan(o);
    await waitInSync(m, s);
    expect(differences(await contents(m), await contents(s))).toEqual([]);
  });
});
