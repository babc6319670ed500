/*
 * Transactions: MULTI EXEC DISCARD WATCH UNWATCH, exact replies over a raw socket (RESP2 and RESP3),
 * queue-time errors (EXECABORT) against run-time errors (in the EXEC array), WATCH invalidation by
 * writes from other clients, expiry, FLUSHDB / FLUSHALL / SWAPDB, on one shard and across shards,
 * main-thread commands inside a transaction (as redis-sentinel sends them), and all-or-nothing
 * visibility of cross-shard transactions to concurrent readers.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { expectDistinctShards, spreadKeys } from './helpers/shards.js';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { RawClient } from './helpers/raw.js';
import { sleep, startShardis, waitFor, type Proc } from './helpers/server.js';

describe.each([1, 4])('transactions with %i shard(s)', (shards) => {
  const s = useServers({ shards });
  const raw = (): Promise<RawClient> => s.raw();
  const io = (db = 0): Redis => s.client({ db });

  /** Send commands and read one reply per command. */
  async function run(r: RawClient, ...cmds: (string | number)[][]): Promise<string[]> {
    for (const c of cmds) r.send(...c);
    const out: string[] = [];
    for (let i = 0; i < cmds.length; i++) out.push(await r.readRaw());
    return out;
  }

  /**
   * SET `key` with a short TTL through `setter` and WATCH it on `r`, so that the WATCH certainly ran
   * while the key was alive: the key cannot expire before (time SET was sent) + ttl, so a WATCH
   * answered before then qualifies; otherwise (a stalled machine) try again with a longer TTL.
   * Resolves with a time by which the key has certainly expired.
   */
  async function watchBeforeExpiry(r: RawClient, setter: Redis, key: string): Promise<number> {
    for (let ttl = 600; ; ttl *= 4) {
      const sent = Date.now();
      await setter.set(key, '1', 'PX', ttl);
      const setReplied = Date.now();
      expect(await run(r, ['WATCH', key])).toEqual(['+OK\r\n']);
      if (Date.now() < sent + ttl) return setReplied + ttl + 1;
      expect(await run(r, ['UNWATCH'])).toEqual(['+OK\r\n']);
      if (ttl > 600_000) throw new Error(`could not WATCH ${key} within its TTL`);
    }
  }

  it('MULTI / EXEC basics, exact RESP2 and RESP3 replies', async () => {
    const r = await raw();
    expect(await run(r, ['MULTI'], ['SET', 'b:a', '1'], ['INCR', 'b:a'], ['GET', 'b:a'], ['GET', 'b:none'], ['EXEC'])).toEqual([
      '+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n$-1\r\n',
    ]);
    // keys on different shards (with 4 shards, asserted), and an empty transaction
    if (shards > 1) expectDistinctShards(['b:x1', 'b:x2', 'b:x3'], shards);
    expect(await run(r, ['MULTI'], ['SET', 'b:x1', 'a'], ['SET', 'b:x2', 'b'], ['MGET', 'b:x1', 'b:x2', 'b:x3'], ['EXEC'])).toEqual([
      '+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*3\r\n+OK\r\n+OK\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$-1\r\n',
    ]);
    expect(await run(r, ['MULTI'], ['EXEC'])).toEqual(['+OK\r\n', '*0\r\n']);
    // blocking commands do not block inside a transaction
    expect(await run(r, ['MULTI'], ['BZPOPMIN', 'b:nokey', '0'], ['BZPOPMAX', 'b:nokey', '0'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n*-1\r\n*-1\r\n']);
    await run(r, ['HELLO', '3']);
    expect(await run(r, ['MULTI'], ['GET', 'b:none'], ['SET', 'b:a', 'z'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n_\r\n+OK\r\n']);
  });

  it('DISCARD, nesting and misuse errors', async () => {
    const r = await raw();
    expect(await run(r, ['EXEC'])).toEqual(['-ERR EXEC without MULTI\r\n']);
    expect(await run(r, ['DISCARD'])).toEqual(['-ERR DISCARD without MULTI\r\n']);
    expect(await run(r, ['MULTI'], ['SET', 'd:k', 'v'], ['DISCARD'], ['GET', 'd:k'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '+OK\r\n', '$-1\r\n']);
    // a nested MULTI is refused but does not spoil the transaction
    expect(await run(r, ['MULTI'], ['MULTI'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '-ERR MULTI calls can not be nested\r\n', '+QUEUED\r\n', '*1\r\n+PONG\r\n']);
    expect(await run(r, ['MULTI'], ['WATCH', 'd:k'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '-ERR WATCH inside MULTI is not allowed\r\n', '+QUEUED\r\n', '*1\r\n+PONG\r\n']);
  });

  it('queue-time errors abort with EXECABORT; run-time errors are reported per command', async () => {
    const r = await raw();
    const unknown = await run(r, ['MULTI'], ['SET', 'e:a', '1'], ['NOSUCHCMD', 'x'], ['EXEC'], ['GET', 'e:a']);
    expect(unknown[2]).toBe("-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n");
    expect(unknown[3]).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(unknown[4]).toBe('$-1\r\n');
    const arity = await run(r, ['MULTI'], ['SET', 'e:a', '1'], ['GET'], ['EXEC'], ['GET', 'e:a']);
    expect(arity[2]).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(arity[3]).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
    expect(arity[4]).toBe('$-1\r\n');
    // the client left MULTI after the abort
    expect(await run(r, ['PING'])).toEqual(['+PONG\r\n']);
    // a refused EXEC itself aborts and ends the transaction
    expect(await run(r, ['MULTI'], ['SET', 'e:a', '1'], ['EXEC', 'extra'], ['DISCARD'], ['GET', 'e:a'])).toEqual([
      '+OK\r\n', '+QUEUED\r\n', "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n",
      '-ERR DISCARD without MULTI\r\n', '$-1\r\n',
    ]);
    expect(await run(r, ['MULTI'], ['SET', 'e:s', 'abc'], ['INCR', 'e:s'], ['SETRANGE', 'e:s', '-1', 'x'], ['HSET', 'e:s', 'f', 'v'], ['SET', 'e:t', '1'], ['EXEC'])).toEqual([
      '+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n',
      '*5\r\n+OK\r\n-ERR value is not an integer or out of range\r\n-ERR offset is out of range\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+OK\r\n',
    ]);
    // cross-shard commands (split and shipped) inside a transaction
    expect(await run(r, ['MULTI'], ['MSET', 'e:m1', 'abc', 'e:m2', 'abd'], ['MSETNX', 'e:m3', '1', 'e:m1', 'z'], ['LCS', 'e:m1', 'e:m2'], ['MSETNX', 'e:m3', '1', 'e:m4', '2'], ['MGET', 'e:m1', 'e:m4', 'e:t'], ['EXEC'])).toEqual([
      '+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n',
      '*5\r\n+OK\r\n:0\r\n$2\r\nab\r\n:1\r\n*3\r\n$3\r\nabc\r\n$1\r\n2\r\n$1\r\n1\r\n',
    ]);
  });

  it('WATCH: EXEC aborts with a null array when another client writes a watched key', async () => {
    const r = await raw();
    const other = io();
    await run(r, ['SET', 'w:x', '30']);
    expect(await run(r, ['WATCH', 'w:x'])).toEqual(['+OK\r\n']);
    await other.set('w:x', '40');
    expect(await run(r, ['MULTI'], ['SET', 'w:x', 'mine'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*-1\r\n']);
    expect(await other.get('w:x')).toBe('40');
    // after a failed EXEC the key is no longer watched
    await other.set('w:x', '50');
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*1\r\n+PONG\r\n']);
    // not modified: runs
    expect(await run(r, ['WATCH', 'w:x', 'w:y'], ['MULTI'], ['SET', 'w:y', '1'], ['EXEC'])).toEqual(['+OK\r\n', '+OK\r\n', '+QUEUED\r\n', '*1\r\n+OK\r\n']);
    // RESP3 null
    await run(r, ['HELLO', '3']);
    await run(r, ['WATCH', 'w:x']);
    await other.getdel('w:x');
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '_\r\n']);
  });

  it('WATCH: SMOVE of a member the destination already has does not touch the destination', async () => {
    const r = await raw();
    const other = io();
    await other.sadd('{sm}src', 'a', 'b');
    await other.sadd('{sm}dst', 'a');
    expect(await run(r, ['WATCH', '{sm}dst'], ['MULTI'], ['SADD', '{sm}dst', 'c'])).toEqual(['+OK\r\n', '+OK\r\n', '+QUEUED\r\n']);
    expect(await other.smove('{sm}src', '{sm}dst', 'a')).toBe(1); // removed from src; dst unchanged
    expect(await run(r, ['EXEC'])).toEqual(['*1\r\n:1\r\n']);
    expect(await other.scard('{sm}dst')).toBe(2);
    // a member the destination lacks does touch it
    expect(await run(r, ['WATCH', '{sm}dst'], ['MULTI'], ['SADD', '{sm}dst', 'd'])).toEqual(['+OK\r\n', '+OK\r\n', '+QUEUED\r\n']);
    expect(await other.smove('{sm}src', '{sm}dst', 'b')).toBe(1);
    expect(await run(r, ['EXEC'])).toEqual(['*-1\r\n']);
  });

  it('EXEC re-checks the server state for the queued commands: NOREPLICAS, MASTERDOWN, READONLY', async () => {
    const r = await raw();
    const other = io();
    await other.set('xs', '1');
    // writes queued, then min-replicas-to-write raised: EXEC is refused and runs nothing
    expect(await run(r, ['MULTI'], ['INCR', 'xs'])).toEqual(['+OK\r\n', '+QUEUED\r\n']);
    await other.config('SET', 'min-replicas-to-write', '2');
    expect(await run(r, ['EXEC'])).toEqual(['-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.\r\n']);
    expect(await other.get('xs')).toBe('1');
    // a read-only transaction is not a write
    expect(await run(r, ['MULTI'], ['GET', 'xs'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*1\r\n$1\r\n1\r\n']);
    await other.config('SET', 'min-replicas-to-write', '0');
    // a read queued, then the server becomes a replica whose link is down with stale data refused
    await other.config('SET', 'replica-serve-stale-data', 'no');
    expect(await run(r, ['MULTI'], ['GET', 'xs'])).toEqual(['+OK\r\n', '+QUEUED\r\n']);
    await other.call('REPLICAOF', '127.0.0.1', '1');
    expect(await run(r, ['EXEC'])).toEqual(["-EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"]);
    await other.config('SET', 'replica-serve-stale-data', 'yes');
    // a write queued before the server became a read-only replica
    await other.call('REPLICAOF', 'NO', 'ONE');
    expect(await run(r, ['MULTI'], ['SET', 'xs', '2'])).toEqual(['+OK\r\n', '+QUEUED\r\n']);
    await other.call('REPLICAOF', '127.0.0.1', '1');
    expect(await run(r, ['EXEC'])).toEqual(["-EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.\r\n"]);
    await other.call('REPLICAOF', 'NO', 'ONE');
    expect(await other.get('xs')).toBe('1');
  });

  it('WATCH across shards: a write to any one of the watched keys aborts; UNWATCH and DISCARD forget them', async () => {
    const r = await raw();
    const other = io();
    const keys = spreadKeys(shards, 8, 'ws:'); // over every shard, asserted
    for (const k of keys) await other.set(k, '0');
    for (const victim of [keys[0]!, keys[5]!, keys[7]!]) {
      await run(r, ['WATCH', ...keys]);
      await other.incr(victim);
      expect(await run(r, ['MULTI'], ['SET', keys[1]!, 'T'], ['SET', keys[6]!, 'T'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*-1\r\n']);
    }
    expect(await other.get(keys[1]!)).toBe('0');
    await run(r, ['WATCH', ...keys]);
    await other.incr(keys[3]!);
    await run(r, ['UNWATCH']);
    expect(await run(r, ['MULTI'], ['SET', keys[1]!, 'T'], ['SET', keys[6]!, 'T'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n+OK\r\n+OK\r\n']);
    await run(r, ['WATCH', ...keys]);
    await other.incr(keys[4]!);
    await run(r, ['MULTI'], ['DISCARD']);
    expect(await run(r, ['MULTI'], ['INCR', keys[2]!], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*1\r\n:1\r\n']);
    // WATCH remembers the db of the key
    const db5 = io(5);
    await db5.set('ws:db', '1');
    await run(r, ['SELECT', '5'], ['WATCH', 'ws:db'], ['SELECT', '1']);
    await io(1).set('ws:db', '2');
    expect(await run(r, ['SELECT', '5'], ['MULTI'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '+OK\r\n', '+QUEUED\r\n', '*1\r\n+PONG\r\n']);
  });

  it('WATCH is touched by EXPIRE, by expiry (lazy and active), but not by stale keys being removed', async () => {
    const r = await raw();
    const other = io();
    await other.set('we:a', 'foo');
    await run(r, ['WATCH', 'we:a']);
    await other.getex('we:a', 'EX', 100);
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*-1\r\n']);
    // expires between WATCH and EXEC (nobody touches it: EXEC finds it expired)
    const expiresBy = await watchBeforeExpiry(r, other, 'we:b');
    await sleep(expiresBy - Date.now());
    expect(await run(r, ['MULTI'], ['INCR', 'we:b'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*-1\r\n']);
    // removed by the active expiry cycle (DBSIZE counts stored keys: only active expiry lowers it)
    const db7 = io(7);
    await run(r, ['SELECT', '7']);
    await watchBeforeExpiry(r, db7, 'we:c');
    await waitFor(async () => (await db7.dbsize()) === 0, 'we:c actively expired');
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'], ['SELECT', '0'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*-1\r\n', '+OK\r\n']);
    // already expired when watched: its removal is no change
    await other.set('we:d', '1', 'PX', 1);
    await sleep(5);
    await run(r, ['WATCH', 'we:d']);
    expect(await other.get('we:d')).toBe(null);
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(['+OK\r\n', '+QUEUED\r\n', '*1\r\n+PONG\r\n']);
  });

  it('FLUSHALL / FLUSHDB / SWAPDB touch watched keys that exist, not the others', async () => {
    const r = await raw();
    const other = io();
    const abort = ['+OK\r\n', '+QUEUED\r\n', '*-1\r\n'];
    const pass = ['+OK\r\n', '+QUEUED\r\n', '*1\r\n+PONG\r\n'];
    for (const flush of [['FLUSHALL'], ['FLUSHDB'], ['FLUSHALL', 'ASYNC'], ['FLUSHDB', 'SYNC']]) {
      await other.set('wf:x', '30');
      await run(r, ['WATCH', 'wf:x']);
      await other.call(flush[0]!, ...flush.slice(1));
      expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(abort);
      await run(r, ['WATCH', 'wf:x']);
      await other.call(flush[0]!, ...flush.slice(1));
      expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(pass);
    }
    // SWAPDB: a watched key that exists is swapped away; one that does not is swapped in
    await other.flushall();
    await other.set('wf:s', '30');
    await run(r, ['WATCH', 'wf:s']);
    await other.swapdb(0, 1);
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(abort);
    await other.flushall();
    await io(1).set('wf:s', '30');
    await run(r, ['WATCH', 'wf:s']);
    await other.swapdb(0, 1);
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(abort);
    await other.flushall();
    await run(r, ['WATCH', 'wf:s']);
    await other.swapdb(0, 1);
    expect(await run(r, ['MULTI'], ['PING'], ['EXEC'])).toEqual(pass);
  });

  it('main-thread commands inside MULTI run in order (SELECT, CONFIG, PUBLISH, CLIENT KILL, as sentinel sends)', async () => {
    const r = await raw();
    // a raw subscriber: ioredis would reconnect and subscribe again after the kill
    const sub = await raw();
    expect(await run(sub, ['SUBSCRIBE', 'mt:chan'])).toEqual(['*3\r\n$9\r\nsubscribe\r\n$7\r\nmt:chan\r\n:1\r\n']);
    const normal = await raw();
    await run(normal, ['CLIENT', 'SETNAME', 'victim']);
    const replies = await run(
      r,
      ['CLIENT', 'SETNAME', 'txn'],
      ['MULTI'],
      ['SELECT', '3'],
      ['SET', 'mt:k', 'in3'],
      ['CONFIG', 'GET', 'maxclients'],
      ['PUBLISH', 'mt:chan', 'hello'],
      ['CLIENT', 'KILL', 'TYPE', 'pubsub'],
      ['SELECT', '0'],
      ['GET', 'mt:k'],
      ['PING'],
      ['EXEC'],
    );
    expect(replies.slice(1, 10)).toEqual(['+OK\r\n', ...Array<string>(8).fill('+QUEUED\r\n')]);
    expect(replies[10]).toBe('*8\r\n+OK\r\n+OK\r\n*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n:1\r\n:1\r\n+OK\r\n$-1\r\n+PONG\r\n');
    expect(await io(3).get('mt:k')).toBe('in3');
    await waitFor(async () => !((await io().call('CLIENT', 'LIST')) as string).includes('sub=1'), 'subscriber killed');
    expect(((await io().call('CLIENT', 'LIST')) as string)).toContain('name=victim');
  });

  it('the transaction redis-sentinel sends at failover: CONFIG REWRITE and CLIENT KILL TYPE normal inside EXEC', async () => {
    const r = await raw();
    const victim = await raw();
    await run(victim, ['CLIENT', 'SETNAME', 'victim2']);
    const replies = await run(r, ['MULTI'], ['CONFIG', 'REWRITE'], ['CLIENT', 'KILL', 'TYPE', 'normal'], ['CLIENT', 'KILL', 'TYPE', 'pubsub'], ['EXEC']);
    expect(replies.slice(0, 4)).toEqual(['+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '+QUEUED\r\n']);
    // CONFIG REWRITE fails without a config file; the kills still run; the caller itself survives
    // (an ioredis subscriber of an earlier test may have reconnected: the pubsub count varies)
    expect(replies[4]).toMatch(/^\*3\r\n-ERR [^\r]*\r\n:[1-9][0-9]*\r\n:[0-9]+\r\n$/);
    expect(await victim.readUntilClose()).toBe('');
    expect(await run(r, ['PING'])).toEqual(['+PONG\r\n']);
  });

  it('ioredis and node-redis transactions, WATCH with node-redis', async () => {
    const c = io();
    const res = await c.multi().set('cl:a', '1').incr('cl:a').get('cl:a').exec();
    expect(res).toEqual([[null, 'OK'], [null, 2], [null, '2']]);
    const nr = createClient({ socket: { port: s.srv.port } });
    await nr.connect();
    const nr2 = createClient({ socket: { port: s.srv.port } });
    await nr2.connect();
    try {
      expect(await nr.multi().set('cl:b', 'x').append('cl:b', 'y').get('cl:b').exec()).toEqual(['OK', 2, 'xy']);
      const iso = nr.duplicate();
      await iso.connect();
      await iso.watch('cl:b');
      await nr2.set('cl:b', 'changed');
      await expect(iso.multi().set('cl:b', 'mine').exec()).rejects.toThrow();
      expect(await nr2.get('cl:b')).toBe('changed');
      await iso.disconnect();
    } finally {
      await nr.disconnect();
      await nr2.disconnect();
    }
  });
});

describe('cross-shard transactions are all-or-nothing for every observer', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 4 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('concurrent readers never see a half-applied MULTI/EXEC', async () => {
    const keys = spreadKeys(4, 8, 'atom:');
    const writer = new Redis({ port: srv.port });
    const readers = [new Redis({ port: srv.port }), new Redis({ port: srv.port })];
    const counter = new Redis({ port: srv.port });
    try {
      // the keys are spread over every shard (asserted by spreadKeys)
      await writer.mset(...keys.flatMap((k) => [k, '0']));
      let stop = false;
      let torn = 0;
      let reads = 0;
      const readLoops = readers.map(async (rd, n) => {
        while (!stop) {
          let vals: (string | null)[];
          if (n === 0) {
            vals = await rd.mget(...keys);
          } else {
            const res = (await rd.multi(keys.map((k) => ['get', k]))).exec();
            vals = (await res)!.map(([, v]) => v as string | null);
          }
          reads++;
          if (new Set(vals).size !== 1) torn++;
        }
      });
      // another client increments a counter on every shard at the same time (interleaving pressure)
      const noise = (async () => {
        for (let i = 0; i < 300 && !stop; i++) await counter.incr(keys[i % keys.length]!.replace('atom', 'noise'));
      })();
      // 200 transactions, and more until the readers have read 20 times (however the machine schedules them)
      let i = 0;
      while (i < 200 || reads <= 20) {
        i++;
        // single-shard commands and a cross-shard MSET in between (steps that cannot go out at once)
        const m = writer.multi();
        m.set(keys[0]!, String(i));
        m.mset(...keys.slice(1, 5).flatMap((k) => [k, String(i)]));
        for (const k of keys.slice(5)) m.set(k, String(i));
        const res = await m.exec();
        expect(res!.every(([e, v]) => e === null && v === 'OK')).toBe(true);
      }
      stop = true;
      await Promise.all([...readLoops, noise]);
      expect(reads).toBeGreaterThan(20);
      expect(torn).toBe(0);
      expect(new Set(await writer.mget(...keys))).toEqual(new Set([String(i)]));
    } finally {
      writer.disconnect();
      counter.disconnect();
      for (const r of readers) r.disconnect();
    }
  });

  it('WATCH + cross-shard EXEC: optimistic increments from many clients lose no update', async () => {
    const N = 6;
    const ROUNDS = 15;
    const cs = Array.from({ length: N }, () => new Redis({ port: srv.port }));
    try {
      await cs[0]!.mset('cas:a', '0', 'cas:b', '0', 'cas:c', '0');
      await Promise.all(
        cs.map(async (c) => {
          for (let done = 0; done < ROUNDS; ) {
            await c.watch('cas:a', 'cas:b', 'cas:c');
            const [a] = await c.mget('cas:a');
            const res = await c.multi().set('cas:a', String(Number(a) + 1)).incr('cas:b').incr('cas:c').exec();
            if (res !== null) done++;
          }
        }),
      );
      expect(await cs[0]!.mget('cas:a', 'cas:b', 'cas:c')).toEqual([String(N * ROUNDS), String(N * ROUNDS), String(N * ROUNDS)]);
    } finally {
      for (const c of cs) c.disconnect();
    }
  });
});
