/*
 * MEMORY against redis-server 7: USAGE (an estimate of a key's footprint in shardis's store, computed
 * in the key's shard; nil for a missing key; SAMPLES), STATS (the same fields, types and nesting),
 * DOCTOR, PURGE, MALLOC-STATS, HELP and every error.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { diffReplies, script, showMismatches } from './helpers/diff.js';
import { RawClient } from './helpers/raw.js';

const haveRedis = haveBinaries('redis-server');
const connect = (port: number): Redis => new Redis({ port, enableReadyCheck: false });

const SCRIPT = script(`
memory foo
memory
memory usage
memory usage nokey
memory usage nokey samples 5
memory usage nokey samples x
set k v
memory usage k samples
memory usage k samples x
memory usage k samples -1
memory usage k bar 1
memory usage k samples 1 bar
memory stats 1
memory purge 1
memory doctor 1
memory help 1
memory help
memory purge
`);

/** Recorded from redis-server 7.0.15. */
const GOLDEN = [
  "-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n",
  "-ERR wrong number of arguments for 'memory' command\r\n",
  "-ERR wrong number of arguments for 'memory|usage' command\r\n",
  '$-1\r\n',
  '$-1\r\n',
  '-ERR value is not an integer or out of range\r\n',
  '+OK\r\n',
  '-ERR syntax error\r\n',
  '-ERR value is not an integer or out of range\r\n',
  '-ERR syntax error\r\n',
  '-ERR syntax error\r\n',
  '-ERR syntax error\r\n',
  "-ERR wrong number of arguments for 'memory|stats' command\r\n",
  "-ERR wrong number of arguments for 'memory|purge' command\r\n",
  "-ERR wrong number of arguments for 'memory|doctor' command\r\n",
  "-ERR wrong number of arguments for 'memory|help' command\r\n",
  null,
  '+OK\r\n',
];

describe('MEMORY replies and errors', () => {
  it('as redis-server 7 words them (golden)', async () => {
    const s = await startShardis({ args: ['--shards', '3'] });
    const r = await RawClient.connect(s.port);
    try {
      for (let i = 0; i < SCRIPT.length; i++) {
        r.send(...SCRIPT[i]!);
        const got = await r.readRaw();
        if (GOLDEN[i] !== null) expect(got, SCRIPT[i]!.join(' ')).toBe(GOLDEN[i]);
        else expect(got.startsWith('*14\r\n+MEMORY <subcommand>')).toBe(true);
      }
      r.send('MEMORY', 'MALLOC-STATS');
      expect(await r.readRaw()).toBe('$45\r\nStats not supported for the current allocator\r\n');
    } finally {
      r.close();
      await s.stop();
    }
  });

  it.skipIf(!haveRedis)('the same bytes as redis-server (RESP2 and RESP3)', async () => {
    const [s, ref] = await Promise.all([startShardis({ args: ['--shards', '3'] }), startRedis()]);
    try {
      for (const proto of [2, 3] as const) {
        const mm = await diffReplies(ref.port, s.port, proto, SCRIPT);
        expect(mm, showMismatches(mm)).toEqual([]);
      }
    } finally {
      await s.stop();
      await ref.stop();
    }
  });
});

