/*
 * Streams: every stream command against the reference redis-server byte for byte (RESP2 and RESP3, 1
 * and 4 shards): XADD's ID forms and trimming options with their errors, XRANGE/XREVRANGE intervals,
 * XDEL/XTRIM counters, XREAD over one or several streams, XSETID; plus the node layout showing through
 * approximate trimming, the replication form of XADD * and of ~ trims, and blocking XREAD.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import Redis from 'ioredis';
import { StreamValue, crc64, createDump, parseDump } from './helpers/src.js';
import { haveBinaries } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { expectDistinctShards } from './helpers/shards.js';
import { script, showMismatches } from './helpers/diff.js';
import { diffWithGolden } from './helpers/golden.js';

const CORE = `
## XADD explicit, partial and full IDs, MAXLEN; XLEN
xadd s 1-1 a 1
xadd s 1-* b 2
xadd s 1 c 3
xadd s 2-0 a 1 b 2
xadd s maxlen = 3 3-0 x y
xadd s 3-* 123 -5 99999999999 1.5
xlen s
## XRANGE and XREVRANGE: exclusive ranges, COUNT, and their errors
xrange s - +
xrevrange s + - count 2
xrange s (1-2 +
xrevrange s (3-1 (1-1
xrange s - + count 0
xrange s - + count -1
xrange s 1 1
xrange s 2 +
xrange s foo +
xrange s ( +
xrange s - + count
xrange s - + limit 1
xrevrange s - +
## XADD ID, arity and trimming-option errors
xadd s 0-0 a b
xadd s 1-0 a b
xadd s 3-1 a b
xadd s a
xadd s * a
xadd s * a b c
xadd s maxlen -1 * a b
xadd s maxlen x * a b
xadd s limit 5 * a b
xadd s maxlen 1 limit 5 * a b
xadd s maxlen 1 limit -5 * a b
xadd s maxlen 1 minid 5 * a b
xadd s minid 1 maxlen 5 * a b
xadd s minid - * a b
xadd s nomkstream
xadd s 5-a f v
xadd s -5 f v
xadd s + f v
xadd s 5-5-5 f v
## XADD NOMKSTREAM and 0-* on a new stream
xadd nokey nomkstream * a b
exists nokey
xadd nokey2 0-* a b
xrange nokey2 - +
## XDEL counts deleted entries; invalid IDs
xdel s 1-1 2-0 9-9
xdel s foo
xdel s 1-2 bar
xdel nokey 1-1
xlen s
## XTRIM MAXLEN and MINID, LIMIT and their errors
xtrim s
xtrim s maxlen
xtrim s maxlen 1 limit 1
xtrim s foo 1
xtrim s minid ~ 0
xtrim s minid 3-1
xrange s - +
xtrim nokey maxlen 0
## XREAD without BLOCK: COUNT, $, several streams and its errors
xread streams s 0
xread count 1 streams s s 0 0
xread count -1 streams s 0
xread streams s $
xread streams s
xread streams s t 0
xread group a b streams s 0
xread noack streams s 0
xread streams s >
xread streams nokey 0
xread streams s 1-1 foo
xread block -1 streams s 0
xread block x streams s 0
xread block 0
xread foo streams s 0
xread streams {s}a {s}b 0 0
xadd {s}b 5-0 f v
xread streams {s}a {s}b 0 0
xread streams {s}a {s}b $ 0
xadd t 7-0 f v
xread streams s t 0 0
xread count 1 streams t s nokey 0 0 0
xread streams t s 7-0 $
xread streams t str 0 0
## XSETID with ENTRIESADDED and MAXDELETEDID and its errors
xsetid s 5-5
xsetid s 1-1
xsetid nokey 1-1
xsetid s 9-9 entriesadded 1
xsetid s 9-9 maxdeletedid 10-0
xsetid s 9-9 entriesadded -1
xsetid s 9-9 foo
xsetid s + 
xsetid s 9-9 entriesadded 100 maxdeletedid 3-0
## the largest IDs: XADD at 2^64-1, XRANGE limits
xadd s 9-* f v
xadd s 18446744073709551615-18446744073709551615 f v
xadd s * f v
xadd s 18446744073709551615-* f v
xrange s - +
xrange s 18446744073709551616 +
xrange s 007 +
xrange s -1 +
xrange s +1 +
xread streams s 18446744073709551615-18446744073709551615
xrange s (18446744073709551615-18446744073709551615 +
xrange s - (0-0
xlen s
## stream commands on a string answer WRONGTYPE; TYPE and OBJECT ENCODING
set str x
xadd str * a b
xlen str
xrange str - +
xrevrange str + -
xdel str 1-1
xtrim str maxlen 0
xread streams str 0
xsetid str 1-1
type s
object encoding s
`;

/** Node layout: 100 entries per node by default, ~ trims whole nodes only. */
function nodeScript(): string {
  const lines: string[] = ['del n'];
  for (let i = 1; i <= 250; i++) lines.push(`xadd n ${i}-0 f ${i}`);
  lines.push('xtrim n maxlen ~ 120', 'xlen n', 'xtrim n maxlen ~ 100', 'xlen n', 'xrange n - + count 2');
  lines.push('xdel n 101-0 102-0', 'xtrim n minid ~ 150', 'xlen n', 'xtrim n minid 150', 'xlen n', 'xrange n - + count 1');
  for (let i = 251; i <= 420; i++) lines.push(`xadd n maxlen ~ 150 ${i}-0 f ${i}`);
  lines.push('xlen n', 'xrange n - + count 1', 'xadd n maxlen ~ 10 limit 50 421-0 f v', 'xlen n', 'xadd n maxlen ~ 10 limit 0 422-0 f v', 'xlen n');
  for (let i = 0; i < 40; i++) lines.push(`xadd big ${i + 1}-0 f ${'x'.repeat(200)}`);
  lines.push('xtrim big maxlen ~ 5', 'xlen big', 'xrange big - + count 1');
  return lines.join('\n');
}

