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
import { useServers } from './helpers/fixture.js';
import { startShardis, waitFor, type Proc } from './helpers/server.js';
import { shardOf } from './helpers/shards.js';


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

// keys chosen to live on different shards of a 4-shard server: bl, zq -> 0; {zz}other, src -> 3; dst -> 2 (asserted)
expect(['bl', 'zq', '{zz}other', 'src', 'dst'].map((k) => shardOf(k, 4))).toEqual([0, 0, 3, 3, 2]);
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
  // the shard's cron (every 1/hz s) runs while the main thread sleeps inside the transaction: it must
  // not serve the waiter between the LPUSH and the LLEN either
  'LPUSH, a pause longer than the shard cron period, then LLEN': async (io, waiter) => {
    const popped = waiter.blpop('bl', 0);
    await waitBlocked(io, 'blpop');
    const r = await io.multi().lpush('bl', 'x').set('{zz}other', '1').debug('sleep', '0.3').llen('bl').exec();
    return { exec: r, popped: await popped, after: await io.llen('bl') };
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
  'LPUSH, a pause longer than the shard cron period, then LLEN': {
    exec: [[null, 1], [null, 'OK'], [null, 'OK'], [null, 1]],
    popped: ['bl', 'x'],
    after: 0,
  },
  'cross-shard LMOVE then LLEN': {
    exec: [[null, 2], [null, 'a'], [null, 1], [null, 2]],
    popped: ['dst', 'a'],
    after: ['c'],
  },
};

describe('atomicity of multi-shard transactions (4 shards)', () => {
  const sv = useServers({ shards: 4, redis: true, args: ['--enable-debug-command', 'yes'], redisArgs: ['--enable-debug-command', 'yes'] });

  for (const name of Object.keys(SCENARIOS)) {
    it(`a client blocked on a key a cross-shard EXEC fills is served after the transaction, not inside it (${name})`, async () => {
      const got = await withClients(sv.srv.port, SCENARIOS[name]!);
      expect(got).toEqual(EXPECTED[name]);
      if (sv.ref !== null) expect(await withClients(sv.ref.port, SCENARIOS[name]!)).toEqual(EXPECTED[name]);
    });
  }
});

// a script that writes {a}1, waits until someone subscribes to channel `go` (PUBSUB NUMSUB needs no
// shard, so the wait does not depend on timing; the GET in the loop lets the server serve other
// clients meanwhile), then writes {b}1 {c}1 {d}1: four shards of four
const HALF_WAY = `
redis.call('set', KEYS[1], '1')
local n = 0
while redis.call('pubsub', 'numsub', 'go')[2] == 0 and n < 200000 do redis.call('get', KEYS[1]) n = n + 1 end
redis.call('set', KEYS[2], '1')
redis.call('set', KEYS[3], '1')
redis.call('set', KEYS[4], '1')
return 'done'`;

