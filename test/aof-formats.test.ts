/*
 * The AOF formats of Redis 7.0 beyond the default layout: timestamp annotations
 * (aof-timestamp-enabled), a base file of commands (aof-use-rdb-preamble no), and the upgrade of an
 * old single-file appendonly.aof (Redis 4-6) to the multi-part layout. Each is checked against
 * redis-server 7.0 and redis-check-aof in both directions where they apply; a stream with a consumer
 * group and a function library go through every format too. A stream of INCRs cut by SIGKILL with
 * appendfsync always loses no acknowledged increment, nor do pipelines from several clients.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { contents, differences, info } from './helpers/replication.js';

const HAVE = haveBinaries('redis-server', 'redis-check-aof');
const { procs, client } = useProcesses({ each: true });

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-aoff-'));
}

async function shardis(dir: string, args: string[], shards = 2): Promise<{ p: Proc; c: Redis }> {
  const p = await startShardis({ cwd: dir, args, shards });
  procs.push(p);
  return { p, c: client(p) };
}

async function redis(dir: string, args: string[]): Promise<{ p: Proc; c: Redis }> {
  const p = await startRedis(['--dir', dir, ...args], dir);
  procs.push(p);
  const c = client(p);
  // redis-server writes its first base in the background
  await waitFor(async () => (await info(c, 'persistence')).aof_rewrite_in_progress === '0', 'redis-server AOF created');
  return { p, c };
}

const LIB = "#!lua name=kept\nredis.register_function('kept', function(keys, args) return 'still here' end)";

async function fill(c: Redis): Promise<void> {
  await c.set('s', 'hello');
  await c.set('lzf', 'abcabcabc'.repeat(100));
  await c.set('int', '12345');
  await c.set('ttl', 'v', 'PX', 3_600_000);
  await c.rpush('l', 'a', 'b', 'c');
  await c.sadd('set', 'x', 'y', '7');
  await c.hset('h', 'f', 'v', 'g', 'w');
  await c.zadd('z', 1, 'm', 2.5, 'n');
  for (let i = 1; i <= 5; i++) await c.xadd('st', `${i}-1`, 'f', `v${i}`);
  await c.xgroup('CREATE', 'st', 'g', '0');
  await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 2, 'STREAMS', 'st', '>');
  await c.call('FUNCTION', 'LOAD', LIB);
  await c.select(3);
  await c.set('db3', 'three');
  await c.select(0);
}

/** What fill() leaves, as a server shows it (ids, consumers and counts of the pending entries). */
async function state(c: Redis): Promise<unknown> {
  const pending = ((await c.xpending('st', 'g', '-', '+', 10)) as [string, string, number, number][]).map(([id, who, , n]) => [id, who, n]);
  await c.select(3);
  const db3 = await c.get('db3');
  await c.select(0);
  return { keys: [...(await contents(c)).entries()].sort(), stream: await c.xrange('st', '-', '+'), pending, db3, fn: await c.call('FCALL', 'kept', 0), ttl: (await c.pttl('ttl')) > 3_000_000 };
}

const aofDir = (dir: string): string => path.join(dir, 'appendonlydir');
const manifest = (dir: string): string => fs.readFileSync(path.join(aofDir(dir), 'appendonly.aof.manifest'), 'latin1');
const checkAof = (dir: string): string => {
  const r = spawnSync('redis-check-aof', [path.join(aofDir(dir), 'appendonly.aof.manifest')], { encoding: 'utf8' });
  return r.stdout + r.stderr;
};

