/*
 * Blocking list commands: woken by pushes from other clients in arrival order, timeouts, keys on
 * several shards, BLMOVE, CLIENT UNBLOCK, disconnect while blocked, MULTI, RESP3 nulls.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { spreadKeys } from './helpers/shards.js';
import Redis from 'ioredis';
import { waitFor } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

async function blockedCount(io: Redis): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(await io.info('clients'))![1]);
}

/**
 * Wait until the server has taken client `id`'s blocking command `cmd` (CLIENT LIST shows it as the
 * client's command; blocked_clients does not count a wait on keys of several shards). The commands
 * wait without a timeout, so a push sent after this wakes them however slow the machine is.
 */
async function commandTaken(io: Redis, id: number, cmd: string): Promise<void> {
  await waitFor(async () => ((await io.client('LIST', 'ID', String(id))) as string).includes(` cmd=${cmd} `), `client ${id} blocked in ${cmd}`);
}

describe.each([1, 4])('blocking commands with %i shard(s)', (shards) => {
  const s = useServers({ shards });

  it('BLPOP is woken by a push from another client, FIFO among waiters', async () => {
    const waiters = [0, 1, 2].map(() => new Redis({ port: s.srv.port }));
    const results: string[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      pending.push(waiters[i]!.blpop('fifo', 0).then((r) => void results.push(`${i}:${r![1]}`)));
      // make arrival order certain before the next waiter blocks
      await waitFor(async () => (await blockedCount(s.io)) === i + 1, `waiter ${i} blocked`);
    }
    await s.io.rpush('fifo', 'a', 'b', 'c');
    await Promise.all(pending);
    expect(results.sort()).toEqual(['0:a', '1:b', '2:c']);
    for (const w of waiters) w.disconnect();
    expect(await s.io.llen('fifo')).toBe(0);
  });

  it('a key pushed, deleted and set to a string in one MULTI wakes nobody; the waiter stays blocked', async () => {
    for (const [pop, push] of [['blpop', 'lpush'], ['bzpopmin', 'zadd']] as const) {
      const key = `wt:${pop}`;
      const waiter = new Redis({ port: s.srv.port });
      const got = waiter.call(pop, key, '0');
      await waitFor(async () => (await blockedCount(s.io)) === 1, 'waiter blocked');
      const pushArgs = push === 'zadd' ? [key, '1', 'a'] : [key, 'a'];
      expect(await s.io.multi().call(push, ...pushArgs).del(key).set(key, 'foo').exec()).toEqual([[null, 1], [null, 1], [null, 'OK']]);
      expect(await blockedCount(s.io)).toBe(1);
      await s.io.del(key);
      await s.io.call(push, ...(push === 'zadd' ? [key, '2', 'b'] : [key, 'b']));
      expect(await got).toEqual(push === 'zadd' ? [key, 'b', '2'] : [key, 'b']);
      waiter.disconnect();
    }
  });

  it('BRPOP and BLPOP time out with a null reply (RESP2 *-1, RESP3 _)', async () => {
    const r = await RawClient.connect(s.srv.port);
    r.send('BRPOP', 'none1', 'none2', '0.05');
    expect(await r.readRaw()).toBe('*-1\r\n');
    r.send('HELLO', '3');
    await r.readRaw();
    r.send('BLPOP', 'none1', '0.05');
    expect(await r.readRaw()).toBe('_\r\n');
    r.send('BLMOVE', 'none1', 'x', 'LEFT', 'LEFT', '0.05');
    expect(await r.readRaw()).toBe('_\r\n');
    r.close();
  });

  it('BLPOP on keys that live on different shards is woken by a push to any of them', async () => {
    const keys = spreadKeys(shards, 4, 'multi:'); // on 4 shards: one key on each, asserted
    const w = s.client();
    const id = (await w.client('ID')) as number;
    for (const k of keys) {
      const p = w.blpop(...keys, 0);
      await commandTaken(s.io, id, 'blpop');
      await s.io.rpush(k, 'hello');
      expect(await p).toEqual([k, 'hello']);
    }
  });

  it('BLMOVE waits for the source and moves atomically; BRPOPLPUSH likewise', async () => {
    const w = new Redis({ port: s.srv.port });
    const id = (await w.client('ID')) as number;
    const p = w.blmove('bm:src', 'bm:dst', 'RIGHT', 'LEFT', 0);
    await commandTaken(s.io, id, 'blmove');
    await s.io.rpush('bm:src', '1', '2');
    expect(await p).toBe('2');
    expect(await s.io.lrange('bm:dst', 0, -1)).toEqual(['2']);
    expect(await w.brpoplpush('bm:src', 'bm:dst', 0)).toBe('1'); // the source holds '1': no wait
    expect(await s.io.lrange('bm:dst', 0, -1)).toEqual(['1', '2']);
    w.disconnect();
  });

  it('BLMPOP with COUNT', async () => {
    const w = new Redis({ port: s.srv.port });
    const id = (await w.client('ID')) as number;
    const p = w.call('BLMPOP', '0', '2', 'mp:a', 'mp:b', 'RIGHT', 'COUNT', '2');
    await commandTaken(s.io, id, 'blmpop');
    await s.io.rpush('mp:b', 'x', 'y', 'z');
    expect(await p).toEqual(['mp:b', ['z', 'y']]);
    w.disconnect();
  });

  it('inside MULTI a blocking pop does not block', async () => {
    const [[, r]] = (await s.io.multi().blpop('never', 0).exec()) as [[null, unknown]];
    expect(r).toBeNull();
  });

  it('CLIENT UNBLOCK with TIMEOUT and ERROR', async () => {
    const w = new Redis({ port: s.srv.port });
    const id = (await w.client('ID')) as number;
    const p = w.blpop('ub', 0);
    await waitFor(async () => (await blockedCount(s.io)) === 1, 'blocked');
    expect(await s.io.client('UNBLOCK', String(id))).toBe(1);
    expect(await p).toBeNull();
    const p2 = w.blpop('ub', 0).catch((e: Error) => e.message);
    await waitFor(async () => (await blockedCount(s.io)) === 1, 'blocked again');
    expect(await s.io.client('UNBLOCK', String(id), 'ERROR')).toBe(1);
    expect(await p2).toBe('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(await s.io.client('UNBLOCK', String(id))).toBe(0);
    w.disconnect();
  });

  it('a client that disconnects while blocked is forgotten: the next push stays in the list', async () => {
    const w = new Redis({ port: s.srv.port });
    void w.blpop('gone', 0).catch(() => undefined);
    await waitFor(async () => (await blockedCount(s.io)) >= 1, 'blocked');
    w.disconnect();
    await waitFor(async () => (await blockedCount(s.io)) === 0, 'unblocked on disconnect');
    await s.io.rpush('gone', 'kept');
    expect(await s.io.lrange('gone', 0, -1)).toEqual(['kept']);
  });
});
