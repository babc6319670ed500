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
import { beforeAll, describe, expect, it } from 'vitest';
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

  // EVAL / EVALSHA sent straight to the shard of its keys

  // the first EVALSHA on a shard sends it the body; later ones go straight to the shard
  const warm = async (sha: string, key: string): Promise<void> => {
    await s.io.evalsha(sha, 1, key);
  };

  it('pipelined EVALSHAs that fall back to the main thread run before the commands sent after them', async () => {
    await s.io.del('a', 'b', 'c');
    // declared key a (shard 1), and ARGV[1] written too: b (shard 0) makes it fall back, a does not
    const sha = (await s.io.script('LOAD', "redis.call('incr', KEYS[1]) return redis.call('incr', ARGV[1])")) as string;
    await s.io.evalsha(sha, 1, 'a', 'a');
    await s.io.del('a');
    const p = s.io.pipeline();
    for (let i = 0; i < 10; i++) {
      p.evalsha(sha, 1, 'a', i % 2 === 0 ? 'b' : 'a');
      p.get('a');
      p.get('b');
    }
    const out = (await p.exec())!.map(([e, v]) => (e ? e.message : v));
    const want: unknown[] = [];
    let a = 0;
    let b = 0;
    for (let i = 0; i < 10; i++) {
      a++;
      if (i % 2 === 0) b++;
      else a++;
      want.push(i % 2 === 0 ? b : a, String(a), b === 0 ? null : String(b));
    }
    expect(out).toEqual(want);
  });

  it('a pipeline of EVALSHAs over both shards, a few falling back, runs every script and command in the order sent', async () => {
    // KEYS[1] is incremented and ARGV[1] appended to the list log; a key of the other shard as
    // ARGV[2] makes the run leave its shard
    const sha = (await s.io.script('LOAD', "redis.call('rpush', KEYS[1], ARGV[1]) if ARGV[2] then redis.call('rpush', ARGV[2], ARGV[1]) end return redis.call('llen', KEYS[1])")) as string;
    await s.io.del('d', 'c', 'x', 'k2');
    // many runs in each shard first: a few fallbacks later do not send the script to the main thread for good
    for (let i = 0; i < 40; i++) {
      await s.io.evalsha(sha, 1, 'x', 'warm');
      await s.io.evalsha(sha, 1, 'k2', 'warm');
    }
    await s.io.del('d', 'c', 'x', 'k2');
    const p = s.io.pipeline();
    const want: unknown[] = [];
    const lens: Record<string, number> = { d: 0, c: 0 };
    for (let i = 0; i < 24; i++) {
      const key = i % 6 < 3 ? 'd' : 'c'; // d on shard 1, c on shard 0: three in a row on each
      const leave = i === 4 || i === 13 || i === 14;
      if (leave) p.evalsha(sha, 1, key, String(i), key === 'd' ? 'k2' : 'x');
      else p.evalsha(sha, 1, key, String(i));
      want.push(++lens[key]!);
      if (i % 5 === 0) {
        p.llen('d');
        want.push(lens.d);
      }
    }
    p.lrange('d', 0, -1);
    p.lrange('c', 0, -1);
    const out = (await p.exec())!.map(([e, v]) => (e ? e.message : v));
    const order = (key: string): string[] => [...Array(24).keys()].filter((i) => (i % 6 < 3 ? 'd' : 'c') === key).map(String);
    want.push(order('d'), order('c'));
    expect(out).toEqual(want);
    expect(await s.io.lrange('x', 0, -1)).toEqual(['4']);
    expect(await s.io.lrange('k2', 0, -1)).toEqual(['13', '14']);
  });

  it('EVAL of a script already in its shard, again and again, falling back now and then, runs once each time', async () => {
    await s.io.del('a', 'b');
    const lua = "redis.call('incr', KEYS[1]) if ARGV[1] then redis.call('incr', ARGV[1]) end return redis.call('get', KEYS[1])";
    for (let i = 1; i <= 12; i++) {
      if (i % 4 === 0) expect(await s.io.eval(lua, 1, 'a', 'b')).toBe(String(i));
      else expect(await s.io.eval(lua, 1, 'a')).toBe(String(i));
    }
    expect(await s.io.mget('a', 'b')).toEqual(['12', '3']);
    await expect(s.io.eval_ro(lua, 1, 'a')).rejects.toThrow(/^ERR Write commands are not allowed from read-only scripts/);
  });

  it('a script that writes twenty keys, some twice, and then touches another shard\'s key leaves each key as one run does', async () => {
    // keys {a}1 .. {a}20 on shard 1 (a's slot): more than the undo journal searches by a scan
    const keys = Array.from({ length: 20 }, (_, i) => `{a}${i + 1}`);
    await s.io.del(...keys, 'b');
    for (let i = 0; i < 20; i += 4) await s.io.set(keys[i]!, String(100 + i)); // numbers
    for (let i = 1; i < 20; i += 4) await s.io.set(keys[i]!, String(100 + i), 'PX', 500_000); // with a TTL
    for (let i = 2; i < 20; i += 4) await s.io.set(keys[i]!, 'text'); // not numbers: SET over them
    const lua =
      "for i = 1, #KEYS do if i % 4 == 3 then redis.call('set', KEYS[i], 'new' .. i) else redis.call('incr', KEYS[i]) end end " +
      "for i = 1, #KEYS, 2 do redis.call('append', KEYS[i], '!') end " +
      "redis.call('incr', ARGV[1]) return #KEYS";
    const sha = (await s.io.script('LOAD', lua)) as string;
    const expected = (run: number): string[] =>
      keys.map((_, i) =>
        i % 4 === 0 ? (run === 1 ? `${101 + i}!` : '1!') : i % 4 === 1 ? String(100 + i + run) : i % 4 === 2 ? `new${i + 1}!` : String(run),
      );
    expect(await s.io.evalsha(sha, 20, ...keys, 'b')).toBe(20);
    expect(await s.io.mget(...keys)).toEqual(expected(1));
    expect(await s.io.get('b')).toBe('1');
    expect(await s.io.pttl(keys[1]!)).toBeGreaterThan(400_000);
    expect(await s.io.object('ENCODING', keys[0]!)).toBe('raw');
    // the next run's INCR of an appended value fails: the error, and nothing of that run stays
    await expect(s.io.evalsha(sha, 20, ...keys, 'b')).rejects.toThrow(/^ERR value is not an integer or out of range script: /);
    expect(await s.io.mget(...keys)).toEqual(expected(1));
    expect(await s.io.get('b')).toBe('1');
    for (let i = 0; i < 20; i += 2) await s.io.set(keys[i]!, '0');
    expect(await s.io.evalsha(sha, 20, ...keys, 'b')).toBe(20);
    expect(await s.io.mget(...keys)).toEqual(expected(2));
    expect(await s.io.get('b')).toBe('2');
    expect(await s.io.pttl(keys[5]!)).toBeGreaterThan(400_000);
    // a value too long to keep inline, and a hash: put back too
    const big = 'v'.repeat(5000);
    await s.io.set('{a}big', big, 'PX', 500_000);
    await s.io.del('{a}h');
    await s.io.hset('{a}h', 'f', '1');
    expect(await s.io.eval("redis.call('append', KEYS[1], '!') redis.call('hincrby', KEYS[2], 'f', 5) redis.call('incr', ARGV[1]) return redis.call('strlen', KEYS[1])", 2, '{a}big', '{a}h', 'b')).toBe(5001);
    expect(await s.io.strlen('{a}big')).toBe(5001);
    expect(await s.io.hget('{a}h', 'f')).toBe('6');
    expect(await s.io.pttl('{a}big')).toBeGreaterThan(400_000);
    expect(await s.io.get('b')).toBe('3');
  });

  it('a script calling commands of different names and argument counts in turn gets each one\'s own reply, in a shard', async () => {
    await s.io.del('a');
    const lua =
      "local r = {} for i = 1, 3 do r[#r+1] = redis.call('set', KEYS[1], i, 'EX', 100) r[#r+1] = redis.call('incr', KEYS[1]) r[#r+1] = redis.call('get', KEYS[1]) end " +
      "r[#r+1] = redis.pcall('get', KEYS[1], {})['err'] r[#r+1] = redis.call('ttl', KEYS[1]) r[#r+1] = redis.call(ARGV[1], KEYS[1]) r[#r+1] = redis.call(ARGV[2], KEYS[1]) return r";
    for (let i = 0; i < 3; i++) {
      expect(await s.io.eval(lua, 1, 'a', 'exists', 'strlen')).toEqual(['OK', 2, '2', 'OK', 3, '3', 'OK', 4, '4', 'ERR Lua redis lib command arguments must be strings or integers', 100, 1, 1]);
      expect(await s.io.eval(lua, 1, 'a', 'type', 'ttl')).toEqual(['OK', 2, '2', 'OK', 3, '3', 'OK', 4, '4', 'ERR Lua redis lib command arguments must be strings or integers', 100, 'string', 100]);
    }
  });

  it('calls that return many values (JS functions, tail calls, varargs, pcall, coroutines) give redis-server\'s results, in a shard and on the main thread', async () => {
    // (fengari's stack slots are popped by our replacement of its result moving: fengari-stack.ts)
    const lua =
      "local r = {} r[1] = select('#', unpack({1, 2, 3})) local function f(...) return select('#', ...), ... end local t = {f(string.byte('abc', 1, 3))} r[2] = #t r[3] = t[4] " +
      "local p = {pcall(string.byte, 'xyz', 1, -1)} r[4] = #p local n = 0 for i = 1, 100 do n = n + select('#', string.byte(string.rep('a', i), 1, -1)) end r[5] = n " +
      "local function d(k) if k == 0 then return redis.call('incr', KEYS[1]) end return d(k - 1) end r[6] = d(50) " +
      "local co = coroutine.wrap(function(...) local a = coroutine.yield(select('#', ...)) return a * 2 end) r[7] = co(1, 2, 3) r[8] = co(21) r[9] = redis.call('exists', KEYS[#KEYS]) return r";
    await s.io.del('a', 'b', 'd');
    // a and d on shard 1 (run there), a and b on two shards (run on the main thread)
    for (const [i, keys] of [['a', 'd'], ['a', 'b'], ['a', 'd']].entries()) {
      expect(await s.io.eval(lua, 2, ...keys)).toEqual([3, 4, 99, 4, 5050, i + 1, 3, 42, 0]);
    }
    expect(await s.io.eval('return unpack({7, 8, 9})', 1, 'a')).toBe(7);
    expect(await s.io.eval("return string.byte('abc', 1, 3)", 1, 'a')).toBe(97);
  });

  it('EVALSHA in a shard counts the commands it ran in total_commands_processed and in INFO commandstats', async () => {
    const sha = (await s.io.script('LOAD', "redis.call('incr', KEYS[1]) redis.call('incr', KEYS[1]) return redis.call('incr', KEYS[1])")) as string;
    await s.io.del('d');
    await warm(sha, 'd');
    const total = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec((await s.io.info('stats')) as string)![1]);
    const calls = async (): Promise<number> => Number(/cmdstat_evalsha:calls=(\d+)/.exec((await s.io.info('commandstats')) as string)![1]);
    const t0 = await total();
    const c0 = await calls();
    for (let i = 0; i < 5; i++) await s.io.evalsha(sha, 1, 'd');
    // 5 EVALSHA + 15 INCR + INFO commandstats + the INFO that reads the count
    expect((await total()) - t0).toBe(5 + 15 + 2);
    expect((await calls()) - c0).toBe(5);
  });

  it('the slow log times an EVALSHA run in its shard by its run, not by its wait behind a slow script', async () => {
    // pipelined, both go to shard 1 at once: the quick one waits there for the slow one (~1 s)
    const slow = (await s.io.script('LOAD', "local x = 0 for i = 1, 3000000 do x = x + i end return redis.call('get', KEYS[1])")) as string;
    const quick = (await s.io.script('LOAD', "return redis.call('get', KEYS[1])")) as string;
    await warm(slow, 'a');
    await warm(quick, 'a');
    // everything logged: the quick script's entry must time its run, not its ~1 s wait behind the
    // slow one (a duration that included the wait would be at least the slow one's)
    await s.io.config('SET', 'slowlog-log-slower-than', '0');
    try {
      await s.io.slowlog('RESET');
      const p = s.io.pipeline();
      p.evalsha(slow, 1, 'a');
      p.evalsha(quick, 1, 'a');
      await p.exec();
      const entries = (await s.io.slowlog('GET', 128)) as [number, number, number, string[]][];
      const us = (sha: string): number[] => entries.filter((e) => e[3][0]?.toLowerCase() === 'evalsha' && e[3][1] === sha).map((e) => e[2]);
      const [slowUs, quickUs] = [us(slow), us(quick)];
      expect([slowUs.length, quickUs.length]).toEqual([1, 1]);
      expect(quickUs[0]!).toBeLessThan(slowUs[0]! / 2);
    } finally {
      await s.io.config('SET', 'slowlog-log-slower-than', '10000');
    }
  });

  it('pipelined keyless EVALSHAs (sent to shard 0) run in order with commands, those touching another shard\'s key falling back', async () => {
    await s.io.del('b', 'a');
    // no KEYS: b is on shard 0 (stays there), a on shard 1 (falls back to the main thread)
    const sha = (await s.io.script('LOAD', "return {redis.call('incr', ARGV[1]), #KEYS, ARGV[2]}")) as string;
    await s.io.evalsha(sha, 0, 'b', 'warm');
    await s.io.del('b');
    const p = s.io.pipeline();
    for (let i = 0; i < 8; i++) {
      p.evalsha(sha, 0, i % 4 === 3 ? 'a' : 'b', String(i));
      p.get('b');
    }
    const out = (await p.exec())!.map(([e, v]) => (e ? e.message : v));
    const want: unknown[] = [];
    let a = 0;
    let b = 0;
    for (let i = 0; i < 8; i++) {
      if (i % 4 === 3) want.push([++a, 0, String(i)]);
      else want.push([++b, 0, String(i)]);
      want.push(String(b));
    }
    expect(out).toEqual(want);
    expect(await s.io.evalsha(sha, 0, 'b', 'x')).toEqual([7, 0, 'x']);
    await expect(s.io.evalsha(sha, 0)).rejects.toThrow(/^ERR Lua redis lib command arguments must be strings or integers/);
  });

  it('coroutine.yield in a script\'s own body is redis-server\'s error, in a shard and on the main thread, and the server goes on', async () => {
    const lua = "coroutine.yield() return 1";
    // redis-server 7.0.15: the script is a plain function call there
    const want = /^ERR attempt to yield across metamethod\/C-call boundary script: [0-9a-f]{40}, on @user_script:1\.$/;
    for (const keys of [['a'], [], ['a', 'b']]) {
      for (let i = 0; i < 2; i++) await expect(s.io.eval(lua, keys.length, ...keys)).rejects.toThrow(want);
    }
    // a coroutine the script made still yields, and a caught yield error goes on
    expect(await s.io.eval("local co = coroutine.wrap(function() coroutine.yield(7) end) return {co(), pcall(coroutine.yield)}", 1, 'a')).toEqual([7, null, 'attempt to yield across metamethod/C-call boundary']);
    expect(await s.io.eval("return redis.call('incr', KEYS[1])", 1, 'n2')).toBeGreaterThan(0);
  });

  it('what a script does to its KEYS and ARGV tables is not seen by the next script, in a shard or on the main thread', async () => {
    for (const keys of [['a'], [], ['a', 'b']]) {
      const n = keys.length;
      expect(await s.io.eval("table.insert(KEYS, 'extra') ARGV.x = 1 ARGV[9] = 'z' return {#KEYS, #ARGV}", n, ...keys, 'p', 'q')).toEqual([n + 1, 2]);
      expect(await s.io.eval("return {#KEYS, #ARGV, KEYS[#KEYS + 1] == nil and 1 or 0, ARGV.x == nil and 1 or 0, ARGV[9] == nil and 1 or 0, ARGV[1]}", n, ...keys, 'r')).toEqual([n, 1, 1, 1, 1, 'r']);
      expect(await s.io.eval("setmetatable(ARGV, {__index = function() return 'meta' end}) KEYS[1] = nil return 1", n, ...keys)).toBe(1);
      expect(await s.io.eval("return {#KEYS, KEYS[1] or 'none', ARGV[3] or 'none', getmetatable(ARGV) == nil and 1 or 0}", n, ...keys, 's')).toEqual([n, keys[0] ?? 'none', 'none', 1]);
      expect(await s.io.eval('return #ARGV', n, ...keys, 'a1', 'a2', 'a3')).toBe(3);
      expect(await s.io.eval("return {#ARGV, ARGV[2] or 'none'}", n, ...keys)).toEqual([0, 'none']);
    }
  });

  it('an EVALSHA already going straight to its shard follows CONFIG SET min-replicas-to-write both ways', async () => {
    const sha = (await s.io.script('LOAD', "return redis.call('incr', KEYS[1])")) as string;
    await s.io.del('d');
    await warm(sha, 'd');
    expect(await s.io.evalsha(sha, 1, 'd')).toBe(2);
    await s.io.config('SET', 'min-replicas-to-write', '1');
    try {
      for (let i = 0; i < 2; i++) {
        await expect(s.io.evalsha(sha, 1, 'd')).rejects.toThrow(/^NOREPLICAS Not enough good replicas to write\. script: [0-9a-f]{40}, on @user_script:1\.$/);
      }
    } finally {
      await s.io.config('SET', 'min-replicas-to-write', '0');
    }
    expect(await s.io.evalsha(sha, 1, 'd')).toBe(3);
  });

  it('EVALSHA_RO and a no-writes script sent to their shard refuse writes with redis-server\'s error', async () => {
    const sha = (await s.io.script('LOAD', "return redis.call('set', KEYS[1], 'v')")) as string;
    await warm(sha, 'x');
    for (let i = 0; i < 3; i++) {
      await expect(s.io.evalsha_ro(sha, 1, 'x')).rejects.toThrow(/^ERR Write commands are not allowed from read-only scripts\. script: [0-9a-f]{40}, on @user_script:1\.$/);
    }
    const nw = (await s.io.script('LOAD', "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'v')")) as string;
    for (let i = 0; i < 3; i++) await expect(s.io.evalsha(nw, 1, 'x')).rejects.toThrow(/^ERR Write commands are not allowed from read-only scripts/);
  });

  it('redis.log of an EVALSHA that already ran in its shard still reaches the server log', async () => {
    const sha = (await s.io.script('LOAD', "redis.log(redis.LOG_WARNING, 'direct-log-' .. ARGV[1]) return redis.call('get', KEYS[1])")) as string;
    for (let i = 0; i < 3; i++) await s.io.evalsha(sha, 1, 'a', String(i));
    const { waitFor } = await import('./helpers/server.js');
    await waitFor(() => s.srv.output().includes('direct-log-2'), 'the third log line');
  });

  it('EVALSHA still runs when its shard has dropped the script from its cache', async () => {
    const lua = "return redis.call('incr', KEYS[1])";
    const sha = (await s.io.script('LOAD', lua)) as string;
    await s.io.del('n2');
    expect(await s.io.evalsha(sha, 1, 'n2')).toBe(1);
    // the shard keeps 4096 scripts, then starts over: 4100 other scripts pass through shard 1
    const p = s.io.pipeline();
    for (let i = 0; i < 4100; i++) p.eval(`return ${i}`, 1, 'n2');
    await p.exec();
    expect(await s.io.evalsha(sha, 1, 'n2')).toBe(2);
    expect(await s.io.evalsha(sha, 1, 'n2')).toBe(3);
  });

  it('a big reply of an EVALSHA run in its shard arrives whole', async () => {
    const sha = (await s.io.script('LOAD', "return string.rep('x', tonumber(ARGV[1]))")) as string;
    expect(await s.io.evalsha(sha, 1, 'a', '3')).toBe('xxx');
    const size = 9 * 1024 * 1024; // more than one ring record
    expect(((await s.io.evalsha(sha, 1, 'a', String(size))) as string).length).toBe(size);
  });
});

