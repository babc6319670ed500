/*
 * Compact encodings of small aggregates (store/packed.ts): OBJECT ENCODING against redis-server 7.0
 * as hashes, sets and sorted sets grow past their thresholds, shrink, and as CONFIG SET moves the
 * thresholds (a corpus, compared reply by reply), and the byte store keeping small ones as bytes in
 * the key's entry (no JS object held), with every change made through a decoded value written back.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import { Arena, ByteTable, HashValue, Keyspace, ListValue, SetValue, ZSetValue, type KeyspaceHooks } from './helpers/src.js';

const SCRIPT = `
## a small hash is a listpack in insertion order, updates keep a field's place, deletes close the gap
hset h a 1 b 2 c 3
object encoding h
hset h a 10 d 4
hgetall h
hdel h b
hgetall h
hset h b 22
hkeys h
hvals h
hget h c
hmget h a b zz
hexists h d
hstrlen h a
hlen h
hscan h 0
hrandfield h 10 withvalues
object encoding h
## past hash-max-listpack-entries a hash becomes a hashtable, and stays one when it shrinks
config set hash-max-listpack-entries 4
hset h2 f1 1 f2 2 f3 3 f4 4
object encoding h2
hset h2 f4 44
object encoding h2
hset h2 f5 5
object encoding h2
hdel h2 f1 f2 f3 f4
object encoding h2
hgetall h2
config set hash-max-listpack-entries 512
## a field or value longer than hash-max-listpack-value makes a hashtable (HINCRBYFLOAT's result too)
hset h3 f 0123456789012345678901234567890123456789012345678901234567890123
object encoding h3
hset h3 g 01234567890123456789012345678901234567890123456789012345678901234
object encoding h3
hset h4 01234567890123456789012345678901234567890123456789012345678901234 v
object encoding h4
config set hash-max-listpack-value 3
hset h5 f 1
hincrbyfloat h5 f 0.5
object encoding h5
hincrbyfloat h5 f 0.25
object encoding h5
config set hash-max-listpack-value 64
## lowered thresholds apply at a hash's next write, as in Redis
hset h6 a 1 b 2 c 3
config set hash-max-listpack-entries 2
object encoding h6
hget h6 a
object encoding h6
hset h6 a 1
object encoding h6
hset h7 a 1
hdel h7 a
exists h7
config set hash-max-listpack-entries 0
hset h8 a 1
object encoding h8
config set hash-max-listpack-entries 512
## COPY and RENAME keep a listpack hash and its order
hset {c}h z 1 y 2 x 3
copy {c}h {c}h2
object encoding {c}h2
hgetall {c}h2
hset {c}h2 w 4
hgetall {c}h
rename {c}h {c}h3
object encoding {c}h3
hgetall {c}h3
type {c}h3
## a set of integers is an intset listed in ascending order, widened as members need it
sadd s 5 -3 100 0
object encoding s
smembers s
sadd s 70000 -5000000000 9223372036854775807 -9223372036854775808 5
smembers s
sismember s 70000
sismember s 9223372036854775807
smismember s 5 6 abc -5000000000
srem s 100 abc 9223372036854775807
smembers s
scard s
sscan s 0
srandmember s 100
object encoding s
sadd s 007
object encoding s
scard s
## past set-max-intset-entries a set becomes a hashtable, and stays one when it shrinks
config set set-max-intset-entries 3
sadd s2 1 2 3
object encoding s2
sadd s2 3
object encoding s2
sadd s2 4
object encoding s2
srem s2 1 2 3
object encoding s2
smembers s2
config set set-max-intset-entries 512
## members that are not canonical integers make a hashtable
sadd s3 1 2
sadd s3 -0
object encoding s3
sadd s4 a
object encoding s4
sadd s5 +1
object encoding s5
sadd s6 18446744073709551616
object encoding s6
sadd s7 -9223372036854775809
object encoding s7
## stored and moved integer sets are intsets
sadd {t}a 1 2 3 4
sadd {t}b 4 3 5
sinterstore {t}c {t}a {t}b
object encoding {t}c
smembers {t}c
sunionstore {t}u {t}a {t}b
smembers {t}u
object encoding {t}u
smove {t}a {t}d 1
object encoding {t}d
smembers {t}a
srem {t}d 1
exists {t}d
## a small sorted set is a listpack in score order; scores and ranks read from it
zadd z 3 c 1 a 2 b -0 zero inf top
object encoding z
zrange z 0 -1 withscores
zscore z b
zscore z zero
zscore z nope
zmscore z a nope top
zrank z c
zrevrank z a
zincrby z 10 a
zrange z 0 -1 withscores
zrem z b nope
zrangebyscore z 1 100 withscores
zrangebylex z - +
zcard z
zscan z 0
zpopmin z
zpopmax z
zrange z 0 -1 withscores
object encoding z
## past zset-max-listpack-entries or -value a sorted set is a skiplist; stored results convert back
config set zset-max-listpack-entries 3
zadd z2 1 a 2 b 3 c
object encoding z2
zadd z2 4 d
object encoding z2
zrem z2 a b c
object encoding z2
config set zset-max-listpack-entries 128
zadd z3 1 0123456789012345678901234567890123456789012345678901234567890123456789
object encoding z3
zadd {z}a 1 a 2 b 3 c
zadd {z}b 1 b 2 c 3 d
config set zset-max-listpack-entries 2
zunionstore {z}u 2 {z}a {z}b
object encoding {z}u
zinterstore {z}i 2 {z}a {z}b
object encoding {z}i
zrange {z}i 0 -1 withscores
zrangestore {z}r {z}a 0 0
object encoding {z}r
config set zset-max-listpack-entries 128
## a list is a quicklist at every size, its elements packed while it fits one node
rpush l a b c
object encoding l
lpush l z
lrange l 0 -1
lindex l 2
lindex l -1
lset l 1 B
linsert l before c x
linsert l after c y
lrange l 0 -1
lrem l 0 x
lpos l c
ltrim l 1 -1
lrange l 0 -1
rpop l
lpop l
llen l
lmove l {l}b left right
config set list-max-listpack-size 2
rpush l2 a b c d
object encoding l2
lrange l2 1 2
lpop l2 3
config set list-max-listpack-size -2
`;

describe.each([1, 2])('encodings with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('encodings', corpus(SCRIPT), s);

  it('DUMP and RESTORE keep a small hash a listpack with its order, a large one a hashtable', async () => {
    const k = `{d${shards}}`;
    await s.io.hset(`${k}s`, 'q', '1', 'p', '2', 'o', '3');
    await s.io.restore(`${k}s2`, 0, (await s.io.dumpBuffer(`${k}s`))!);
    expect(await s.io.object('ENCODING', `${k}s2`)).toBe('listpack');
    expect(await s.io.hkeys(`${k}s2`)).toEqual(['q', 'p', 'o']);
    const big: Record<string, string> = {};
    for (let i = 0; i < 600; i++) big[`f${i}`] = String(i);
    await s.io.hset(`${k}b`, big);
    await s.io.restore(`${k}b2`, 0, (await s.io.dumpBuffer(`${k}b`))!);
    expect(await s.io.object('ENCODING', `${k}b2`)).toBe('hashtable');
    expect(await s.io.hlen(`${k}b2`)).toBe(600);
  });
});

describe('intsets in RDB form', () => {
  const s = useServers({ shards: 1 });

  it('DUMP of an integer set is an RDB intset, byte for byte what redis-server 7.0.15 dumps', async () => {
    await s.io.sadd('k', '3', '1', '2', '-5', '70000');
    // recorded from redis-server 7.0.15: SADD k 3 1 2 -5 70000, DUMP k
    expect((await s.io.dumpBuffer('k'))!.toString('hex')).toBe('0b1c0400000005000000fbffffff010000000200000003000000701101000a0023e5f3765598617d');
    await s.io.restore('k2', 0, (await s.io.dumpBuffer('k'))!);
    expect(await s.io.smembers('k2')).toEqual(['-5', '1', '2', '3', '70000']);
    expect(await s.io.object('ENCODING', 'k2')).toBe('intset');
  });
});

const hooks: KeyspaceHooks = { expired() {}, modified() {}, ready() {}, notify() {} };

describe('packed values in the byte store', () => {
  it('a small hash lives as bytes in its entry: no JS object is held for it', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    for (let i = 0; i < 1000; i++) t.set(`h${i}`, HashValue.from([['name', `n${i}`], ['age', String(i)]]), 0);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
    const h = t.get('h500') as HashValue;
    expect(h.encoding()).toBe('listpack');
    expect([...h.entries()]).toEqual([['name', 'n500'], ['age', '500']]);
  });

  it('changes made through a decoded hash are written back to its entry, conversion stores the object', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('k', HashValue.from([['a', '1']]), 0);
    t.set('other', HashValue.from([['x', '1']]), 0);
    const h = t.get('k') as HashValue;
    t.get('other'); // another decoded value: k's decoding is no longer the table's last
    h.set('b', '2');
    h.delete('a');
    expect([...(t.get('k') as HashValue).entries()]).toEqual([['b', '2']]);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
    h.set('long', 'x'.repeat(100));
    expect(h.encoding()).toBe('hashtable');
    expect(t.get('k')).toBe(h);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(1);
    expect(h.get('b')).toBe('2');
    t.delete('k');
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
  });

  it('an intset lives as bytes in its entry and widens from 2 to 4 to 8 bytes a member', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('s', SetValue.from(['3', '1', '2']), 0);
    const s = t.get('s') as SetValue;
    expect(s.packed()!.length).toBe(2 + 3 * 2);
    s.add('100000');
    expect((t.get('s') as SetValue).packed()!.length).toBe(2 + 4 * 4);
    s.add('-9223372036854775808');
    s.add('9007199254740993');
    expect((t.get('s') as SetValue).packed()!.length).toBe(2 + 6 * 8);
    expect([...(t.get('s') as SetValue).members()]).toEqual(['-9223372036854775808', '1', '2', '3', '100000', '9007199254740993']);
    expect(s.has('9007199254740993')).toBe(true);
    expect(s.has('9007199254740992')).toBe(false);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
    s.add('x');
    expect(s.encoding()).toBe('hashtable');
    expect(t.get('s')).toBe(s);
    expect(s.size).toBe(7);
  });

  it('a small sorted set lives as bytes in its entry; ZSCORE reads them without building nodes', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('z', ZSetValue.from([['b', 2], ['a', 1], ['c', -Infinity]]), 0);
    t.set('other', ZSetValue.from([['x', 1]]), 0);
    const z = t.get('z') as ZSetValue;
    expect(z.size).toBe(3);
    expect(z.score('a')).toBe(1);
    expect(z.score('c')).toBe(-Infinity);
    expect(z.has('d')).toBe(false);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
    expect(z.rank('b')).toBe(2);
    z.set('d', 0.5);
    z.delete('a');
    t.get('other');
    expect([...(t.get('z') as ZSetValue).entries()]).toEqual([['c', -Infinity], ['d', 0.5], ['b', 2]]);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
  });

  it('a list fitting one 8 kB node lives as bytes in its entry, a longer one as the object', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('l', ListValue.from(['b', 'c']), 0);
    const l = t.get('l') as ListValue;
    l.pushLeft('a');
    l.pushRight('d');
    expect(l.popRight()).toBe('d');
    expect((t.get('l') as ListValue).range(0, 2)).toEqual(['a', 'b', 'c']);
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(0);
    for (let i = 0; i < 100; i++) l.pushRight('x'.repeat(100));
    expect(l.packed()).toBeNull();
    expect(t.get('l')).toBe(l);
    expect(l.size).toBe(103);
    expect(l.at(2)).toBe('c');
    expect(a.objs.filter((o) => o !== undefined)).toHaveLength(1);
  });

  it('a batch of changes (HSET of several fields) is written back once at its end, also when it throws', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('k', HashValue.from([['a', '1']]), 0);
    const h = t.get('k') as HashValue;
    let during: [string, string][] = [];
    h.batch(() => {
      h.set('b', '2');
      h.set('c', '3');
      t.set('other', 'x', 0); // the entry still holds what it held before the batch
      during = [...(t.get('k') as HashValue).entries()];
    });
    expect(during).toEqual([['a', '1']]);
    const after = t.get('k') as HashValue;
    expect([...after.entries()]).toEqual([['a', '1'], ['b', '2'], ['c', '3']]);
    expect(() =>
      after.batch(() => {
        after.delete('a');
        throw new Error('midway');
      }),
    ).toThrow('midway');
    t.set('other', 'y', 0);
    expect([...(t.get('k') as HashValue).entries()]).toEqual([['b', '2'], ['c', '3']]);
  });

  it('an entry grows and shrinks through size classes as its hash changes, freeing the old space', () => {
    const a = new Arena();
    const t = new ByteTable(a);
    t.set('k', new HashValue(), 0);
    const h = t.get('k') as HashValue;
    for (let i = 0; i < 100; i++) h.set(`field${i}`, `value${i}`);
    expect(a.live).toBe(1);
    const grown = a.usedBytes;
    for (let i = 0; i < 100; i++) expect(h.get(`field${i}`)).toBe(`value${i}`);
    for (let i = 0; i < 99; i++) h.delete(`field${i}`);
    expect(a.live).toBe(1);
    expect(a.usedBytes).toBeLessThan(grown);
    expect([...(t.get('k') as HashValue).entries()]).toEqual([['field99', 'value99']]);
  });

  it('the keyspace counts a packed hash as its entry in MEMORY USAGE-style accounting', () => {
    const ks = new Keyspace(1, hooks);
    const db = ks.db(0);
    ks.setTracking(true);
    db.set('k', HashValue.from([['a', '1']]));
    const before = db.bytes;
    const h = db.get('k') as HashValue;
    for (let i = 0; i < 50; i++) h.set(`f${i}`, 'v'.repeat(40));
    db.modified('k');
    expect(db.bytes).toBeGreaterThan(before + 50 * 40);
  });
});