describe('keyspace-wide commands and shard locks (4 shards)', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 4 });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('keyspace-wide reads wait for a running multi-shard script instead of seeing half of it', async () => {
    const a = new Redis({ port: srv.port });
    const b = new Redis({ port: srv.port });
    const obs = new Redis({ port: srv.port });
    const sub = new Redis({ port: srv.port });
    try {
      await obs.flushall();
      const order: string[] = [];
      const script = a.eval(HALF_WAY, 4, '{a}1', '{b}1', '{c}1', '{d}1').then((r) => {
        order.push('eval');
        return r;
      });
      await waitBlocked(obs, 'eval');
      const reads = Promise.all([
        b.dbsize(),
        b.keys('*'),
        b.scan('0', 'COUNT', '1000'),
        b.randomkey(),
        b.info('keyspace'),
      ]).then((r) => {
        order.push('reads');
        return r;
      });
      // B's first read is in (shown by CLIENT LIST) before the script is let go
      await waitFor(async () => /cmd=(dbsize|keys|scan|randomkey|info)/.test((await obs.client('LIST')) as string), 'the reads to arrive');
      await sub.subscribe('go');
      expect(await script).toBe('done');
      const [size, keys, scan, random, info] = await reads;
      expect(order).toEqual(['eval', 'reads']);
      expect(size).toBe(4);
      expect([...keys].sort()).toEqual(['{a}1', '{b}1', '{c}1', '{d}1']);
      expect(scan[0]).toBe('0');
      expect([...scan[1]].sort()).toEqual(['{a}1', '{b}1', '{c}1', '{d}1']);
      expect(random).not.toBeNull();
      expect(info).toContain('db0:keys=4,');
    } finally {
      a.disconnect();
      b.disconnect();
      obs.disconnect();
      sub.disconnect();
    }
  });

  it('INFO keyspace inside MULTI/EXEC waits for a running multi-shard script instead of seeing half of it', async () => {
    const a = new Redis({ port: srv.port });
    const b = new Redis({ port: srv.port });
    const obs = new Redis({ port: srv.port });
    const sub = new Redis({ port: srv.port });
    try {
      await obs.flushall();
      const script = a.eval(HALF_WAY, 4, '{a}1', '{b}1', '{c}1', '{d}1');
      await waitBlocked(obs, 'eval');
      const tx = b.multi().info('keyspace').exec();
      await waitFor(async () => ((await obs.client('LIST')) as string).includes('cmd=exec'), 'the EXEC to arrive');
      await sub.subscribe('go');
      expect(await script).toBe('done');
      expect((await tx)![0]![1]).toContain('db0:keys=4,');
    } finally {
      for (const c of [a, b, obs, sub]) c.disconnect();
    }
  });

  it('clients held behind the shard locks of a script all resume, in order, when it ends (woken by the unlock, not re-run each tick)', async () => {
    const a = new Redis({ port: srv.port });
    const obs = new Redis({ port: srv.port });
    const sub = new Redis({ port: srv.port });
    const clients = Array.from({ length: 40 }, () => new Redis({ port: srv.port }));
    try {
      await obs.flushall();
      await Promise.all(clients.map((c) => c.ping()));
      const script = a.eval(HALF_WAY, 4, '{a}1', '{b}1', '{c}1', '{d}1');
      await waitBlocked(obs, 'eval');
      const held = Promise.all(clients.map((c, i) => Promise.all([c.set(`held:${i}`, String(i)), c.incr(`held:${i}`), c.get(`held:${i}`)])));
      await sub.subscribe('go');
      expect(await script).toBe('done');
      const got = await held;
      expect(got).toEqual(clients.map((_, i) => ['OK', i + 1, String(i + 1)]));
      expect(await obs.dbsize()).toBe(4 + clients.length);
    } finally {
      for (const c of [a, obs, sub, ...clients]) c.disconnect();
    }
  });

  it('keyspace-wide reads inside EXEC and scripts (which hold the shards) answer without waiting on themselves', async () => {
    const a = new Redis({ port: srv.port });
    try {
      await a.flushall();
      const r = await a.multi().set('{a}1', '1').set('{b}1', '1').dbsize().keys('*').scan('0', 'COUNT', '100').info('keyspace').exec();
      expect(r![2]).toEqual([null, 2]);
      expect([...(r![3]![1] as string[])].sort()).toEqual(['{a}1', '{b}1']);
      expect((r![4]![1] as [string, string[]])[1].length).toBe(2);
      expect(r![5]![1]).toContain('db0:keys=2,');
      expect(await a.eval("redis.call('set', KEYS[1], '1') redis.call('set', KEYS[2], '1') return {redis.call('dbsize'), #redis.call('keys', '*')}", 2, '{c}1', '{d}1')).toEqual([4, 4]);
    } finally {
      a.disconnect();
    }
  });
});

/** The CLIENT LIST line of the client running `cmd`, once it shows as blocked (flags=b). */
async function blockedLine(io: Redis, cmd: string): Promise<string> {
  return waitFor(async () => ((await io.client('LIST')) as string).split('\n').find((l) => l.includes(`cmd=${cmd}`) && l.includes('flags=b')), `a client blocked in ${cmd}`);
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

const BLOCKED_SCENARIOS: Record<string, (io: Redis, waiter: Redis) => Promise<unknown>> = {
  'BLPOP on keys of four shards': async (io, waiter) => {
    const popped = waiter.blpop('multi:a', 'multi:b', 'multi:c', 'multi:d', 0);
    const line = await blockedLine(io, 'blpop');
    const info = (await io.info('clients')) as string;
    const id = /id=(\d+)/.exec(line)![1]!;
    const unblock = await io.client('UNBLOCK', id);
    return {
      blocked: infoField(info, 'blocked_clients'),
      fields: info.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':')[0]),
      unblock,
      popped: await popped,
    };
  },
  'WAIT unblocked by CLIENT UNBLOCK': async (io, waiter) => {
    const waited = waiter.wait(1, 0);
    const line = await blockedLine(io, 'wait');
    const info = (await io.info('clients')) as string;
    const id = /id=(\d+)/.exec(line)![1]!;
    const unblock = await io.client('UNBLOCK', id);
    const result = await waited;
    const again = await io.client('UNBLOCK', id);
    const afterInfo = (await io.info('clients')) as string;
    const waited2 = waiter.wait(1, 0).catch((e: Error) => `error: ${e.message}`);
    await blockedLine(io, 'wait');
    const unblock2 = await io.client('UNBLOCK', id, 'ERROR');
    return {
      blocked: infoField(info, 'blocked_clients'),
      unblock,
      result,
      again,
      after: infoField(afterInfo, 'blocked_clients'),
      unblock2,
      result2: await waited2,
    };
  },
};

