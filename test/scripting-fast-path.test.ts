/*
 * Scripts run inside the shard of their keys (the fast path) and fall back to the main thread when
 * they leave it: a key of another shard, a main-thread command, math.random. The fallback must be
 * invisible: the writes done in the shard before it are undone, the script runs once as far as
 * anyone can see (values, replies, replication), and no client observes half of it.
 *
 * Keys and shards with 2 shards (slot ranges [0, 8192) and [8192, 16384)): b, c, k2 and n1 live on
 * shard 0; a, d, x, bk and n2 on shard 1.
 */

import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { contents, differences, waitInSync } from './helpers/replication.js';
import { startShardis } from './helpers/server.js';

const ON0 = ['b', 'c', 'k2', 'n1'];
const ON1 = ['a', 'd', 'x', 'bk', 'n2'];

describe('scripts in the shard of their keys, 2 shards', () => {
  const s = useServers({ shards: 2 });

  // first: the generator's state is the server's from its start, whichever shard the keys are on
  it('math.random continues the server-wide rand48 sequence whichever shard the script\'s keys are on', async () => {
    // redis-server 7.0.15 just after start draws 397 then 841 (test/scripting.test.ts)
    expect(await s.io.eval('return math.random(1000)', 1, ON1[0]!)).toBe(397);
    expect(await s.io.eval('return math.random(1000)', 1, ON0[0]!)).toBe(841);
  });

  it('a script whose keys are on one shard reads and writes them with the same replies', async () => {
    await s.io.del('a', 'd');
    expect(await s.io.eval("redis.call('set', KEYS[1], 5) return {redis.call('incr', KEYS[1]), redis.call('get', KEYS[1]), redis.call('exists', KEYS[2])}", 2, 'a', 'd')).toEqual([6, '6', 0]);
    await expect(s.io.eval("return redis.call('lpush', KEYS[1], 1)", 1, 'a')).rejects.toThrow(
      /^WRONGTYPE Operation against a key holding the wrong kind of value script: [0-9a-f]{40}, on @user_script:1\.$/,
    );
    expect(await s.io.eval("return redis.pcall('lpush', KEYS[1], 1)['err']", 1, 'a')).toBe('WRONGTYPE Operation against a key holding the wrong kind of value');
    await expect(s.io.eval("return redis.call('nosuch', KEYS[1])", 1, 'a')).rejects.toThrow(/^ERR Unknown Redis command called from script/);
    await expect(s.io.eval_ro("return redis.call('set', KEYS[1], 1)", 1, 'a')).rejects.toThrow(/^ERR Write commands are not allowed from read-only scripts/);
    expect(await s.io.get('a')).toBe('6');
  });

  it('a script declared with a key on one shard that reads a key on another gets the right value', async () => {
    await s.io.set('b', 'on-zero');
    await s.io.set('a', 'on-one');
    expect(await s.io.eval("return {redis.call('get', KEYS[1]), redis.call('get', ARGV[1])}", 1, 'a', 'b')).toEqual(['on-one', 'on-zero']);
  });

  it('a script that writes and then touches another shard\'s key runs its writes once (the shard\'s first attempt is undone)', async () => {
    await s.io.del('a', 'b', 'd');
    await s.io.rpush('d', 'x', 'y');
    await s.io.pexpire('d', 500_000);
    await s.io.set('bk', '10', 'PX', 500_000);
    const lua =
      "local n = redis.call('incr', KEYS[1]) redis.call('rpush', KEYS[2], 'z') redis.call('del', KEYS[3]) redis.call('incrby', KEYS[4], 5) " +
      "local m = redis.call('incr', ARGV[1]) return {n, m, redis.call('llen', KEYS[2])}";
    // a, d, x, bk on shard 1; b on shard 0
    await s.io.set('x', 'gone');
    expect(await s.io.eval(lua, 4, 'a', 'd', 'x', 'bk', 'b')).toEqual([1, 1, 3]);
    expect(await s.io.get('bk')).toBe('15');
    expect(await s.io.pttl('bk')).toBeGreaterThan(400_000);
    expect(await s.io.get('a')).toBe('1');
    expect(await s.io.get('b')).toBe('1');
    expect(await s.io.lrange('d', 0, -1)).toEqual(['x', 'y', 'z']);
    expect(await s.io.exists('x')).toBe(0);
    const ttl = await s.io.pttl('d');
    expect(ttl).toBeGreaterThan(400_000);
    expect(ttl).toBeLessThanOrEqual(500_000);
  });

  it('the re-run after a fallback sees the keys as they were, OBJECT ENCODING included', async () => {
    await s.io.del('a');
    await s.io.set('a', 'ab');
    await s.io.append('a', 'c'); // modified in place: raw encoding (as redis-server 7.0 reports it)
    const lua = "local e = redis.call('object', 'encoding', KEYS[1]) redis.call('set', KEYS[1], 'z') redis.call('get', ARGV[1]) return e";
    expect(await s.io.eval(lua, 1, 'a', 'b')).toBe('raw');
    expect(await s.io.get('a')).toBe('z');
  });

  it('a script that moves a key to another database and then touches another shard\'s key leaves one copy, in the target database', async () => {
    const db5 = new Redis({ port: s.srv.port, db: 5 });
    try {
      await s.io.del('a');
      await db5.del('a');
      await s.io.set('a', 'moved');
      expect(await s.io.eval("local r = redis.call('move', KEYS[1], 5) redis.call('get', ARGV[1]) return r", 1, 'a', 'b')).toBe(1);
      expect(await s.io.exists('a')).toBe(0);
      expect(await db5.get('a')).toBe('moved');
    } finally {
      db5.disconnect();
    }
  });

  it('a script that writes and then runs a main-thread command (SELECT) runs its writes once', async () => {
    await s.io.del('a');
    const other = new Redis({ port: s.srv.port, db: 3 });
    try {
      await other.del('a');
      const lua = "redis.call('incr', KEYS[1]) redis.call('select', 3) redis.call('incr', KEYS[1]) redis.call('select', 0) return redis.call('incr', KEYS[1])";
      expect(await s.io.eval(lua, 1, 'a')).toBe(2);
      expect(await s.io.get('a')).toBe('2');
      expect(await other.get('a')).toBe('1');
    } finally {
      other.disconnect();
    }
  });

  it('a script that catches the refusal of another shard\'s key with pcall still runs once, on the main thread', async () => {
    await s.io.del('a', 'b');
    const lua = "redis.call('incr', KEYS[1]) local r = redis.pcall('incr', ARGV[1]) return {redis.call('get', KEYS[1]), r}";
    expect(await s.io.eval(lua, 1, 'a', 'b')).toEqual(['1', 1]);
    expect(await s.io.mget('a', 'b')).toEqual(['1', '1']);
  });

  it('concurrent scripts on one shard never lose an update and readers never see half of a transfer', async () => {
    // all keys share a hash tag: every script runs in one shard
    const keys = Array.from({ length: 6 }, (_, i) => `{acct}:${i}`);
    await s.io.mset(...keys.flatMap((k) => [k, '100']));
    const transfer =
      "local a = tonumber(redis.call('get', KEYS[1])) redis.call('set', KEYS[1], a - 1) " +
      "local b = tonumber(redis.call('get', KEYS[2])) redis.call('set', KEYS[2], b + 1) return a";
    const sumScript = "local s = 0 for _, k in ipairs(KEYS) do s = s + tonumber(redis.call('get', k)) end return s";
    const writers = Array.from({ length: 4 }, () => new Redis({ port: s.srv.port }));
    const reader = new Redis({ port: s.srv.port });
    const sums: number[] = [];
    let done = false;
    try {
      const reading = (async () => {
        while (!done) {
          sums.push((await reader.eval(sumScript, keys.length, ...keys)) as number);
          sums.push((await reader.mget(...keys)).reduce((s, v) => s + Number(v), 0));
        }
      })();
      await Promise.all(
        writers.map(async (w, wi) => {
          for (let n = 0; n < 80; n++) {
            const from = keys[(wi + n) % keys.length]!;
            const to = keys[(wi * 3 + n * 5 + 1) % keys.length]!;
            if (from !== to) await w.eval(transfer, 2, from, to);
          }
        }),
      );
      done = true;
      await reading;
    } finally {
      for (const c of [...writers, reader]) c.disconnect();
    }
    expect((await s.io.mget(...keys)).reduce((s, v) => s + Number(v), 0)).toBe(600);
    expect(sums.length).toBeGreaterThan(0);
    expect(sums.filter((s) => s !== 600)).toEqual([]);
  });

  it('EVALSHA runs a loaded script in a shard, and again after SCRIPT FLUSH and a new load', async () => {
    await s.io.del('bk');
    const lua = "return redis.call('incr', KEYS[1])";
    const sha = (await s.io.script('LOAD', lua)) as string;
    expect(await s.io.evalsha(sha, 1, 'bk')).toBe(1);
    expect(await s.io.evalsha(sha, 1, 'bk')).toBe(2);
    await s.io.script('FLUSH');
    await expect(s.io.evalsha(sha, 1, 'bk')).rejects.toThrow('NOSCRIPT No matching script. Please use EVAL.');
    expect(await s.io.script('LOAD', lua)).toBe(sha);
    expect(await s.io.evalsha(sha, 1, 'bk')).toBe(3);
  });

  it('redis.log lines of a script run in a shard reach the server log', async () => {
    await s.io.eval("redis.log(redis.LOG_WARNING, 'fast-path-log-line') return 1", 1, 'a');
    const { waitFor } = await import('./helpers/server.js');
    await waitFor(() => s.srv.output().includes('fast-path-log-line'), 'the log line');
  });
});

