/*
 * RESTORE of DUMP payloads in the encodings of Redis < 7 (zipmap, ziplist lists/hashes/sorted sets,
 * quicklists of ziplists), as redis-server 6.x produces them and as the RDB files of its full syncs
 * contain. The payloads are built here from the format (rdb.h, ziplist.c, zipmap.c) and RESTOREd
 * into shardis and into redis-server 7, which still loads them: both must read back the same values.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { crc64 } from './helpers/src.js';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';

const HAVE = haveBinaries('redis-server');

function zlEntry(v: string | number, prevlen: number): Buffer {
  const prev = prevlen < 254 ? Buffer.from([prevlen]) : Buffer.concat([Buffer.from([0xfe]), u32le(prevlen)]);
  let body: Buffer;
  if (typeof v === 'number') {
    if (v >= 0 && v <= 12) body = Buffer.from([0xf1 + v]);
    else if (v >= -128 && v <= 127) body = Buffer.from([0xfe, v & 0xff]);
    else if (v >= -32768 && v <= 32767) {
      body = Buffer.alloc(3);
      body[0] = 0xc0;
      body.writeInt16LE(v, 1);
    } else if (v >= -8388608 && v <= 8388607) {
      body = Buffer.alloc(4);
      body[0] = 0xf0;
      body.writeIntLE(v, 1, 3);
    } else if (v >= -2147483648 && v <= 2147483647) {
      body = Buffer.alloc(5);
      body[0] = 0xd0;
      body.writeInt32LE(v, 1);
    } else {
      body = Buffer.alloc(9);
      body[0] = 0xe0;
      body.writeBigInt64LE(BigInt(v), 1);
    }
  } else {
    const s = Buffer.from(v, 'latin1');
    let head: Buffer;
    if (s.length < 64) head = Buffer.from([s.length]);
    else if (s.length < 16384) head = Buffer.from([0x40 | (s.length >> 8), s.length & 0xff]);
    else {
      head = Buffer.alloc(5);
      head[0] = 0x80;
      head.writeUInt32BE(s.length, 1);
    }
    body = Buffer.concat([head, s]);
  }
  return Buffer.concat([prev, body]);
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function ziplist(items: (string | number)[]): Buffer {
  const entries: Buffer[] = [];
  let prev = 0;
  let tail = 10;
  let off = 10;
  for (const it of items) {
    const e = zlEntry(it, prev);
    entries.push(e);
    tail = off;
    off += e.length;
    prev = e.length;
  }
  const total = off + 1;
  const head = Buffer.alloc(10);
  head.writeUInt32LE(total, 0);
  head.writeUInt32LE(tail, 4);
  head.writeUInt16LE(items.length, 8);
  return Buffer.concat([head, ...entries, Buffer.from([0xff])]);
}

function zipmap(pairs: [string, string][]): Buffer {
  const parts: Buffer[] = [Buffer.from([pairs.length])];
  const len = (n: number): Buffer => (n < 254 ? Buffer.from([n]) : Buffer.concat([Buffer.from([254]), u32le(n)]));
  for (const [k, v] of pairs) parts.push(len(k.length), Buffer.from(k, 'latin1'), len(v.length), Buffer.from([0]), Buffer.from(v, 'latin1'));
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

/** An RDB string holding raw bytes. */
function rdbString(b: Buffer): Buffer {
  if (b.length < 64) return Buffer.concat([Buffer.from([b.length]), b]);
  if (b.length < 16384) return Buffer.concat([Buffer.from([0x40 | (b.length >> 8), b.length & 0xff]), b]);
  const h = Buffer.alloc(5);
  h[0] = 0x80;
  h.writeUInt32BE(b.length, 1);
  return Buffer.concat([h, b]);
}

/** A DUMP payload: type, value, RDB version 9 (Redis 6.x), CRC64. */
function dump(type: number, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([type]), value, Buffer.from([9, 0])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

const long = 'L'.repeat(300);
const PAYLOADS: [string, Buffer][] = [
  ['list-ziplist', dump(10, rdbString(ziplist(['a', 1, -5, 300, 70000, 5000000000, 'hello', long, 12, 13])))],
  ['list-quicklist', dump(14, Buffer.concat([Buffer.from([2]), rdbString(ziplist(['x', 'y', 7])), rdbString(ziplist([-100000, 'z']))]))],
  ['hash-ziplist', dump(13, rdbString(ziplist(['f1', 'v1', 'f2', 2, 'num', -300])))],
  ['zset-ziplist', dump(12, rdbString(ziplist(['c', -3, 'a', 1, 'b', '2.5', 'd', 'inf'])))], // sorted by score, as Redis stores them
  ['hash-zipmap', dump(9, rdbString(zipmap([['k1', 'v1'], ['key2', 'a longer value'], ['e', '']])))],
];

async function read(c: Redis, key: string): Promise<unknown> {
  const t = await c.type(key);
  if (t === 'list') return c.lrange(key, 0, -1);
  if (t === 'hash') return Object.entries(await c.hgetall(key)).sort();
  if (t === 'zset') return c.zrange(key, 0, -1, 'WITHSCORES');
  return t;
}

describe('RESTORE of Redis < 7 encodings', () => {
  let shardis: Proc;
  let redis: Proc | null = null;
  let s: Redis;
  let r: Redis | null = null;
  beforeAll(async () => {
    shardis = await startShardis();
    s = new Redis({ port: shardis.port });
    if (HAVE) {
      redis = await startRedis();
      r = new Redis({ port: redis.port });
    }
  });
  afterAll(async () => {
    s.disconnect();
    r?.disconnect();
    await shardis.stop();
    await redis?.stop();
  });

  it('shardis reads back the values written in the old encodings', async () => {
    for (const [key, payload] of PAYLOADS) expect(await s.restore(key, 0, payload)).toBe('OK');
    expect(await s.lrange('list-ziplist', 0, -1)).toEqual(['a', '1', '-5', '300', '70000', '5000000000', 'hello', long, '12', '13']);
    expect(await s.lrange('list-quicklist', 0, -1)).toEqual(['x', 'y', '7', '-100000', 'z']);
    expect(await s.hgetall('hash-ziplist')).toEqual({ f1: 'v1', f2: '2', num: '-300' });
    expect(await s.zrange('zset-ziplist', 0, -1, 'WITHSCORES')).toEqual(['c', '-3', 'a', '1', 'b', '2.5', 'd', 'inf']);
    expect(await s.hgetall('hash-zipmap')).toEqual({ k1: 'v1', key2: 'a longer value', e: '' });
  });

  it.skipIf(!HAVE)('redis-server 7 reads the same payloads the same way', async () => {
    for (const [key, payload] of PAYLOADS) {
      await r!.restore(key, 0, payload, 'REPLACE');
      await s.restore(key, 0, payload, 'REPLACE');
      expect(await read(s, key), key).toEqual(await read(r!, key));
    }
  });
});
