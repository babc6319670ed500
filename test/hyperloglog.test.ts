/*
 * HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST against the reference redis-server byte for
 * byte (RESP2 and RESP3, 1 and 4 shards): replies, errors, and the stored bytes themselves (GET) through
 * sparse updates, promotion to dense (by register value and by hll-sparse-max-bytes), merges and the
 * cached cardinality; corrupt HLLs get Redis's errors; DUMP payloads move between the two servers and
 * count the same; multi-key PFCOUNT / PFMERGE with keys on several shards.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { diffReplies, script, showMismatches } from './helpers/diff.js';

const SCRIPT = `
pfadd h a b c d e f g
pfadd h a b
pfadd h
get h
pfcount h
get h
pfdebug encoding h
pfdebug decode h
object encoding h
pfadd {h}new
get {h}new
pfcount {h}new
get {h}new
pfadd h2 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
pfdebug decode h2
pfcount h2
pfcount h h2 nokey
pfcount nokey
pfcount nokey nokey2
pfmerge {h}m h
get {h}m
pfmerge h3 h h2
get h3
pfcount h3
pfmerge h3
get h3
pfmerge nokey3
get nokey3
pfdebug getreg h2
pfdebug encoding h2
get h2
pfdebug todense h2
pfdebug todense h2
pfdebug decode h2
pfadd h2 zzz
get h2
pfcount h2
pfmerge h h2
pfdebug encoding h
get h
pfdebug frob h
pfdebug getreg nokey
pfselftest
# wrong types and invalid HLLs
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
# corruption
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
# a stale cached cardinality is returned as is
pfadd c7 a b c
pfcount c7
setrange c7 8 \\x09
pfcount c7
`;

/** Turn \\xHH escapes in a script argument into bytes (latin1). */
function unescape(cmds: string[][]): string[][] {
  return cmds.map((cmd) => cmd.map((a) => a.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))));
}

const haveRedis = haveBinaries('redis-server');

describe.each([1, 4])('HyperLogLog with %i shard(s)', (shards) => {
  let srv: Proc;
  let ref: Proc | null = null;
  let io: Redis;

  beforeAll(async () => {
    srv = await startShardis({ shards });
    if (haveRedis) ref = await startRedis();
    io = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    io.disconnect();
    await srv.stop();
    await ref?.stop();
  });

  it.skipIf(!haveRedis).each([2, 3] as const)('replies exactly as redis-server (RESP%i)', async (proto) => {
    const mm = await diffReplies(ref!.port, srv.port, proto, [['flushall'], ...unescape(script(SCRIPT))]);
    expect(showMismatches(mm)).toBe('');
  });

  it.skipIf(!haveRedis)('the same bytes as redis-server through sparse growth, promotion to dense and merges', async () => {
    const cmds: string[][] = [['flushall']];
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
    const mm = await diffReplies(ref!.port, srv.port, 2, cmds);
    expect(showMismatches(mm).slice(0, 2000)).toBe('');
  });

  it.skipIf(!haveRedis)('DUMP payloads of HLLs move between redis-server and shardis and count the same', async () => {
    const r = new Redis({ port: ref!.port });
    try {
      await r.del('dh1', 'dh2');
      await r.pfadd('dh1', ...Array.from({ length: 200 }, (_, i) => `a${i}`));
      await r.pfadd('dh2', ...Array.from({ length: 5000 }, (_, i) => `b${i}`));
      for (const k of ['dh1', 'dh2']) {
        const payload = await r.dumpBuffer(k);
        await io.del(k);
        await io.restore(k, 0, payload);
        expect(await io.pfcount(k)).toBe(await r.pfcount(k));
        expect(await io.getBuffer(k)).toEqual(await r.getBuffer(k));
        const back = await io.dumpBuffer(k);
        await r.restore(`${k}back`, 0, back, 'REPLACE');
        expect(await r.pfcount(`${k}back`)).toBe(await io.pfcount(k));
      }
      // an HLL made by shardis, read by redis-server
      await io.pfadd('mine', ...Array.from({ length: 1000 }, (_, i) => `c${i}`));
      await r.restore('mine', 0, await io.dumpBuffer('mine'), 'REPLACE');
      expect(await r.pfcount('mine')).toBe(await io.pfcount('mine'));
    } finally {
      r.disconnect();
    }
  });

  it('estimates stay within a few percent of the true cardinality', async () => {
    const k = `est${shards}`;
    for (let b = 0; b < 20; b++) await io.pfadd(k, ...Array.from({ length: 1000 }, (_, i) => `v${b * 1000 + i}`));
    const n = await io.pfcount(k);
    expect(Math.abs(n - 20000) / 20000).toBeLessThan(0.03);
  });
});

describe('HyperLogLog across 4 shards', () => {
  let srv: Proc;
  let io: Redis;

  beforeAll(async () => {
    srv = await startShardis({ shards: 4 });
    io = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    io.disconnect();
    await srv.stop();
  });

  it('PFCOUNT and PFMERGE of keys on different shards', async () => {
    await io.pfadd('alpha', 'a', 'b', 'c');
    await io.pfadd('beta', 'c', 'd');
    await io.pfadd('gamma', ...Array.from({ length: 100 }, (_, i) => `g${i}`));
    expect(await io.pfcount('alpha', 'beta')).toBe(4);
    expect(await io.pfcount('alpha', 'beta', 'gamma', 'nothing')).toBe(await io.pfcount('gamma', 'beta', 'alpha'));
    expect(await io.pfmerge('delta', 'alpha', 'beta', 'gamma')).toBe('OK');
    expect(await io.pfcount('delta')).toBe(await io.pfcount('alpha', 'beta', 'gamma'));
    await io.set('str', 'x');
    await expect(io.pfmerge('delta', 'alpha', 'str')).rejects.toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.');
    await expect(io.pfcount('alpha', 'str')).rejects.toThrow('WRONGTYPE Key is not a valid HyperLogLog string value.');
  });
});
