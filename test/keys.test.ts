/*
 * Generic key commands diffed byte for byte against redis-server 7 (RESP2 and RESP3), 1 and 4 shards,
 * plus cross-shard RENAME/COPY keeping TTLs, DUMP/RESTORE round trips and OBJECT.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { spreadKeys } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { waitFor } from './helpers/server.js';
import { sleep, stopwatch, ttlSeconds } from './helpers/wait.js';

// "? ttl k": the TTL the script just set, read from the clock (see diffReplies)
const SCRIPT = `
## EXISTS counts repeats, DEL, UNLINK, TOUCH and TYPE of every type
set a 1
set b 2
rpush l x y
exists a b l nokey a
del a nokey
exists a
unlink b nokey2
touch l nokey
type l
type nokey
set s v
type s
hset h f v
type h
sadd st m
type st
zadd z 1 m
type z
## RENAME and RENAMENX, also onto the same key
rename s s2
get s2
rename nokey x
rename s2 s2
renamenx s2 s2
set s3 x
renamenx s2 s3
renamenx s2 s4
rename s4 s3
get s3
## EXPIRE with NX, XX, GT and LT, conflicts and out-of-range times; PERSIST
set e v
expire e 100
? ttl e
expire e 100 nx
expire e 200 xx
expire e 50 gt
expire e 500 gt
expire e 600 lt
expire e 50 lt
? ttl e
expire e 10 nx xx
expire e 10 gt lt
expire e 10 bogus
expire e abc
expire nokey 10
expire e 9223372036854775807
pexpire e 9223372036854775807
expireat e 9223372036854775807
expire e -9223372036854775808
persist e
persist e
ttl e
persist nokey
## an expire time in the past deletes the key
set f v
expire f 0
exists f
set g v
pexpireat g 1
exists g
## EXPIRETIME and PEXPIRETIME
set k v
expiretime k
pexpiretime k
expiretime nokey
expireat k 99999999999
expiretime k
pexpiretime k
ttl nokey
pttl nokey
## OBJECT ENCODING of every type and string encoding
set n 123
object encoding n
object refcount n
set n2 12345678901
object encoding n2
set sh short
object encoding sh
set lg aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
object encoding lg
object encoding l
object encoding h
object encoding st
object encoding z
object encoding nokey
## string encodings after APPEND, SETRANGE, RENAME, COPY and INCR
set {e}a hello
append {e}a x
object encoding {e}a
setrange {e}b 0 hi
object encoding {e}b
set {e}c 12
append {e}c 3
object encoding {e}c
rename {e}c {e}c2
object encoding {e}c2
copy {e}c2 {e}c3
object encoding {e}c3
incr {e}c3
object encoding {e}c3
set {e}c2 hi
object encoding {e}c2
append {e}new 123
object encoding {e}new
setrange {e}a 0 ''
object encoding {e}a
## OBJECT FREQ without an LFU policy, IDLETIME, HELP and unknown subcommands
object freq n
object idletime nokey
object bogus
object help
## COPY with REPLACE, DB and its errors; a copied list is independent
copy n n_copy
get n_copy
copy n n_copy
copy n n_copy replace
copy n n db 0
copy n n db 1
copy n other db 16
copy n other db abc
copy n other bogus
copy nokey other
rpush cl 1 2 3
copy cl cl2
rpush cl 4
lrange cl2 0 -1
## DUMP of a missing key; RESTORE argument and payload errors
dump nokey
restore r 0 bad
restore r -1 bad
restore r abc bad
restore r 0 bad idletime -1
restore r 0 bad freq 300
restore r 0 bad idletime 1 freq 1
restore r 0 bad bogus
restore n 0 bad
## MOVE between databases keeps the TTL; MOVE errors
set mv 1
pexpire mv 100000
move mv 1
exists mv
select 1
exists mv
? ttl mv
move mv 0
select 0
set mv other
select 1
move mv 0
get mv
move mv 1
move mv 16
move mv -1
move mv abc
move nokey 0
rpush mvl a b
move mvl 0
select 0
get mv
lrange mvl 0 -1
type mvl
## arity errors
del
`;

describe.each([1, 4])('key commands with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('keys', corpus(SCRIPT), s);

  it('RENAME and COPY across shards keep the value and the TTL', async () => {
    for (const [i, type] of ['string', 'list'].entries()) {
      // on 4 shards: three different shards, asserted
      const [a, b, cpy] = spreadKeys(shards, 3, `ren${i}:`) as [string, string, string];
      if (type === 'string') await s.io.set(a, 'value');
      else await s.io.rpush(a, '1', '2', '3');
      const sw = stopwatch();
      await s.io.pexpire(a, 100_000);
      expect(await s.io.copy(a, cpy)).toBe(1);
      expect(await s.io.rename(a, b)).toBe('OK');
      expect(await s.io.exists(a)).toBe(0);
      for (const k of [b, cpy]) {
        expect(await s.io.type(k)).toBe(type);
        expect(await s.io.pttl(k)).toBeGreaterThanOrEqual(100_000 - sw.elapsed());
      }
      if (type === 'list') expect(await s.io.lrange(b, 0, -1)).toEqual(['1', '2', '3']);
      else expect(await s.io.get(b)).toBe('value');
    }
    await s.io.set('ren:x', '1');
    await s.io.set('ren:y', '2');
    expect(await s.io.renamenx('ren:x', 'ren:y')).toBe(0);
    expect(await s.io.del('ren:x', 'ren:y', 'ren:none')).toBe(2);
  });

  it('DUMP then RESTORE recreates the value (with REPLACE, TTL and ABSTTL)', async () => {
    await s.io.rpush('dl', 'a', 'b');
    await s.io.set('ds', 'hello');
    const pl = await s.io.dumpBuffer('dl');
    const ps = await s.io.dumpBuffer('ds');
    expect(await s.io.restore('dl2', 0, pl)).toBe('OK');
    expect(await s.io.lrange('dl2', 0, -1)).toEqual(['a', 'b']);
    await expect(s.io.restore('dl2', 0, pl)).rejects.toThrow('BUSYKEY Target key name already exists.');
    const sw = stopwatch();
    expect(await s.io.restore('dl2', 5000, ps, 'REPLACE')).toBe('OK');
    expect(await s.io.get('dl2')).toBe('hello');
    expect(await s.io.pttl('dl2')).toBeGreaterThanOrEqual(5000 - sw.elapsed());
    const at = Date.now() + 100_000;
    expect(await s.io.restore('dl3', at, ps, 'ABSTTL')).toBe('OK');
    expect(await s.io.ttl('dl3')).toBeGreaterThanOrEqual(ttlSeconds(at - Date.now()));
    await expect(s.io.restore('dl4', 0, Buffer.from('garbage'))).rejects.toThrow('ERR DUMP payload version or checksum are wrong');
    // an integer string comes back in the int encoding, also after a RENAME to another shard
    await s.io.set('dn', '123');
    expect(await s.io.restore('dn2', 0, await s.io.dumpBuffer('dn'))).toBe('OK');
    expect(await s.io.object('ENCODING', 'dn2')).toBe('int');
    expect(await s.io.rename('dn2', 'dn-elsewhere')).toBe('OK');
    expect(await s.io.object('ENCODING', 'dn-elsewhere')).toBe('int');
    expect(await s.io.incr('dn-elsewhere')).toBe(124);
  });

  it('OBJECT IDLETIME: RESTORE IDLETIME sets it; EXISTS, TYPE, TTL and OBJECT leave it; reads, writes and TOUCH reset it', async () => {
    // the same checks run on redis-server when it is there, so the two behave alike
    const servers = [s.srv.port, ...(s.ref ? [s.ref.port] : [])];
    for (const port of servers) {
      const r = new Redis({ port });
      try {
        await r.set('it:src', 'v');
        const payload = await r.dumpBuffer('it:src');
        // idle times are whole seconds on a clock that may lag a second: a key touched `elapsed` ms
        // ago reads at most ceil(elapsed / 1000) + 2 seconds idle, however slow the round trips were
        const upTo = (sw: { elapsed(): number }): number => Math.ceil(sw.elapsed() / 1000) + 2;
        const restored = stopwatch();
        for (const k of ['it:a', 'it:b', 'it:c', 'it:d']) await r.restore(k, 0, payload, 'REPLACE', 'IDLETIME', 1000);
        const idle = async (k: string): Promise<number> => (await r.object('IDLETIME', k)) as number;
        expect(await idle('it:a')).toBeGreaterThanOrEqual(1000);
        expect(await idle('it:a')).toBeLessThanOrEqual(1000 + upTo(restored));
        expect(await r.exists('it:a')).toBe(1);
        expect(await r.type('it:a')).toBe('string');
        expect(await r.ttl('it:a')).toBe(-1);
        expect(await r.object('ENCODING', 'it:a')).toBe('embstr');
        expect(await idle('it:a')).toBeGreaterThanOrEqual(1000);
        const read = stopwatch();
        expect(await r.get('it:a')).toBe('v');
        expect(await idle('it:a')).toBeLessThanOrEqual(upTo(read));
        const written = stopwatch();
        expect(await r.append('it:b', 'w')).toBe(2);
        expect(await idle('it:b')).toBeLessThanOrEqual(upTo(written));
        const touched = stopwatch();
        expect(await r.touch('it:c')).toBe(1);
        expect(await idle('it:c')).toBeLessThanOrEqual(upTo(touched));
        expect(await idle('it:d')).toBeGreaterThanOrEqual(1000);
        expect(await r.object('IDLETIME', 'it:none')).toBe(null);
      } finally {
        r.disconnect();
      }
    }
    // the clock moves: a key left alone comes to read two seconds idle (OBJECT IDLETIME does not touch it)
    await s.io.set('it:fresh', '1');
    await sleep(2000);
    await waitFor(async () => ((await s.io.object('IDLETIME', 'it:fresh')) as number) >= 2, { what: 'it:fresh to be 2 s idle', everyMs: 200 });
  });

  it('node-redis', async () => {
    const c = createClient({ socket: { port: s.srv.port } });
    await c.connect();
    try {
      await c.set('nr:k', 'v');
      const sw = stopwatch();
      expect(await c.expire('nr:k', 100)).toBe(1);
      const ttl = await c.ttl('nr:k');
      expect(ttl).toBeLessThanOrEqual(100);
      expect(ttl).toBeGreaterThanOrEqual(ttlSeconds(100_000 - sw.elapsed()));
      expect(await c.type('nr:k')).toBe('string');
      expect(await c.exists(['nr:k', 'nr:none'])).toBe(1);
    } finally {
      await c.quit();
    }
  });
});
