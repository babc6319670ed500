/*
 * RDB files between redis-server 7.0 and shardis: files redis-server writes (every type and the
 * encodings it picks: listpack, intset, hashtable, skiplist, quicklist of listpacks, LZF-compressed
 * strings and quicklist nodes, expiry, several databases) load into shardis; files shardis writes pass
 * redis-check-rdb and load into redis-server with the same contents. A file recorded from
 * redis-server 7.0.15 (GOLDEN below) keeps the first direction tested where redis-server is absent.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { fillEveryEncoding } from './helpers/fill.js';
import { contents, differences } from './helpers/replication.js';

const HAVE = haveBinaries('redis-server', 'redis-check-rdb');

const { procs, clients } = useProcesses({ each: true });

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-rdbx-'));
}

function client(p: Proc): Redis {
  const c = new Redis({ port: p.port, maxRetriesPerRequest: 0 });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** Every encoding (helpers/fill.ts), plus a longer list, a long hash value, TTLs and a second database. */
async function fill(c: Redis): Promise<void> {
  await fillEveryEncoding(c);
  await c.set('s:ttl', 'v', 'PX', 3_600_000);
  await c.del('l:big');
  await c.rpush('l:big', ...Array.from({ length: 3000 }, (_, i) => `element-${i}`), 'y'.repeat(9000));
  await c.hset('h:long', 'f', 'z'.repeat(100));
  await c.expire('z:big', 3600);
  await c.select(2);
  await c.set('db2', 'two');
  await c.sadd('db2set', 'x');
  await c.select(0);
}

async function db2(c: Redis): Promise<unknown[]> {
  await c.select(2);
  const r = [await c.get('db2'), await c.smembers('db2set')];
  await c.select(0);
  return r;
}

/**
 * dump.rdb written by redis-server 7.0.15 (--list-compress-depth 1 --list-max-listpack-size 8): s:small
 * hello, s:int 12345, s:lzf 'abcabcabc'x50 (LZF), s:ttl v PXAT 4102444800000, l:small (listpack node),
 * l:nodes item-number-1..40 (quicklist of 5 listpack nodes, the inner ones LZF-compressed), set:int
 * (intset), set:str and set:ht m1..m200 (hashtable), h:small (listpack),
 * h:long (hashtable), z:small (listpack), z:long (skiplist), and db2 two in database 2.
 */
