/*
 * Blocked clients across shards (4 shards, keys asserted to live on distinct shards): a wait on keys
 * of several shards (parked on the main thread, retried by the coordinator) and a wait on one shard
 * (parked on the shard) share a key in arrival order; BLMOVE between shards; timeouts and disconnects
 * leave no bookkeeping behind. Single-shard blocking: test/blocking.test.ts.
 */

import { describe, expect, it } from 'vitest';
import type Redis from 'ioredis';
import { useServers } from './helpers/fixture.js';
import { keysOnDistinctShards } from './helpers/shards.js';
import { waitFor } from './helpers/wait.js';
import { infoFields } from './helpers/info.js';

describe('blocked clients over 4 shards', () => {
  const s = useServers({ shards: 4 });

  /** Wait until client `id` is blocked in `cmd` (CLIENT LIST shows it; no timing assumed). */
  async function blocked(id: number, cmd: string): Promise<void> {
    await waitFor(async () => ((await s.io.client('LIST', 'ID', String(id))) as string).includes(` cmd=${cmd} `) && ((await s.io.client('LIST', 'ID', String(id))) as string).includes('flags=b'), { what: `client ${id} blocked in ${cmd}` });
  }

  async function waiter(): Promise<[Redis, number]> {
    const c = s.client();
    return [c, (await c.client('ID')) as number];
  }

  // as redis-server 7.0.15: each key serves its waiters in the order they blocked, whether they wait on
  // keys of one shard (parked there) or of several (parked on the main thread, a stand-in on each shard)
  it('a wait on keys of several shards and a wait on one shard are served in arrival order by pushes to their common key', async () => {
    const [f0, f1] = keysOnDistinctShards(4, 2, 'fifo:') as [string, string];
    for (const multiFirst of [true, false]) {
      await s.io.del(f0, f1);
      const [a, ida] = await waiter(); // on f0 and f1: two shards
      const [b, idb] = await waiter(); // on f1 only
      const order: string[] = [];
      const wait = (c: Redis, keys: string[], name: string): Promise<void> => c.blpop(...keys, 0).then((r) => void order.push(`${name}:${r![1]}`));
      void (multiFirst ? wait(a, [f0, f1], 'multi') : wait(b, [f1], 'single'));
      await blocked(multiFirst ? ida : idb, 'blpop');
      void (multiFirst ? wait(b, [f1], 'single') : wait(a, [f0, f1], 'multi'));
      await blocked(multiFirst ? idb : ida, 'blpop');
      await s.io.rpush(f1, 'first');
      await waitFor(() => order.length === 1, { what: 'one waiter served' });
      await s.io.rpush(f1, 'second');
      await waitFor(() => order.length === 2, { what: 'both waiters served' });
      expect(order).toEqual(multiFirst ? ['multi:first', 'single:second'] : ['single:first', 'multi:second']);
    }
  });

  it('BLMOVE from a key on one shard into a key on another waits for the source, then moves the element', async () => {
    const [src, dst] = keysOnDistinctShards(4, 2, 'mv:') as [string, string];
    const [c, id] = await waiter();
    const moved = c.blmove(src, dst, 'LEFT', 'RIGHT', 0);
    await blocked(id, 'blmove');
    await s.io.rpush(src, 'a', 'b');
    expect(await moved).toBe('a');
    expect(await s.io.lrange(src, 0, -1)).toEqual(['b']);
    expect(await s.io.lrange(dst, 0, -1)).toEqual(['a']);
  });

  it('a wait on keys of all four shards is served by a push to any one of them, with that key', async () => {
    const [k0, k1, k2, k3] = keysOnDistinctShards(4, 4, 'any:') as [string, string, string, string];
    for (const k of [k3, k0, k2, k1]) {
      await s.io.del(k0, k1, k2, k3);
      const [c, id] = await waiter();
      const got = c.blpop(k0, k1, k2, k3, 0);
      await blocked(id, 'blpop');
      await s.io.rpush(k, 'v');
      expect(await got).toEqual([k, 'v']);
      c.disconnect();
    }
  });

  it('a wait on keys of several shards that times out answers nil and leaves no blocked client behind', async () => {
    const keys = keysOnDistinctShards(4, 3, 'to:');
    const [c] = await waiter();
    expect(await c.blpop(...keys, 0.05)).toBeNull();
    await waitFor(async () => {
      const f = await infoFields(s.io, 'clients');
      return f.blocked_clients === '0' && f.clients_in_timeout_table === '0';
    }, { what: 'no blocked client and an empty timeout table' });
  });

  it('a client blocked on keys of several shards that disconnects is forgotten: a later push stays in the list', async () => {
    const [d0, d1] = keysOnDistinctShards(4, 2, 'dc:') as [string, string];
    const [c, id] = await waiter();
    void c.blpop(d0, d1, 0).catch(() => undefined);
    await blocked(id, 'blpop');
    c.disconnect();
    await waitFor(async () => !((await s.io.client('LIST')) as string).includes(`id=${id} `), { what: `client ${id} gone` });
    await s.io.rpush(d1, 'kept');
    expect(await s.io.lrange(d1, 0, -1)).toEqual(['kept']);
  });
});
