/*
 * SORT and SORT_RO against the reference redis-server byte for byte (RESP2 and RESP3, 1 and 4 shards):
 * numeric and ALPHA order, ASC/DESC, LIMIT, BY patterns (nosort, hash fields), GET patterns (#,
 * key->field, missing keys), STORE, on lists, sets and sorted sets; errors and their order. With 4
 * shards the pattern keys are spread over the shards. Plus STORE atomicity for concurrent readers.
 */

import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { useServers } from './helpers/fixture.js';
import { shardOf, spreadKeys } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';

const SCRIPT = `
## SORT of a list: numeric, DESC, ALPHA and LIMIT
rpush l 3 1 2 10 -5 2.5 1e2
sort l
sort l desc
sort l asc
sort l limit 0 3
sort l limit 2 3
sort l limit -5 2
sort l limit 5 -1
sort l limit 100 5
sort l limit 0 0
sort l desc limit 1 2
sort l alpha
sort l alpha desc limit 1 3
## SORT BY and GET patterns, BY nosort, missing keys
mset w_3 30 w_1 10 w_2 -2 w_10 5 w_-5 0 w_2.5 7 w_1e2 100
sort l by w_*
sort l by w_* desc
sort l by w_* limit 1 3
sort l by w_* get #
sort l by w_* get # get w_*
sort l by w_* get w_* get nokey_* get #
sort l by nosort
sort l by nosort desc
sort l by nosort limit 2 2
sort l by nosort desc limit 2 2
sort l by nosort get w_*
sort l by w_ get w_*
sort l get w_*->f
## SORT BY and GET hash fields
hset h_3 f c3 n 3
hset h_1 f c1 n 1
hset h_10 f c10 n 10
sort l by h_*->n get h_*->f get #
sort l by h_*->n desc get h_*->f
sort l by h_*-> get h_*->
sort l by w_* alpha
sort l by h_*->f alpha get #
## SORT STORE replaces the destination and its TTL; empty results delete it
sort l store {l}dst
lrange {l}dst 0 -1
sort l by w_* get # get w_* store {l}dst
lrange {l}dst 0 -1
sort l by w_* get missing_* store {l}dst
lrange {l}dst 0 -1
sort l limit 0 0 store {l}dst
exists {l}dst
sort l limit 0 0 store {l}dst
set {l}dst x
expire {l}dst 100
sort l store {l}dst
ttl {l}dst
type {l}dst
## SORT of a missing key
sort nokey
sort nokey store {nokey}d
sort nokey alpha desc limit 0 1
## SORT of sets, BY nosort STORE keeps set order
sadd s 5 3 9 1
sort s
sort s desc
sort s by w_* get #
sort s alpha limit 1 2
sort s by nosort store {s}dst
lrange {s}dst 0 -1
~ sort s by nosort
sadd sa b c a
sort sa by nosort store {sa}dst
lrange {sa}dst 0 -1
sort sa alpha
sort sa
## SORT of sorted sets: BY nosort follows the score order
zadd z 3 a 1 b 2 c 0 d
sort z alpha
sort z by nosort
sort z by nosort desc
sort z by nosort limit 1 2
sort z by nosort desc limit 1 2
sort z by nosort limit 3 10
sort z by nosort limit 10 10
sort z by nosort desc limit 0 0
mset v_a 1 v_b 2 v_c 3 v_d 4
sort z by v_*
sort z by v_* desc get #
sort z
## scores that are not numbers
rpush bad 1 x 2
sort bad
sort bad desc limit 0 1
sort bad by nosort
sort bad alpha
rpush odd ' 1' '' 0x10 inf -inf nan
sort odd
rpush odd2 ' 1' '' 0x10 inf -inf 3
sort odd2
rpush {o}l2 1 2
set {o}w_1 abc
sort {o}l2 by {o}w_*
set {o}w_1 ''
sort {o}l2 by {o}w_* get #
## SORT and SORT_RO errors
set str x
sort str
sort str by nosort
sort_ro str
sort l limit
sort l limit 1
sort l limit x 1
sort l limit 1 x
sort l frob
sort l by
sort l get
sort l store
sort str limit x 1
sort l alpha x
sort_ro l store {l}dst
sort_ro l
sort_ro l by w_* get # get w_* desc limit 1 2
sort_ro s
sort_ro z by nosort
## SORT of a hash answers WRONGTYPE
hset hh a 1
sort hh
## COMMAND GETKEYS of SORT and SORT_RO
command getkeys sort a by x store b limit 1 2 store c
command getkeysandflags sort a by store get x store b
command getkeys sort_ro a store b
command getkeys sort a store
# last: out-of-range scores (redis-server leaves errno set to ERANGE after these, failing every
# numeric SORT after them until some other call resets it)
## out-of-range scores
rpush erange 1 1e400
sort erange
rpush erange2 1 2e-400
sort erange2
`;