const GOLDEN = [
  'UkVESVMwMDEw+glyZWRpcy12ZXIGNy4wLjE1+gpyZWRpcy1iaXRzwED6BWN0aW1lwrGCCmv6CHVzZWQtbWVtwrByEAD6CGFvZi1i',
  'YXNlwAD+APsNAQIGc2V0Omh0QMgEbTExNwNtMTADbTk0A20zNgNtODEDbTQ5BG0xMDIDbTc0A204NQNtNzcEbTEwNQNtMzIDbTk3',
  'Am0xA203MQRtMTEzA20zMQNtNTcDbTY1BG0xMDMDbTk1A202NgRtMTI3BG0xNzYDbTQ2BG0xNDMDbTYwAm05BG0xODQEbTE0OANt',
  'MjcEbTE5MANtNzAEbTE5OARtMTgzA201NQRtMTUwBG0xODkDbTU4BG0xNDIDbTgwAm0zA201MwNtNzIEbTE1OQRtMTI2A20zOARt',
  'MTc0BG0xNzUDbTY5A20zMARtMTkxBG0xOTMEbTEzMANtODIDbTQ0A200MANtOTMEbTEwNgRtMTQ2A201NARtMTQ0BG0xNjMEbTEx',
  'NQRtMTI1A203NQNtOTIDbTI0A20zOQRtMTQ5A202NARtMTcwA20yMANtNjMCbTgEbTE4NgNtMzUEbTE5OQRtMTk0BG0xODEDbTIy',
  'A202NwNtNTAEbTIwMARtMTI0BG0xNzgEbTE4NQRtMTM5A201MQRtMTM0A20xNgRtMTU2BG0xODcDbTExA204MwRtMTIxBG0xNDcE',
  'bTE5NwRtMTU1BG0xNjcEbTE1MQNtNTYEbTE2NgNtOTkEbTEwOARtMTcyA20yNQRtMTgwBG0xNjEEbTEyOQRtMTc3BG0xNzkEbTE2',
  'MARtMTY4A20yNgNtMjkDbTg4A20yMQRtMTE2BG0xMTkEbTE0NQRtMTM3A202OARtMTIzA200MwNtODYDbTc5BG0xMDcEbTExMgNt',
  'ODkEbTE5NgRtMTcxBG0xMDQEbTE5MgNtODQDbTQyA200MQRtMTM2A205MANtNjIEbTEzMgNtMTkDbTc4BG0xMDkDbTQ4BG0xMjAD',
  'bTczA201MgRtMTY5BG0xMTQEbTEyOAJtNwNtOTgDbTU5A20xNQNtMjgDbTc2BG0xMTEDbTM0BG0xNDEDbTM3BG0xNTgDbTE0Am02',
  'BG0xMDECbTUEbTE1MgRtMTk1A20xMgNtODcEbTEwMANtOTYDbTEzA20xNwNtMzMEbTEzMwNtOTEEbTExMAJtMgRtMTYyBG0xNTMD',
  'bTYxBG0xNzMDbTQ1BG0xMTgEbTEzNQNtNDcEbTEzMQRtMTg4BG0xMzgCbTQEbTEyMgNtMTgDbTIzBG0xNTQEbTE1NwRtMTQwBG0x',
  'NjUEbTE2NARtMTgyAAVzOmx6ZsMOQcIDYWJjYeD/AuGrBwFiYxIHbDpub2RlcwUCwztAfxR/AAAACACNaXRlbS1udW1iZXItMQ7g',
  'BA4AMuAFDgAz4AUOADTgBQ4ANeAFDgA24AUOADfgBQ4COA7/AsM+QIYVhgAAAAgAjWl0ZW0tbnVtYmVyLTkOjuADDgIxMA/gBQ8A',
  'MeAGDwAy4AYPADPgBg8ANOAGDwA14AYPAjYP/wLDPUCHFYcAAAAIAI5pdGVtLW51bWJlci0xNw/gBQ8AOOAGDwA54AUPATIw4AYP',
  'ADHgBg8AMuAGDwAz4AYPAjQP/wLDPUCHFYcAAAAIAI5pdGVtLW51bWJlci0yNQ/gBQ8ANuAGDwA34AYPADjgBg8AOeAFDwEzMOAG',
  'DwAx4AYPAjIP/wLDPUCHFYcAAAAIAI5pdGVtLW51bWJlci0zMw/gBQ8ANOAGDwA14AYPADbgBg8AN+AGDwA44AYPADngBQ8DNDAP',
  '/xAHaDpzbWFsbBUVAAAABACCZjEDgnYxA4JmMgMCAf/8ANjDLLsDAAAABXM6dHRsAXYRB3o6c21hbGwaGgAAAAYAgWMC3/0CgWEC',
  'AQGBYgKDMi41BP8EBmg6bG9uZwEBZsMJQGQBenrgVwABenoSB2w6c21hbGwBAiEhAAAABgCBYQIBAd/7AsEsAvJwEQEE9ADyBSoB',
  'AAAACf8ABXM6aW50wTkwBQZ6OmxvbmcCAWIAAAAAAAAAQMMJQFABcXHgQwABcXEAAAAAAADwPwAHczpzbWFsbAVoZWxsbwsHc2V0',
  'OmludMMmMAQIAAAABSADAf3/gAAAASALQAAAAkAEIAABoIagEQLyBSogCQAAAgdzZXQ6c3RyAwFjAWEBYv4C+wEAAANkYjIDdHdv',
  '/0jp6l+a6APd',
].join('');

