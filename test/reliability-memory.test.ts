/*
 * INFO memory: used_memory counts the whole process's data, i.e. the shards' memory (each shard's
 * heap and external memory as it reports them) as well as the main thread's, each byte once.
 */

import { afterAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { startShardis, type Proc } from './helpers/server.js';
import { info } from './helpers/replication.js';

const procs: Proc[] = [];
const clients: Redis[] = [];

afterAll(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

describe('INFO memory', () => {
  it('used_memory grows with the data the shards hold and stays within the resident size', async () => {
    const p = await startShardis({ shards: 2 });
    procs.push(p);
    const c = new Redis({ port: p.port });
    clients.push(c);
    const before = Number((await info(c, 'memory')).used_memory);
    // 64 values of 1 MB, spread over both shards
    const value = 'v'.repeat(1024 * 1024);
    for (let i = 0; i < 64; i++) await c.set(`key:${i}`, value + i);
    expect(await c.dbsize()).toBe(64);
    const m = await info(c, 'memory');
    const after = Number(m.used_memory);
    expect(after - before).toBeGreaterThan(60 * 1024 * 1024);
    // nothing counted twice: the counted memory is all resident somewhere (plus the rings' untouched pages)
    expect(after).toBeLessThan(Number(m.used_memory_rss) + 64 * 1024 * 1024);
    expect(Number(m.used_memory_peak)).toBeGreaterThanOrEqual(after);
    expect(m.used_memory_human).toMatch(/^\d+\.\d\dM$/);
  });
});
