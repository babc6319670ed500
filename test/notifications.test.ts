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

/** Stream writes (class t), consumer groups included. */
const STREAMS = `
xadd st1 1-1 a 1
xadd st1 maxlen 1 2-1 b 2
xadd st1 nomkstream 3-1 c 3
xadd nost nomkstream * a 1
xtrim st1 maxlen 0
xtrim st1 maxlen 0
xadd st1 4-1 d 4
xadd st1 5-1 e 5
xadd st1 6-1 f 6
xdel st1 4-1 99-1
xdel st1 99-1
xgroup create st1 g1 0
xgroup create st1 g1 0
xgroup create st2 g2 $ mkstream
xgroup create nost g2 $
xgroup createconsumer st1 g1 alice
xgroup createconsumer st1 g1 alice
xreadgroup group g1 bob count 1 streams st1 >
xreadgroup group g1 bob count 1 streams st1 >
xreadgroup group g1 erin count 1 streams st1 0
xclaim st1 g1 carol 0 5-1
xclaim st1 g1 carol 0 5-1
xautoclaim st1 g1 dave 0 0
xautoclaim st1 g1 frank 0 0
xack st1 g1 5-1
xgroup setid st1 g1 0
xgroup setid st1 g1 $ entriesread 3
xgroup delconsumer st1 g1 bob
xgroup delconsumer st1 g1 nobody
xgroup destroy st1 g1
xgroup destroy st1 g1
xsetid st1 10-1
xsetid st1 1-1
xadd st1 minid 7 11-1 g 7
xtrim st1 minid 11
del st1 st2
`;

/**
 * Commands whose keys live on several shards (4 shards: a e -> 3, b f -> 0, c g -> 1, d h -> 2): the
 * events come in redis-server's order, not shard by shard.
 */
