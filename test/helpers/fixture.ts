/*
 * The per-file server fixture: `useServers()` inside a describe block starts shardis (and, when asked
 * and installed, a reference redis-server) before the block's tests and stops everything it started
 * after them, also when a test or the start-up itself failed (a server that started before another
 * one failed to is stopped at once). ioredis clients made through it are disconnected first.
 *
 *   describe.each([1, 4])('hashes with %i shard(s)', (shards) => {
 *     const s = useServers({ shards, redis: true });
 *     it('...', async () => { await s.io.set('k', 'v'); ... s.ref?.port ... });
 *   });
 */

import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll } from 'vitest';
import Redis, { type RedisOptions } from 'ioredis';
import { RawClient } from './raw.js';
import { startRedis, startShardis, type Proc, type StartOptions } from './server.js';

let redisPresent: boolean | undefined;

/**
 * Whether redis-server is installed. Quiet: where it is absent the differential tests compare with
 * the recorded golden replies instead of skipping (test/helpers/corpus.ts).
 */
export function hasRedisServer(): boolean {
  redisPresent ??= spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).status === 0;
  return redisPresent;
}

export interface ServersOptions extends StartOptions {
  /** Also start a reference redis-server when it is installed (default false). */
  redis?: boolean;
  /** Arguments of the reference redis-server. */
  redisArgs?: string[];
}

export interface Servers {
  /** The shardis under test. */
  readonly srv: Proc;
  /** The reference redis-server, or null when not asked for or not installed. */
  readonly ref: Proc | null;
  /** An ioredis client of shardis, made on first use. */
  readonly io: Redis;
  /** Another ioredis client of shardis (or of `port`), disconnected after the block. */
  client(opts?: RedisOptions & { port?: number }): Redis;
  /** A raw RESP connection to shardis, closed after the block. */
  raw(): Promise<RawClient>;
}

/** Stop every process, also when some of the stops fail; rethrows the first failure. */
async function stopAll(procs: Proc[]): Promise<void> {
  const results = await Promise.allSettled(procs.map((p) => p.stop()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Start shardis and (when asked and installed) redis-server side by side, pushing each to `started`
 * as it comes up; if either fails, stop the other and fail.
 */
export async function startServers(opts: ServersOptions, started: Proc[]): Promise<{ srv: Proc; ref: Proc | null }> {
  const { redis = false, redisArgs = [], ...start } = opts;
  // CI has redis-server installed (.ci/run): there a missing one is an error, not a golden-only run
  if (redis && !hasRedisServer() && process.env.CI === 'true') throw new Error('redis-server is required in CI but is not installed');
  const mine: Proc[] = [];
  const up = (p: Proc): Proc => (mine.push(p), started.push(p), p);
  // in parallel: the two start-ups are independent
  const [a, b] = await Promise.allSettled([startShardis(start).then(up), redis && hasRedisServer() ? startRedis(redisArgs).then(up) : Promise.resolve(null)]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return { srv: a.value, ref: b.value };
  for (const p of mine) started.splice(started.indexOf(p), 1);
  await stopAll(mine);
  throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
}

export function useServers(opts: ServersOptions = {}): Servers {
  let srv: Proc | null = null;
  let ref: Proc | null = null;
  let io: Redis | null = null;
  const started: Proc[] = [];
  const clients: Redis[] = [];
  const raws: RawClient[] = [];

  beforeAll(async () => {
    ({ srv, ref } = await startServers(opts, started));
  });

  afterAll(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    for (const r of raws.splice(0)) r.close();
    io = null;
    await stopAll(started.splice(0));
  });

  const servers: Servers = {
    get srv(): Proc {
      if (srv === null) throw new Error('useServers: shardis did not start (see the beforeAll failure)');
      return srv;
    },
    get ref(): Proc | null {
      return ref;
    },
    get io(): Redis {
      io ??= servers.client();
      return io;
    },
    client(o: RedisOptions & { port?: number } = {}): Redis {
      const c = new Redis({ maxRetriesPerRequest: 1, ...o, port: o.port ?? servers.srv.port });
      clients.push(c);
      return c;
    },
    async raw(): Promise<RawClient> {
      const r = await RawClient.connect(servers.srv.port);
      raws.push(r);
      return r;
    },
  };
  return servers;
}

export interface Processes {
  /** Processes to kill (SIGKILL) after the file or block: push each one as soon as it started. */
  readonly procs: Proc[];
  /** Clients to disconnect first (client() adds its own). */
  readonly clients: Redis[];
  /** An ioredis client that never retries and swallows connection errors (servers are killed under it). */
  client(p: Proc | number): Redis;
}

/**
 * For tests that start and kill servers themselves (replication, failover, persistence): what they
 * push to `procs` is killed and every client disconnected after the block (or file, at top level),
 * or after each test with `{ each: true }`.
 */
export function useProcesses(opts: { each?: boolean } = {}): Processes {
  const procs: Proc[] = [];
  const clients: Redis[] = [];
  (opts.each ? afterEach : afterAll)(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });
  return {
    procs,
    clients,
    client(p: Proc | number): Redis {
      const c = new Redis({ port: typeof p === 'number' ? p : p.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
  };
}
