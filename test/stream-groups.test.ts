/*
 * Stream consumer groups against the reference redis-server byte for byte (RESP2 and RESP3, 1 and 4
 * shards): XGROUP's subcommands and options, XREADGROUP new and history reads, NOACK, XACK, XPENDING
 * summary and ranges, XCLAIM / XAUTOCLAIM (JUSTID, FORCE, LASTID, deleted entries), XINFO STREAM
 * [FULL] / GROUPS (entries-read and lag) / CONSUMERS, with every error; plus the time-dependent fields
 * (idle, delivery time) checked by property, and blocking XREADGROUP.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import Redis from 'ioredis';
import { haveBinaries } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { expectDistinctShards } from './helpers/shards.js';
import { diffReplies, script, showMismatches } from './helpers/diff.js';

const GROUPS = `
## XGROUP CREATE with MKSTREAM and ENTRIESREAD, and its errors
xgroup create s g $
xgroup create s g $ mkstream
xgroup create s g $ mkstream
xgroup create s g2 0 entriesread 5
xgroup create s g3 0 entriesread -2
xgroup create s g3 0 foo
xgroup create s g3 foo
## XREADGROUP delivers new entries once, re-reads a consumer's history, NOACK, and its errors
xadd s 1-0 a 1
xadd s 2-0 b 2
xadd s 3-0 c 3
xinfo groups s
xreadgroup group g c1 streams s >
xreadgroup group g2 c1 count 1 streams s >
xreadgroup group g2 c2 streams s >
xreadgroup group g2 c1 streams s 0
xreadgroup group g2 c1 streams s $
xreadgroup group nog c1 streams s >
xreadgroup streams s >
xreadgroup group g2 c1 noack streams s >
xadd s 4-0 d 4
xreadgroup group g2 c3 noack streams s >
## XPENDING summary and extended forms, IDLE, consumer filter, and its errors
xpending s g2
xpending s g
xpending s nog
xpending nokey g
xpending s g2 - + 10 c9
xpending s g2 - +
xpending s g2 idle 5 - +
xpending s g2 - + 0
xpending s g2 foo + 10
## XACK counts acknowledged entries, and its errors
xack s g2 1-0 9-9
xack s g2 foo
xack s nog 1-0
xack nokey g 1-0
xpending s g2
## XCLAIM with JUSTID, RETRYCOUNT, FORCE and LASTID; deleted entries
xdel s 2-0
xreadgroup group g2 c2 streams s 0
xclaim s g2 c3 0 2-0 3-0 justid
xclaim s g2 c3 0 3-0 foo
xclaim s g2 c3 x 3-0
xclaim s nog c3 0 3-0
xclaim s g2 c3 0 3-0 justid retrycount 7
xpending s g2
xclaim s g2 c4 0 4-0 force justid
xclaim s g2 c4 0 1-0 force justid lastid 8-0
xinfo groups s
## XAUTOCLAIM cursors, COUNT and its errors
xautoclaim s g2 c5 0 0 count 1 justid
xautoclaim s g2 c5 0 0 justid
xautoclaim s g2 c5 0 0 count 0
xautoclaim s g2 c5 0 0 foo
xautoclaim s nog c5 0 0
xautoclaim s g2 c5 x 0
xautoclaim s g2 c5 0 (18446744073709551615-18446744073709551615
## XGROUP CREATECONSUMER, DELCONSUMER, SETID and DESTROY
xgroup createconsumer s g2 c5
xgroup createconsumer s g2 newc
xgroup createconsumer s nog newc
xgroup delconsumer s g2 c5
xgroup delconsumer s g2 nobody
xgroup setid s g2 0
xgroup setid s g2 $ entriesread 2
xgroup setid s g2 0 mkstream
xgroup setid s nog 0
xgroup setid nokey g 0
xgroup destroy s g3
xgroup destroy s nog
## XGROUP and XINFO HELP and unknown subcommands; XINFO STREAM and GROUPS of full and empty streams
xgroup foo s g
xgroup help
xgroup help x
xinfo help
xinfo stream s
xinfo stream s full count 0 foo
xinfo stream s foo
xinfo stream nokey
xinfo groups s
xinfo groups nokey
xinfo consumers s nog
xgroup create e g $ mkstream
xinfo stream e
xinfo groups e
## group commands on a string answer WRONGTYPE
set str x
xgroup create str g $
xinfo stream str
xreadgroup group g c streams str >
## XINFO GROUPS after XADD and XDEL; XREADGROUP over several streams
xadd s 10-0 x y
xinfo groups s
xdel s 10-0
xinfo groups s
xreadgroup group g2 c1 count 2 streams s 0
xreadgroup group g2 c1 streams s nokey > >
xreadgroup group g2 c1 streams s s 0 $
xreadgroup group g2 c1 streams s str > >
xgroup create {t}a g 0 mkstream
xgroup create {t}b g 0 mkstream
xadd {t}b 1-0 f v
xreadgroup group g c count 5 streams {t}a {t}b > >
xreadgroup group g c streams {t}a {t}b 0 0
## COPY of a stream copies its groups and pending entries independently
copy s {s}copy
xinfo groups {s}copy
xpending {s}copy g2
xack {s}copy g2 3-0
xpending {s}copy g2
xpending s g2
xadd {s}copy 11-0 f v
xlen {s}copy
xlen s
`;

/** The group counters after trims and deletions: entries-read, lag and the estimate paths. */
const LAG = `
## lag of new groups created at 0, at an ID, at $ and with ENTRIESREAD
xadd l 1-0 f v
xadd l 2-0 f v
xadd l 3-0 f v
xadd l 4-0 f v
xgroup create l g1 0
xgroup create l g2 2-0
xgroup create l g3 $
xgroup create l g4 0 entriesread 1
xinfo groups l
## lag after reads and a delete in the unread range
xreadgroup group g1 c count 1 streams l >
xinfo groups l
xdel l 3-0
xinfo groups l
xreadgroup group g1 c streams l >
xinfo groups l
## lag after a trim and new entries
xtrim l maxlen 1
xinfo groups l
xadd l 5-0 f v
xreadgroup group g2 c streams l >
xinfo groups l
## lag after XSETID and XGROUP SETID ENTRIESREAD
xsetid l 9-0 entriesadded 20 maxdeletedid 8-0
xinfo groups l
xinfo stream l
xgroup setid l g1 0 entriesread 0
xinfo groups l
xdel l 4-0 5-0
xinfo groups l
xinfo stream l
`;

