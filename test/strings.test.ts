/*
 * String commands: every command and its errors, byte for byte against redis-server 7 (RESP2 and
 * RESP3), with 1 and 4 shards; client libraries on top; MSET atomic under concurrent MGET readers.
 */

import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { useServers } from './helpers/fixture.js';
import { spreadKeys } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import { stopwatch, ttlSeconds } from './helpers/wait.js';

const SCRIPT = `
## SET and GET; NX, XX and GET options and their conflicts
set s1 hello
get s1
get nokey
set s1 world xx
set snew v xx
set snew v nx
set snew v2 nx
set s1 v nx xx
set s1 v xx nx
set s1 v get
set s1 v2 get nx
set s1 v3 get xx
## SET expiry options: conflicts, invalid and out-of-range times
set s2 v ex 100 px 100
set s2 v ex 100 keepttl
set s2 v ex abc
set s2 v ex 0
set s2 v ex -1
set s2 v px 0
set s2 v exat 0
set s2 v ex 9223372036854775807
set s2 v px 9223372036854775807
set s2 v keepttl
set s2 v bogus
set s2 v ex
## integer strings read back as written
set sint 12345
get sint
set sneg -7
get sneg
## SETNX, SETEX and PSETEX, with invalid expire times
setnx s1 x
setnx snx2 x
setex sx 100 v
setex sx 0 v
setex sx -5 v
setex sx abc v
psetex spx 100000 v
psetex spx 0 v
## GETSET, GETDEL and GETEX
getset s1 newval
getset nokey2 v
getdel s1
getdel s1
getex snx2
getex snx2 persist
getex snx2 ex 100 persist
getex snx2 bogus
getex nokey3 ex 10
## INCR, DECR, INCRBY and DECRBY: errors and 64-bit overflow
set cnt 10
incr cnt
decr cnt
incrby cnt 5
decrby cnt 3
incrby cnt abc
incr snx2
set big 9223372036854775807
incr big
set small -9223372036854775808
decr small
decrby small 9223372036854775807
incrby cnt -9223372036854775808
decrby cnt -9223372036854775808
## INCRBYFLOAT formatting, hex floats, inf, nan and overflow
set fl 10.5
incrbyfloat fl 0.1
incrbyfloat fl -5
incrbyfloat fl abc
incrbyfloat fl 5.0e3
incrbyfloat fl 1e400
incrbyfloat snx2 1
incrbyfloat newfl 3
incrbyfloat newfl 0.1
incrbyfloat newfl -3.1
incrbyfloat newfl 1.23456789012345678901234
incrbyfloat newfl -1e-20
incrbyfloat newfl 1e4000
incrbyfloat newfl -1e4000
incrbyfloat newfl inf
incrbyfloat newfl nan
incrbyfloat newfl ' 1'
incrbyfloat newfl 1e5000
incrbyfloat newfl 0x10
incrbyfloat newfl 0x1.8p3
incrbyfloat newfl 0x
incrbyfloat newfl -0X.8
set negz -0.0
incrbyfloat negz 0
incrbyfloat negz -0.0
set fl3 3.0
incrbyfloat fl3 7
## HINCRBYFLOAT formats as INCRBYFLOAT
hset hf f 10.5
hincrbyfloat hf f 0.1
hincrbyfloat hf f 5.0e3
hincrbyfloat hf f 1e400
hincrbyfloat hf f inf
hincrbyfloat hf g -0.0000000001
## INCR of a float string is not an integer
set fl2 1.5e10
incrbyfloat fl2 0
incr fl
## APPEND and STRLEN
append ap hello
append ap " world"
get ap
strlen ap
strlen nokey
strlen sint
## GETRANGE and SUBSTR with negative and out-of-range indexes
getrange ap 0 4
getrange ap -5 -1
getrange ap 5 2
getrange ap 0 -100
getrange ap -100 100
getrange nokey 0 1
getrange ap a b
substr ap 0 3
## SETRANGE pads with zeros, refuses negative and too-large offsets
setrange sr 5 hi
get sr
setrange sr 0 XY
setrange sr -1 x
setrange sr 536870912 x
setrange sr2 0 ''
exists sr2
setrange sr 1 ''
## MSET, MGET and MSETNX
mset m1 a m2 b m3 c
mget m1 m2 m3 nokey
mset m1
msetnx m1 x m4 y
msetnx m4 x m5 y
mget m4 m5
## LCS with LEN, IDX, MINMATCHLEN and WITHMATCHLEN
set lcs1 ohmytext
set lcs2 mynewtext
lcs lcs1 lcs2
lcs lcs1 lcs2 len
lcs lcs1 lcs2 idx
lcs lcs1 lcs2 idx minmatchlen 4
lcs lcs1 lcs2 idx withmatchlen
lcs lcs1 lcs2 len idx
lcs lcs1 nokey
lcs lcs1 lcs2 bogus
## arity errors
get
set a
incr a b
## string commands on a list answer WRONGTYPE
lpush wt x
get wt
append wt x
incr wt
strlen wt
getrange wt 0 1
setrange wt 0 x
`;