describe('a recorded redis-server 7.0.15 file', () => {
  it('loads into shardis with every value (listpack, intset, hashtable, skiplist, compressed quicklist nodes)', async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'dump.rdb'), Buffer.from(GOLDEN, 'base64'));
    const s = await startShardis({ cwd: dir, shards: 2 });
    procs.push(s);
    const c = client(s);
    expect(await c.get('s:small')).toBe('hello');
    expect(await c.get('s:int')).toBe('12345');
    expect(await c.get('s:lzf')).toBe('abcabcabc'.repeat(50));
    expect(await c.pexpiretime('s:ttl')).toBe(4102444800000);
    expect(await c.lrange('l:small', 0, -1)).toEqual(['a', '1', '-5', '300', '70000', '5000000000']);
    expect(await c.lrange('l:nodes', 0, -1)).toEqual(Array.from({ length: 40 }, (_, i) => `item-number-${i + 1}`));
    expect((await c.smembers('set:int')).sort()).toEqual(['-3', '1', '100000', '2', '5000000000']);
    expect((await c.smembers('set:str')).sort()).toEqual(['a', 'b', 'c']);
    expect((await c.smembers('set:ht')).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `m${i + 1}`).sort());
    expect(await c.hgetall('h:small')).toEqual({ f1: 'v1', f2: '2' });
    expect(await c.hgetall('h:long')).toEqual({ f: 'z'.repeat(100) });
    expect(await c.zrange('z:small', 0, -1, 'WITHSCORES')).toEqual(['c', '-3', 'a', '1', 'b', '2.5']);
    expect(await c.zrange('z:long', 0, -1, 'WITHSCORES')).toEqual(['q'.repeat(80), '1', 'b', '2']);
    expect(await c.dbsize()).toBe(13);
    await c.select(2);
    expect(await c.get('db2')).toBe('two');
  });
});

