/*
 * Replication across implementations: an unmodified redis-server 7 replicating from a shardis master
 * (full-sync RDB payload and command stream) converges to identical data, and shardis replicates from
 * a redis-server master. Plus the stream itself, read by a bare socket posing as a replica: writes
 * are made deterministic (relative expiry -> PXAT, INCRBYFLOAT -> SET, SPOP -> SREM, expired key ->
 * DEL), SELECT precedes a database change, and a write spanning shards comes wrapped in MULTI/EXEC.
 *
 * Needs the Debian redis-server binary: skipped loudly outside CI when missing, required with CI=true.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { CEILING_MS, haveBinaries, startRedis, startShardis, waitFor } from './helpers/server.js';
import { contents, differences, info, waitInSync, FakeReplica } from './helpers/replication.js';

const HAVE = haveBinaries('redis-server');
const FAST = ['--repl-diskless-sync-delay', '0'];

const { procs, clients, client } = useProcesses();

async function fill(c: Redis, tag: string): Promise<void> {
  await c.set(`${tag}:s`, 'hello');
  await c.set(`${tag}:int`, '12345');
  await c.set(`${tag}:bin`, Buffer.from([0, 1, 2, 255, 13, 10]));
  await c.set(`${tag}:ttl`, 'x', 'EX', 1000);
  await c.rpush(`${tag}:l`, 'a', '1', 'x'.repeat(100));
  await c.rpush(`${tag}:lbig`, ...Array.from({ length: 700 }, (_, i) => `e${i}`));
  await c.sadd(`${tag}:si`, '1', '2', '-3');
  await c.sadd(`${tag}:ss`, ...Array.from({ length: 300 }, (_, i) => `m${i}`));
  await c.hset(`${tag}:h`, 'f1', 'v1', 'f2', '2');
  await c.hset(`${tag}:hbig`, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`])));
  await c.zadd(`${tag}:z`, 1, 'a', 2.5, 'b', '-inf', 'c');
  await c.zadd(`${tag}:zbig`, ...Array.from({ length: 300 }, (_, i) => [String(i / 3), `m${i}`]).flat());
  for (let i = 0; i < 500; i++) await c.set(`${tag}:k${i}`, `v${i}`);
}

async function stream(c: Redis, tag: string): Promise<void> {
  await c.incrbyfloat(`${tag}:f`, '1.5');
  await c.setex(`${tag}:ex`, 100, 'v');
  await c.expire(`${tag}:s`, 500);
  await c.spop(`${tag}:ss`, 3);
  await c.lmove(`${tag}:l`, `${tag}:l2`, 'LEFT', 'RIGHT');
  await c.mset(`${tag}:m1`, '1', `${tag}:m2`, '2', `${tag}:m3`, '3');
  await c.zincrby(`${tag}:z`, 2, 'a');
  await c.hincrbyfloat(`${tag}:h`, 'f2', '0.25');
  await c.del(`${tag}:k1`, `${tag}:k2`, `${tag}:k3`);
  await c.multi().incr(`${tag}:ctr`).rpush(`${tag}:l`, 'tx').exec();
  await c.select(3);
  await c.set(`${tag}:db3`, 'three');
  await c.select(0);
}

/** The replica got the 'pre' keys by full sync; then the stream carries writes to them and new keys. */
async function session(m: Redis, r: Redis): Promise<void> {
  await waitInSync(m, r);
  await stream(m, 'pre');
  await fill(m, 'post');
  await stream(m, 'post');
  await waitInSync(m, r);
}

describe.skipIf(!HAVE)('redis-server 7 as a replica of shardis', () => {
  it('converges to identical data: full sync payload and the stream after it', async () => {
    const mp = await startShardis({ args: FAST, shards: 4 });
    procs.push(mp);
    const m = client(mp);
    await fill(m, 'pre');
    const rp = await startRedis(['--replicaof', '127.0.0.1', String(mp.port)]);
    procs.push(rp);
    const r = client(rp);
    await session(m, r);
    const [a, b] = await Promise.all([contents(m), contents(r)]);
    expect(a.size).toBeGreaterThan(1000);
    expect(differences(a, b)).toEqual([]);
    await m.select(3);
    await r.select(3);
    expect(await r.get('post:db3')).toBe('three');
    expect(await r.get('pre:db3')).toBe('three');
    expect(rp.output()).toContain('MASTER <-> REPLICA sync: Finished with success');
  });
});

describe.skipIf(!HAVE)('shardis as a replica of redis-server 7', () => {
  it('converges to identical data, then keeps up with the stream', async () => {
    const mp = await startRedis(FAST);
    procs.push(mp);
    const m = client(mp);
    await fill(m, 'pre');
    const rp = await startShardis({ args: ['--replicaof', '127.0.0.1', String(mp.port)], shards: 2 });
    procs.push(rp);
    const r = client(rp);
    await session(m, r);
    expect(differences(await contents(m), await contents(r))).toEqual([]);
    await r.select(3);
    expect(await r.get('post:db3')).toBe('three');
  });

  it('authenticates with a non-ASCII masteruser and masterauth: their UTF-8 bytes, as redis-server has them', async () => {
    // the default user off: only rëpl, with its password, can sync
    const mp = await startRedis([...FAST, '--user', 'default', 'off', '--user', 'rëpl', 'on', '>pässwört', '~*', '&*', '+@all']);
    procs.push(mp);
    const m = new Redis({ port: mp.port, username: 'rëpl', password: 'pässwört', maxRetriesPerRequest: 0, retryStrategy: () => null });
    clients.push(m);
    await m.set('k', 'v');
    const rp = await startShardis({ args: ['--masteruser', 'rëpl', '--masterauth', 'pässwört', '--replicaof', '127.0.0.1', String(mp.port)] });
    procs.push(rp);
    const r = client(rp);
    await waitInSync(m, r);
    expect(await r.get('k')).toBe('v');
  });
});