/** Seeded random SORT calls over a list, a set and a sorted set (the same calls on every run). */
function randomSorts(): string[][] {
  let seed = 777;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const cmds: string[][] = [];
  // numeric elements; numeric BY values repeat (ties fall back to the elements: deterministic) or
  // are missing (0); ALPHA BY only with values unique and present (Redis leaves ties unordered)
  const elems = Array.from({ length: 40 }, (_, i) => String(i * 7 - 100 + (i % 3 === 0 ? 0.5 : 0)));
  cmds.push(['rpush', 'fl', ...elems.slice().sort(() => rnd(3) - 1)]);
  cmds.push(['sadd', 'fs', ...elems]);
  cmds.push(['zadd', 'fzs', ...elems.flatMap((e) => [String(rnd(5)), e])]);
  elems.forEach((e, i) => {
    if (i % 4 !== 0) cmds.push(['set', `fw_${e}`, String(rnd(10))]);
    cmds.push(['set', `fu_${e}`, `u${String(1000 - i).padStart(5, '0')}`]);
    if (i % 5 !== 0) cmds.push(['hset', `fh_${e}`, 'n', String(rnd(100)), 'name', `name${i}`]);
  });
  for (let i = 0; i < 150; i++) {
    const key = ['fl', 'fs', 'fzs'][rnd(3)]!;
    const cmd = ['SORT', key];
    const by = rnd(5);
    if (by === 1) cmd.push('BY', 'fw_*');
    else if (by === 2) cmd.push('BY', 'fh_*->n');
    else if (by === 3 && key !== 'fs') cmd.push('BY', 'nosort');
    else if (by === 4) cmd.push('BY', 'fu_*');
    if (rnd(2)) cmd.push('LIMIT', String(rnd(50) - 5), String(rnd(30) - 3));
    for (let g = rnd(3); g > 0; g--) cmd.push('GET', ['#', 'fw_*', 'fh_*->name', 'fh_*->missing', 'nokey_*', 'fu_*'][rnd(6)]!);
    if (rnd(2)) cmd.push(rnd(2) ? 'DESC' : 'ASC');
    if (by === 4 || ((by === 0 || by === 3) && rnd(2))) cmd.push('ALPHA');
    const store = rnd(4) === 0;
    if (store) cmd.push('STORE', 'fout');
    cmds.push(cmd);
    if (store) cmds.push(['lrange', 'fout', '0', '-1']);
  }
  return cmds;
}

describe.each([1, 4])('SORT with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('sort', corpus(SCRIPT), s);

  describeCorpus('sort-random', [{ name: 'random SORT calls reply and store as redis-server', cmds: randomSorts() }], s, [2]);

  it('BY and GET patterns read keys on every shard; STORE writes a list on another shard', async () => {
    // the list and the STORE destination on different shards, the BY and GET keys on every shard (asserted)
    const [ids, out] = spreadKeys(shards, 2, `sortstore${shards}:`) as [string, string];
    expect(new Set([1, 2, 3, 4, 5, 6].flatMap((i) => [shardOf(`weight:${i}`, shards), shardOf(`obj:${i}`, shards)])).size).toBe(shards);
    await s.io.rpush(ids, '1', '2', '3', '4', '5', '6');
    for (let i = 1; i <= 6; i++) {
      await s.io.set(`weight:${i}`, String(10 - i));
      await s.io.hset(`obj:${i}`, 'name', `n${i}`);
    }
    expect(await s.io.sort(ids, 'BY', 'weight:*', 'GET', 'obj:*->name')).toEqual(['n6', 'n5', 'n4', 'n3', 'n2', 'n1']);
    expect(await s.io.sort(ids, 'BY', 'weight:*', 'GET', '#', 'STORE', out)).toBe(6);
    expect(await s.io.lrange(out, 0, -1)).toEqual(['6', '5', '4', '3', '2', '1']);
    expect(await s.io.call('SORT_RO', ids, 'BY', 'weight:*', 'LIMIT', '0', '2')).toEqual(['6', '5']);
  });

  it('SORT inside MULTI/EXEC, with its pattern keys', async () => {
    const k = `mx${shards}`;
    await s.io.rpush(k, 'a', 'b');
    await s.io.mset(`mw_a`, '2', `mw_b`, '1');
    const r = await s.io.multi().sort(k, 'BY', 'mw_*').sort(k, 'BY', 'mw_*', 'STORE', `${k}out`).lrange(`${k}out`, 0, -1).exec();
    expect(r).toEqual([
      [null, ['b', 'a']],
      [null, 2],
      [null, ['b', 'a']],
    ]);
  });

  it('SORT ... STORE is atomic for concurrent readers', async () => {
    const src = `big${shards}`;
    await s.io.rpush(src, ...Array.from({ length: 300 }, (_, i) => String(i)));
    const reader = new Redis({ port: s.srv.port });
    let stop = false;
    const seen = new Set<number>();
    const loop = (async () => {
      while (!stop) seen.add(await reader.llen(`sorted${shards}`));
    })();
    try {
      for (let i = 0; i < 20; i++) {
        expect(await s.io.sort(src, 'LIMIT', 0, 100 + (i % 2) * 200, 'STORE', `sorted${shards}`)).toBe(100 + (i % 2) * 200);
      }
    } finally {
      stop = true;
      await loop;
      reader.disconnect();
    }
    for (const n of seen) expect([0, 100, 300]).toContain(n);
  });
});
