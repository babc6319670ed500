/*
 * HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST against the reference redis-server byte for
 * byte (RESP2 and RESP3, 1 and 4 shards): replies, errors, and the stored bytes themselves (GET) through
 * sparse updates, promotion to dense (by register value and by hll-sparse-max-bytes), merges and the
 * cached cardinality; corrupt HLLs get Redis's errors; DUMP payloads move between the two servers and
 * count the same; multi-key PFCOUNT / PFMERGE with keys on several shards.
 */

import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { useServers } from './helpers/fixture.js';
import { expectDistinctShards } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import { haveBinaries } from './helpers/server.js';

const SCRIPT = `
## PFADD and PFCOUNT write the same sparse bytes and cached cardinality
pfadd h a b c d e f g
pfadd h a b
pfadd h
get h
pfcount h
get h
pfdebug encoding h
pfdebug decode h
object encoding h
## PFADD with no elements creates an empty HLL
pfadd {h}new
get {h}new
pfcount {h}new
get {h}new
## PFCOUNT of several keys, missing keys
pfadd h2 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
pfdebug decode h2
pfcount h2
pfcount h h2 nokey
pfcount nokey
pfcount nokey nokey2
## PFMERGE into new, existing and missing destinations
pfmerge {h}m h
get {h}m
pfmerge h3 h h2
get h3
pfcount h3
pfmerge h3
get h3
pfmerge nokey3
get nokey3
## PFDEBUG GETREG, TODENSE, DECODE and ENCODING
pfdebug getreg h2
pfdebug encoding h2
get h2
pfdebug todense h2
pfdebug todense h2
pfdebug decode h2
## dense HLLs: PFADD, PFCOUNT and PFMERGE into a sparse one
pfadd h2 zzz
get h2
pfcount h2
pfmerge h h2
pfdebug encoding h
get h
## PFDEBUG errors and PFSELFTEST
pfdebug frob h
pfdebug getreg nokey
pfselftest
## HLL commands on strings that are not HLLs and on lists
set str foo
pfadd str a
pfcount str
pfcount h str
pfmerge h str
pfmerge str h
pfdebug encoding str
set num 12345
pfadd num a
lpush list a
pfadd list a
pfcount list
pfcount h list
pfdebug encoding list
set short HYLL
pfcount short
## corrupt HLLs are detected as redis-server detects them
pfadd c1 a b c
append c1 hello
pfcount c1
pfadd c1 zzzz
pfadd c2 a b c
setrange c2 0 0123
pfcount c2
pfadd c3 a b c
setrange c3 4 x
pfcount c3
pfadd c4 a b c
setrange c4 4 \\x00
pfcount c4
pfadd c5 a b c
setrange c5 16 \\xff\\xff\\xff
pfcount c5
pfcount c5 h
pfmerge c5x c5
pfdebug getreg c5
pfdebug todense c5
pfdebug decode c5
pfadd c6 a
setrange c6 15 \\x80
setrange c6 16 \\x40
pfcount c6
pfadd c6 q
## a stale cached cardinality is returned as is
pfadd c7 a b c
pfcount c7
setrange c7 8 \\x09
pfcount c7
`;

/** Turn \\xHH escapes in a script argument into bytes (latin1). */
function unescape(cmds: string[][]): string[][] {
  return cmds.map((cmd) => cmd.map((a) => a.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))));
}