describe.skipIf(!haveBinaries('redis-cli'))('redis-cli --replica', () => {
  it('syncs (SYNC, EOF-marked payload, ACK) and prints the commands of the stream', async () => {
    const mp = await startShardis({ args: FAST });
    procs.push(mp);
    const m = client(mp);
    await m.set('before', '1');
    const cli = spawn('redis-cli', ['-p', String(mp.port), '--replica'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('Logging commands from master'), 'the sync to end');
      await waitFor(async () => (await info(m)).slave0?.includes('state=online'), 'redis-cli online');
      await m.set('after', '2');
      await m.rpush('list', 'x');
      await waitFor(() => out.includes('"rpush","list","x"'), 'the stream in redis-cli');
      expect(out).toContain('"set","after","2"');
    } finally {
      cli.kill();
    }
  });
});

describe.skipIf(!haveBinaries('redis-cli', 'redis-check-rdb'))('redis-cli --rdb', () => {
  it('downloads a snapshot that redis-check-rdb accepts (checksum, keys, expiry)', async () => {
    const mp = await startShardis({ args: FAST, shards: 2 });
    procs.push(mp);
    const m = client(mp);
    await fill(m, 'rdb');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-rdb-')), 'dump.rdb');
    const dl = spawnSync('redis-cli', ['-p', String(mp.port), '--rdb', file], { encoding: 'utf8', timeout: CEILING_MS });
    expect(dl.stderr + dl.stdout).toContain('Transfer finished with success');
    const check = spawnSync('redis-check-rdb', [file], { encoding: 'utf8', timeout: CEILING_MS });
    const out = check.stdout + check.stderr;
    expect(out).toContain('Checksum OK');
    expect(out).toContain('RDB looks OK');
    expect(out).toContain(`${await m.dbsize()} keys read`);
    expect(out).toContain('1 expires');
  });
});

/** A bare socket that does the replica handshake and collects the command stream after the payload. */

describe('the replication stream', () => {
  it('is deterministic, selects databases, and wraps writes over several shards in MULTI/EXEC', async () => {
    const mp = await startShardis({ args: FAST, shards: 4 });
    procs.push(mp);
    const m = client(mp);
    const fake = new FakeReplica(mp.port);
    await fake.start();
    await waitFor(async () => (await info(m)).slave0?.includes('state=online'), 'the fake replica online');
    const before = Date.now();
    await m.set('a', 'v', 'EX', 100);
    await m.incrbyfloat('f', '1.5');
    await m.sadd('s', 'only');
    await m.spop('s');
    await m.set('gone', 'x', 'PX', 50);
    await new Promise((res) => setTimeout(res, 100));
    expect(await m.get('gone')).toBeNull(); // lazily expired: propagated as DEL
    await m.select(5);
    await m.set('in5', '1');
    await m.select(0);
    await m.mset('{a}1', '1', '{b}2', '2', '{c}3', '3', '{d}4', '4');
    const payload = (await m.dumpBuffer('a'))!;
    await m.restore('r1', 100_000, payload);
    await m.call('restore', 'r2', '0', payload, 'REPLACE');
    await m.set('last', 'x');
    const cmds = await waitFor(() => {
      const c = fake.commands();
      return c.some((x) => x[1] === 'last') ? c : null;
    }, 'the stream to reach the last write');
    // commands propagated as the client sent them keep its spelling (as Redis): compare names upper-cased
    const names = cmds.map((c) => [c[0]!.toUpperCase(), ...c.slice(1)].join(' '));
    expect(cmds[0]).toEqual(['SELECT', '0']);
    const set = cmds.find((c) => c[0] === 'SET' && c[1] === 'a')!;
    expect(set.slice(0, 4)).toEqual(['SET', 'a', 'v', 'PXAT']);
    expect(Number(set[4])).toBeGreaterThanOrEqual(before + 100_000 - 1000);
    expect(names).toContain('SET f 1.5 KEEPTTL');
    expect(names).toContain('SREM s only');
    expect(names).toContain('DEL gone');
    const sel = names.indexOf('SELECT 5');
    expect(sel).toBeGreaterThan(0);
    expect(names[sel + 1]).toBe('SET in5 1');
    expect(names[sel + 2]).toBe('SELECT 0');
    const multi = names.indexOf('MULTI');
    expect(multi).toBeGreaterThan(sel);
    const exec = names.indexOf('EXEC', multi);
    const inside = names.slice(multi + 1, exec);
    expect(inside.every((x) => x.startsWith('MSET '))).toBe(true);
    expect(inside.join(' ').split(' ').filter((x) => x !== 'MSET').sort()).toEqual(['1', '2', '3', '4', '{a}1', '{b}2', '{c}3', '{d}4'].sort());
    // RESTORE as sent; a relative TTL becomes absolute with ABSTTL appended (no REPLACE added)
    const r1 = cmds.find((c) => c[1] === 'r1')!;
    expect([r1[0]!.toUpperCase(), r1.length, r1[4]]).toEqual(['RESTORE', 5, 'ABSTTL']);
    expect(Number(r1[2])).toBeGreaterThanOrEqual(before + 100_000 - 1000);
    const r2 = cmds.find((c) => c[1] === 'r2')!;
    expect([r2[0], r2[2], r2[4], r2.length]).toEqual(['restore', '0', 'REPLACE', 5]);
    fake.sock.destroy();
  });
});
