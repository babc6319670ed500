/*
 * Streams: every stream command against the reference redis-server byte for byte (RESP2 and RESP3, 1
 * and 4 shards): XADD's ID forms and trimming options with their errors, XRANGE/XREVRANGE intervals,
 * XDEL/XTRIM counters, XREAD over one or several streams, XSETID; plus the node layout showing through
 * approximate trimming, the replication form of XADD * and of ~ trims, and blocking XREAD.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { diffReplies, script, showMismatches } from './helpers/diff.js';

const CORE = `
xadd s 1-1 a 1
xadd s 1-* b 2
xadd s 1 c 3
xadd s 2-0 a 1 b 2
xadd s maxlen = 3 3-0 x y
xadd s 3-* 123 -5 99999999999 1.5
xlen s
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
xadd nokey nomkstream * a b
exists nokey
xadd nokey2 0-* a b
xrange nokey2 - +
xdel s 1-1 2-0 9-9
xdel s foo
xdel s 1-2 bar
xdel nokey 1-1
xlen s
xtrim s
xtrim s maxlen
xtrim s maxlen 1 limit 1
xtrim s foo 1
xtrim s minid ~ 0
xtrim s minid 3-1
xrange s - +
xtrim nokey maxlen 0
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
xsetid s 5-5
xsetid s 1-1
xsetid nokey 1-1
xsetid s 9-9 entriesadded 1
xsetid s 9-9 maxdeletedid 10-0
xsetid s 9-9 entriesadded -1
xsetid s 9-9 foo
xsetid s + 
xsetid s 9-9 entriesadded 100 maxdeletedid 3-0
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
  let srv: Proc;
  let ref: Proc | undefined;

  beforeAll(async () => {
    srv = await startShardis({ shards });
    if (haveRedis) ref = await startRedis();
  });

  afterAll(async () => {
    await srv?.stop();
    await ref?.stop();
  });

  it('XADD * generates <ms>-<seq> IDs that grow, and XLEN counts them', async () => {
    const r = await RawClient.connect(srv.port);
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

  it.skipIf(!haveRedis).each([2, 3] as const)('replies exactly as redis-server (RESP%i)', async (proto) => {
    const mm = await diffReplies(ref!.port, srv.port, proto, [['flushall'], ...script(CORE)]);
    expect(mm, showMismatches(mm)).toEqual([]);
  });

  it.skipIf(!haveRedis)('approximate trimming drops whole nodes as redis-server does', async () => {
    const mm = await diffReplies(ref!.port, srv.port, 2, [['flushall'], ...script(nodeScript())]);
    expect(mm, showMismatches(mm)).toEqual([]);
  });
});
