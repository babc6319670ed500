/*
 * Keyspace notifications (notify-keyspace-events): the exact sequence of messages a PSUBSCRIBE
 * '__key*__:*' client receives for a scripted run of writes over keys on several shards, against
 * redis-server 7.0.15 and against the recorded golden file (runs without redis-server); CONFIG GET's
 * canonical flag string; classes filtering; lazy and active expiry; a RESP3 client seeing the push for
 * its own write before the write's reply.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from './helpers/raw.js';
import { haveBinaries, sleep, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';

const haveRedis = haveBinaries('redis-server');
if (!haveRedis && process.env.CI === 'true') throw new Error('redis-server is required in CI');
const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden/notify-script.json');

/** Writes over keys spread over shards (no hashtags), one command per line; "sleep N" pauses. */
const SCRIPT = `
set s1 v
set s1 v2 px 100000
setrange s1 1 xx
incr n1
incrby n1 5
decr n1
incrbyfloat f1 1.5
append s2 abc
getset s2 new
setnx s3 a
setnx s3 b
mset m1 a m1 b
getdel s3
getex s2 ex 100
getex s2 persist
expire s1 100
persist s1
pexpire s1 -1
copy s2 s2copy
rename s2copy s2ren
renamenx s2ren s2
move s2ren 3
del s2 nosuchkey n1
unlink f1
lpush l1 a b c d e
rpush l1 f
lpushx l1 z
rpushx nolist z
linsert l1 before a x
lset l1 0 y
lpop l1
rpop l1 2
ltrim l1 0 3
lrem l1 1 x
lmove l1 l2 left right
rpoplpush l2 l1
lmpop 1 l2 right count 5
rpush l3 only
lpop l3
sadd st1 a b c d
sadd st1 a
srem st1 a nope
smove st1 st2 b
spop st1
sadd st3 x y z
sinterstore st4 st2 st3
sunionstore st4 st2 st3
sdiffstore st4 st3 st3
spop st3 10
hset h1 a 1 b 2
hsetnx h1 a 9
hsetnx h1 c 3
hincrby h1 a 5
hincrbyfloat h1 b 0.5
hdel h1 a nope
hdel h1 b c
zadd z1 1 a 2 b 3 c 4 d 5 e
zadd z1 xx 9 zz
zadd z1 incr 1 a
zincrby z1 1 b
zrem z1 a
zremrangebyscore z1 0 2
zremrangebyrank z1 0 0
zremrangebylex z1 - +
zadd z2 1 a 2 b
zadd z3 1 b 3 c
zunionstore z4 2 z2 z3
zinterstore z4 2 z2 z3
zdiffstore z4 2 z2 z2
zrangestore z5 z2 0 -1
zpopmin z5
zpopmax z5
setbit b1 3 1
setbit b1 3 1
bitfield b2 set u8 0 200
bitop or b3 b1 b2
bitop and b4 nokey1 nokey2
pfadd hl1 a b c
pfadd hl1 a
pfmerge hl2 hl1
geoadd g1 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
geosearchstore g2 g1 frommember Palermo byradius 300 km
georadius g1 15 37 200 km store g3
rpush sl 3 1 2
sort sl store sl2
sort nolist store sl2
set ttlkey v px 1
sleep 20
get ttlkey
flushall
`;

/** Reads of present and missing keys (key-miss events). */
const READS = `
set present v
get present
get missing1
mget present missing2
strlen missing3
lrange missing4 0 -1
hget missing5 f
smembers missing6
zscore missing7 m
exists missing8
type missing9
ttl missing10
`;

function script(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/));
}

/** Run the script on a server; returns the messages '__key*__:*' received, as "channel message". */
async function notificationsOf(port: number, flags = 'KEA', text = SCRIPT): Promise<string[]> {
  const cmd = new Redis({ port, maxRetriesPerRequest: 1 });
  const sub = new Redis({ port, maxRetriesPerRequest: 1 });
  const got: string[] = [];
  try {
    await cmd.flushall();
    await cmd.config('SET', 'notify-keyspace-events', flags);
    sub.on('pmessage', (_p: string, ch: string, msg: string) => got.push(`${ch} ${msg}`));
    await sub.psubscribe('__key*__:*');
    for (const argv of script(text)) {
      if (argv[0] === 'sleep') {
        await sleep(Number(argv[1]));
        continue;
      }
      await cmd.call(argv[0]!, ...argv.slice(1)).catch((e: Error) => e);
    }
    // DUMP / RESTORE (binary payload)
    await cmd.set('dumped', 'payload');
    const payload = await cmd.dumpBuffer('dumped');
    await cmd.restore('restored', 0, payload);
    await cmd.restore('restored', 0, payload, 'REPLACE');
    await cmd.publish('__keyspace@0__:END', 'end');
    await waitFor(() => got.includes('__keyspace@0__:END end'), 'end marker');
    return got.filter((m) => m !== '__keyspace@0__:END end');
  } finally {
    await cmd.config('SET', 'notify-keyspace-events', '').catch(() => undefined);
    cmd.disconnect();
    sub.disconnect();
  }
}

let ref: Proc | null = null;

beforeAll(async () => {
  if (haveRedis) ref = await startRedis();
});

afterAll(async () => {
  await ref?.stop();
});

describe('notify-keyspace-events config', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 1 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('CONFIG GET shows the canonical flag string and bad classes are refused', async () => {
    const io = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
    try {
      const cases: [string, string][] = [
        ['nmKEA', 'AKEm'],
        ['ng', 'gn'],
        ['K$g', 'g$K'],
        ['Ex', 'xE'],
        ['gE$nd', 'g$dnE'],
        ['', ''],
      ];
      for (const [set, want] of cases) {
        await io.config('SET', 'notify-keyspace-events', set);
        expect(await io.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', want]);
      }
      await expect(io.config('SET', 'notify-keyspace-events', 'Q')).rejects.toThrow(
        "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
      );
    } finally {
      io.disconnect();
    }
  });
});