// skipped only outside CI when the Debian binaries are absent (haveBinaries warns loudly; with CI=true it throws)
describe.skipIf(!HAVE)('RDB files between redis-server 7.0 and shardis', () => {
  it('a file redis-server wrote (every type and encoding, compressed quicklist nodes) loads into shardis with the same contents', async () => {
    const dir = tmpdir();
    const redis = await startRedis(['--list-compress-depth', '1', '--dir', dir], dir);
    procs.push(redis);
    const r = client(redis);
    await fill(r);
    expect(await r.save()).toBe('OK');
    const want = await contents(r);
    const s = await startShardis({ cwd: dir, shards: 3 });
    procs.push(s);
    const c = client(s);
    expect(differences(want, await contents(c))).toEqual([]);
    expect(await db2(c)).toEqual(['two', ['x']]);
    expect(await c.ttl('z:big')).toBeGreaterThan(3000);
    expect(s.output()).toContain('Loading RDB produced by version 7.0');
  });

  it('a file shardis wrote passes redis-check-rdb and loads into redis-server with the same contents', async () => {
    const dir = tmpdir();
    const s = await startShardis({ cwd: dir, shards: 2 });
    procs.push(s);
    const c = client(s);
    await fill(c);
    expect(await c.save()).toBe('OK');
    const want = await contents(c);
    const check = spawnSync('redis-check-rdb', [path.join(dir, 'dump.rdb')], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('RDB looks OK');
    expect(check.stdout).toContain('Checksum OK');
    const redis = await startRedis(['--dir', dir], dir);
    procs.push(redis);
    const r = client(redis);
    expect(differences(want, await contents(r))).toEqual([]);
    expect(await db2(r)).toEqual(['two', ['x']]);
    expect(await r.ttl('s:ttl')).toBeGreaterThan(3000);
  });

  it('streams (consumer group, pending entries) and function libraries: shardis\'s file passes redis-check-rdb and loads into redis-server, and back', async () => {
    const lib = "#!lua name=kept\nredis.register_function('kept', function(keys, args) return 'still here' end)";
    const fillStreams = async (c: Redis): Promise<void> => {
      for (let i = 1; i <= 30; i++) await c.xadd('st', `${i}-1`, 'f', `v${i}`, 'n', String(i));
      await c.xgroup('CREATE', 'st', 'g', '0');
      await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 4, 'STREAMS', 'st', '>');
      await c.xdel('st', '2-1');
      await c.call('FUNCTION', 'LOAD', lib);
    };
    const shape = async (c: Redis): Promise<unknown> => ({
      entries: await c.xrange('st', '-', '+'),
      pending: ((await c.xpending('st', 'g', '-', '+', 10)) as [string, string, number, number][]).map(([id, who, , n]) => [id, who, n]),
      groups: await c.xinfo('GROUPS', 'st'), // name, consumers, pending, last-delivered-id, entries-read, lag
      fn: await c.call('FCALL', 'kept', 0),
    });
    const dir = tmpdir();
    const s = await startShardis({ cwd: dir, shards: 2 });
    procs.push(s);
    const c = client(s);
    await fillStreams(c);
    expect(await c.save()).toBe('OK');
    const want = await shape(c);
    const check = spawnSync('redis-check-rdb', [path.join(dir, 'dump.rdb')], { encoding: 'utf8' });
    expect(check.stdout).toContain('RDB looks OK');
    const redis = await startRedis(['--dir', dir], dir);
    procs.push(redis);
    expect(await shape(client(redis))).toEqual(want);
    // and redis-server's own file of the same data loads into shardis
    const dir2 = tmpdir();
    const redis2 = await startRedis(['--dir', dir2], dir2);
    procs.push(redis2);
    const r2 = client(redis2);
    await fillStreams(r2);
    expect(await r2.save()).toBe('OK');
    const s2 = await startShardis({ cwd: dir2, shards: 3 });
    procs.push(s2);
    expect(await shape(client(s2))).toEqual(await shape(r2));
  });

  it('a file of more keys and more bytes than one load window (two databases, expiry times, long values) loads whole into three shards', async () => {
    const dir = tmpdir();
    const redis = await startRedis(['--dir', dir, '--enable-debug-command', 'yes'], dir);
    procs.push(redis);
    const r = client(redis);
    expect(await r.call('DEBUG', 'POPULATE', '1100000')).toBe('OK'); // a window holds 1,048,576 entries
    for (let i = 0; i < 1100000; i += 1000) await r.pexpireat(`key:${i}`, 4102444800000 + i);
    await r.set('long:a', 'L'.repeat(300 * 1024));
    // 40 MB that LZF does not shrink: windows cut by bytes (32 MB)
    const big = Array.from({ length: 80 }, () => randomBytes(384 * 1024).toString('base64'));
    for (let i = 0; i < 80; i++) await r.set(`big:${i}`, big[i]!);
    await r.select(1);
    expect(await r.call('DEBUG', 'POPULATE', '2000', 'b')).toBe('OK');
    await r.pexpireat('b:7', 4102444800007);
    expect(await r.save()).toBe('OK');
    const s = await startShardis({ cwd: dir, shards: 3 });
    procs.push(s);
    const c = client(s);
    expect(await c.dbsize()).toBe(1100081);
    for (const i of [0, 41, 79]) expect(await c.get(`big:${i}`)).toBe(big[i]);
    for (const i of [0, 1, 999, 1000, 150000, 1048575, 1048576, 1099999]) expect(await c.get(`key:${i}`)).toBe(`value:${i}`);
    for (const i of [0, 1000, 1048000, 1099000]) expect(await c.pexpiretime(`key:${i}`)).toBe(4102444800000 + i);
    expect(await c.pexpiretime('key:1')).toBe(-1);
    expect(await c.strlen('long:a')).toBe(300 * 1024);
    await c.select(1);
    expect(await c.dbsize()).toBe(2000);
    expect(await c.get('b:1999')).toBe('value:1999');
    expect(await c.pexpiretime('b:7')).toBe(4102444800007);
  });

  it('a file shardis wrote with rdbcompression no and rdbchecksum no passes redis-check-rdb', async () => {
    const dir = tmpdir();
    const s = await startShardis({ cwd: dir, args: ['--rdbcompression', 'no', '--rdbchecksum', 'no'] });
    procs.push(s);
    const c = client(s);
    await fill(c);
    await c.save();
    const check = spawnSync('redis-check-rdb', [path.join(dir, 'dump.rdb')], { encoding: 'utf8' });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('RDB looks OK');
  });
});