const haveRedis = haveBinaries('redis-server');

describe.each([1, 4])('streams with %i shard(s)', (shards) => {
  const sv = useServers({ shards, redis: true });

  it('XADD * generates <ms>-<seq> IDs that grow, and XLEN counts them', async () => {
    const r = await RawClient.connect(sv.srv.port);
    try {
      r.send('DEL', 'auto');
      await r.readRaw();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        r.send('XADD', 'auto', '*', 'f', String(i));
        const raw = await r.readRaw();
        const id = raw.split('\r\n')[1]!;
        expect(id).toMatch(/^\d+-\d+$/);
        ids.push(id);
      }
      const key = (s: string): [bigint, bigint] => s.split('-').map(BigInt) as [bigint, bigint];
      for (let i = 1; i < ids.length; i++) {
        const [a, b] = [key(ids[i - 1]!), key(ids[i]!)];
        expect(b[0] > a[0] || (b[0] === a[0] && b[1] > a[1])).toBe(true);
      }
      r.send('XLEN', 'auto');
      expect(await r.readRaw()).toBe(':5\r\n');
    } finally {
      r.close();
    }
  });

  describeCorpus('streams-core', corpus(CORE), sv);

  it('XREAD BLOCK waits for an XADD on any of its streams (on one or several shards), $ meaning entries after the call', async () => {
    const r = await RawClient.connect(sv.srv.port);
    const w = await RawClient.connect(sv.srv.port);
    try {
      if (shards > 1) expectDistinctShards(['bx', 'by'], shards);
      for (const keys of [['{b}x', '{b}y'], ['bx', 'by']]) {
        w.send('DEL', ...keys);
        await w.readRaw();
        w.send('XADD', keys[0]!, '1-0', 'old', '1');
        await w.readRaw();
        r.send('XREAD', 'BLOCK', '0', 'STREAMS', ...keys, '$', '$');
        await new Promise((res) => setTimeout(res, 100));
        w.send('XADD', keys[1]!, '5-0', 'new', '2');
        await w.readRaw();
        expect(await r.readRaw()).toBe(`*1\r\n*2\r\n$${keys[1]!.length}\r\n${keys[1]}\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$3\r\nnew\r\n$1\r\n2\r\n`);
        r.send('XREAD', 'BLOCK', '50', 'STREAMS', ...keys, '$', '$');
        expect(await r.readRaw()).toBe('*-1\r\n');
      }
    } finally {
      r.close();
      w.close();
    }
  });

  it('blocked XREAD clients are all served by one XADD, in the order they blocked', async () => {
    const a = await RawClient.connect(sv.srv.port);
    const b = await RawClient.connect(sv.srv.port);
    const w = await RawClient.connect(sv.srv.port);
    try {
      w.send('DEL', 'bq');
      await w.readRaw();
      const got: string[] = [];
      a.send('XREAD', 'BLOCK', '0', 'STREAMS', 'bq', '$');
      b.send('XREAD', 'BLOCK', '0', 'STREAMS', 'bq', '0');
      const pa = a.readRaw().then((x) => got.push('a:' + x));
      const pb = b.readRaw().then((x) => got.push('b:' + x));
      await new Promise((res) => setTimeout(res, 100));
      w.send('XADD', 'bq', '3-0', 'f', 'v');
      await w.readRaw();
      await Promise.all([pa, pb]);
      expect(got.map((x) => x.slice(0, 2))).toEqual(['a:', 'b:']);
      expect(got[0]!.slice(2)).toBe(got[1]!.slice(2));
    } finally {
      a.close();
      b.close();
      w.close();
    }
  });

  it('DUMP of a stream (several nodes, tombstones) restores in redis-server and back, entries equal', async () => {
    if (!haveRedis) return expect(haveRedis).toBe(false);
    const s = await RawClient.connect(sv.srv.port);
    const r = await RawClient.connect(sv.ref!.port);
    try {
      for (const c of [s, r]) {
        c.send('DEL', 'dmp');
        await c.readRaw();
        for (let i = 1; i <= 230; i++) {
          c.send('XADD', 'dmp', `${i}-${i % 3}`, 'f', String(i * 1000), 'g', 'x'.repeat(i % 70));
          await c.readRaw();
        }
        c.send('XDEL', 'dmp', '2-2', '150-0', '230-2');
        await c.readRaw();
        c.send('XSETID', 'dmp', '999-0', 'ENTRIESADDED', '500', 'MAXDELETEDID', '230-2');
        await c.readRaw();
      }
      const dump = async (c: RawClient): Promise<string> => {
        c.send('DUMP', 'dmp');
        const raw = await c.readRaw();
        return raw.slice(raw.indexOf('\r\n') + 2, -2);
      };
      const restore = async (c: RawClient, payload: string): Promise<string> => {
        c.send('RESTORE', 'back', '0', Buffer.from(payload, 'latin1'), 'REPLACE');
        expect(await c.readRaw()).toBe('+OK\r\n');
        c.send('XRANGE', 'back', '-', '+');
        const a = await c.readRaw();
        c.send('XRANGE', 'dmp', '-', '+');
        expect(await c.readRaw()).toBe(a);
        c.send('XADD', 'back', '*', 'after', '1');
        return c.readRaw();
      };
      const fromUs = await dump(s);
      const fromThem = await dump(r);
      await restore(r, fromUs);
      await restore(s, fromThem);
      r.send('XINFO', 'STREAM', 'back');
      const info = await r.readRaw();
      expect(info).toContain('entries-added\r\n:501');
      expect(info).toContain('max-deleted-entry-id\r\n$5\r\n230-2');
    } finally {
      s.close();
      r.close();
    }
  });

  it('CONFIG SET stream-node-max-entries / -max-bytes change where new nodes start, as in redis-server', async () => {
    const lines = ['config set stream-node-max-entries 5', 'config set stream-node-max-bytes 4096'];
    for (let i = 1; i <= 12; i++) lines.push(`xadd cfg ${i}-0 f v${i}`);
    lines.push('xinfo stream cfg', 'xtrim cfg maxlen ~ 4', 'xlen cfg', 'config set stream-node-max-bytes 60');
    for (let i = 13; i <= 20; i++) lines.push(`xadd cfg ${i}-0 field${i} ${'y'.repeat(i)}`);
    lines.push('xinfo stream cfg', 'xtrim cfg maxlen ~ 3', 'xlen cfg', 'config set stream-node-max-entries 100', 'config set stream-node-max-bytes 4096');
    const mm = await diffWithGolden('streams-node-config', sv.ref?.port, sv.srv.port, 2, [['flushall'], ...script(lines.join('\n'))]);
    expect(mm, showMismatches(mm)).toEqual([]);
  });

  it('RESTORE refuses a stream payload whose last ID is below its entries or whose entry precedes its node (Bad data format)', async () => {
    const c = new Redis({ port: sv.srv.port });
    try {
      await c.del('li');
      await c.xadd('li', '5-0', 'f', 'v');
      const v = parseDump((await c.dumpBuffer('li'))!) as StreamValue;
      v.lastId = 1n << 64n; // 1-0
      await expect(c.restore('li2', 0, createDump(v))).rejects.toThrow('ERR Bad data format');
      const w = parseDump((await c.dumpBuffer('li'))!) as StreamValue;
      w.nodes[0]!.master = (9n << 64n) | 0n; // entry 5-0 in a node keyed 9-0
      await expect(c.restore('li3', 0, createDump(w))).rejects.toThrow('ERR Bad data format');
      expect(await c.exists('li2', 'li3')).toBe(0);
    } finally {
      c.disconnect();
    }
  });

  it('RESTORE of damaged stream payloads (valid checksum) answers OK or Bad data format, and the stream then works', async () => {
    const c = new Redis({ port: sv.srv.port });
    try {
      await c.del('fz');
      for (let i = 1; i <= 30; i++) await c.xadd('fz', `${i}-${i}`, 'f', String(i), 'g', 'x'.repeat(i));
      await c.xgroup('CREATE', 'fz', 'g', '0');
      await c.xreadgroup('GROUP', 'g', 'a', 'COUNT', '5', 'STREAMS', 'fz', '>');
      await c.xdel('fz', '3-3');
      const base = (await c.dumpBuffer('fz'))!;
      let seed = 12345;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const bad: string[] = [];
      for (let n = 0; n < 400; n++) {
        const b = Buffer.from(base);
        for (let j = 0; j < 1 + rnd(3); j++) b[rnd(b.length - 10)] = rnd(256);
        b.writeBigUInt64LE(crc64(b.subarray(0, b.length - 8)), b.length - 8);
        const r = await c.restore('fzd', 0, b, 'REPLACE').catch((e: Error) => e.message);
        if (r !== 'OK' && r !== 'ERR Bad data format') bad.push(r);
        if (r !== 'OK') continue;
        for (const cmd of [['XRANGE', 'fzd', '-', '+'], ['XINFO', 'STREAM', 'fzd', 'FULL'], ['XADD', 'fzd', '*', 'a', 'b'], ['XTRIM', 'fzd', 'MAXLEN', '2'], ['XAUTOCLAIM', 'fzd', 'g', 'z', '0', '0']]) {
          const e = await c.call(cmd[0]!, ...cmd.slice(1)).then(() => '', (x: Error) => x.message);
          if (e.includes('internal error')) bad.push(`${cmd.join(' ')}: ${e}`);
        }
      }
      expect(bad).toEqual([]);
    } finally {
      c.disconnect();
    }
  });

  it('approximate trimming drops whole nodes as redis-server does', async () => {
    const mm = await diffWithGolden('streams-nodes', sv.ref?.port, sv.srv.port, 2, [['flushall'], ...script(nodeScript())]);
    expect(mm, showMismatches(mm)).toEqual([]);
  });
});