describe.each([1, 4])('keyspace notifications with %i shard(s)', (shards) => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it.skipIf(!haveRedis)('the scripted writes notify exactly as redis-server (KEA)', async () => {
    const want = await notificationsOf(ref!.port);
    const got = await notificationsOf(srv.port);
    expect(got).toEqual(want);
  });

  it('the scripted writes notify as recorded from redis-server 7.0.15 (golden file)', async () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
    let want = golden.KEA!;
    if (ref && process.env.GOLDEN_UPDATE === '1') {
      golden.KEA = want = await notificationsOf(ref.port);
      golden['Kl$'] = await notificationsOf(ref.port, 'Kl$');
      golden.Enm = await notificationsOf(ref.port, 'Enm', SCRIPT + READS);
      fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
    }
    expect(await notificationsOf(srv.port)).toEqual(want);
  });

  it('only the enabled classes and channel kinds are published (golden file, Kl$)', async () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
    expect(await notificationsOf(srv.port, 'Kl$')).toEqual(golden['Kl$']);
  });

  it.skipIf(!haveRedis)('new keys and key misses notify exactly as redis-server (Enm)', async () => {
    const want = await notificationsOf(ref!.port, 'Enm', SCRIPT + READS);
    expect(await notificationsOf(srv.port, 'Enm', SCRIPT + READS)).toEqual(want);
  });

  it('new keys and key misses notify as recorded (golden file, Enm)', async () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
    expect(await notificationsOf(srv.port, 'Enm', SCRIPT + READS)).toEqual(golden.Enm);
  });

  it('a blocked BLPOP served by a push notifies the push, then the pop and the deletion (golden file)', async () => {
    const run = async (port: number): Promise<string[]> => {
      const io = new Redis({ port, maxRetriesPerRequest: 1 });
      const blocked = new Redis({ port, maxRetriesPerRequest: 1 });
      const sub = new Redis({ port, maxRetriesPerRequest: 1 });
      const got: string[] = [];
      try {
        await io.config('SET', 'notify-keyspace-events', 'KEA');
        sub.on('pmessage', (_p: string, ch: string, msg: string) => got.push(`${ch} ${msg}`));
        await sub.psubscribe('__key*__:*');
        const popped = blocked.blpop('bl', 0);
        await waitFor(async () => /blocked_clients:1/.test(await io.info('clients')), 'client blocked');
        await io.rpush('bl', 'a');
        expect(await popped).toEqual(['bl', 'a']);
        await io.publish('__keyspace@0__:END', 'end');
        await waitFor(() => got.includes('__keyspace@0__:END end'), 'end marker');
        return got.filter((m) => m !== '__keyspace@0__:END end');
      } finally {
        await io.config('SET', 'notify-keyspace-events', '');
        io.disconnect();
        blocked.disconnect();
        sub.disconnect();
      }
    };
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
    if (ref && process.env.GOLDEN_UPDATE === '1') {
      golden.blpop = await run(ref.port);
      fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
    }
    if (ref) expect(await run(ref.port)).toEqual(golden.blpop);
    expect(await run(srv.port)).toEqual(golden.blpop);
  });

  it('nothing is published while notify-keyspace-events is empty', async () => {
    expect(await notificationsOf(srv.port, '', 'set a 1\nlpush l a\ndel a l')).toEqual([]);
  });

  it('active expiry publishes expired for keys nobody reads', async () => {
    const io = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
    const sub = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
    try {
      await io.config('SET', 'notify-keyspace-events', 'Ex');
      const got: string[] = [];
      sub.on('message', (ch: string, msg: string) => got.push(`${ch} ${msg}`));
      await sub.subscribe('__keyevent@0__:expired');
      for (let i = 0; i < 8; i++) await io.set(`active:${i}`, 'v', 'PX', 20);
      await waitFor(() => got.length === 8, 'expired events');
      expect(got.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `__keyevent@0__:expired active:${i}`).sort());
    } finally {
      await io.config('SET', 'notify-keyspace-events', '');
      io.disconnect();
      sub.disconnect();
    }
  });

  it('RESP3: the push for a write on the same connection comes before its reply', async () => {
    const r = await RawClient.connect(srv.port);
    const io = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
    try {
      await io.config('SET', 'notify-keyspace-events', 'K$');
      r.send('HELLO', '3');
      await r.readRaw();
      r.send('SUBSCRIBE', '__keyspace@0__:own');
      expect(await r.readRaw()).toBe('>3\r\n$9\r\nsubscribe\r\n$18\r\n__keyspace@0__:own\r\n:1\r\n');
      r.send('SET', 'own', 'v');
      expect(await r.readRaw()).toBe('>3\r\n$7\r\nmessage\r\n$18\r\n__keyspace@0__:own\r\n$3\r\nset\r\n');
      expect(await r.readRaw()).toBe('+OK\r\n');
      // pipelined with a read before it: the read's reply, then the push, then the write's reply
      r.write('*2\r\n$3\r\nGET\r\n$3\r\nown\r\n*3\r\n$6\r\nAPPEND\r\n$3\r\nown\r\n$1\r\nx\r\n');
      expect(await r.readRaw()).toBe('$1\r\nv\r\n');
      expect(await r.readRaw()).toBe('>3\r\n$7\r\nmessage\r\n$18\r\n__keyspace@0__:own\r\n$6\r\nappend\r\n');
      expect(await r.readRaw()).toBe(':2\r\n');
    } finally {
      await io.config('SET', 'notify-keyspace-events', '');
      io.disconnect();
      r.close();
    }
  });
});
