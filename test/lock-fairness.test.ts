/*
 * Blocking commands that find their shard locked (by a running script, EXEC or cross-shard command) wait in
 * arrival order with the scripts and transactions queued for the locks: a client's command is not
 * overtaken by scripts sent after it (BullMQ's QueueEvents lost its first events that way: its
 * XREAD BLOCK ... $ was overtaken by a stream of job scripts and "$" resolved past their XADDs).
 */

import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShardis, waitFor, type Proc } from './helpers/server.js';

/** Wait until the server has read the named client's request `cmd` (CLIENT LIST shows it as its command). */
async function received(io: Redis, name: string, cmd: string): Promise<void> {
  await waitFor(async () => ((await io.client('LIST')) as string).split('\n').some((l) => l.includes(` name=${name} `) && l.includes(` cmd=${cmd} `)), `${name}'s ${cmd} received`);
}

let p: Proc;
beforeAll(async () => {
  p = await startShardis({ shards: 4 });
});
afterAll(async () => {
  await p.stop();
});

describe('shard locks', () => {
  it('a command that waited for a running script runs before a script sent after it', async () => {
    const a = new Redis({ port: p.port, lazyConnect: true });
    const b = new Redis({ port: p.port, lazyConnect: true });
    const c = new Redis({ port: p.port, lazyConnect: true });
    const obs = new Redis({ port: p.port, lazyConnect: true });
    await Promise.all([a.connect(), b.connect(), c.connect(), obs.connect()]);
    await a.client('SETNAME', 'a');
    await b.client('SETNAME', 'b');
    try {
      // a long script holds every shard
      const slow = a.eval("local t = 0 for i = 1, 1000000 do t = t + i end redis.call('xadd', KEYS[1], '*', 'n', 'first') return 1", 1, 's');
      await received(obs, 'a', 'eval');
      // b blocks for entries after the stream's last one as it is when b's XREAD runs
      const read = b.xread('BLOCK', 20000, 'STREAMS', 's', '$');
      await received(obs, 'b', 'xread');
      // c's script comes after b's XREAD: its entry is what b must get
      const next = c.eval("redis.call('xadd', KEYS[1], '*', 'n', 'second') return 2", 1, 's');
      expect(await slow).toBe(1);
      expect(await next).toBe(2);
      const got = (await read) as [string, [string, string[]][]][] | null;
      expect(got?.[0]?.[1]?.map((e) => e[1][1])).toEqual(['second']);
    } finally {
      a.disconnect();
      b.disconnect();
      c.disconnect();
      obs.disconnect();
    }
  });

});
