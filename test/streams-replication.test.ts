/*
 * Streams across replication, both ways with redis-server 7: a redis-server replica of a shardis
 * master and a shardis replica of a redis-server master end up with the same streams (entries,
 * counters, node layout, groups, PELs with delivery times and counts, consumers) after a full sync
 * and after a stream of writes whose replies depend on time or on the node layout (XADD *, trims
 * with ~, XREADGROUP, XCLAIM, XAUTOCLAIM), which must therefore travel in their deterministic form.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { waitInSync, FakeReplica } from './helpers/replication.js';

const HAVE = haveBinaries('redis-server');
const FAST = ['--repl-diskless-sync-delay', '0'];
const { procs, client } = useProcesses();

const KEYS = ['pre:a', 'pre:b', 'post:a', 'post:b', 'post:c'];

async function fill(c: Redis, tag: string): Promise<void> {
  for (let i = 0; i < 260; i++) await c.xadd(`${tag}:a`, '*', 'f', String(i), 'g', 'x'.repeat(i % 50));
  await c.xadd(`${tag}:b`, '1-1', 'a', '1');
  await c.xadd(`${tag}:b`, '2-1', 'b', '2');
  await c.xadd(`${tag}:b`, '3-1', 'c', '3');
  await c.xgroup('CREATE', `${tag}:b`, 'g', '0');
  await c.xgroup('CREATE', `${tag}:b`, 'h', '$');
  await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', `${tag}:b`, '>');
  await c.xdel(`${tag}:b`, '2-1');
}

async function writes(c: Redis, tag: string): Promise<void> {
  await c.xadd(`${tag}:a`, 'MAXLEN', '~', '120', '*', 'trim', '1');
  await c.xtrim(`${tag}:a`, 'MINID', '~', '0-1');
  await c.xadd(`${tag}:a`, 'MINID', '~', '1', 'LIMIT', '10', '*', 'x', 'y');
  await c.xdel(`${tag}:a`, (await c.xrange(`${tag}:a`, '-', '+', 'COUNT', 1))[0]![0]);
  await c.xreadgroup('GROUP', 'g', 'bob', 'STREAMS', `${tag}:b`, '>');
  await c.xreadgroup('GROUP', 'h', 'carol', 'NOACK', 'STREAMS', `${tag}:b`, '0');
  await c.xadd(`${tag}:b`, '9-*', 'd', '4');
  await c.xreadgroup('GROUP', 'h', 'carol', 'NOACK', 'STREAMS', `${tag}:b`, '>');
  await c.xack(`${tag}:b`, 'g', '1-1');
  await c.xclaim(`${tag}:b`, 'g', 'dave', '0', '3-1', 'RETRYCOUNT', '5');
  await c.xautoclaim(`${tag}:b`, 'g', 'erin', '0', '0', 'COUNT', '10');
  await c.xgroup('CREATECONSUMER', `${tag}:b`, 'h', 'frank');
  await c.xgroup('DELCONSUMER', `${tag}:b`, 'g', 'alice');
  await c.xgroup('CREATE', `${tag}:c`, 'g', '$', 'MKSTREAM', 'ENTRIESREAD', '0');
  await c.xgroup('SETID', `${tag}:b`, 'h', '3-1');
  await c.xsetid(`${tag}:c`, '100-5', 'ENTRIESADDED', '7', 'MAXDELETEDID', '50-0');
  await c.xadd(`${tag}:c`, '*', 'f', 'v');
}

/**
 * Everything observable of the streams but consumer seen-times (set locally on a replica) and the
 * groups' entries-read / lag: redis-server 7.0 propagates a delivery as XCLAIM ... LASTID, which moves
 * the replica's last-delivered ID without its entries-read counter, so those differ between a
 * redis-server master and its redis-server replica too.
 */
async function snapshot(c: Redis): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    if (!(await c.exists(k))) continue;
    const full = (await c.call('XINFO', 'STREAM', k, 'FULL', 'COUNT', '0')) as unknown[];
    out[k] = JSON.stringify(full).replace(/"seen-time",\d+/g, '"seen-time",T').replace(/"entries-read",(null|\d+),"lag",(null|\d+)/g, '"entries-read",R,"lag",L');
    out[k + ':info'] = await c.call('XINFO', 'STREAM', k);
  }
  return out;
}