describe('FCALL in the shard of its keys, 2 shards', () => {
  const s = useServers({ shards: 2 });
  const LIB = [
    '#!lua name=fastlib',
    "redis.register_function('finc', function(k, a) return redis.call('incr', k[1]) end)",
    "redis.register_function{function_name='fget', callback=function(k, a) return redis.call('get', k[1]) end, flags={'no-writes'}}",
    "redis.register_function{function_name='fset', callback=function(k, a) return redis.call('set', k[1], 'v') end, flags={'no-writes'}}",
    "redis.register_function('fboth', function(k, a) redis.call('incr', k[1]) return redis.call('incr', a[1]) end)",
    "redis.register_function('flog', function(k, a) redis.log(redis.LOG_WARNING, 'fcall-log-' .. a[1]) return 1 end)",
  ].join('\n');

  beforeAll(async () => {
    await s.io.function('LOAD', LIB);
  });

  it('FCALL and FCALL_RO run their functions with the same replies and errors, again and again', async () => {
    await s.io.del('a', 'b');
    for (let i = 1; i <= 3; i++) {
      expect(await s.io.fcall('finc', 1, 'a')).toBe(i);
      expect(await s.io.fcall_ro('fget', 1, 'a')).toBe(String(i));
      await expect(s.io.fcall('fset', 1, 'a')).rejects.toThrow(/^ERR Write commands are not allowed from read-only scripts\. script: fset, on @user_function:4\.$/);
      await expect(s.io.fcall_ro('finc', 1, 'a')).rejects.toThrow('ERR Can not execute a script with write flag using *_ro command.');
    }
  });

  it('a function that writes and then touches another shard\'s key runs its writes once, every time', async () => {
    await s.io.del('a', 'b');
    for (let i = 1; i <= 5; i++) expect(await s.io.fcall('fboth', 1, 'a', 'b')).toBe(i);
    expect(await s.io.mget('a', 'b')).toEqual(['5', '5']);
  });

  it('FCALL after FUNCTION LOAD REPLACE runs the new code, and a deleted function is not found', async () => {
    await s.io.del('d');
    expect(await s.io.fcall('finc', 1, 'd')).toBe(1);
    expect(await s.io.fcall('finc', 1, 'd')).toBe(2);
    await s.io.function('LOAD', 'REPLACE', "#!lua name=fastlib\nredis.register_function('finc', function(k, a) return redis.call('incrby', k[1], 100) end)");
    expect(await s.io.fcall('finc', 1, 'd')).toBe(102);
    expect(await s.io.fcall('finc', 1, 'd')).toBe(202);
    await expect(s.io.fcall('fget', 1, 'd')).rejects.toThrow('ERR Function not found');
    await s.io.function('LOAD', 'REPLACE', LIB);
    expect(await s.io.fcall('finc', 1, 'd')).toBe(203);
  });

  it('redis.log of a function called again and again reaches the server log', async () => {
    for (let i = 0; i < 3; i++) await s.io.fcall('flog', 1, 'a', String(i));
    const { waitFor } = await import('./helpers/server.js');
    await waitFor(() => s.srv.output().includes('fcall-log-2'), 'the third log line');
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
      // EVALSHA sent straight to the shard (after its first run there): single and MULTI-wrapped writes
      const sha = (await m.script('LOAD', "redis.call('incr', KEYS[1]) if ARGV[1] == '2' then redis.call('rpush', KEYS[2], 'w') end return 1")) as string;
      for (let i = 0; i < 4; i++) await m.evalsha(sha, 2, '{s}a', '{s}b', String(1 + (i % 2)));
      await m.function('LOAD', "#!lua name=repl\nredis.register_function('fw', function(k, a) redis.call('incr', k[1]) if a[1] == '2' then redis.call('rpush', k[2], 'w') end return 1 end)");
      for (let i = 0; i < 4; i++) await m.fcall('fw', 2, '{f}a', '{f}b', String(1 + (i % 2)));
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
