/*
 * The test helpers themselves: waits that wait for an event under one hang ceiling (never a shorter
 * deadline), TTL rounding as Redis reports it, and the raw client reading replies of any size and any
 * number from a server that sends them in small pieces.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import Redis from 'ioredis';
import net from 'node:net';
import { RawClient } from './helpers/raw.js';
import { freePort, waitFor as waitForCompat, type Proc } from './helpers/server.js';
import { hasRedisServer, startServers } from './helpers/fixture.js';
import { corpus } from './helpers/corpus.js';
import { expectDistinctShards, keysOnDistinctShards, shardOf, spreadKeys } from './helpers/shards.js';
import { CEILING_MS, ceiling, ttlSeconds, waitFor } from './helpers/wait.js';

describe('waitFor', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('resolves with the first truthy value, retrying a predicate that throws', async () => {
    let calls = 0;
    const v = await waitFor(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls < 5 ? null : { calls };
      },
      { what: 'the fifth call', everyMs: 1 },
    );
    expect(v).toEqual({ calls: 5 });
  });

  it('the positional form of helpers/server.js still works', async () => {
    let n = 0;
    expect(await waitForCompat(() => ++n >= 3 && n, 'three calls', 1000, 1)).toBe(3);
  });

  it('a ceiling shorter than the suite ceiling is raised to it; a longer one is kept', () => {
    expect(CEILING_MS).toBeGreaterThanOrEqual(60_000);
    expect(ceiling(10)).toBe(CEILING_MS);
    expect(ceiling(undefined)).toBe(CEILING_MS);
    expect(ceiling(CEILING_MS + 1)).toBe(CEILING_MS + 1);
  });

  it('fails naming what it waited for (and the last error) once the ceiling passes', async () => {
    vi.stubEnv('SHARDIS_TEST_CEILING_MS', '30');
    vi.resetModules();
    const m = await import('./helpers/wait.js');
    expect(m.CEILING_MS).toBe(30);
    await expect(
      m.waitFor(
        () => {
          throw new Error('still down');
        },
        { what: 'the link', everyMs: 5 },
      ),
    ).rejects.toThrow('timed out waiting for the link: Error: still down');
    await expect(m.within(new Promise(() => {}), 'a reply')).rejects.toThrow('timed out waiting for a reply');
  });
});

describe('ttlSeconds', () => {
  it('rounds to the nearest second, as TTL does', () => {
    expect(ttlSeconds(100_000)).toBe(100);
    expect(ttlSeconds(99_500)).toBe(100);
    expect(ttlSeconds(99_499)).toBe(99);
    expect(ttlSeconds(0)).toBe(0);
  });
});

describe('RawClient', () => {
  it('reads a multi-megabyte reply and a backlog of small ones sent in small pieces', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'v');
    const payload = Buffer.concat([Buffer.from(`$${big.length}\r\n`), big, Buffer.from('\r\n'), Buffer.from('+OK\r\n'.repeat(5000)), Buffer.from('*2\r\n:1\r\n$1\r\nx\r\n')]);
    const server = net.createServer((sock) => {
      // 16 kB pieces, each written on its own turn of the event loop
      let o = 0;
      const next = (): void => {
        if (o >= payload.length) return;
        sock.write(payload.subarray(o, o + 16 * 1024), () => setImmediate(next));
        o += 16 * 1024;
      };
      next();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const c = await RawClient.connect((server.address() as net.AddressInfo).port);
    try {
      expect(await c.readBytes(1)).toBe('$');
      const head = `${big.length}\r\n`;
      expect(await c.readBytes(head.length)).toBe(head);
      expect(await c.readBytes(big.length + 2)).toBe(`${big.toString('latin1')}\r\n`);
      for (let i = 0; i < 5000; i++) expect(await c.readRaw()).toBe('+OK\r\n');
      expect(await c.readRaw()).toBe('*2\r\n:1\r\n$1\r\nx\r\n');
    } finally {
      c.close();
      server.close();
    }
  });

  it('reads a bulk reply larger than any piece with readRaw', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024 + 7, 'w');
    const server = net.createServer((sock) => {
      sock.write(Buffer.concat([Buffer.from(`$${big.length}\r\n`), big.subarray(0, 1000)]));
      setImmediate(() => sock.write(Buffer.concat([big.subarray(1000), Buffer.from('\r\n:5\r\n')])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const c = await RawClient.connect((server.address() as net.AddressInfo).port);
    try {
      expect(await c.readRaw()).toBe(`$${big.length}\r\n${big.toString('latin1')}\r\n`);
      expect(await c.readRaw()).toBe(':5\r\n');
    } finally {
      c.close();
      server.close();
    }
  });
});

describe('keys on distinct shards (helpers/shards.ts) against a running server', () => {
  const admin = { port: 0 };
  const started: Proc[] = [];
  let io: Redis;

  beforeAll(async () => {
    admin.port = await freePort();
    const { srv } = await startServers({ shards: 4, args: ['--admin-port', String(admin.port)] }, started);
    io = new Redis({ port: srv.port });
  });

  afterAll(async () => {
    io?.disconnect();
    await Promise.all(started.map((p) => p.stop()));
  });

  /** Keys per shard in db0, as the server's /metrics reports them (shardis_shard_keys). */
  async function keysPerShard(port: number): Promise<number[]> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const out = [0, 0, 0, 0];
    for (const m of text.matchAll(/^shardis_shard_keys\{shard="(\d+)",db="db0"\} (\d+)$/gm)) out[Number(m[1])] = Number(m[2]);
    return out;
  }

  it('the shard the helper computes for a key is the shard the server stores it on', async () => {
    const keys = [...keysOnDistinctShards(4, 4, 'place:'), '{place:0}tagged', 'x', 'another key', ''];
    for (const k of keys) {
      await io.flushall();
      await io.set(k, 'v');
      const want = [0, 0, 0, 0];
      want[shardOf(k, 4)] = 1;
      expect(await waitFor(async () => JSON.stringify(await keysPerShard(admin.port)) === JSON.stringify(want), { what: `key "${k}" counted on shard ${shardOf(k, 4)}` })).toBe(true);
    }
    await io.flushall();
    for (const k of keysOnDistinctShards(4, 4, 'place:')) await io.set(k, 'v');
    expect(await keysPerShard(admin.port)).toEqual([1, 1, 1, 1]);
  });

  it('expectDistinctShards fails for keys sharing a shard (a hashtag) and spreadKeys covers every shard', () => {
    expect(() => expectDistinctShards(['{t}a', '{t}b'], 4)).toThrow(/keys on distinct shards/);
    expect(new Set(spreadKeys(4, 10, 'sp:').map((k) => shardOf(k, 4))).size).toBe(4);
    expect(spreadKeys(1, 3, 'sp:')).toEqual(['sp:0', 'sp:1', 'sp:2']);
  });
});

