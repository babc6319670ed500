/*
 * SLOWLOG against redis-server 7: entries (ids in order, arguments truncated to 32 and strings to 128
 * bytes, client address and name, secrets redacted, EXEC left out), slowlog-max-len, the
 * thresholds, and the replies and errors of every subcommand. Keys are spread over three shards, so
 * entries timed in the shards and on the main thread are merged in the order the commands ran.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, waitFor } from './helpers/server.js';
import { diffReplies, script, showMismatches } from './helpers/diff.js';
import { RawClient } from './helpers/raw.js';

const haveRedis = haveBinaries('redis-server');
const connect = (port: number): Redis => new Redis({ port, enableReadyCheck: false });

type Entry = [number, number, number, string[], string, string];

const LONG_KEY = 'k'.repeat(200);
const MANY = Array.from({ length: 35 }, (_, i) => String(i + 1));

async function workload(r: Redis): Promise<void> {
  await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  await r.call('CONFIG', 'SET', 'slowlog-max-len', '128');
  await r.call('SLOWLOG', 'RESET');
  await r.call('CLIENT', 'SETNAME', 'tester');
  await r.call('SET', LONG_KEY, 'v');
  await r.call('RPUSH', 'list', ...MANY);
  await r.call('SET', 'a', '1');
  await r.call('GET', 'b');
  await r.call('MGET', 'a', 'b', 'c');
  await r.call('HSET', 'h', 'f', 'v');
  await r.multi().set('t1', 'x').incr('t2').exec();
  try {
    await r.call('AUTH', 'nouser', 'secret');
  } catch {
    // no such user: still logged, arguments redacted
  }
  await r.call('CLIENT', 'SETNAME', 'other');
  await r.call('CONFIG', 'SET', 'maxmemory', '0', 'masterauth', 'secret');
  await r.call('CONFIG', 'SET', 'masterauth', '');
  await r.call('HELLO', '2', 'AUTH', 'default', 'wrong').catch(() => null);
  await r.call('PING');
}

/** Entries without what differs between servers (timestamps, durations, ports); ids made relative. */
function shape(entries: Entry[]): [number, string[], string, string][] {
  const base = entries[entries.length - 1]![0];
  return entries.map(([id, time, us, args, addr, name]) => {
    expect(time).toBeGreaterThan(1_600_000_000);
    expect(us).toBeGreaterThanOrEqual(0);
    return [id - base, args, addr.replace(/:\d+$/, ':PORT'), name];
  });
}

/** Recorded from redis-server 7.0.15 (the shape above, newest first). */
const GOLDEN: [number, string[], string, string][] = [
  [18, ['PING'], '127.0.0.1:PORT', 'other'],
  [17, ['HELLO', '2', 'AUTH', '(redacted)', '(redacted)'], '127.0.0.1:PORT', 'other'],
  [16, ['CONFIG', 'SET', 'masterauth', '(redacted)'], '127.0.0.1:PORT', 'other'],
  [15, ['CONFIG', 'SET', 'maxmemory', '0', 'masterauth', '(redacted)'], '127.0.0.1:PORT', 'other'],
  [14, ['CLIENT', 'SETNAME', 'other'], '127.0.0.1:PORT', 'other'],
  [13, ['AUTH', '(redacted)', '(redacted)'], '127.0.0.1:PORT', 'tester'],
  [12, ['incr', 't2'], '127.0.0.1:PORT', 'tester'],
  [11, ['set', 't1', 'x'], '127.0.0.1:PORT', 'tester'],
  [10, ['multi'], '127.0.0.1:PORT', 'tester'],
  [9, ['HSET', 'h', 'f', 'v'], '127.0.0.1:PORT', 'tester'],
  [8, ['MGET', 'a', 'b', 'c'], '127.0.0.1:PORT', 'tester'],
  [7, ['GET', 'b'], '127.0.0.1:PORT', 'tester'],
  [6, ['SET', 'a', '1'], '127.0.0.1:PORT', 'tester'],
  [5, ['RPUSH', 'list', ...MANY.slice(0, 29), '... (6 more arguments)'], '127.0.0.1:PORT', 'tester'],
  [4, ['SET', `${'k'.repeat(128)}... (72 more bytes)`, 'v'], '127.0.0.1:PORT', 'tester'],
  [3, ['CLIENT', 'SETNAME', 'tester'], '127.0.0.1:PORT', 'tester'],
  [2, ['SLOWLOG', 'RESET'], '127.0.0.1:PORT', ''],
];

