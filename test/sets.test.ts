/*
 * Sets: every command against the reference redis-server byte for byte (RESP2 and RESP3, 1 and 4
 * shards): replies and RESP3 set types, errors and their order, intset ordering; plus ioredis /
 * node-redis usage, intset -> hashtable conversion, SPOP / SRANDMEMBER properties, SSCAN over a large
 * set under concurrent changes, and cross-shard multi-key commands.
 */

import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { useServers } from './helpers/fixture.js';
import { expectDistinctShards } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';

const SCRIPT = `
## SADD counts new members; integer members stay as written
sadd s 3 1 2
sadd s 2 5
~ smembers s
sadd s -5 10 9223372036854775807 -9223372036854775808
~ smembers s
sadd s 01
~ smembers s
sadd t a b c
sadd t
## SREM, SISMEMBER, SMISMEMBER and SCARD
srem t a x
srem t
srem nokey a
~ smembers t
sismember t b
sismember t zz
sismember nokey a
smismember t b zz c
smismember nokey a b
smismember t
scard t
scard nokey
## set commands on a string answer WRONGTYPE
set str x
sadd str a
srem str a
smembers str
sismember str a
smismember str a
scard str
spop str
spop str 1
srandmember str
srandmember str 1
sscan str 0
sinter str t
sinter t str
sinter nokey str
sunion t str
sdiff t str
sdiff nokey str
sintercard 1 str
sinterstore {t}d str
sunionstore {t}d str
sdiffstore {t}d str
smove str t a
smove t str b
smove nokey str b
## SPOP and SRANDMEMBER count arguments and missing keys
spop nokey
spop nokey 3
spop nokey 0
spop t 0
spop t -1
spop t abc
spop t 1 2
srandmember nokey
srandmember nokey 3
srandmember nokey -3
srandmember t 0
srandmember t abc
srandmember t -9223372036854775808
srandmember t 1 2
## SRANDMEMBER and SPOP of a one-member set
sadd one x
srandmember one -3
srandmember one 3
srandmember one
spop one 5
scard one
## SINTER, SUNION and SDIFF
sadd {a}1 1 2 3 4 x
sadd {a}2 3 4 5 x
sadd {a}3 4 x 9
~ sinter {a}1 {a}2
~ sinter {a}1 {a}2 {a}3
sinter {a}1 {a}nokey
~ sinter {a}1
~ sunion {a}1 {a}2 {a}3
sunion {a}nokey
~ sdiff {a}1 {a}2
~ sdiff {a}1 {a}2 {a}3
sdiff {a}1 {a}1
~ sdiff {a}1 {a}nokey
## SINTERCARD with LIMIT and numkeys errors
sintercard 2 {a}1 {a}2
sintercard 2 {a}1 {a}2 limit 1
sintercard 2 {a}1 {a}2 limit 0
sintercard 2 {a}1 {a}2 limit -1
sintercard 2 {a}1 {a}2 limit
sintercard 2 {a}1 {a}2 foo
sintercard 0 {a}1
sintercard -1 {a}1
sintercard 3 {a}1 {a}2
sintercard abc {a}1
sintercard 1 {a}nokey
## SINTERSTORE, SUNIONSTORE and SDIFFSTORE; an empty result deletes the destination
sinterstore {a}d {a}1 {a}2
~ smembers {a}d
sinterstore {a}d {a}1 {a}nokey
scard {a}d
sunionstore {a}d {a}1 {a}2
~ smembers {a}d
sunionstore {a}d {a}n1 {a}n2
sdiffstore {a}d {a}1 {a}2 {a}3
~ smembers {a}d
sadd {a}i 1 2 3
sinterstore {a}d {a}i {a}1
~ smembers {a}d
## SMOVE, also to the same set and to a new key
smove {a}1 {a}2 1
smove {a}1 {a}2 1
smove {a}1 {a}1 2
smove {a}1 {a}1 zzz
smove {a}1 {a}new 2
~ smembers {a}new
~ smembers {a}1
## SMOVE and set algebra with a string key answer WRONGTYPE
set {a}str v
smove {a}1 {a}str 3
smove {a}str {a}1 3
smove {a}nokey {a}str 3
sinter {a}1 {a}str
sunion {a}1 {a}str
sdiff {a}1 {a}str
## SSCAN options and cursor errors; intsets come back in order
sscan {a}1 0 match x
sscan {a}1 0 count 0
sscan {a}1 0 foo
sscan {a}1 abc
sscan {a}nokey 0
sadd {a}int 5 3 1
sscan {a}int 0
sscan {a}int 0 match 3
spop {a}int 3
scard {a}int
`;