describe('useServers / startServers (helpers/fixture.ts)', () => {
  it('a start-up that fails stops the server that did start (no process left behind)', async () => {
    if (!hasRedisServer()) {
      // without redis-server, make the other side of the pair fail: a redis-server-less run still checks the cleanup
      const started: Proc[] = [];
      await expect(startServers({ args: ['--no-such-option', 'x'] }, started)).rejects.toThrow(/exited/);
      expect(started).toEqual([]);
      return;
    }
    const started: Proc[] = [];
    const seen: Proc[] = [];
    const watch = new Proxy(started, {
      get(t, p, r) {
        if (p === 'push') return (...ps: Proc[]) => (seen.push(...ps), t.push(...ps));
        return Reflect.get(t, p, r);
      },
    });
    // redis-server starts; shardis refuses its arguments
    await expect(startServers({ redis: true, args: ['--no-such-option', 'x'] }, watch)).rejects.toThrow(/exited/);
    expect(started).toEqual([]);
    expect(seen.length).toBe(1);
    expect(seen[0]!.proc.exitCode !== null || seen[0]!.proc.signalCode !== null).toBe(true);
  });
});

describe('differential corpora (helpers/corpus.ts)', () => {
  it("cuts a script into '## name' sections, mapping each section's commands", () => {
    const text = "\n## first behaviour\nset a 1\n# a comment\nget a\n## second behaviour\nget ''\n";
    expect(corpus(text, (cmds) => cmds.map((c) => c.map((a) => a.toUpperCase())))).toEqual([
      { name: 'first behaviour', cmds: [['SET', 'A', '1'], ['GET', 'A']] },
      { name: 'second behaviour', cmds: [['GET', '']] },
    ]);
  });

  it('refuses a command before the first section and two sections with one name', () => {
    expect(() => corpus('set a 1\n## late\nget a')).toThrow("corpus: a command before the first '## name' line: set a 1");
    expect(() => corpus('## same\nget a\n## same\nget b')).toThrow('corpus: two sections named "same"');
  });
});