async function session(m: Redis, r: Redis): Promise<void> {
  await waitInSync(m, r);
  await writes(m, 'pre');
  await fill(m, 'post');
  await writes(m, 'post');
  await waitInSync(m, r);
  const [a, b] = await Promise.all([snapshot(m), snapshot(r)]);
  expect(Object.keys(a as object).length).toBe(2 * KEYS.length);
  expect(b).toEqual(a);
}

describe.skipIf(!HAVE)('streams replicated between shardis and redis-server 7', () => {
  it('a redis-server replica of shardis gets the same streams (full sync, then the command stream)', async () => {
    const mp = await startShardis({ args: FAST, shards: 4 });
    procs.push(mp);
    const m = client(mp);
    await fill(m, 'pre');
    const rp = await startRedis(['--replicaof', '127.0.0.1', String(mp.port)]);
    procs.push(rp);
    await session(m, client(rp));
    expect(rp.output()).toContain('MASTER <-> REPLICA sync: Finished with success');
  });

  it('a shardis replica of redis-server gets the same streams (full sync, then the command stream)', async () => {
    const mp = await startRedis(FAST);
    procs.push(mp);
    const m = client(mp);
    await fill(m, 'pre');
    const rp = await startShardis({ args: ['--replicaof', '127.0.0.1', String(mp.port)], shards: 2 });
    procs.push(rp);
    await session(m, client(rp));
  });
});


async function propagated(p: Proc): Promise<string[]> {
  const m = client(p);
  const fake = new FakeReplica(p.port);
  await fake.start();
  await waitFor(async () => ((await m.info('replication')).match(/slave0:.*state=online/) ? true : null), 'the fake replica online');
  const added = await m.xadd('ra', '*', 'auto', '1');
  for (let i = 1; i <= 150; i++) await m.xadd('rs', `${i}-*`, 'f', String(i));
  await m.xadd('rs', 'MAXLEN', '~', '60', '200-0', 'g', 'h');
  await m.xtrim('rs', 'MINID', '~', '190');
  await m.xadd('rs', 'MINID', '~', '150', 'LIMIT', '100', '201-*', 'g', 'h');
  await m.xtrim('rs', 'MAXLEN', '=', '40');
  await m.xgroup('CREATE', 'rs', 'g', '0');
  await m.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '3', 'STREAMS', 'rs', '>');
  await m.xreadgroup('GROUP', 'g', 'bob', 'NOACK', 'COUNT', '2', 'STREAMS', 'rs', '>');
  await m.xreadgroup('GROUP', 'g', 'alice', 'STREAMS', 'rs', '0');
  const pend = (await m.xpending('rs', 'g', '-', '+', 10)) as string[][];
  await m.xdel('rs', pend[0]![0]!);
  await m.xclaim('rs', 'g', 'carol', '0', pend[0]![0]!, pend[1]![0]!, 'JUSTID');
  await m.xclaim('rs', 'g', 'carol', '0', '9-0', 'LASTID', '999999999999999-0');
  await m.xautoclaim('rs', 'g', 'dave', '0', '0', 'COUNT', '5');
  await m.xack('rs', 'g', pend[2]![0]!);
  await m.xgroup('SETID', 'rs', 'g', '$');
  await m.set('last', 'x');
  const cmds = await waitFor(() => {
    const c = fake.commands();
    return c.some((x) => x[1] === 'last') ? c : null;
  }, 'the stream to reach the last write');
  fake.sock.destroy();
  return cmds.map((c) => c.map((a) => (a === added ? 'AUTO-ID' : /^1\d{12}$/.test(a) ? 'T' : a)).join(' '));
}

describe.skipIf(!HAVE)('the replication stream of stream commands', () => {
  it('is redis-server\'s: concrete IDs, = thresholds, XCLAIM ... LASTID and XGROUP SETID in MULTI/EXEC', async () => {
    const sp = await startShardis({ args: FAST, shards: 1 });
    const rp = await startRedis(FAST);
    procs.push(sp, rp);
    const ours = await propagated(sp);
    const theirs = await propagated(rp);
    expect(ours).toEqual(theirs);
    expect(ours.filter((x) => /^xadd rs MAXLEN = \d+ 200-0 g h$/i.test(x)).length).toBe(1);
    expect(ours.filter((x) => x === 'MULTI').length).toBeGreaterThanOrEqual(2);
  });
});
