/*
 * DUMP payloads in Redis's format: values DUMPed by redis-server 7 RESTORE into shardis and the
 * reverse, for every type and encoding (small/compact and large), binary-safe, LZF-compressed strings.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { fillEveryEncoding } from './helpers/fill.js';

const HAVE = haveBinaries('redis-server');


const KEYS = ['s:small', 's:int', 's:neg', 's:big', 's:bin', 's:lzf', 'l:small', 'l:big', 'set:int', 'set:str', 'set:big', 'h:small', 'h:big', 'z:small', 'z:big', 'z:inf'];

async function snapshot(c: Redis, key: string): Promise<unknown> {
  const t = await c.type(key);
  if (t === 'string') return (await c.getBuffer(key))!.toString('hex');
  if (t === 'list') return c.lrange(key, 0, -1);
  if (t === 'set') return (await c.smembers(key)).sort();
  if (t === 'hash') return c.hgetall(key);
  if (t === 'zset') return c.zrange(key, 0, -1, 'WITHSCORES');
  return t;
}

// skipped only outside CI when the Debian binaries are absent (haveBinaries warns loudly; with CI=true it throws)
describe.skipIf(!HAVE)('DUMP/RESTORE between redis-server and shardis', () => {
  let redis: Proc;
  let shardis: Proc;
  let r: Redis;
  let s: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    shardis = await startShardis({ shards: 2 });
    r = new Redis({ port: redis.port });
    s = new Redis({ port: shardis.port });
  });

  afterAll(async () => {
    r.disconnect();
    s.disconnect();
    await redis.stop();
    await shardis.stop();
  });

  it('redis-server DUMP -> shardis RESTORE for every type and encoding', async () => {
    await fillEveryEncoding(r);
    for (const k of KEYS) {
      const payload = await r.dumpBuffer(k);
      expect(await s.restore(k, 0, payload, 'REPLACE'), k).toBe('OK');
      expect(await snapshot(s, k), k).toEqual(await snapshot(r, k));
    }
  });

  it('shardis DUMP -> redis-server RESTORE for every type', async () => {
    await s.flushall();
    await fillEveryEncoding(s);
    await r.flushall();
    for (const k of KEYS) {
      const payload = await s.dumpBuffer(k);
      expect(await r.restore(k, 0, payload, 'REPLACE'), k).toBe('OK');
      expect(await snapshot(r, k), k).toEqual(await snapshot(s, k));
    }
  });

  it('a corrupted payload is refused as Redis refuses it', async () => {
    const p = Buffer.from(await r.dumpBuffer('s:small'));
    p[1] ^= 0xff;
    await expect(s.restore('bad', 0, p)).rejects.toThrow('ERR DUMP payload version or checksum are wrong');
  });
});