const CROSS = `
mset a 1 b 2 c 3 d 4 e 5
del e d c b a nosuch
mset a 1 b 2 c 3 d 4 e 5 a 6
unlink b a d c
msetnx f 1 g 2 h 3
rename e a
set b 1
renamenx a b
rename a d
copy d c
del b c d f g h
sadd a x y
sadd b y z
sunionstore c a b
sinterstore d a b
sdiffstore c a b
smove a d x
zadd e 1 x
zadd f 2 y
zunionstore g 2 e f
rpush h 1 2 3
lmove h b left right
lmove h c left right
rpoplpush h e
pfadd a2 x
del a b c d e f g h
pfadd a x
pfadd b y
pfmerge c a b
setbit d 1 1
bitop or e d h
multi
set a 1
set b 2
incr c
del d
lpush e 1
sadd f x
exec
multi
mset a 1 b 2 c 3
del a b c
set d 1
rename d h
exec
mget a b c d nosuch
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

  /** A script's events checked against redis-server and a golden file (written with GOLDEN_UPDATE=1: npm run golden). */
  const against = async (name: string, flags: string, text: string): Promise<void> => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
    if (ref) {
      const want = await notificationsOf(ref.port, flags, text);
      if (process.env.GOLDEN_UPDATE === '1' && shards === 1) {
        golden[name] = want;
        fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
      }
      expect(want).toEqual(golden[name]);
    }
    expect(await notificationsOf(srv.port, flags, text)).toEqual(golden[name]);
  };

  it('stream commands notify exactly as redis-server (class t, golden file)', async () => {
    await against('streams', 'KEA', STREAMS);
  });

  it('commands over keys of several shards notify in redis-server order (MSET DEL RENAME SUNIONSTORE MULTI/EXEC, golden file)', async () => {
    await against('cross-shard', 'KEAnm', CROSS);
  });

  it('maxmemory eviction publishes evicted (class e) for each key, keyspace before keyevent, and invalidates tracked keys as redis-server', async () => {
    const run = async (port: number): Promise<{ events: string[]; invalidated: string[] }> => {
      const io = new Redis({ port, maxRetriesPerRequest: 1 });
      const sub = new Redis({ port, maxRetriesPerRequest: 1 });
      const tracker = await RawClient.connect(port);
      const events: string[] = [];
      try {
        await io.flushall();
        await io.config('SET', 'notify-keyspace-events', 'KEe');
        sub.on('pmessage', (_p: string, ch: string, msg: string) => events.push(`${ch} ${msg}`));
        await sub.psubscribe('__key*__:*');
        tracker.send('HELLO', '3');
        await tracker.readRaw();
        tracker.send('CLIENT', 'TRACKING', 'on', 'NOLOOP');
        expect(await tracker.readRaw()).toBe('+OK\r\n');
        const keys = ['ev:a', 'ev:b', 'ev:c', 'ev:d', 'ev:e', 'ev:f'];
        for (const k of keys) await io.set(k, 'value');
        tracker.send('MGET', ...keys);
        await tracker.readRaw();
        await io.config('SET', 'maxmemory-policy', 'allkeys-random');
        await io.config('SET', 'maxmemory', '1');
        await waitFor(() => events.length === 2 * keys.length, 'evicted events');
        await io.config('SET', 'maxmemory', '0');
        // the invalidations (one push per key): nobody's write, so NOLOOP does not filter them
        const invalidated: string[] = [];
        while (invalidated.length < keys.length) {
          const m = /^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$\d+\r\n(.*)\r\n$/.exec(await tracker.readRaw());
          expect(m).not.toBeNull();
          invalidated.push(m![1]!);
        }
        return { events, invalidated };
      } finally {
        await io.config('SET', 'maxmemory', '0');
        await io.config('SET', 'notify-keyspace-events', '');
        io.disconnect();
        sub.disconnect();
        tracker.close();
      }
    };
    const check = ({ events, invalidated }: { events: string[]; invalidated: string[] }): string[] => {
      // per key: its keyspace message, then its keyevent message
      for (let i = 0; i < events.length; i += 2) {
        const key = events[i]!.replace(/^__keyspace@0__:(\S+) evicted$/, '$1');
        expect(events[i + 1]).toBe(`__keyevent@0__:evicted ${key}`);
      }
      return [events.filter((_, i) => i % 2 === 0).sort(), invalidated.sort()].flat();
    };
    const got = check(await run(srv.port));
    expect(got).toEqual([...['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `__keyspace@0__:ev:${k} evicted`), ...['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `ev:${k}`)]);
    if (ref) expect(check(await run(ref.port))).toEqual(got);
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

/** Expired keys met by commands while active expiry is off: each command's events, in order. */
const LAZY = `
debug set-active-expire 0
set e1 v px 1
set e2 5 px 1
hset e3 f v
pexpire e3 1
rpush e4 a
pexpire e4 1
set e5 v px 1
sleep 30
set e1 v2
incr e2
hget e3 f
lpush e4 b
mset e5 x e6 y
debug set-active-expire 1
`;

describe('DEBUG SET-ACTIVE-EXPIRE and DEBUG PAUSE-CRON (4 shards)', () => {
  let srv: Proc;
  let dref: Proc | null = null;
  beforeAll(async () => {
    srv = await startShardis({ shards: 4, args: ['--enable-debug-command', 'yes'] });
    if (haveRedis) dref = await startRedis(['--enable-debug-command', 'yes']);
  });
  afterAll(async () => {
    await srv.stop();
    await dref?.stop();
  });

  it('with active expiry off, expired keys stay until a command meets them: expired, new, then its event (as redis-server, golden file)', async () => {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
    if (dref) {
      const want = await notificationsOf(dref.port, 'KEAnm', LAZY);
      if (process.env.GOLDEN_UPDATE === '1') {
        golden.lazy = want;
        fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
      }
      expect(want).toEqual(golden.lazy);
    }
    expect(await notificationsOf(srv.port, 'KEAnm', LAZY)).toEqual(golden.lazy);
  });

  it.each([['set-active-expire', '0', '1'], ['pause-cron', '1', '0']])('DEBUG %s keeps expired keys counted until it is undone', async (sub, off, on) => {
    const run = async (port: number): Promise<[string, number, number]> => {
      const io = new Redis({ port, maxRetriesPerRequest: 1 });
      try {
        await io.flushall();
        const ok = (await io.call('DEBUG', sub, off)) as string;
        for (let i = 0; i < 8; i++) await io.set(`k${i}`, 'v', 'PX', 1);
        await sleep(300); // several cron periods (hz 10)
        const kept = await io.dbsize();
        await io.call('DEBUG', sub, on);
        await waitFor(async () => (await io.dbsize()) === 0, 'active expiry back');
        return [ok, kept, await io.dbsize()];
      } finally {
        io.disconnect();
      }
    };
    const got = await run(srv.port);
    expect(got).toEqual(['OK', 8, 0]);
    if (dref) expect(await run(dref.port)).toEqual(got);
  });
});
