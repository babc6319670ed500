/*
 * The coordinator (src/router/coordinator.ts): commands whose keys live on several shards.
 *   - unit, with a stand-in server: the shard locks (FIFO, all-or-nothing, pass waiters), which shards
 *     a request touches, and how the parts of a multi-shard write are propagated (one part as is,
 *     several wrapped in MULTI/EXEC);
 *   - over a socket, with keys asserted to live on distinct shards of a 4-shard server: split commands
 *     (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) merge their per-shard replies, and shipped commands
 *     (RENAME, COPY, SMOVE, LMOVE, SUNIONSTORE, MSETNX) move values between shards.
 */

import { describe, expect, it } from 'vitest';
import { Coordinator } from './helpers/src.js';
import { useServers } from './helpers/fixture.js';
import { keysOnDistinctShards, shardOf } from './helpers/shards.js';

/** A coordinator over `n` stand-in shards; `fed` records what it propagates, as "db:bytes". */
function coordinator(n = 4): { c: InstanceType<typeof Coordinator>; links: { lockedBy: object | null }[]; fed: string[] } {
  const links = Array.from({ length: n }, () => ({ lockedBy: null as object | null }));
  const fed: string[] = [];
  const server = {
    links,
    scheduleTick: () => {},
    shardOfKey: (k: string) => shardOf(k, n),
    replication: { feed: (db: number, b: Buffer) => fed.push(`${db}:${b.toString('latin1')}`) },
  };
  return { c: new Coordinator(server as never), links, fed };
}

