/*
 * Lists: every command and its errors diffed byte for byte against redis-server 7 (RESP2 and RESP3)
 * with 1 and 4 shards, plus client-library checks and cross-shard LMOVE atomicity.
 */

import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { useServers } from './helpers/fixture.js';
import { spreadKeys } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';

const SCRIPT = `
## LPUSH, RPUSH, LRANGE and LLEN with negative and out-of-range indexes
lpush l a b c
rpush l d e
lrange l 0 -1
lrange l -2 -1
lrange l 5 1
lrange l -100 100
lrange l 0 abc
lrange nokey 0 -1
llen l
llen nokey
## LPUSHX and RPUSHX push only onto existing lists
lpushx nokey a
rpushx nokey a
lpushx l z
rpushx l y
## LINDEX and LSET with out-of-range and invalid indexes
lindex l 0
lindex l -1
lindex l 100
lindex l abc
lindex nokey 0
lset l 0 first
lset l 100 x
lset l abc x
lset nokey 0 x
## LPOP and RPOP with and without COUNT
lpop l
rpop l
lpop l 2
rpop l 2
lpop l 0
lpop l -1
lpop l abc
lpop nokey
lpop nokey 2
lpop l 1 2
## LREM from the head, the tail and everywhere
rpush r 1 2 3 2 1 2 3
lrem r 2 2
lrange r 0 -1
lrem r -1 3
lrange r 0 -1
lrem r 0 1
lrem r 0 zz
lrem r abc 1
lrem nokey 0 a
## LINSERT BEFORE and AFTER a pivot
rpush i a b c
linsert i before b X
linsert i after c Y
linsert i after nope Y
linsert i middle b Y
linsert nokey before a b
lrange i 0 -1
## LPOS with RANK, COUNT and MAXLEN
rpush p a b c a b c a
lpos p a
lpos p a rank 2
lpos p a rank -1
lpos p a rank 0
lpos p a count 0
lpos p a count 2 rank 2
lpos p a count -1
lpos p a maxlen 2 count 0
lpos p a maxlen -1
lpos p z
lpos p z count 2
lpos nokey a
lpos nokey a count 1
lpos p a bogus 1
## LTRIM, deleting an emptied list
rpush t 1 2 3 4 5 6
ltrim t 1 -2
lrange t 0 -1
ltrim t 5 1
exists t
ltrim nokey 0 1
## LMOVE and RPOPLPUSH, also onto the same list
rpush m1 a b c
lmove m1 m2 left right
lmove m1 m2 right left
lrange m2 0 -1
lmove m1 m1 left right
lrange m1 0 -1
lmove m1 m2 up down
lmove nokey m2 left left
rpoplpush m1 m2
rpoplpush m1 m2
exists m1
rpoplpush nokey m2
## LMPOP numkeys, direction and COUNT errors
lmpop 2 nokey m2 left
lmpop 2 nokey m2 right count 10
lmpop 1 nokey left
lmpop 0 m2 left
lmpop 1 m2 middle
lmpop 1 m2 left count 0
lmpop 1 m2 left count
lmpop 5 m2 left
## list commands on a string answer WRONGTYPE
set str x
lpush str a
lrange str 0 1
llen str
lpop str
lmove str m2 left left
lmove m2 str left left
lmpop 2 nokey str left
blpop nokey str 0
## blocking pops with a timeout argument error or data ready at once
blpop nokey -1
blpop nokey abc
rpush bl x y
blpop nokey bl 0
brpop bl nokey 1
blmpop 0 1 nokey bl left
blmpop 0.1 1 nokey left
blmove nokey bl left left 0.01
brpoplpush nokey bl 0.01
## arity errors
lpush
lpop a b c
`;

describe.each([1, 4])('lists with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('lists', corpus(SCRIPT), s);

  it('ioredis and node-redis', async () => {
    expect(await s.io.rpush('cl', 'a', 'b', 'c')).toBe(3);
    expect(await s.io.lrange('cl', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await s.io.lpop('cl', 2)).toEqual(['a', 'b']);
    const c = createClient({ socket: { port: s.srv.port } });
    await c.connect();
    try {
      expect(await c.lPush('nl', ['1', '2'])).toBe(2);
      expect(await c.lRange('nl', 0, -1)).toEqual(['2', '1']);
      expect(await c.lLen('nl')).toBe(2);
    } finally {
      await c.quit();
    }
  });

  it('LMOVE between shards is atomic: an element is never in both lists or neither', async () => {
    // with 4 shards: on different shards, asserted
    const [a, b] = spreadKeys(shards, 2, 'move:') as [string, string];
    await s.io.del(a, b);
    await s.io.rpush(a, ...Array.from({ length: 200 }, (_, i) => String(i)));
    const reader = new Redis({ port: s.srv.port });
    let stop = false;
    let bad = 0;
    const loop = (async () => {
      while (!stop) {
        const [[, x], [, y]] = (await reader.multi().llen(a).llen(b).exec()) as [unknown, number][];
        if ((x as number) + (y as number) !== 200) bad++;
      }
    })();
    for (let i = 0; i < 200; i++) await s.io.lmove(a, b, 'LEFT', 'RIGHT');
    stop = true;
    await loop;
    reader.disconnect();
    expect(bad).toBe(0);
    expect(await s.io.llen(b)).toBe(200);
    expect(await s.io.lrange(b, 0, 2)).toEqual(['0', '1', '2']);
  });
});