/** Four blocked clients, three of them with a timeout: INFO clients counts, then all are unblocked. */
async function timedScenario(io: Redis): Promise<unknown> {
  const port = io.options.port!;
  const conns = [0, 1, 2, 3].map(() => new Redis({ port }));
  try {
    const done = Promise.all([
      conns[0]!.blpop('one', 0),
      conns[1]!.blpop('two', 100),
      conns[2]!.blpop('multi:a', 'multi:b', 100),
      conns[3]!.wait(1, 100000),
    ]);
    await blockedLine(io, 'wait');
    await waitFor(async () => ((await io.client('LIST')) as string).split('\n').filter((l) => l.includes('flags=b')).length === 4, 'four blocked clients');
    const info = (await io.info('clients')) as string;
    const ids = ((await io.client('LIST')) as string).split('\n').filter((l) => l.includes('flags=b')).map((l) => /id=(\d+)/.exec(l)![1]!);
    for (const id of ids) await io.client('UNBLOCK', id);
    await done;
    return { blocked: infoField(info, 'blocked_clients'), timed: infoField(info, 'clients_in_timeout_table') };
  } finally {
    for (const c of conns) c.disconnect();
  }
}

const BLOCKED_EXPECTED: Record<string, unknown> = {
  'BLPOP on keys of four shards': {
    blocked: '1',
    fields: ['connected_clients', 'cluster_connections', 'maxclients', 'client_recent_max_input_buffer', 'client_recent_max_output_buffer', 'blocked_clients', 'tracking_clients', 'clients_in_timeout_table'],
    unblock: 1,
    popped: null,
  },
  'WAIT unblocked by CLIENT UNBLOCK': {
    blocked: '1',
    unblock: 1,
    result: 0,
    again: 0,
    after: '0',
    unblock2: 1,
    result2: 'error: UNBLOCKED client unblocked via CLIENT UNBLOCK',
  },
};

describe('clients blocked outside the shards (4 shards)', () => {
  const sv = useServers({ shards: 4, redis: true });

  it('a client blocked on keys of several shards counts in INFO blocked_clients and shows flags=b', async () => {
    const name = 'BLPOP on keys of four shards';
    expect(await withClients(sv.srv.port, BLOCKED_SCENARIOS[name]!)).toEqual(BLOCKED_EXPECTED[name]);
    if (sv.ref !== null) expect(await withClients(sv.ref.port, BLOCKED_SCENARIOS[name]!)).toEqual(BLOCKED_EXPECTED[name]);
  });

  it('CLIENT UNBLOCK ends a WAIT with the replicas acknowledged so far (or the UNBLOCKED error); WAIT counts as blocked', async () => {
    const name = 'WAIT unblocked by CLIENT UNBLOCK';
    expect(await withClients(sv.srv.port, BLOCKED_SCENARIOS[name]!)).toEqual(BLOCKED_EXPECTED[name]);
    if (sv.ref !== null) expect(await withClients(sv.ref.port, BLOCKED_SCENARIOS[name]!)).toEqual(BLOCKED_EXPECTED[name]);
  });

  it('INFO clients_in_timeout_table counts only blocked clients with a timeout (on one shard, several, or in WAIT)', async () => {
    const expected = { blocked: '4', timed: '3' };
    const io = new Redis({ port: sv.srv.port });
    try {
      expect(await timedScenario(io)).toEqual(expected);
    } finally {
      io.disconnect();
    }
    if (sv.ref !== null) {
      const r = new Redis({ port: sv.ref.port });
      try {
        expect(await timedScenario(r)).toEqual(expected);
      } finally {
        r.disconnect();
      }
    }
  });
});