/** Whether a promise has settled by the time the current microtasks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe('coordinator locks (unit)', () => {
  it('lock() takes free shards at once; a lock on an overlapping set waits for unlock()', async () => {
    const { c, links } = coordinator();
    await c.lock([0, 1]);
    expect(links.map((l) => l.lockedBy !== null)).toEqual([true, true, false, false]);
    const second = c.lock([1, 2]);
    expect(await settled(second)).toBe(false);
    c.unlock([0, 1]);
    expect(await settled(second)).toBe(true);
    expect(links.map((l) => l.lockedBy !== null)).toEqual([false, true, true, false]);
  });

  it('waiters are served in arrival order: a later lock on free shards waits behind an earlier blocked one', async () => {
    const { c } = coordinator();
    await c.lock([0]);
    const order: string[] = [];
    const a = c.lock([0, 1]).then(() => order.push('a'));
    const b = c.lock([2]).then(() => order.push('b'));
    expect(await settled(b)).toBe(false); // shard 2 is free, but "a" came first
    c.unlock([0]);
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
  });

  it('a pass waiter (afterLocks) runs at once on free shards, else from the unlock that frees them, before later lock waiters', async () => {
    const { c, links } = coordinator();
    const ran: string[] = [];
    c.afterLocks([3], () => ran.push('now'));
    expect(ran).toEqual(['now']);
    await c.lock([1]);
    c.afterLocks([1], () => ran.push(`pass (shard 1 locked: ${links[1]!.lockedBy !== null})`));
    const later = c.lock([1]).then(() => ran.push('lock'));
    expect(ran).toEqual(['now']);
    c.unlock([1]);
    await later;
    expect(ran).toEqual(['now', 'pass (shard 1 locked: false)', 'lock']);
  });

  it('overlapping lock sets asked for in opposite orders are all granted as holders unlock (no deadlock)', async () => {
    const { c } = coordinator();
    const holders: Promise<void>[] = [];
    const sets = [[0, 1], [1, 0], [2, 3, 0], [3, 2], [1, 2], [0, 1, 2, 3]];
    for (const s of sets) {
      holders.push(
        c.lock(s).then(async () => {
          await Promise.resolve();
          c.unlock(s);
        }),
      );
    }
    await Promise.all(holders);
  });

  it('shardsOf() gives the distinct shards of a request\'s keys, ascending', () => {
    const { c } = coordinator();
    const keys = keysOnDistinctShards(4, 4, 'sk');
    const argv = ['mget', keys[3]!, keys[1]!, keys[3]!, keys[0]!];
    const want = [...new Set([keys[3]!, keys[1]!, keys[0]!].map((k) => shardOf(k, 4)))].sort();
    expect(c.shardsOf({ db: 0, proto: 2, cmd: {} as never, argv, keys: [1, 2, 3, 4], flags: 0 })).toEqual(want);
  });

  it('one propagated part goes out as is; several are wrapped in MULTI/EXEC; empty parts are dropped', () => {
    const { c, fed } = coordinator();
    c.propagate([{ db: 0, bytes: Buffer.alloc(0) }, { db: 2, bytes: Buffer.from('A') }]);
    expect(fed).toEqual(['2:A']);
    fed.length = 0;
    c.propagate([{ db: 1, bytes: Buffer.from('A') }, { db: 1, bytes: Buffer.alloc(0) }, { db: 1, bytes: Buffer.from('B') }]);
    expect(fed).toEqual(['1:*1\r\n$5\r\nMULTI\r\n', '1:A', '1:B', '1:*1\r\n$4\r\nEXEC\r\n']);
    fed.length = 0;
    c.propagate([]);
    expect(fed).toEqual([]);
  });
});

describe('multi-shard commands over 4 shards', () => {
  const s = useServers({ shards: 4 });
  // one key on each shard, asserted
  const [a, b, c, d] = keysOnDistinctShards(4, 4, 'co:') as [string, string, string, string];

  it('MGET over keys on every shard returns the values in key order, nil for missing ones, repeats included', async () => {
    await s.io.mset(a, '1', b, '2', d, '4');
    expect(await s.io.mget(d, a, c, b, a)).toEqual(['4', '1', null, '2', '1']);
  });

  it('DEL, EXISTS, TOUCH and UNLINK sum the per-shard counts (EXISTS counts a repeated key each time)', async () => {
    await s.io.del(d);
    await s.io.mset(a, '1', b, '2', c, '3');
    expect(await s.io.exists(a, b, c, d, a, a)).toBe(5);
    expect(await s.io.touch(a, b, c, d)).toBe(3);
    expect(await s.io.del(a, d, b)).toBe(2);
    expect(await s.io.unlink(a, b, c, d)).toBe(1);
    expect(await s.io.exists(a, b, c, d)).toBe(0);
  });

  it('MSET over every shard: the last value of a repeated key wins; an odd argument count writes nothing', async () => {
    await s.io.mset(a, 'x', b, 'y', c, 'z', a, 'last');
    expect(await s.io.mget(a, b, c)).toEqual(['last', 'y', 'z']);
    await expect(s.io.call('MSET', a, '1', b, '2', c)).rejects.toThrow("ERR wrong number of arguments for 'mset' command");
    expect(await s.io.mget(a, b, c)).toEqual(['last', 'y', 'z']);
  });

  it('a split command with a wrong-type key on one shard still answers per key (MGET gives nil for it)', async () => {
    await s.io.del(a, b);
    await s.io.set(a, 'v');
    await s.io.rpush(b, 'x');
    expect(await s.io.mget(a, b)).toEqual(['v', null]);
  });

  it('RENAME and COPY move a value and its TTL to a key on another shard', async () => {
    await s.io.del(a, b, c);
    await s.io.rpush(a, '1', '2', '3');
    await s.io.pexpire(a, 100_000);
    expect(await s.io.rename(a, b)).toBe('OK');
    expect(await s.io.exists(a)).toBe(0);
    expect(await s.io.lrange(b, 0, -1)).toEqual(['1', '2', '3']);
    expect(await s.io.pttl(b)).toBeGreaterThan(0);
    expect(await s.io.copy(b, c)).toBe(1);
    expect(await s.io.lrange(c, 0, -1)).toEqual(['1', '2', '3']);
    expect(await s.io.pttl(c)).toBeGreaterThan(0);
    await s.io.rpush(c, '4'); // an independent copy
    expect(await s.io.llen(b)).toBe(3);
  });

  it('SMOVE, LMOVE and SUNIONSTORE read and write keys on different shards', async () => {
    await s.io.del(a, b, c, d);
    await s.io.sadd(a, 'm1', 'm2');
    await s.io.sadd(b, 'm3');
    expect(await s.io.smove(a, b, 'm1')).toBe(1);
    expect((await s.io.smembers(b)).sort()).toEqual(['m1', 'm3']);
    expect(await s.io.sunionstore(c, a, b)).toBe(3);
    expect((await s.io.smembers(c)).sort()).toEqual(['m1', 'm2', 'm3']);
    await s.io.rpush(d, 'x', 'y');
    await s.io.del(a);
    expect(await s.io.lmove(d, a, 'LEFT', 'RIGHT')).toBe('x');
    expect(await s.io.lrange(a, 0, -1)).toEqual(['x']);
    expect(await s.io.lrange(d, 0, -1)).toEqual(['y']);
  });

  it('a shipped command that fails on the wrong type changes no shard', async () => {
    await s.io.del(a, b);
    await s.io.set(a, 'string');
    await s.io.sadd(b, 'm');
    await expect(s.io.smove(a, b, 'm')).rejects.toThrow(/^WRONGTYPE/);
    await expect(s.io.sunionstore(b, a, b)).rejects.toThrow(/^WRONGTYPE/);
    expect(await s.io.get(a)).toBe('string');
    expect(await s.io.smembers(b)).toEqual(['m']);
  });

  it('MSETNX over every shard sets all keys or, if one exists on any shard, none', async () => {
    await s.io.del(a, b, c, d);
    await s.io.set(d, 'taken');
    expect(await s.io.msetnx(a, '1', b, '2', c, '3', d, '4')).toBe(0);
    expect(await s.io.mget(a, b, c, d)).toEqual([null, null, null, 'taken']);
    expect(await s.io.msetnx(a, '1', b, '2', c, '3')).toBe(1);
    expect(await s.io.mget(a, b, c)).toEqual(['1', '2', '3']);
  });
});