describe('replication of scripts run in a shard', () => {
  it('a replica gets each script\'s writes once, including scripts that fell back to the main thread', async () => {
    const master = await startShardis({ shards: 2 });
    const replica = await startShardis({ shards: 2, args: ['--replicaof', '127.0.0.1', String(master.port)] });
    const m = new Redis({ port: master.port });
    const r = new Redis({ port: replica.port });
    try {
      await waitInSync(m, r);
      await m.eval("redis.call('incr', KEYS[1]) redis.call('rpush', KEYS[2], 'v') return 1", 2, '{t}a', '{t}b');
      await m.eval("return redis.call('incrbyfloat', KEYS[1], '1.5')", 1, 'x');
      await m.eval("redis.call('incr', KEYS[1]) redis.call('incr', ARGV[1]) return 1", 1, 'a', 'b');
      await m.eval("redis.call('set', KEYS[1], 'v', 'EX', 100) redis.call('select', 2) redis.call('incr', KEYS[1]) return 1", 1, 'n2');
      await m.eval("redis.set_repl(redis.REPL_NONE) redis.call('incr', KEYS[1]) return 1", 1, 'k2');
      await waitInSync(m, r);
      const want = await contents(m);
      expect(want.size).toBeGreaterThan(4);
      const got = await contents(r);
      // k2 was written with replication off: only the master has it
      expect(differences(want, got)).toEqual([expect.stringContaining('k2')]);
      expect(await m.get('a')).toBe('1');
      expect(await r.get('a')).toBe('1');
      expect(await r.get('b')).toBe('1');
      const r2 = new Redis({ port: replica.port, db: 2 });
      expect(await r2.get('n2')).toBe('1');
      r2.disconnect();
    } finally {
      m.disconnect();
      r.disconnect();
      await replica.stop();
      await master.stop();
    }
  });
});
