/*
 * Hashes: every command against the reference redis-server byte for byte (RESP2 and RESP3, 1 and 4
 * shards): replies, error texts and their order, RESP3 maps and HRANDFIELD pairs, number formatting
 * of HINCRBYFLOAT, HSCAN cursors; plus ioredis / node-redis usage, listpack -> hashtable conversion,
 * random-field properties, HSCAN over a large hash under concurrent deletes, and propagation.
 */

import { describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';

const SCRIPT = `
## HSET, HMSET and HSETNX count new fields and check arity
hset h f1 v1 f2 v2
hset h f1 x f3 v3
hset h f1
hset h
hmset h f4 v4
hmset h f4
hsetnx h f1 y
hsetnx h f9 y
hsetnx hn a b
## HGET, HMGET and HGETALL read fields, nil or empty for missing keys and fields
hget h f1
hget h nope
hget nokey f
hmget h f1 nope f2
hmget nokey a b
hgetall h
hgetall nokey
## HKEYS, HVALS, HLEN, HEXISTS and HSTRLEN
hkeys h
hvals h
hkeys nokey
hlen h
hlen nokey
hexists h f1
hexists h zz
hstrlen h f1
hstrlen h zz
## HDEL counts removed fields and deletes the emptied hash
hdel h f1 f1 zz
hgetall h
hdel h f2 f3 f4 f9
hlen h
hdel nokey a
## every hash command on a string key answers WRONGTYPE
set str x
hset str a b
hget str a
hgetall str
hdel str a
hlen str
hincrby str a 1
hincrbyfloat str a 1
hrandfield str
hscan str 0
hsetnx str a b
## HINCRBY range, overflow and not-an-integer errors
hincrby hi n 5
hincrby hi n -10
hincrby hi n 9223372036854775807
hset hi big 9223372036854775807
hincrby hi big 1
hincrby hi big 0
hset hi s abc
hincrby hi s 1
hincrby hi n abc
hincrby hi n 1.5
## HINCRBYFLOAT number formatting and errors
hincrbyfloat hi f 1.5
hincrbyfloat hi f 0.1
hincrbyfloat hi f -1.6
hincrbyfloat hi s 1
hincrbyfloat hi f abc
hincrbyfloat hi f inf
hincrbyfloat hi f nan
hset hi e 1e15
hincrbyfloat hi e 1
hset hi g 1.0e2
hincrbyfloat hi g 1
hincrbyfloat hi h 3.0e3
hset hi k 5
hincrbyfloat hi k 2
hincrby hi k -3
hgetall hi
## HRANDFIELD counts, WITHVALUES and argument errors
hrandfield nokey
hrandfield nokey 5
hrandfield nokey -5 withvalues
hrandfield hi 0
hrandfield hi 0 withvalues
hrandfield hi 1 withvalue
hrandfield hi 1 withvalues x
hrandfield hi abc
hrandfield hi -9223372036854775808
hrandfield hi 9223372036854775807 withvalues
hrandfield hi -4611686018427387904 withvalues
hrandfield hi 100
hrandfield hi 100 withvalues
hrandfield h1 1
hset h1 only one
hrandfield h1
hrandfield h1 1
hrandfield h1 -3
hrandfield h1 -3 withvalues
hrandfield h1 1 withvalues
hrandfield h1 5 withvalues
## HSCAN cursors, MATCH, COUNT and argument errors
hscan hi 0
hscan hi 0 match h*
hscan hi 0 count 1
hscan hi 0 count 0
hscan hi 0 count abc
hscan hi 0 type string
hscan hi 0 novalues
hscan hi abc
hscan hi -1
hscan hi 18446744073709551616
hscan nokey 0 count 0
hscan nokey abc
hscan hi 0 match
`;

describe.each([1, 4])('hashes with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('hashes', corpus(SCRIPT), s);

  it('ioredis and node-redis (RESP3 map)', async () => {
    const k = `hi${shards}`;
    expect(await s.io.hset(k, { a: '1', b: '2' })).toBe(2);
    expect(await s.io.hgetall(k)).toEqual({ a: '1', b: '2' });
    expect(await s.io.hincrby(k, 'a', 41)).toBe(42);
    expect(await s.io.hincrbyfloat(k, 'b', '0.5')).toBe('2.5');
    await expect(s.io.hincrby(k, 'b', 1)).rejects.toThrow('hash value is not an integer');
    expect(await s.io.hrandfield(k, -5)).toHaveLength(5);
    const c = createClient({ socket: { port: s.srv.port }, RESP: 3 } as never);
    await c.connect();
    try {
      expect(await c.sendCommand(['HGETALL', k])).toEqual({ a: '42', b: '2.5' });
      expect(await c.sendCommand(['HRANDFIELD', k, '2', 'WITHVALUES'])).toHaveLength(2);
    } finally {
      await c.quit();
    }
  });

  it('listpack -> hashtable conversion by entries and value length', async () => {
    const k = `{henc${shards}}`;
    await s.io.hset(`${k}a`, 'f', 'v');
    expect(await s.io.object('ENCODING', `${k}a`)).toBe('listpack');
    await s.io.hset(`${k}a`, 'long', 'x'.repeat(65));
    expect(await s.io.object('ENCODING', `${k}a`)).toBe('hashtable');
    const many: Record<string, string> = {};
    for (let i = 0; i < 513; i++) many[`f${i}`] = String(i); // hash-max-listpack-entries is 512 in Redis 7.0
    await s.io.hset(`${k}b`, many);
    expect(await s.io.object('ENCODING', `${k}b`)).toBe('hashtable');
  });

  it('HSCAN over a large hash returns every field present for the whole scan despite deletes', async () => {
    const k = `hs${shards}`;
    const fields: Record<string, string> = {};
    for (let i = 0; i < 1500; i++) fields[`f${i}`] = `v${i}`;
    await s.io.hset(k, fields);
    const seen = new Map<string, string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, items] = await s.io.hscan(k, cursor, 'COUNT', 30);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
      await s.io.hdel(k, `f${step}`);
      step++;
      cursor = next;
    } while (cursor !== '0');
    for (let i = step; i < 1500; i++) expect(seen.get(`f${i}`)).toBe(`v${i}`);
  });
});