describe.each([1, 4])('sets with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  it('ioredis and node-redis: members, errors, RESP3 sets', async () => {
    const k = `si${shards}`;
    expect(await s.io.sadd(k, 'a', 'b', 'c', 'a')).toBe(3);
    expect((await s.io.smembers(k)).sort()).toEqual(['a', 'b', 'c']);
    expect(await s.io.smismember(k, 'a', 'z')).toEqual([1, 0]);
    expect(await s.io.srem(k, 'a', 'z')).toBe(1);
    await s.io.set(`${k}s`, 'x');
    await expect(s.io.sadd(`${k}s`, 'a')).rejects.toThrow(/WRONGTYPE/);
    await expect(s.io.spop(k, -1)).rejects.toThrow('value is out of range, must be positive');
    const c = createClient({ socket: { port: s.srv.port }, RESP: 3 } as never);
    await c.connect();
    try {
      // node-redis decodes a RESP3 set (~) as an array by default
      expect(((await c.sendCommand(['SMEMBERS', k])) as string[]).sort()).toEqual(['b', 'c']);
      expect(await c.sendCommand(['SISMEMBER', k, 'b'])).toBe(1);
    } finally {
      await c.quit();
    }
  });

  it('intset ordering, conversion to hashtable, TYPE', async () => {
    const k = `{enc${shards}}`;
    await s.io.sadd(`${k}i`, 30, -2, 7);
    expect(await s.io.smembers(`${k}i`)).toEqual(['-2', '7', '30']);
    expect(await s.io.type(`${k}i`)).toBe('set');
    expect(await s.io.object('ENCODING', `${k}i`)).toBe('intset');
    await s.io.sadd(`${k}i`, 'x');
    expect(await s.io.object('ENCODING', `${k}i`)).toBe('hashtable');
    const many = Array.from({ length: 513 }, (_, i) => i);
    await s.io.sadd(`${k}n`, ...many);
    expect(await s.io.object('ENCODING', `${k}n`)).toBe('hashtable');
  });

  it('SPOP and SRANDMEMBER: distinct members, counts, propagation-safe removal', async () => {
    const k = `sp${shards}`;
    const members = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    await s.io.sadd(k, ...members);
    const r = await s.io.srandmember(k, 10);
    expect(new Set(r).size).toBe(10);
    expect((await s.io.srandmember(k, -2000)).length).toBe(2000);
    expect((await s.io.srandmember(k, 5000)).length).toBe(1000);
    const popped = await s.io.spop(k, 990);
    expect(new Set(popped).size).toBe(990);
    expect(await s.io.scard(k)).toBe(10);
    const rest = await s.io.smembers(k);
    expect(rest.filter((m) => popped.includes(m))).toEqual([]);
    expect(await s.io.spop(k, 100)).toHaveLength(10);
    expect(await s.io.scard(k)).toBe(0);
  });

  it('SSCAN over a large set returns every member present for the whole scan despite removals', async () => {
    const k = `ss${shards}`;
    await s.io.sadd(k, ...Array.from({ length: 2000 }, (_, i) => `m${i}`));
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, items] = await s.io.sscan(k, cursor, 'COUNT', 25);
      for (const m of items) seen.add(m);
      await s.io.srem(k, `m${step}`, `m${1999 - step}`);
      await s.io.sadd(k, `new${step}`);
      step++;
      cursor = next;
    } while (cursor !== '0');
    for (let i = step; i < 2000 - step; i++) expect(seen.has(`m${i}`)).toBe(true);
  });

  describeCorpus('sets', corpus(SCRIPT), s);
});

describe('set and sorted-set commands across 4 shards', () => {
  const s = useServers({ shards: 4 });

  it('multi-key commands with keys on different shards', async () => {
    expectDistinctShards(['alpha', 'beta', 'dest2'], 4);
    expectDistinctShards(['zone', 'ztwo'], 4);
    await s.io.sadd('alpha', 1, 2, 3, 'x');
    await s.io.sadd('beta', 3, 4, 'x');
    await s.io.sadd('gamma', 'x', 9);
    expect((await s.io.sinter('alpha', 'beta')).sort()).toEqual(['3', 'x']);
    expect(await s.io.sintercard(3, 'alpha', 'beta', 'gamma')).toBe(1);
    expect((await s.io.sunion('alpha', 'gamma')).sort()).toEqual(['1', '2', '3', '9', 'x']);
    expect((await s.io.sdiff('alpha', 'beta')).sort()).toEqual(['1', '2']);
    expect(await s.io.sunionstore('dest', 'alpha', 'beta', 'gamma')).toBe(6);
    expect(await s.io.sinterstore('dest2', 'alpha', 'beta')).toBe(2);
    expect(await s.io.sdiffstore('dest3', 'alpha', 'beta', 'gamma')).toBe(2);
    expect((await s.io.smembers('dest3')).sort()).toEqual(['1', '2']);
    expect(await s.io.smove('alpha', 'omega', '1')).toBe(1);
    expect(await s.io.smembers('omega')).toEqual(['1']);
    await s.io.zadd('zone', 1, 'a', 2, 'b');
    await s.io.zadd('ztwo', 10, 'b', 20, 'c');
    expect(await s.io.zunionstore('zdst', 2, 'zone', 'ztwo', 'WEIGHTS', 1, 2)).toBe(3);
    expect(await s.io.zrange('zdst', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '22', 'c', '40']);
    expect(await s.io.zinter(2, 'zone', 'ztwo', 'WITHSCORES')).toEqual(['b', '12']);
    expect(await s.io.zdiff(2, 'zone', 'ztwo')).toEqual(['a']);
    expect(await s.io.zintercard(2, 'zone', 'ztwo')).toBe(1);
    expect(await s.io.zrangestore('zcopy', 'ztwo', 0, 0)).toBe(1);
    expect(await s.io.zrange('zcopy', 0, -1)).toEqual(['b']);
    expect(await s.io.call('ZMPOP', '2', 'nothing', 'ztwo', 'MIN')).toEqual(['ztwo', [['b', '10']]]);
  });

  it('store commands are atomic for concurrent readers', async () => {
    const a = Array.from({ length: 300 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 200 }, (_, i) => `b${i}`);
    await s.io.sadd('src-one', ...a);
    await s.io.sadd('src-two', ...b);
    const reader = new Redis({ port: s.srv.port });
    let stop = false;
    const seen = new Set<number>();
    const readLoop = (async () => {
      while (!stop) seen.add(await reader.scard('result'));
    })();
    try {
      for (let i = 0; i < 40; i++) {
        expect(await s.io.sunionstore('result', 'src-one', 'src-two')).toBe(500);
        expect(await s.io.sdiffstore('result', 'src-one', 'src-two')).toBe(300);
      }
    } finally {
      stop = true;
      await readLoop;
      reader.disconnect();
    }
    for (const n of seen) expect([0, 300, 500]).toContain(n);
  });
});
