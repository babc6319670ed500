/*
 * Reliability of replies: a multi-key command's bad arguments across shards get redis-server's error
 * and touch no shard (golden replies recorded from redis-server 7.0.15, re-checked against it when
 * installed); MSET with an odd argument count keeps master and replica equal; a reply too large to
 * build (HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a huge negative count, a reply past the normal
 * client-output-buffer-limit) fails its command at once while the shard's other clients are served.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import { expectDistinctShards } from './helpers/shards.js';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { contents, waitInSync } from './helpers/replication.js';

const { procs, client } = useProcesses();
const raws: RawClient[] = [];

afterAll(() => {
  for (const r of raws.splice(0)) r.close();
});

async function shardis(args: string[] = [], shards = 2): Promise<Proc> {
  const p = await startShardis({ args: ['--repl-diskless-sync-delay', '0', ...args], shards });
  procs.push(p);
  return p;
}

async function raw(port: number): Promise<RawClient> {
  const r = await RawClient.connect(port);
  raws.push(r);
  return r;
}

async function call(r: RawClient, ...args: string[]): Promise<string> {
  r.send(...args);
  return r.readRaw(30_000);
}

/** Keys on both shards of a 2-shard server ({a} and {b} hash to different shards, asserted). */
expectDistinctShards(['{a}', '{b}'], 2);
const SETUP = [
  ['SET', '{a}s', 'x'],
  ['SET', '{b}s', 'y'],
  ['RPUSH', '{a}l', '1', '2'],
  ['RPUSH', '{b}l', '3'],
  ['SADD', '{a}set', '1', '2'],
  ['SADD', '{b}set', '2', '3'],
  ['ZADD', '{a}z', '1', 'a', '2', 'b'],
  ['ZADD', '{b}z', '3', 'b', '4', 'c'],
  ['HSET', '{a}h', 'f', 'v'],
];