const haveRedis = haveBinaries('redis-server');

describe.each([1, 4])('stream consumer groups with %i shard(s)', (shards) => {
  const sv = useServers({ shards, redis: true });

  describeCorpus('stream-groups', corpus(GROUPS), sv);

  it.skipIf(!haveRedis).each([2, 3] as const)('XINFO STREAM FULL has redis-server\'s shape and values, times aside (RESP%i)', async (proto) => {
    const cmds = [['flushall'], ...script(GROUPS), ['xinfo', 'stream', 's', 'full'], ['xinfo', 'stream', 's', 'full', 'count', '1'], ['xinfo', 'stream', 'e', 'full']];
    const mm = (await diffReplies(sv.ref!.port, sv.srv.port, proto, cmds)).filter(
      (m) => m.expected.replace(/:1\d{12}\r\n/g, ':T\r\n') !== m.actual.replace(/:1\d{12}\r\n/g, ':T\r\n'),
    );
    expect(mm, showMismatches(mm)).toEqual([]);
  });

  describeCorpus('stream-lag', corpus(LAG), sv);

  it('XPENDING ranges and XINFO CONSUMERS report idle times since delivery / last seen', async () => {
    const c = new Redis({ port: sv.srv.port });
    try {
      await c.del('ps');
      await c.xgroup('CREATE', 'ps', 'g', '0', 'MKSTREAM');
      await c.xadd('ps', '1-0', 'f', 'v');
      await c.xadd('ps', '2-0', 'f', 'v');
      const before = Date.now();
      await c.xreadgroup('GROUP', 'g', 'alice', 'STREAMS', 'ps', '>');
      await new Promise((r) => setTimeout(r, 60));
      const pend = (await c.xpending('ps', 'g', '-', '+', 10)) as [string, string, number, number][];
      expect(pend.map((p) => [p[0], p[1], p[3]])).toEqual([['1-0', 'alice', 1], ['2-0', 'alice', 1]]);
      expect(pend[0]![2]).toBeGreaterThanOrEqual(50);
      expect(await c.xpending('ps', 'g', 'IDLE', 100000, '-', '+', 10)).toEqual([]);
      expect(((await c.xpending('ps', 'g', 'IDLE', 50, '-', '+', 10)) as unknown[]).length).toBe(2);
      const cons = (await c.xinfo('CONSUMERS', 'ps', 'g')) as unknown[][];
      expect(cons[0]!.slice(0, 4)).toEqual(['name', 'alice', 'pending', 2]);
      expect(cons[0]![5] as number).toBeGreaterThanOrEqual(50);
      const full = (await c.xinfo('STREAM', 'ps', 'FULL')) as unknown[];
      const groups = full[full.indexOf('groups') + 1] as unknown[][];
      const pel = groups[0]![groups[0]!.indexOf('pending') + 1] as [string, string, number, number][];
      expect(pel[0]![2]).toBeGreaterThanOrEqual(before);
      const claimed = await c.xclaim('ps', 'g', 'bob', 50, '1-0', 'JUSTID');
      expect(claimed).toEqual(['1-0']);
      expect(await c.xclaim('ps', 'g', 'carol', 100000, '1-0', 'JUSTID')).toEqual([]);
    } finally {
      c.disconnect();
    }
  });

  it('a blocked XREADGROUP whose group is destroyed gets redis-server\'s NOGROUP error', async () => {
    const r = await RawClient.connect(sv.srv.port);
    const w = new Redis({ port: sv.srv.port });
    try {
      await w.del('dg');
      await w.xgroup('CREATE', 'dg', 'g', '$', 'MKSTREAM');
      r.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'dg', '>');
      await new Promise((res) => setTimeout(res, 100));
      expect(await w.xgroup('DESTROY', 'dg', 'g')).toBe(1);
      expect(await r.readRaw()).toBe('-NOGROUP the consumer group this client was blocked on no longer exists\r\n');
    } finally {
      r.close();
      w.disconnect();
    }
  });

  it.each([
    ['DEL', (w: Redis) => w.del('ug')],
    ['SET', (w: Redis) => w.set('ug', 'x')],
    ['MULTI DEL + SADD', (w: Redis) => w.multi().del('ug').sadd('ug', 'e').exec()],
    ['FLUSHALL', (w: Redis) => w.flushall()],
    ['SWAPDB', (w: Redis) => w.swapdb(0, 9)],
    ['expiry', (w: Redis) => w.pexpire('ug', 20)],
  ] as const)('a blocked XREADGROUP whose stream goes away (%s) gets -UNBLOCKED; a blocked XREAD stays', async (_name, remove) => {
    const r = await RawClient.connect(sv.srv.port);
    const x = await RawClient.connect(sv.srv.port);
    const w = new Redis({ port: sv.srv.port });
    try {
      await w.del('ug');
      await w.xgroup('CREATE', 'ug', 'g', '$', 'MKSTREAM');
      r.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'ug', '>');
      x.send('XREAD', 'BLOCK', '0', 'STREAMS', 'ug', '$');
      await new Promise((res) => setTimeout(res, 100));
      await remove(w);
      expect(await r.readRaw()).toBe('-UNBLOCKED the stream key no longer exists\r\n');
      await w.select(0);
      await w.del('ug');
      await w.xadd('ug', '5-0', 'f', 'v');
      expect(await x.readRaw()).toContain('5-0');
    } finally {
      r.close();
      x.close();
      await w.flushall();
      w.disconnect();
    }
  });

  it('XREADGROUP BLOCK over streams on different shards is served by an XADD to any of them', async () => {
    const r = await RawClient.connect(sv.srv.port);
    const w = new Redis({ port: sv.srv.port });
    try {
      if (shards > 1) expectDistinctShards(['xa', 'xb'], shards);
      await w.del('xa', 'xb');
      await w.xgroup('CREATE', 'xa', 'g', '$', 'MKSTREAM');
      await w.xgroup('CREATE', 'xb', 'g', '$', 'MKSTREAM');
      r.send('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '5000', 'STREAMS', 'xa', 'xb', '>', '>');
      await new Promise((res) => setTimeout(res, 100));
      await w.xadd('xb', '3-0', 'k', 'v');
      expect(await r.readRaw()).toBe('*1\r\n*2\r\n$2\r\nxb\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n');
      expect(await w.xpending('xb', 'g')).toEqual([1, '3-0', '3-0', [['c', '1']]]);
      expect(await w.xpending('xa', 'g')).toEqual([0, null, null, null]);
    } finally {
      r.close();
      w.disconnect();
    }
  });

  it('XREADGROUP BLOCK > is woken by XADD and the entry becomes pending for that consumer', async () => {
    const r = await RawClient.connect(sv.srv.port);
    const w = new Redis({ port: sv.srv.port });
    try {
      await w.del('bg');
      await w.xgroup('CREATE', 'bg', 'g', '$', 'MKSTREAM');
      r.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'bg', '>');
      await new Promise((res) => setTimeout(res, 100));
      await w.xadd('bg', '7-0', 'k', 'v');
      expect(await r.readRaw()).toBe('*1\r\n*2\r\n$2\r\nbg\r\n*1\r\n*2\r\n$3\r\n7-0\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n');
      expect(await w.xpending('bg', 'g')).toEqual([1, '7-0', '7-0', [['c1', '1']]]);
      r.send('XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '30', 'STREAMS', 'bg', '>');
      expect(await r.readRaw()).toBe('*-1\r\n');
    } finally {
      r.close();
      w.disconnect();
    }
  });
});