describe('SLOWLOG entries', () => {
  const sv = useServers({ args: ['--shards', '3'], redis: true });

  it('every command (shard, main-thread and cross-shard) is logged in order with truncated, redacted arguments and the client address and name; EXEC is not', async () => {
    const a = connect(sv.srv.port);
    try {
      await workload(a);
      const ours = shape((await a.call('SLOWLOG', 'GET', '-1')) as Entry[]);
      const want = GOLDEN.map(([id, ...rest]) => [id - 2, ...rest]);
      expect(ours).toEqual(want);
      if (sv.ref) {
        const b = connect(sv.ref.port);
        try {
          await workload(b);
          expect(ours).toEqual(shape((await b.call('SLOWLOG', 'GET', '-1')) as Entry[]));
        } finally {
          b.disconnect();
        }
      }
    } finally {
      a.disconnect();
    }
  });

  it('a pipeline of fast commands (timed together in the shard) is logged command by command, in order, with its arguments', async () => {
    const a = connect(sv.srv.port);
    try {
      await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await a.call('CONFIG', 'SET', 'slowlog-max-len', '1000');
      await a.call('SLOWLOG', 'RESET');
      const p = a.pipeline();
      const sent: string[][] = [];
      for (let i = 0; i < 600; i++) {
        // one shard (a hashtag): commands on different shards run in parallel, in no defined order
        const cmd = i % 3 === 0 ? ['INCR', `{p}n${i % 7}`] : i % 3 === 1 ? ['GET', `{p}n${i % 5}`] : ['HSET', `{p}h${i % 4}`, 'f', 'x'.repeat(i % 200)];
        sent.push(cmd.map((x, j) => (j === 3 && x.length > 128 ? `${x.slice(0, 128)}... (${x.length - 128} more bytes)` : x)));
        p.call(cmd[0]!, ...cmd.slice(1));
      }
      await p.exec();
      const entries = (await a.call('SLOWLOG', 'GET', '-1')) as Entry[];
      // newest first; the oldest is SLOWLOG RESET
      const logged = entries.map((e) => e[3]).reverse().slice(1, 601);
      expect(logged).toEqual(sent);
      // more slow commands between two collections than a shard held before: the newest are kept
      await a.call('CONFIG', 'SET', 'slowlog-max-len', '3000');
      const q = a.pipeline();
      for (let i = 0; i < 5000; i++) q.call('GET', `{p}k${i}`);
      await q.exec();
      const last = (await a.call('SLOWLOG', 'GET', '-1')) as Entry[];
      expect(last.length).toBe(3000);
      expect(last[0]![3]).toEqual(['GET', '{p}k4999']);
      expect(last[2999]![3]).toEqual(['GET', '{p}k2000']);
      await a.call('CONFIG', 'SET', 'slowlog-max-len', '128');
    } finally {
      a.disconnect();
    }
  });

  it('the entry of a client that disconnected before SLOWLOG GET keeps its address and name', async () => {
    const a = connect(sv.srv.port);
    const b = connect(sv.srv.port);
    try {
      await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await b.call('CLIENT', 'SETNAME', 'leaver');
      const addr = ((await b.call('CLIENT', 'INFO')) as string).match(/addr=(\S+)/)![1];
      await b.call('SET', 'gone', '1');
      b.disconnect();
      await new Promise((r) => setTimeout(r, 100));
      const entries = (await a.call('SLOWLOG', 'GET', '-1')) as Entry[];
      const e = entries.find((x) => x[3][0] === 'SET' && x[3][1] === 'gone')!;
      expect([e[4], e[5]]).toEqual([addr, 'leaver']);
    } finally {
      a.disconnect();
    }
  });

  it('slowlog-max-len keeps the newest entries; SLOWLOG GET count; -1 disables logging; a high threshold logs nothing', async () => {
    const a = connect(sv.srv.port);
    try {
      await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await a.call('CONFIG', 'SET', 'slowlog-max-len', '3');
      for (const k of ['x1', 'x2', 'x3', 'x4', 'x5']) await a.call('SET', k, '1');
      expect(await a.call('SLOWLOG', 'LEN')).toBe(3);
      const two = (await a.call('SLOWLOG', 'GET', '2')) as Entry[];
      expect(two.map((e) => e[3])).toEqual([['SLOWLOG', 'LEN'], ['SET', 'x5', '1']]);
      expect(((await a.call('SLOWLOG', 'GET')) as Entry[]).length).toBe(3);
      await a.call('CONFIG', 'SET', 'slowlog-max-len', '128');
      await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
      await a.call('SLOWLOG', 'RESET');
      await a.call('SET', 'y', '1');
      expect(await a.call('SLOWLOG', 'LEN')).toBe(0);
      await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000000');
      await a.call('SET', 'y', '2');
      await a.call('GET', 'y');
      expect(await a.call('SLOWLOG', 'LEN')).toBe(0);
    } finally {
      a.disconnect();
    }
  });
});