/** HLLs through sparse growth, promotion to dense and merges, GET after every step. */
function growth(): string[][] {
  const cmds: string[][] = [];
  for (let batch = 0; batch < 60; batch++) {
    const els = Array.from({ length: 50 }, (_, i) => `e${batch * 50 + i}`);
    cmds.push(['pfadd', 'grow', ...els], ['get', 'grow']);
    if (batch % 7 === 0) cmds.push(['pfcount', 'grow'], ['get', 'grow']);
    cmds.push(['pfadd', '{grow}x', `x${batch}`, `y${batch}`], ['pfmerge', '{grow}m', '{grow}x', 'grow']);
    if (batch % 10 === 0) cmds.push(['get', '{grow}m'], ['pfcount', '{grow}m']);
  }
  cmds.push(['pfdebug', 'encoding', 'grow'], ['pfcount', 'grow', '{grow}x'], ['get', '{grow}m']);
  // a small sparse limit promotes early
  cmds.push(['config', 'set', 'hll-sparse-max-bytes', '60']);
  for (let i = 0; i < 30; i++) cmds.push(['pfadd', 'small', `s${i}`], ['get', 'small']);
  cmds.push(['pfdebug', 'encoding', 'small'], ['config', 'set', 'hll-sparse-max-bytes', '3000']);
  // register values above 32 force dense: elements with long runs of zero bits are rare, so
  // many elements make them likely
  cmds.push(['pfadd', 'many', ...Array.from({ length: 3000 }, (_, i) => String(i))], ['pfdebug', 'encoding', 'many'], ['get', 'many'], ['pfcount', 'many']);
  // adding elements already counted by a dense HLL changes nothing, not even the cached count
  cmds.push(['pfadd', 'many', '1', '2', '3'], ['get', 'many'], ['pfadd', 'many', '1', 'new-one'], ['get', 'many'], ['pfcount', 'many']);
  return cmds;
}

describe.each([1, 4])('HyperLogLog with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('hyperloglog', corpus(SCRIPT, unescape), s);

  describeCorpus('hyperloglog-growth', [{ name: 'the same bytes as redis-server through sparse growth, promotion to dense and merges', cmds: growth() }], s, [2]);

  it.skipIf(!haveBinaries('redis-server'))('DUMP payloads of HLLs move between redis-server and shardis and count the same', async () => {
    const r = new Redis({ port: s.ref!.port });
    try {
      await r.del('dh1', 'dh2');
      await r.pfadd('dh1', ...Array.from({ length: 200 }, (_, i) => `a${i}`));
      await r.pfadd('dh2', ...Array.from({ length: 5000 }, (_, i) => `b${i}`));
      for (const k of ['dh1', 'dh2']) {
        const payload = await r.dumpBuffer(k);
        await s.io.del(k);
        await s.io.restore(k, 0, payload);
        expect(await s.io.pfcount(k)).toBe(await r.pfcount(k));
        expect(await s.io.getBuffer(k)).toEqual(await r.getBuffer(k));
        const back = await s.io.dumpBuffer(k);
        await r.restore(`${k}back`, 0, back, 'REPLACE');
        expect(await r.pfcount(`${k}back`)).toBe(await s.io.pfcount(k));
      }
      // an HLL made by shardis, read by redis-server
      await s.io.pfadd('mine', ...Array.from({ length: 1000 }, (_, i) => `c${i}`));
      await r.restore('mine', 0, await s.io.dumpBuffer('mine'), 'REPLACE');
      expect(await r.pfcount('mine')).toBe(await s.io.pfcount('mine'));
    } finally {
      r.disconnect();
    }
  });

  it('estimates stay within a few percent of the true cardinality', async () => {
    const k = `est${shards}`;
    for (let b = 0; b < 20; b++) await s.io.pfadd(k, ...Array.from({ length: 1000 }, (_, i) => `v${b * 1000 + i}`));
    const n = await s.io.pfcount(k);
    expect(Math.abs(n - 20000) / 20000).toBeLessThan(0.03);
  });
});

describe('HyperLogLog across 4 shards', () => {
  const s = useServers({ shards: 4 });

  it('PFCOUNT and PFMERGE of keys on different shards', async () => {
    expectDistinctShards(['alpha', 'beta', 'delta'], 4);
    await s.io.pfadd('alpha', 'a', 'b', 'c');
    await s.io.pfadd('beta', 'c', 'd');
    await s.io.pfadd('gamma', ...Array.from({ length: 100 }, (_, i) => `g${i}`));
    expect(await s.io.pfcount('alpha', 'beta')).toBe(4);
    expect(await s.io.pfcount('alpha', 'beta', 'gamma', 'nothing')).toBe(await s.io.pfcount('gamma', 'beta', 'alpha'));
    expect(await s.io.pfmerge('delta', 'alpha', 'beta', 'gamma')).toBe('OK');
    expect(await s.io.pfcount('delta')).toBe(await s.io.pfcount('alpha', 'beta', 'gamma'));
    await s.io.set('str', 'x');
    await expect(s.io.pfmerge('delta', 'alpha', 'str')).rejects.toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.');
    await expect(s.io.pfcount('alpha', 'str')).rejects.toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.');
  });
});