describe('MEMORY USAGE estimates', () => {
  let s: Proc;
  let r: Redis;
  beforeAll(async () => {
    s = await startShardis({ args: ['--shards', '3'] });
    r = connect(s.port);
  });
  afterAll(async () => {
    r.disconnect();
    await s.stop();
  });

  it('a string costs its bytes plus a fixed overhead, on every shard; a TTL adds to it; a missing or expired key is nil', async () => {
    const usage = async (k: string): Promise<number | null> => (await r.call('MEMORY', 'USAGE', k)) as number | null;
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await r.set(k, 'x'.repeat(10));
      await r.set(`${k}-big`, 'x'.repeat(10010));
      const small = (await usage(k))!;
      const big = (await usage(`${k}-big`))!;
      expect(small).toBeGreaterThan(10);
      expect(small).toBeLessThan(200);
      // the long value is a heap string (16-byte header, 8-byte aligned) beside a short entry
      expect(big - small).toBeGreaterThanOrEqual(10000);
      expect(big - small).toBeLessThan(10048);
    }
    const before = (await usage('a'))!;
    await r.expire('a', 100);
    expect((await usage('a'))!).toBeGreaterThan(before);
    await r.set('gone', 'v', 'PX', 1);
    await new Promise((res) => setTimeout(res, 10));
    expect(await usage('gone')).toBeNull();
    expect(await usage('nokey')).toBeNull();
  });

  it('on the byte store a string key costs its entry: size class of header, key and value, plus its bucket slot', async () => {
    const usage = async (k: string): Promise<number | null> => (await r.call('MEMORY', 'USAGE', k)) as number | null;
    await r.set('key:0000000001', 'v'.repeat(32));
    // a 10-byte header, 14 key bytes and 32 value bytes: the 56-byte class, and 4 bytes of bucket
    expect(await usage('key:0000000001')).toBe(60);
    await r.set('key:0000000002', '12345');
    // an integer: 8 bytes as a double, 10 + 14 + 8 = 32
    expect(await usage('key:0000000002')).toBe(36);
  });

  it('on the byte store a TTL costs an expiry-time entry in the arena: header, key and a double, plus its bucket slot', async () => {
    const usage = async (k: string): Promise<number | null> => (await r.call('MEMORY', 'USAGE', k)) as number | null;
    await r.set('key:0000000003', 'v'.repeat(32), 'EX', 1000);
    // 60 for the key (above), and 10 + 14 + 8 = 32 bytes for its expiry time, and 4 of bucket
    expect(await usage('key:0000000003')).toBe(96);
    await r.persist('key:0000000003');
    expect(await usage('key:0000000003')).toBe(60);
  });

  it('INFO memory: used_memory_dataset is the bytes of the store\'s entries (keys, values, expiry times), the rest of used_memory overhead; MEMORY STATS agrees', async () => {
    const srv = await startShardis({ args: ['--shards', '2'] });
    const c = connect(srv.port);
    const mem = async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const line of ((await c.info('memory')) as string).split('\r\n')) {
        const [k, v] = line.split(':');
        if (v !== undefined && /^[\d.]+%?$/.test(v)) out[k!] = parseFloat(v);
      }
      return out;
    };
    try {
      expect((await mem()).used_memory_dataset).toBe(0);
      const p = c.pipeline();
      for (let i = 0; i < 1000; i++) p.set(`key:${String(i).padStart(10, '0')}`, 'v'.repeat(32));
      for (let i = 0; i < 100; i++) p.set(`ttl:${String(i).padStart(10, '0')}`, 'v'.repeat(32), 'EX', 1000);
      await p.exec();
      const m = await mem();
      // 1100 entries of 56 bytes (10-byte header, 14-byte key, 32-byte value) and 100 expiry times of 32
      expect(m.used_memory_dataset).toBe(1100 * 56 + 100 * 32);
      expect(m.used_memory_overhead).toBe(m.used_memory! - m.used_memory_dataset!);
      expect(m.used_memory_dataset_perc).toBeCloseTo((m.used_memory_dataset! * 100) / m.used_memory!, 1);
      expect(m.mem_fragmentation_ratio).toBeCloseTo(m.used_memory_rss! / m.used_memory!, 1);
      const stats = (await c.call('MEMORY', 'STATS')) as unknown[];
      const field = (name: string): number => stats[stats.indexOf(name) + 1] as number;
      expect(field('dataset.bytes')).toBe(m.used_memory_dataset);
      expect(field('overhead.total') + field('dataset.bytes')).toBe(field('total.allocated'));
      await c.flushall();
      expect((await mem()).used_memory_dataset).toBe(0);
    } finally {
      c.disconnect();
      await srv.stop();
    }
  });

  it('aggregates grow with their elements; SAMPLES 0 measures every element, a small sample extrapolates', async () => {
    await r.del('l', 'h', 's', 'z');
    const list = Array.from({ length: 100 }, (_, i) => `element-${i}`);
    await r.rpush('l', ...list);
    await r.hset('h', ...list.flatMap((e) => [e, e]));
    await r.sadd('s', ...list);
    await r.zadd('z', ...list.flatMap((e, i) => [i, e]));
    for (const k of ['l', 'h', 's', 'z']) {
      const all = (await r.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')) as number;
      const five = (await r.call('MEMORY', 'USAGE', k)) as number;
      // every element's bytes at least (packed in the entry, or strings on the heap)
      expect(all, k).toBeGreaterThan(list.join('').length);
      expect(Math.abs(all - five) / all, k).toBeLessThan(0.2);
    }
    // the hash holds every element twice (field and value): at least their bytes, packed or not
    const h = (await r.call('MEMORY', 'USAGE', 'h', 'SAMPLES', '0')) as number;
    expect(h).toBeGreaterThan(2 * list.join('').length);
  });

  it('a stream costs its entries, and its consumer groups add to it (was an internal error; maxmemory counts streams with it)', async () => {
    await r.del('st');
    for (let i = 0; i < 200; i++) await r.xadd('st', '*', 'field', `value-${i}`);
    const entries = (await r.call('MEMORY', 'USAGE', 'st', 'SAMPLES', '0')) as number;
    expect(entries).toBeGreaterThan(200 * 'value-000'.length);
    await r.xgroup('CREATE', 'st', 'g', '0');
    await r.xreadgroup('GROUP', 'g', 'c', 'COUNT', 10, 'STREAMS', 'st', '>');
    expect((await r.call('MEMORY', 'USAGE', 'st', 'SAMPLES', '0')) as number).toBeGreaterThan(entries);
    // a shard measures it when maxmemory starts counting the dataset
    await r.config('SET', 'maxmemory', '1gb');
    expect(await r.xlen('st')).toBe(200);
    await r.config('SET', 'maxmemory', '0');
  });
});