describe.each([1, 4])('strings with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('strings', corpus(SCRIPT), s);

  it('GET and SET from request bytes answer as redis-server: binary, hashtag and long keys, int-like and long values, overwrites, hits and misses', async () => {
    if (s.ref === null) throw new Error('redis-server is not installed: this test compares with it');
    const run = async (r: Redis): Promise<unknown[]> => {
      const out: unknown[] = [];
      const bin = Buffer.from([0, 255, 13, 10, 36, 42, 128]);
      const keys = [bin, 'bk:{t}1', 'bk:' + 'k'.repeat(62), 'bk:' + 'k'.repeat(70), Buffer.alloc(0)];
      const values = ['v', '', '12', '-7', '0012', 'x'.repeat(254), 'y'.repeat(255), 'z'.repeat(5000), bin];
      const stats = async (): Promise<number[]> => {
        const info = await r.info('stats');
        return ['keyspace_hits', 'keyspace_misses'].map((f) => Number(new RegExp(`${f}:(\\d+)`).exec(info)![1]));
      };
      const before = await stats();
      for (const k of keys) {
        out.push(await r.getBuffer(k));
        for (const v of values) out.push(await r.set(k, v), await r.getBuffer(k), await r.strlen(k), await r.object('ENCODING', k));
      }
      await r.rpush('bk:list', 'a');
      out.push(await r.getBuffer('bk:list').catch((e: Error) => e.message), await r.set('bk:list', 'now a string'), await r.get('bk:list'), await r.type('bk:list'));
      await r.incr('bk:n');
      out.push(await r.get('bk:n'), await r.set('bk:n', 'text'), await r.get('bk:n'), await r.incr('bk:n').catch((e: Error) => e.message));
      const after = await stats();
      out.push(after[0]! - before[0]!, after[1]! - before[1]!, await r.dbsize());
      return out;
    };
    const mine = s.client();
    const ref = s.client({ port: s.ref.port });
    for (const c of [mine, ref]) await c.flushall();
    expect(await run(mine)).toEqual(await run(ref));
  });

  it('ioredis and node-redis', async () => {
    const sw = stopwatch();
    expect(await s.io.set('io:a', '1', 'EX', 100)).toBe('OK');
    expect(await s.io.ttl('io:a')).toBeGreaterThanOrEqual(ttlSeconds(100_000 - sw.elapsed()));
    expect(await s.io.incrby('io:a', 41)).toBe(42);
    expect(await s.io.mget('io:a', 'io:none')).toEqual(['42', null]);
    const bin = Buffer.from([0, 255, 13, 10, 128]);
    await s.io.set('io:bin', bin);
    expect(await s.io.getBuffer('io:bin')).toEqual(bin);
    const c = createClient({ socket: { port: s.srv.port } });
    await c.connect();
    try {
      expect(await c.set('nr:a', 'x', { PX: 100000 })).toBe('OK');
      expect(await c.get('nr:a')).toBe('x');
      expect(await c.incrByFloat('nr:f', 1.5)).toBe('1.5');
      await expect(c.incr('nr:a')).rejects.toThrow('ERR value is not an integer or out of range');
    } finally {
      await c.quit();
    }
  });

  it('MSET is atomic under concurrent MGET readers across shards', async () => {
    const keys = spreadKeys(shards, 16, 'atom:'); // over every shard, asserted
    await s.io.mset(...keys.flatMap((k) => [k, '0']));
    const readers = Array.from({ length: 4 }, () => new Redis({ port: s.srv.port }));
    let stop = false;
    let torn = 0;
    let reads = 0;
    const readLoops = readers.map(async (r) => {
      while (!stop) {
        const vals = await r.mget(...keys);
        reads++;
        if (new Set(vals).size !== 1) torn++;
      }
    });
    // 300 rounds, and more until the readers have read at all (however the machine schedules them)
    let round = 0;
    while (round < 300 || reads === 0) {
      round++;
      await s.io.mset(...keys.flatMap((k) => [k, String(round)]));
    }
    stop = true;
    await Promise.all(readLoops);
    for (const r of readers) r.disconnect();
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
    expect(new Set(await s.io.mget(...keys))).toEqual(new Set([String(round)]));
  });

  it('MSETNX across shards sets all or none', async () => {
    const [a, b, c] = spreadKeys(shards, 3, 'nx:') as [string, string, string]; // with 4 shards: three shards, asserted
    await s.io.set(b, 'taken');
    expect(await s.io.msetnx(a, '1', b, '2', c, '3')).toBe(0);
    expect(await s.io.mget(a, b, c)).toEqual([null, 'taken', null]);
    expect(await s.io.msetnx(a, '1', c, '3')).toBe(1);
    expect(await s.io.mget(a, c)).toEqual(['1', '3']);
  });
});
