/*
 * Sorted sets: every command against the reference redis-server byte for byte (RESP2 and RESP3, 1
 * and 4 shards): replies, score formatting (%.17g, inf, RESP3 doubles), WITHSCORES shapes, every ZADD
 * option error, range parsing (exclusive bounds, lex items, LIMIT), pops and their null replies,
 * WEIGHTS / AGGREGATE; plus ioredis / node-redis usage, blocking pops, encodings, and a sorted set of
 * 200k members checked for rank and range results.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { waitFor } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

const SCRIPT = `
## ZADD: NX, XX, GT, LT, CH and INCR, their conflicts and score parsing
zadd z 1 a 2 b 3 c
zadd z 1.5 a 2 b 10 d
zadd z
zadd z 1
zadd z 1 a 2
zadd z nx xx 1 a
zadd z gt lt 1 a
zadd z gt nx 1 a
zadd z incr 1 a 2 b
zadd z abc a
zadd z nan a
zadd z inf a
zadd z -inf b
zadd z ch 0 a 0 b 5 new
zadd z nx ch 100 a 100 x
zadd z xx ch 100 a 100 y
zadd z gt ch 1 x 200 x
zadd z lt ch 300 x 50 a
zadd z incr 5 a
zadd z incr nx 5 a
zadd z incr xx 5 nomember
zadd z incr gt -100 a
zadd z incr +inf a
zadd z incr -inf a
zadd z 0.1 f 1e-5 g 1e20 h 123456789.123 i -0.0 j 3.0 k 0x10 l
zrange z 0 -1 withscores
zadd nz xx 1 a
zcard nz
## ZINCRBY
zincrby z 1.5 c
zincrby z abc c
zincrby z 1 newm
zincrby nz2 2 a
zincrby z 1 a b
## ZSCORE, ZMSCORE, ZCARD, ZRANK and ZREVRANK
zscore z c
zscore z nomember
zscore nokey a
zmscore z c nomember a
zmscore nokey a b
zcard z
zcard nokey
zrank z c
zrank z nomember
zrevrank z c
zrevrank nokey c
## ZCOUNT with exclusive and invalid ranges
zcount z -inf +inf
zcount z 1 3
zcount z (1 (3
zcount z 3 1
zcount z abc 1
zcount z ( 5
zcount z '' 5
zcount z nan 5
zcount nokey 0 1
## ZRANGE by index, BYSCORE, REV and LIMIT, and their errors
zrange z 0 2
zrange z -3 -1 withscores
zrange z 5 1
zrange z 0 100 rev
zrange z 0 -1 byscore
zrange z -inf +inf byscore limit 1 2 withscores
zrange z +inf -inf byscore rev limit 1 2 withscores
zrange z (1 10 byscore
zrange z 1 (10 byscore rev
zrange z 10 1 byscore rev
zrange z 0 1 limit 0 1
zrange z 0 1 limit 0 -1
zrange z - + bylex withscores
zrange z 0 1 byscore bylex
zrange z 0 1 rev rev
zrange z 0 1 foo
zrange z a b
zrange z a b byscore
zrange z a b bylex
zrange z -inf inf byscore limit -1 5
zrange z -inf inf byscore limit 0 0
zrange z -inf inf byscore limit 100 5
zrange z -inf inf byscore limit 3 -5
zrange z -inf inf byscore limit a b
zrange nokey 0 -1
zrange nokey 0 -1 withscores
## ZRANGEBYSCORE, ZREVRANGEBYSCORE and ZREVRANGE
zrangebyscore z -inf +inf withscores
zrangebyscore z -inf +inf withscores limit 2 3
zrangebyscore z 1 5 rev
zrangebyscore z 1 5 byscore
zrevrangebyscore z +inf -inf withscores
zrevrangebyscore z 5 (1
zrevrange z 0 2 withscores
zrevrange z 0 2 limit 0 1
zrevrange z 0 2 byscore
## ZRANGEBYLEX, ZREVRANGEBYLEX and ZLEXCOUNT
zremrangebyrank z2 0 -1
zadd z2 0 a 0 b 0 c 0 d 0 e 0 f 0 g
zrangebylex z2 - +
zrangebylex z2 [b (e
zrangebylex z2 (b [e limit 1 2
zrangebylex z2 b e
zrangebylex z2 [b [e withscores
zrangebylex z2 + -
zrangebylex z2 - + limit 2 -1
zrevrangebylex z2 + -
zrevrangebylex z2 [e (b
zrevrangebylex z2 [e (b limit 1 1
zrevrangebylex z2 - +
zlexcount z2 - +
zlexcount z2 [b (e
zlexcount z2 x y
zlexcount z2 (a (a
zlexcount nokey - +
zrangebylex z2 [a [a
zrangebylex z2 -a +
zrange z2 [c + bylex rev
zrange z2 + [c bylex rev
## ZRANGESTORE of a lex range
zrangestore {z}d z2 0 -1
zrangestore {z}d z 0 -1 withscores
## sorted-set commands on a string answer WRONGTYPE
set str v
zadd str 1 a
zincrby str 1 a
zrem str a
zscore str a
zmscore str a
zrank str a
zrange str 0 -1
zcount str 0 1
zlexcount str - +
zpopmin str
zrandmember str
zscan str 0
zcard str
zunion 1 str
zremrangebyrank str 0 1
## ZREM and ZREMRANGEBYRANK, BYLEX and BYSCORE
zrem z2 a x b
zrem z2
zrem nokey a
zrange z2 0 -1
zremrangebyrank z2 0 1
zremrangebyrank z2 a 1
zremrangebyrank nokey 0 1
zrange z2 0 -1
zremrangebylex z2 [f +
zremrangebylex z2 a b
zremrangebyscore z2 abc 1
zremrangebyscore z2 -inf +inf
zcard z2
## ZPOPMIN and ZPOPMAX with counts
zadd p 1 a 2 b 3 c 4 d 5 e
zpopmin p
zpopmax p
zpopmin p 2
zpopmin p 0
zpopmin p -1
zpopmin p a
zpopmin p 1 2
zpopmax p 10
zcard p
zpopmin nokey
zpopmin nokey 3
## ZMPOP numkeys, direction and COUNT errors
zadd {m}1 1 a 2 b 3 c
zadd {m}2 10 x
zmpop 2 {m}none {m}1 min
zmpop 2 {m}none {m}1 max count 5
zmpop 2 {m}none {m}1 max
zmpop 1 {m}2 min count 0
zmpop 1 {m}2 min count -1
zmpop 1 {m}2 min count a
zmpop 1 {m}2 mid
zmpop 1 {m}2
zmpop 0 {m}2 min
zmpop -1 {m}2 min
zmpop 2 {m}2 min
zmpop 1 {m}2 min count 1 count 1
zmpop 1 {m}2 min foo
zmpop 1 {m}2 max
zmpop 1 {m}2 max
set {m}s x
zmpop 2 {m}s {m}2 min
zmpop 2 {m}none {m}s min
bzpopmin {m}1 {m}s 0
## blocking ZPOPs with timeout errors or data ready at once
bzpopmin {m}1 abc
bzpopmin {m}1 -1
bzmpop 0.01 1 {m}1 min
bzpopmin {m}1 0.01
bzpopmax {m}1 {m}none 0.01
bzmpop abc 1 {m}1 min
bzmpop -1 1 {m}1 min
bzmpop 1 1 {m}1 foo
zadd {m}1 7 q
bzpopmin {m}none {m}1 0
zadd {m}1 7 q 8 r 9 s
bzpopmax {m}1 0
bzmpop 1 1 {m}1 min count 5
## ZRANDMEMBER counts, WITHSCORES and argument errors
zrandmember nokey
zrandmember nokey 1
zrandmember nokey -2 withscores
zadd r 1 a
zrandmember r
zrandmember r 1
zrandmember r -2 withscores
zrandmember r 5 withscores
zrandmember r 0
zrandmember r 1 withscore
zrandmember r abc
zrandmember r 1 withscores x
zrandmember r -9223372036854775808
zrandmember r 9223372036854775807 withscores
## ZUNION with WEIGHTS, AGGREGATE and sets as input
zadd {u}1 1 a 2 b 3 c
zadd {u}2 10 b 20 c 30 d
sadd {u}s a d e
zunion 2 {u}1 {u}2
zunion 2 {u}1 {u}2 withscores
zunion 3 {u}1 {u}2 {u}s withscores
zunion 2 {u}1 {u}2 weights 2 3 withscores
zunion 2 {u}1 {u}2 weights 2 withscores
zunion 2 {u}1 {u}2 weights 2 a
zunion 2 {u}1 {u}2 aggregate min withscores
zunion 2 {u}1 {u}2 aggregate max withscores
zunion 2 {u}1 {u}2 aggregate foo
zunion 2 {u}1 {u}2 aggregate
zunion 0 {u}1
zunion -1 {u}1
zunion 3 {u}1 {u}2
zunion abc {u}1
zunion 1 {u}none
zunion 2 {u}1 {u}2 foo
## ZINTER and infinite weights
zinter 2 {u}1 {u}2 withscores
zinter 3 {u}1 {u}2 {u}s withscores
zinter 2 {u}1 {u}none
zinter 2 {u}1 {u}1 withscores
zinter 2 {u}1 {u}2 weights 1 -1 aggregate max withscores
zunion 2 {u}1 {u}2 weights inf -inf withscores
zinter 2 {u}1 {u}2 weights inf -inf withscores
## ZDIFF and ZINTERCARD
zdiff 2 {u}1 {u}2 withscores
zdiff 2 {u}1 {u}s withscores
zdiff 1 {u}1
zdiff 2 {u}1 {u}2 weights 1 1
zdiff 2 {u}1 {u}2 aggregate sum
zdiff 2 {u}none {u}1
zintercard 2 {u}1 {u}2
zintercard 2 {u}1 {u}2 limit 1
zintercard 2 {u}1 {u}2 limit -1
zintercard 2 {u}1 {u}2 withscores
zintercard 0 {u}1
zintercard 2 {u}1 {u}none
## ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZRANGESTORE destinations
zunionstore {u}d 2 {u}1 {u}2
zrange {u}d 0 -1 withscores
zunionstore {u}d 2 {u}1 {u}2 withscores
zinterstore {u}d 2 {u}1 {u}2 aggregate max
zrange {u}d 0 -1 withscores
zinterstore {u}d 2 {u}1 {u}none
zcard {u}d
zdiffstore {u}d 2 {u}1 {u}2
zrange {u}d 0 -1 withscores
zunionstore {u}d 0 {u}1
set {u}str x
zunion 2 {u}1 {u}str
zunionstore {u}d 2 {u}1 {u}str
zrangestore {u}d {u}1 0 -1
zrange {u}d 0 -1 withscores
zrangestore {u}d {u}1 (1 +inf byscore limit 0 1
zrange {u}d 0 -1 withscores
zrangestore {u}d {u}1 + - bylex rev
zrangestore {u}d {u}none 0 -1
zcard {u}d
zrangestore {u}d {u}1 0 -1 withscores
zrangestore {u}d {u}str 0 -1
## ZSCAN
zscan z 0
zscan z 0 match a*
zscan z 0 count 0
zscan z abc
zscan nokey 0
`;

describe.each([1, 4])('sorted sets with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  it('ioredis: scores, ranks, ranges, options', async () => {
    const k = `zi${shards}`;
    expect(await s.io.zadd(k, 1, 'a', 2, 'b', 3, 'c')).toBe(3);
    expect(await s.io.zadd(k, 'GT', 'CH', 0, 'a', 5, 'b')).toBe(1);
    expect(await s.io.zscore(k, 'b')).toBe('5');
    expect(await s.io.zincrby(k, 0.1, 'a')).toBe('1.1000000000000001');
    expect(await s.io.zrange(k, 0, -1, 'WITHSCORES')).toEqual(['a', '1.1000000000000001', 'c', '3', 'b', '5']);
    expect(await s.io.zrank(k, 'c')).toBe(1);
    expect(await s.io.zrevrank(k, 'c')).toBe(1);
    expect(await s.io.zrangebyscore(k, '(1.1', '+inf')).toEqual(['c', 'b']);
    expect(await s.io.zpopmax(k)).toEqual(['b', '5']);
    expect(await s.io.zcard(k)).toBe(2);
    await s.io.set(`${k}s`, 'x');
    await expect(s.io.zadd(`${k}s`, 1, 'a')).rejects.toThrow(/WRONGTYPE/);
    await expect(s.io.zadd(k, 'NX', 'XX', 1, 'a')).rejects.toThrow('XX and NX options at the same time are not compatible');
    await expect(s.io.zadd(k, 'x', 'a')).rejects.toThrow('value is not a valid float');
  });

  it('node-redis over RESP3: doubles, nested WITHSCORES pairs, maps', async () => {
    const c = createClient({ socket: { port: s.srv.port }, RESP: 3 } as never);
    await c.connect();
    try {
      const k = `zn${shards}`;
      await c.sendCommand(['ZADD', k, '1.5', 'a', 'inf', 'b']);
      expect(await c.sendCommand(['ZSCORE', k, 'a'])).toBe(1.5);
      expect(await c.sendCommand(['ZSCORE', k, 'b'])).toBe(Infinity);
      expect(await c.sendCommand(['ZRANGE', k, '0', '-1', 'WITHSCORES'])).toEqual([['a', 1.5], ['b', Infinity]]);
      expect(await c.sendCommand(['ZPOPMIN', k, '1'])).toEqual([['a', 1.5]]);
      expect(await c.sendCommand(['ZMSCORE', k, 'a', 'b'])).toEqual([null, Infinity]);
    } finally {
      await c.quit();
    }
  });

  it('raw RESP3 bytes: ZSCORE double, ZRANDMEMBER pairs, ZMPOP nested, null replies', async () => {
    const r = await RawClient.connect(s.srv.port);
    try {
      r.send('HELLO', '3');
      await r.readRaw();
      const k = `{zr${shards}}`;
      r.send('ZADD', k, '2', 'm');
      expect(await r.readRaw()).toBe(':1\r\n');
      r.send('ZSCORE', k, 'm');
      expect(await r.readRaw()).toBe(',2\r\n');
      r.send('ZRANDMEMBER', k, '-2', 'WITHSCORES');
      expect(await r.readRaw()).toBe('*2\r\n*2\r\n$1\r\nm\r\n,2\r\n*2\r\n$1\r\nm\r\n,2\r\n');
      r.send('ZMPOP', '1', k, 'MAX');
      expect(await r.readRaw()).toBe(`*2\r\n$${k.length}\r\n${k}\r\n*1\r\n*2\r\n$1\r\nm\r\n,2\r\n`);
      r.send('ZMPOP', '1', k, 'MAX');
      expect(await r.readRaw()).toBe('_\r\n');
      r.send('ZSCORE', k, 'm');
      expect(await r.readRaw()).toBe('_\r\n');
    } finally {
      r.close();
    }
  });

  it('BZPOPMIN / BZPOPMAX / BZMPOP block until a ZADD, and time out with a null array', async () => {
    const k = `{bz${shards}}a`;
    const waiter = new Redis({ port: s.srv.port });
    try {
      const p = waiter.bzpopmin(k, `${k}x`, 0);
      await waitFor(async () => {
        const list = (await s.io.client('LIST')) as string;
        return /cmd=bzpopmin/.test(list);
      }, 'client blocked');
      await s.io.zadd(k, 7, 'seven', 3, 'three');
      expect(await p).toEqual([k, 'three', '3']);
      const p2 = waiter.call('BZMPOP', '0', '2', `${k}x`, k, 'MAX', 'COUNT', '5');
      expect(await p2).toEqual([k, [['seven', '7']]]);
      expect(await s.io.zcard(k)).toBe(0);
      expect(await waiter.bzpopmax(k, 0.05)).toBeNull();
      await s.io.set(`${k}s`, 'x');
      await expect(waiter.bzpopmin(`${k}s`, 0)).rejects.toThrow(/WRONGTYPE/);
      await expect(waiter.bzpopmin(k, -1)).rejects.toThrow('timeout is negative');
      await expect(waiter.bzpopmin(k, 'x')).rejects.toThrow('timeout is not a float or out of range');
    } finally {
      waiter.disconnect();
    }
  });

  it('inside MULTI a blocking pop on an empty key replies a null array at once', async () => {
    const k = `{bm${shards}}`;
    const res = await s.io.multi().bzpopmin(k, 0).zadd(k, 1, 'x').bzpopmin(k, 0).exec();
    expect(res).toEqual([[null, null], [null, 1], [null, [k, 'x', '1']]]);
  });

  it('encodings follow the listpack limits and convert back for store results', async () => {
    const k = `{enc${shards}}`;
    await s.io.zadd(`${k}small`, 1, 'a');
    expect(await s.io.object('ENCODING', `${k}small`)).toBe('listpack');
    const args: (string | number)[] = [];
    for (let i = 0; i < 129; i++) args.push(i, `m${i}`);
    await s.io.zadd(`${k}big`, ...args);
    expect(await s.io.object('ENCODING', `${k}big`)).toBe('skiplist');
    await s.io.zadd(`${k}long`, 1, 'x'.repeat(65));
    expect(await s.io.object('ENCODING', `${k}long`)).toBe('skiplist');
    await s.io.zremrangebyrank(`${k}big`, 0, 100);
    expect(await s.io.object('ENCODING', `${k}big`)).toBe('skiplist');
    await s.io.zunionstore(`${k}dst`, 1, `${k}big`);
    expect(await s.io.object('ENCODING', `${k}dst`)).toBe('listpack');
    expect(await s.io.type(`${k}dst`)).toBe('zset');
  });

  it('ZSCAN over a skiplist returns every member present for the whole scan despite deletes', async () => {
    const k = `zs${shards}`;
    const args: (string | number)[] = [];
    for (let i = 0; i < 1000; i++) args.push(i, `m${i}`);
    await s.io.zadd(k, ...args);
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [next, items] = await s.io.zscan(k, cursor, 'COUNT', 20);
      for (let i = 0; i < items.length; i += 2) seen.add(items[i]!);
      // remove members with even numbers as the scan goes
      await s.io.zrem(k, `m${step * 2}`, `m${step * 2 + 500}`);
      step++;
      cursor = next;
    } while (cursor !== '0');
    for (let i = 0; i < 1000; i++) {
      const removed = (i % 2 === 0 && i < step * 2) || (i >= 500 && i % 2 === 0 && i - 500 < step * 2);
      if (!removed) expect(seen.has(`m${i}`)).toBe(true);
    }
  });

  describeCorpus('zsets', corpus(SCRIPT), s);
});

describe('a big sorted set (200k members: a skiplist many levels high)', () => {
  const s = useServers({ shards: 2 });

  const N = 200_000;
  const name = (i: number): string => `m${String(i).padStart(7, '0')}`;

  it('ranks, ranges by rank / score / lex, counts and removals are exact', async () => {
    // insert in a scrambled order: member i has score 2*i
    const order = Array.from({ length: N }, (_, i) => (i * 7919) % N);
    for (let b = 0; b < N; b += 100_000) {
      const pipe = s.io.pipeline();
      for (let c = b; c < b + 100_000; c += 1000) {
        const args: (string | number)[] = [];
        for (let j = c; j < c + 1000; j++) args.push(order[j]! * 2, name(order[j]!));
        pipe.zadd('big', ...args);
      }
      await pipe.exec();
    }
    expect(await s.io.zcard('big')).toBe(N);
    for (const i of [0, 1, 24_691, 100_000, 199_999]) {
      expect(await s.io.zrank('big', name(i))).toBe(i);
      expect(await s.io.zrevrank('big', name(i))).toBe(N - 1 - i);
    }
    expect(await s.io.zrange('big', 153_086, 153_088)).toEqual([name(153_086), name(153_087), name(153_088)]);
    expect(await s.io.zrange('big', -2, -1, 'WITHSCORES')).toEqual([name(N - 2), String((N - 2) * 2), name(N - 1), String((N - 1) * 2)]);
    expect(await s.io.zrangebyscore('big', '(200000', '+inf', 'LIMIT', 10, 2)).toEqual([name(100_011), name(100_012)]);
    expect(await s.io.zrevrangebyscore('big', '1000', '-inf', 'LIMIT', 0, 2)).toEqual([name(500), name(499)]);
    expect(await s.io.zcount('big', 0, 199_999)).toBe(100_000);
    expect(await s.io.zlexcount('big', `[${name(10)}`, `(${name(20)}`)).toBe(10);
    expect(await s.io.zrangebylex('big', `(${name(199_997)}`, '+')).toEqual([name(199_998), name(199_999)]);
    // remove a block of ranks in the middle, then members one by one
    expect(await s.io.zremrangebyrank('big', 80_000, 99_999)).toBe(20_000);
    expect(await s.io.zrank('big', name(100_000))).toBe(80_000);
    expect(await s.io.zrem('big', name(0), name(1), name(2))).toBe(3);
    expect(await s.io.zrank('big', name(100_000))).toBe(79_997);
    expect(await s.io.zremrangebyscore('big', 360_000, '+inf')).toBe(20_000);
    expect(await s.io.zcard('big')).toBe(N - 40_003);
    expect(await s.io.zrange('big', -1, -1)).toEqual([name(179_999)]);
    expect(await s.io.zpopmin('big', 2)).toEqual([name(3), '6', name(4), '8']);
    expect(await s.io.zrank('big', name(5))).toBe(0);
  });
});