describe.skipIf(!haveRedis)('MEMORY STATS and DOCTOR against redis-server', () => {
  it('STATS: the same fields in the same order with the same types (db.N a nested map), RESP2 and RESP3', async () => {
    const [s, ref] = await Promise.all([startShardis({ args: ['--shards', '3'] }), startRedis()]);
    try {
      for (const proto of [2, 3] as const) {
        const shapes: string[][] = [];
        for (const port of [s.port, ref.port]) {
          const c = await RawClient.connect(port);
          if (proto === 3) {
            c.send('HELLO', '3');
            await c.readRaw();
          }
          c.send('FLUSHALL');
          await c.readRaw();
          for (const k of ['a', 'b', 'c']) {
            c.send('SET', k, '1', 'EX', '100');
            await c.readRaw();
          }
          c.send('SELECT', '3');
          await c.readRaw();
          c.send('SET', 'x', '1');
          await c.readRaw();
          c.send('MEMORY', 'STATS');
          const raw = await c.readRaw();
          c.close();
          // field names and the type byte of each value (numbers and doubles differ in value only)
          const lines = raw.split('\r\n');
          const shape: string[] = [];
          for (let i = 1; i < lines.length; i++) {
            const ln = lines[i]!;
            if (ln.startsWith('$')) shape.push(lines[++i]!.replace(/^\d+(\.\d+)?$/, 'NUM'));
            else if (ln) shape.push(ln[0]!);
          }
          shapes.push(shape);
        }
        expect(shapes[0]).toEqual(shapes[1]);
      }
    } finally {
      await s.stop();
      await ref.stop();
    }
  });

  it('DOCTOR on an empty instance says what redis-server says', async () => {
    const [s, ref] = await Promise.all([startShardis(), startRedis()]);
    try {
      const mm = await diffReplies(ref.port, s.port, 2, [['memory', 'doctor']]);
      expect(mm, showMismatches(mm)).toEqual([]);
    } finally {
      await s.stop();
      await ref.stop();
    }
  });
});
