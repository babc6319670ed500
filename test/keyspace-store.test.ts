/*
 * The two keyspace stores (`keyspace-store bytes`, the default, and `heap`) seen from a client: the
 * same workload over every value kind the byte store keeps (inline strings with every byte value,
 * integers, strings past the inline limit, aggregates by handle), deletes and overwrites that change
 * an entry's size class, SCAN, SWAPDB, DUMP/RESTORE, OBJECT IDLETIME, DEBUG RELOAD and FLUSHALL, gives
 * the same replies on both stores.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { startShardis, type Proc } from './helpers/server.js';

const BIN = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

async function workload(r: Redis): Promise<unknown[]> {
  const out: unknown[] = [];
  const started = Date.now();
  const p = r.pipeline();
  for (let i = 0; i < 3000; i++) p.set(`s:${i}`, `value-${i}`);
  for (let i = 0; i < 500; i++) p.set(`n:${i}`, String(i * 1000 - 7));
  p.set(BIN, BIN);
  p.set('big', 'x'.repeat(10_000));
  p.hset('h', 'f1', 'a', 'f2', 'b');
  p.rpush('l', 'a', 'b', 'c');
  await p.exec();
  for (let i = 0; i < 3000; i += 3) await r.del(`s:${i}`);
  // overwrites: same class, larger class, integer to string and back, string to aggregate
  await r.set('s:1', 'v');
  await r.set('s:2', 'y'.repeat(300));
  await r.incrby('n:5', 10);
  await r.append('n:6', 'tail');
  await r.set('big', 'short now');
  out.push(await r.get('s:1'), await r.get('s:2'), await r.get('n:5'), await r.get('n:6'), await r.get('big'));
  out.push(await r.getBuffer(BIN));
  out.push(await r.object('ENCODING', 'n:5'), await r.object('ENCODING', 's:4'), await r.object('ENCODING', 'n:6'));
  out.push(await r.hgetall('h'), await r.lrange('l', 0, -1), await r.type('h'), await r.dbsize());
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'COUNT', 200);
    cursor = next;
    for (const k of batch) keys.add(k);
  } while (cursor !== '0');
  out.push(keys.size, [...keys].filter((k) => k.startsWith('s:')).length);
  const dump = await r.dumpBuffer('n:7');
  await r.restore('restored', 0, dump);
  // idle seconds of a key written at the start of this workload: at most the seconds the workload
  // has taken so far (rounded up, plus the second boundary), however loaded the machine is; an access
  // clock that is not kept reads far more (or nothing)
  const idle = (await r.object('IDLETIME', 's:4')) as number;
  const elapsed = Math.ceil((Date.now() - started) / 1000) + 1;
  out.push(await r.get('restored'), idle >= 0 && idle <= elapsed ? 'recent' : idle);
  await r.select(1);
  await r.set('in-db1', 'x');
  await r.swapdb(0, 1);
  out.push(await r.dbsize(), await r.get('in-db1'));
  await r.swapdb(0, 1);
  await r.select(0);
  out.push(await r.call('DEBUG', 'RELOAD'), await r.dbsize(), await r.get('s:5'), await r.getBuffer(BIN));
  out.push(await r.flushall(), await r.dbsize(), await r.set('s:1', 'again'), await r.get('s:1'));
  return out;
}

describe('keyspace stores', () => {
  const srv: Record<string, Proc> = {};
  const results: Record<string, unknown[]> = {};

  beforeAll(async () => {
    for (const store of ['bytes', 'heap']) srv[store] = await startShardis({ shards: 2, args: ['--keyspace-store', store, '--enable-debug-command', 'yes'] });
  });

  afterAll(async () => {
    for (const s of Object.values(srv)) await s.stop();
  });

  it.each(['bytes', 'heap'])('CONFIG GET keyspace-store reports %s and the workload runs on it', async (store) => {
    const r = new Redis({ port: srv[store]!.port });
    try {
      expect(await r.config('GET', 'keyspace-store')).toEqual(['keyspace-store', store]);
      results[store] = await workload(r);
      expect(results[store]!.slice(0, 5)).toEqual(['v', 'y'.repeat(300), '5003', '5993tail', 'short now']);
      expect(results[store]![5]).toEqual(BIN);
    } finally {
      r.disconnect();
    }
  });

  it('the byte store answers the workload exactly as the heap store', () => {
    expect(results.bytes).toBeDefined();
    expect(results.bytes).toEqual(results.heap);
  });
});