/** Cross-shard commands with bad arguments and redis-server 7.0.15's reply to each (after SETUP). */
const BAD_ARGUMENTS: [string, string][] = [
  ["MSET {a}k v {b}k", "-ERR wrong number of arguments for 'mset' command"],
  ["MSET {a}k v {b}k v {a}j", "-ERR wrong number of arguments for 'mset' command"],
  ["MSETNX {a}k v {b}k", "-ERR wrong number of arguments for 'msetnx' command"],
  ["MSETNX {a}k v {b}k v {a}j", "-ERR wrong number of arguments for 'msetnx' command"],
  ["RENAME {a}nokey {b}k", "-ERR no such key"],
  ["RENAMENX {a}nokey {b}k", "-ERR no such key"],
  ["SUNIONSTORE {a}d {a}set {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["SINTERSTORE {a}d {a}set {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["SDIFFSTORE {a}d {a}set {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["SUNIONSTORE {a}d {a}s {b}set", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["ZUNIONSTORE {a}d 2 {a}z {b}z WEIGHTS 1", "-ERR syntax error"],
  ["ZUNIONSTORE {a}d 2 {a}z {b}z WEIGHTS 1 x", "-ERR weight value is not a float"],
  ["ZUNIONSTORE {a}d 2 {a}z {b}z AGGREGATE foo", "-ERR syntax error"],
  ["ZUNIONSTORE {a}d 2 {a}z {b}z AGGREGATE", "-ERR syntax error"],
  ["ZUNIONSTORE {a}d 0 {a}z {b}z", "-ERR at least 1 input key is needed for 'zunionstore' command"],
  ["ZUNIONSTORE {a}d 3 {a}z {b}z", "-ERR syntax error"],
  ["ZUNIONSTORE {a}d -1 {a}z {b}z", "-ERR at least 1 input key is needed for 'zunionstore' command"],
  ["ZUNIONSTORE {a}d x {a}z {b}z", "-ERR value is not an integer or out of range"],
  ["ZUNIONSTORE {a}d 2 {a}z {b}z WITHSCORES", "-ERR syntax error"],
  ["ZINTERSTORE {a}d 2 {a}z {b}z WEIGHTS 1 2 3", "-ERR syntax error"],
  ["ZINTERSTORE {a}d 2 {a}z {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["ZDIFFSTORE {a}d 2 {a}z {b}z WEIGHTS 1 2", "-ERR syntax error"],
  ["ZDIFFSTORE {a}d 3 {a}z {b}z", "-ERR syntax error"],
  ["ZUNION 2 {a}z {b}z WEIGHTS 1", "-ERR syntax error"],
  ["ZUNION 2 {a}z {b}z BAD", "-ERR syntax error"],
  ["ZINTER 3 {a}z {b}z", "-ERR syntax error"],
  ["ZDIFF 2 {a}z {b}z WITHSCORES BAD", "-ERR syntax error"],
  ["ZINTERCARD 2 {a}z {b}z LIMIT -1", "-ERR LIMIT can't be negative"],
  ["ZINTERCARD 2 {a}z {b}z LIMIT x", "-ERR LIMIT can't be negative"],
  ["ZINTERCARD 0 {a}z {b}z", "-ERR at least 1 input key is needed for 'zintercard' command"],
  ["ZINTERCARD 3 {a}z {b}z", "-ERR syntax error"],
  ["ZINTERCARD 2 {a}z {b}z BAD 1", "-ERR syntax error"],
  ["SINTERCARD 2 {a}set {b}set LIMIT -1", "-ERR LIMIT can't be negative"],
  ["SINTERCARD 2 {a}set {b}set LIMIT", "-ERR syntax error"],
  ["SINTERCARD 0 {a}set {b}set", "-ERR numkeys should be greater than 0"],
  ["SINTERCARD 3 {a}set {b}set", "-ERR Number of keys can't be greater than number of args"],
  ["SINTERCARD x {a}set {b}set", "-ERR numkeys should be greater than 0"],
  ["LMOVE {a}l {b}l LEFT BAD", "-ERR syntax error"],
  ["LMOVE {a}l {b}l BAD LEFT", "-ERR syntax error"],
  ["LMOVE {a}s {b}l LEFT LEFT", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["LMOVE {a}l {b}s LEFT LEFT", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["BLMOVE {a}l {b}l LEFT RIGHT x", "-ERR timeout is not a float or out of range"],
  ["BLMOVE {a}l {b}l LEFT RIGHT -1", "-ERR timeout is negative"],
  ["BLMOVE {a}l {b}l BAD RIGHT 0", "-ERR syntax error"],
  ["RPOPLPUSH {a}l {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["BRPOPLPUSH {a}l {b}l x", "-ERR timeout is not a float or out of range"],
  ["SMOVE {a}set {b}s 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["SMOVE {a}s {b}set 1", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["COPY {a}s {b}k DB x", "-ERR value is not an integer or out of range"],
  ["COPY {a}s {b}k DB 99", "-ERR DB index is out of range"],
  ["COPY {a}s {b}k BAD", "-ERR syntax error"],
  ["COPY {a}s {b}k DB", "-ERR syntax error"],
  ["COPY {a}s {a}s", "-ERR source and destination objects are the same"],
  ["LMPOP 2 {a}l {b}l BAD", "-ERR syntax error"],
  ["LMPOP 0 {a}l {b}l LEFT", "-ERR numkeys should be greater than 0"],
  ["LMPOP 3 {a}l {b}l LEFT", "-ERR syntax error"],
  ["LMPOP x {a}l {b}l LEFT", "-ERR numkeys should be greater than 0"],
  ["LMPOP 2 {a}l {b}l LEFT COUNT 0", "-ERR count should be greater than 0"],
  ["LMPOP 2 {a}l {b}l LEFT COUNT x", "-ERR count should be greater than 0"],
  ["LMPOP 2 {a}l {b}l LEFT COUNT 1 COUNT 1", "-ERR syntax error"],
  ["LMPOP 2 {a}l {b}l LEFT COUNT", "-ERR syntax error"],
  ["BLMPOP x 2 {a}l {b}l LEFT", "-ERR timeout is not a float or out of range"],
  ["BLMPOP -1 2 {a}l {b}l LEFT", "-ERR timeout is negative"],
  ["BLMPOP 0 2 {a}l {b}l BAD", "-ERR syntax error"],
  ["BLMPOP 0 0 {a}l {b}l LEFT", "-ERR numkeys should be greater than 0"],
  ["ZMPOP 2 {a}z {b}z BAD", "-ERR syntax error"],
  ["ZMPOP 0 {a}z {b}z MIN", "-ERR numkeys should be greater than 0"],
  ["ZMPOP 3 {a}z {b}z MIN", "-ERR syntax error"],
  ["ZMPOP 2 {a}z {b}z MIN COUNT 0", "-ERR count should be greater than 0"],
  ["ZMPOP 2 {a}z {b}z MIN COUNT -1", "-ERR count should be greater than 0"],
  ["BZMPOP x 2 {a}z {b}z MIN", "-ERR timeout is not a float or out of range"],
  ["BZMPOP 0 2 {a}z {b}z BAD", "-ERR syntax error"],
  ["BLPOP {a}l {b}l x", "-ERR timeout is not a float or out of range"],
  ["BLPOP {a}l {b}l -1", "-ERR timeout is negative"],
  ["BZPOPMIN {a}z {b}z x", "-ERR timeout is not a float or out of range"],
  ["ZRANGESTORE {a}d {b}z 0 -1 BAD", "-ERR syntax error"],
  ["ZRANGESTORE {a}d {b}z 0 x", "-ERR value is not an integer or out of range"],
  ["ZRANGESTORE {a}d {b}z 0 -1 BYSCORE LIMIT 0", "-ERR syntax error"],
  ["ZRANGESTORE {a}d {b}s 0 -1", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["LCS {a}s {b}s BAD", "-ERR syntax error"],
  ["LCS {a}s {b}s MINMATCHLEN x", "-ERR value is not an integer or out of range"],
  ["LCS {a}l {b}s", "-ERR The specified keys must contain string values"],
  ["SUNION {a}set {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["SINTER {a}set {b}s", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["SDIFF {a}s {b}set", "-WRONGTYPE Operation against a key holding the wrong kind of value"],
  ["RENAME {a}s {b}s x", "-ERR wrong number of arguments for 'rename' command"],
];

async function runBadArguments(port: number): Promise<{ cmd: string; expected: string; actual: string }[]> {
  const r = await raw(port);
  await call(r, 'FLUSHALL');
  for (const c of SETUP) await call(r, ...c);
  const out: { cmd: string; expected: string; actual: string }[] = [];
  for (const [cmd, expected] of BAD_ARGUMENTS) {
    const actual = (await call(r, ...cmd.split(' '))).replace(/\r\n$/, '');
    if (actual !== expected) out.push({ cmd, expected, actual });
  }
  return out;
}

describe("multi-key commands' bad arguments across shards", () => {
  it('every cross-shard command with bad arguments answers redis-server 7.0 error and writes nothing', async () => {
    const p = await shardis();
    const mismatches = await runBadArguments(p.port);
    expect(mismatches.map((m) => `${m.cmd}\n   redis:   ${m.expected}\n   shardis: ${m.actual}`).join('\n')).toBe('');
    // the keyspace is exactly what SETUP made
    const c = client(p.port);
    const keys = await contents(c);
    const ref = await shardis();
    const rc = client(ref.port);
    for (const s of SETUP) await rc.call(s[0]!, ...s.slice(1));
    expect([...keys].sort()).toEqual([...(await contents(rc))].sort());
  });

  it.skipIf(!haveBinaries('redis-server'))('the recorded replies are still redis-server 7.0 replies', async () => {
    const ref = await startRedis();
    procs.push(ref);
    expect(await runBadArguments(ref.port)).toEqual([]);
  });

  it('MSET with an odd number of arguments across shards answers the arity error, writes nothing and the replica stays equal to the master', async () => {
    const m = await shardis();
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.port)]);
    const mc = client(m.port);
    const rc = client(r.port);
    await waitInSync(mc, rc);
    const raw1 = await raw(m.port);
    expect(await call(raw1, 'MSET', '{a}k', 'v', '{b}k')).toBe("-ERR wrong number of arguments for 'mset' command\r\n");
    expect(await mc.exists('{a}k', '{b}k')).toBe(0);
    // inside a transaction: the error is that command's element of EXEC's reply
    expect(await call(raw1, 'MULTI')).toBe('+OK\r\n');
    expect(await call(raw1, 'MSET', '{a}k', 'v', '{b}k')).toBe('+QUEUED\r\n');
    expect(await call(raw1, 'SET', '{a}t', '1')).toBe('+QUEUED\r\n');
    expect(await call(raw1, 'EXEC')).toBe("*2\r\n-ERR wrong number of arguments for 'mset' command\r\n+OK\r\n");
    await mc.mset('{a}k', '1', '{b}k', '2');
    await waitInSync(mc, rc);
    expect([...(await contents(rc))].sort()).toEqual([...(await contents(mc))].sort());
    expect(await rc.mget('{a}k', '{b}k', '{a}t')).toEqual(['1', '2', '1']);
  });
});

const TOO_LARGE = '-ERR reply too large: exceeds the size limit of one reply (the normal client-output-buffer-limit, or 512mb / proto-max-bulk-len)\r\n';

describe('replies too large to build', () => {
  it('HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a huge negative count fail at once with a reply-too-large error while the shard keeps serving other clients', async () => {
    const p = await shardis([], 1);
    const a = await raw(p.port);
    const b = await raw(p.port);
    await call(a, 'HSET', 'h', 'f', 'v');
    await call(a, 'SADD', 's', 'm');
    await call(a, 'ZADD', 'z', '1', 'm');
    await call(a, 'SET', 'other', 'still here');
    for (const cmd of [
      ['HRANDFIELD', 'h', '-1073741800', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-2147483648'],
      ['SRANDMEMBER', 's', '-2147483648'],
      ['ZRANDMEMBER', 'z', '-1073741800', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '-2147483648'],
    ]) {
      a.send(...cmd);
      b.send('GET', 'other');
      // the other client is answered, and the big one gets an error instead of a reply built for minutes
      expect(await b.readRaw(30_000)).toBe('$10\r\nstill here\r\n');
      expect(await a.readRaw(30_000), cmd.join(' ')).toBe(TOO_LARGE);
    }
    // small negative counts still answer
    expect(await call(a, 'HRANDFIELD', 'h', '-3')).toBe('*3\r\n$1\r\nf\r\n$1\r\nf\r\n$1\r\nf\r\n');
    expect(await call(a, 'SRANDMEMBER', 's', '-2')).toBe('*2\r\n$1\r\nm\r\n$1\r\nm\r\n');
  });

  it('a reply past the normal client-output-buffer-limit fails its command, keeps the data and the connection', async () => {
    const p = await shardis([], 1);
    const a = await raw(p.port);
    const items = Array.from({ length: 2000 }, (_, i) => `item-${i}`);
    expect(await call(a, 'RPUSH', 'l', ...items)).toBe(':2000\r\n');
    expect(await call(a, 'CONFIG', 'SET', 'client-output-buffer-limit', 'normal 8kb 0 0')).toBe('+OK\r\n');
    expect(await call(a, 'LRANGE', 'l', '0', '-1')).toBe(TOO_LARGE);
    expect(await call(a, 'HRANDFIELD', 'nokey', '-5000')).toBe('*0\r\n');
    expect(await call(a, 'LRANGE', 'l', '0', '1')).toBe('*2\r\n$6\r\nitem-0\r\n$6\r\nitem-1\r\n');
    expect(await call(a, 'CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0')).toBe('+OK\r\n');
    const all = await call(a, 'LRANGE', 'l', '0', '-1');
    expect(all.startsWith('*2000\r\n')).toBe(true);
    expect(await call(a, 'LLEN', 'l')).toBe(':2000\r\n');
  });
});

describe('file errors', () => {
  it('CONFIG REWRITE onto a path that became a directory answers strerror text as redis-server, not the exception message', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-rewrite-'));
    const conf = path.join(dir, 'shardis.conf');
    fs.writeFileSync(conf, 'hz 10\n');
    const p = await startShardis({ args: [conf], shards: 1 });
    procs.push(p);
    fs.rmSync(conf);
    fs.mkdirSync(conf);
    const r = await raw(p.port);
    // redis-server 7.0.15 answers exactly this in the same situation
    expect(await call(r, 'CONFIG', 'REWRITE')).toBe('-ERR Rewriting config file: Is a directory\r\n');
  });
});