describe.skipIf(!HAVE)('aof-timestamp-enabled', () => {
  it('writes "#TS:<unix time>" annotations that shardis loads back and ignores, redis-check-aof accepts and redis-server loads', async () => {
    const dir = tmpdir();
    const a = await shardis(dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--aof-timestamp-enabled', 'yes']);
    const t0 = Math.floor(Date.now() / 1000);
    await fill(a.c);
    // a write in a later second gets its own annotation
    await new Promise((r) => setTimeout(r, 1100));
    await a.c.set('later', 'x');
    const want = await state(a.c);
    await a.p.kill();
    const incr = fs.readFileSync(path.join(aofDir(dir), 'appendonly.aof.1.incr.aof'), 'latin1');
    const stamps = [...incr.matchAll(/#TS:(\d+)\r\n/g)].map((m) => Number(m[1]));
    expect(stamps.length).toBeGreaterThanOrEqual(2);
    expect(stamps[0]).toBeGreaterThanOrEqual(t0);
    expect(incr.startsWith('#TS:')).toBe(true);
    expect(checkAof(dir)).toContain('All AOF files and manifest are valid');
    const b = await shardis(dir, ['--appendonly', 'yes'], 3);
    expect(await state(b.c)).toEqual(want);
    expect(await b.c.get('later')).toBe('x');
    await b.p.kill();
    const r = await redis(dir, ['--appendonly', 'yes']);
    expect(await state(r.c)).toEqual(want);
  });

  it('an AOF redis-server wrote with timestamp annotations loads into shardis', async () => {
    const dir = tmpdir();
    const r = await redis(dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--aof-timestamp-enabled', 'yes']);
    await fill(r.c);
    const want = await state(r.c);
    await r.p.kill();
    expect(fs.readFileSync(path.join(aofDir(dir), 'appendonly.aof.1.incr.aof'), 'latin1')).toMatch(/^#TS:\d+\r\n/);
    const a = await shardis(dir, ['--appendonly', 'yes']);
    expect(await state(a.c)).toEqual(want);
  });
});

describe.skipIf(!HAVE)('aof-use-rdb-preamble no', () => {
  it('the base is appendonly.aof.<n>.base.aof of commands; shardis and redis-server load it, redis-check-aof accepts it', async () => {
    const dir = tmpdir();
    const a = await shardis(dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--aof-use-rdb-preamble', 'no', '--aof-timestamp-enabled', 'yes']);
    expect(manifest(dir)).toBe('file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    await fill(a.c);
    await a.c.bgrewriteaof();
    await waitFor(async () => (await info(a.c, 'persistence')).aof_rewrites === '2', 'the rewrite');
    expect(manifest(dir)).toBe('file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n');
    await a.c.set('after', 'rewrite');
    const want = await state(a.c);
    await a.p.kill();
    const base = fs.readFileSync(path.join(aofDir(dir), 'appendonly.aof.2.base.aof'), 'latin1');
    expect(base.startsWith('REDIS')).toBe(false);
    expect(base).toMatch(/^#TS:\d+\r\n\*3\r\n\$8\r\nFUNCTION\r\n\$4\r\nLOAD\r\n/);
    expect(base).toContain('$6\r\nSELECT\r\n$1\r\n3\r\n');
    expect(checkAof(dir)).toContain('All AOF files and manifest are valid');
    const b = await shardis(dir, ['--appendonly', 'yes'], 3);
    expect(await state(b.c)).toEqual(want);
    await b.p.kill();
    const r = await redis(dir, ['--appendonly', 'yes']);
    expect(await state(r.c)).toEqual(want);
  });

  it('the base of commands redis-server wrote loads into shardis', async () => {
    const dir = tmpdir();
    const r = await redis(dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--aof-use-rdb-preamble', 'no']);
    await fill(r.c);
    await r.c.bgrewriteaof();
    await waitFor(async () => (await info(r.c, 'persistence')).aof_rewrites === '1' && (await info(r.c, 'persistence')).aof_rewrite_in_progress === '0', 'redis-server rewrite');
    const want = await state(r.c);
    await r.p.kill();
    expect(manifest(dir)).toContain('appendonly.aof.2.base.aof');
    const a = await shardis(dir, ['--appendonly', 'yes']);
    expect(await state(a.c)).toEqual(want);
  });
});

describe.skipIf(!HAVE)('an old single-file appendonly.aof', () => {
  const oldFiles = async (preamble: boolean): Promise<{ dir: string; want: unknown }> => {
    // redis-server writes the RDB part (SAVE) and the commands (its incr file); put together as
    // Redis 4-6 wrote appendonly.aof: an RDB preamble followed by commands, or commands only
    const src = tmpdir();
    const r = await redis(src, ['--appendonly', 'yes', '--appendfsync', 'always', '--aof-use-rdb-preamble', preamble ? 'yes' : 'no']);
    await fill(r.c);
    await r.c.bgrewriteaof();
    await waitFor(async () => (await info(r.c, 'persistence')).aof_rewrites === '1' && (await info(r.c, 'persistence')).aof_rewrite_in_progress === '0', 'redis-server rewrite');
    await r.c.set('tail', 'command');
    await r.c.incr('counter');
    const want = await state(r.c);
    await r.p.kill();
    const m = manifest(src);
    const baseName = /file (\S+) seq \d+ type b/.exec(m)![1]!;
    const incrName = /file (\S+) seq \d+ type i/.exec(m)![1]!;
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'appendonly.aof'), Buffer.concat([fs.readFileSync(path.join(aofDir(src), baseName)), fs.readFileSync(path.join(aofDir(src), incrName))]));
    return { dir, want };
  };

  for (const preamble of [true, false]) {
    it(`(${preamble ? 'RDB preamble and commands' : 'commands only'}) moves into appenddirname with a manifest naming it the base, as redis-server does, and loads`, async () => {
      const { dir, want } = await oldFiles(preamble);
      const copy = tmpdir();
      fs.copyFileSync(path.join(dir, 'appendonly.aof'), path.join(copy, 'appendonly.aof'));
      const a = await shardis(dir, ['--appendonly', 'yes']);
      expect(await state(a.c)).toEqual(want);
      expect(fs.existsSync(path.join(dir, 'appendonly.aof'))).toBe(false);
      expect(fs.existsSync(path.join(aofDir(dir), 'appendonly.aof'))).toBe(true);
      expect(a.p.output()).toContain('Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir).');
      const ours = manifest(dir);
      expect(ours).toBe('file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
      // new writes go to the incr file and survive a restart
      await a.c.set('new', 'write');
      await a.p.stop();
      const b = await shardis(dir, ['--appendonly', 'yes']);
      expect(await b.c.get('new')).toBe('write');
      expect(await b.c.get('tail')).toBe('command');
      await b.p.kill();
      expect(checkAof(dir)).toContain('All AOF files and manifest are valid');
      // redis-server upgrades the same file to the same layout
      const r = await redis(copy, ['--appendonly', 'yes']);
      expect(await state(r.c)).toEqual(want);
      expect(manifest(copy)).toBe(ours);
    });
  }
});

describe('appendfsync always', () => {
  it('a SIGKILL in the middle of a stream of INCRs loses no acknowledged increment', async () => {
    const dir = tmpdir();
    const a = await shardis(dir, ['--appendonly', 'yes', '--appendfsync', 'always']);
    let acked = 0;
    const writers = [0, 1, 2, 3].map(async () => {
      for (;;) {
        try {
          await a.c.incr('counter');
        } catch {
          return; // the server is gone
        }
        acked++;
      }
    });
    await waitFor(() => acked >= 300, 'some increments acknowledged');
    await a.p.kill(); // SIGKILL while INCRs are in flight
    await Promise.all(writers);
    const b = await shardis(dir, ['--appendonly', 'yes'], 3);
    const n = Number(await b.c.get('counter'));
    expect(n).toBeGreaterThanOrEqual(acked);
    // at most the increments in flight when it died (4 clients, one each) were applied unacknowledged
    expect(n).toBeLessThanOrEqual(acked + 4);
  });

  it('replies held for the fsync keep their order: pipelined INCR, GET and PING from several clients, then QUIT', async () => {
    const dir = tmpdir();
    const a = await shardis(dir, ['--appendonly', 'yes', '--appendfsync', 'always']);
    const clients = [0, 1, 2, 3].map(() => client(a.p));
    await Promise.all(
      clients.map(async (c, w) => {
        for (let round = 0; round < 20; round++) {
          const p = c.pipeline();
          for (let i = 0; i < 10; i++) p.incr(`n:${w}`).get(`n:${w}`).ping();
          const res = (await p.exec())!;
          const want = Array.from({ length: 10 }, (_, i) => [round * 10 + i + 1, String(round * 10 + i + 1), 'PONG']).flat();
          expect(res.map(([err, v]) => err ?? v)).toEqual(want);
        }
      }),
    );
    // a client that quits gets its last replies before the close
    const p = clients[0]!.pipeline();
    p.incr('n:0').quit();
    expect(((await p.exec())!).map(([err, v]) => err ?? v)).toEqual([201, 'OK']);
    for (let w = 1; w < 4; w++) expect(await a.c.get(`n:${w}`)).toBe('200');
  });

  it('a SIGKILL during pipelined writes from several clients loses no acknowledged write', async () => {
    const dir = tmpdir();
    const a = await shardis(dir, ['--appendonly', 'yes', '--appendfsync', 'always']);
    const PIPE = 16;
    const writers = [0, 1, 2, 3, 4, 5].map(() => client(a.p));
    const acked = writers.map(() => 0);
    let total = 0;
    const running = writers.map(async (c, w) => {
      for (;;) {
        const p = c.pipeline();
        for (let i = 0; i < PIPE; i++) p.rpush(`list:${w}`, String(acked[w]! + i));
        let res: [Error | null, unknown][] | null;
        try {
          res = await p.exec();
        } catch {
          return; // the server is gone
        }
        if (res === null) return;
        for (const [err] of res) {
          if (err !== null) return;
          acked[w]!++;
          total++;
        }
      }
    });
    await waitFor(() => total >= 3000, 'some pipelined writes acknowledged');
    await a.p.kill(); // SIGKILL while pipelines are in flight
    await Promise.all(running);
    const b = await shardis(dir, ['--appendonly', 'yes'], 3);
    for (let w = 0; w < writers.length; w++) {
      const items = await b.c.lrange(`list:${w}`, 0, -1);
      // every acknowledged element, in order; at most the pipeline in flight was applied unacknowledged
      expect(items.slice(0, acked[w])).toEqual(Array.from({ length: acked[w]! }, (_, i) => String(i)));
      expect(items.length).toBeLessThanOrEqual(acked[w]! + PIPE);
    }
  });
});