const ERRORS = script(`
slowlog get x
slowlog get -2
slowlog get 1 2
slowlog len 1
slowlog reset 1
slowlog foo
slowlog
slowlog help
slowlog help 1
`);

/** Recorded from redis-server 7.0.15. */
const ERRORS_GOLDEN = [
  '-ERR count should be greater than or equal to -1\r\n',
  '-ERR count should be greater than or equal to -1\r\n',
  "-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n",
  "-ERR wrong number of arguments for 'slowlog|len' command\r\n",
  "-ERR wrong number of arguments for 'slowlog|reset' command\r\n",
  "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n",
  "-ERR wrong number of arguments for 'slowlog' command\r\n",
  null,
  "-ERR wrong number of arguments for 'slowlog|help' command\r\n",
];

describe('SLOWLOG replies and errors', () => {
  it('errors as redis-server 7 words them (golden)', async () => {
    const s = await startShardis();
    const r = await RawClient.connect(s.port);
    try {
      for (let i = 0; i < ERRORS.length; i++) {
        r.send(...ERRORS[i]!);
        const got = await r.readRaw();
        if (ERRORS_GOLDEN[i] !== null) expect(got).toBe(ERRORS_GOLDEN[i]);
        else expect(got.startsWith('*12\r\n+SLOWLOG <subcommand>')).toBe(true);
      }
    } finally {
      r.close();
      await s.stop();
    }
  });

  it.skipIf(!haveRedis)('the same bytes as redis-server for errors, HELP and LEN/RESET (RESP2 and RESP3)', async () => {
    const [s, ref] = await Promise.all([startShardis({ args: ['--shards', '3'] }), startRedis()]);
    try {
      const cmds = [...ERRORS, ['config', 'set', 'slowlog-log-slower-than', '100000'], ['slowlog', 'reset'], ['slowlog', 'len'], ['slowlog', 'get'], ['slowlog', 'get', '0']];
      for (const proto of [2, 3] as const) {
        const mm = await diffReplies(ref.port, s.port, proto, cmds);
        expect(mm, showMismatches(mm)).toEqual([]);
      }
    } finally {
      await s.stop();
      await ref.stop();
    }
  });
});

describe('SLOWLOG and blocked clients', () => {
  const sv = useServers({ args: ['--shards', '3'], redis: true });

  it('a BLPOP served by a MULTI/EXEC that ran SLOWLOG RESET is served after it: its entry is the newest, as on redis-server', async () => {
    const run = async (port: number): Promise<string[][]> => {
      const r = connect(port);
      const blocked = connect(port);
      try {
        await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
        await r.del('l');
        const popped = blocked.blpop('l', 0);
        await waitFor(async () => /blocked_clients:1/.test(await r.info('clients')), 'client blocked');
        await r.multi().lpush('l', 'foo').call('SLOWLOG', 'RESET').exec();
        expect(await popped).toEqual(['l', 'foo']);
        return ((await r.call('SLOWLOG', 'GET')) as Entry[]).map((e) => e[3] as string[]);
      } finally {
        await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
        r.disconnect();
        blocked.disconnect();
      }
    };
    const got = await run(sv.srv.port);
    expect(got).toEqual([['blpop', 'l', '0'], ['SLOWLOG', 'RESET']]);
    if (sv.ref) expect(await run(sv.ref.port)).toEqual(got);
  });
});
