/*
 * A seeded random mix of multi-key commands (most of them across shards, many with bad arguments)
 * from several clients at once, on a master with a replica: every request is answered, no error
 * reply carries a JavaScript exception's text, and the replica ends equal to the master.
 * Bounded (a fixed number of requests); no timing assertions beyond generous ceilings.
 */

import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import Redis from 'ioredis';
import { startShardis, type Proc } from './helpers/server.js';
import { contents, waitInSync } from './helpers/replication.js';

const procs: Proc[] = [];
const clients: Redis[] = [];

afterAll(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

const KEYS = ['{a}1', '{b}1', '{c}1', '{a}2', '{b}2', '{d}x', '{e}y', 'k'];
const WORDS = ['0', '1', '-1', '2', '3', '10', '-5', 'x', '', 'LEFT', 'RIGHT', 'WEIGHTS', 'AGGREGATE', 'SUM', 'MIN', 'MAX', 'LIMIT', 'COUNT', 'WITHSCORES', 'REPLACE', 'DB', '1.5', 'inf', '-inf', '99999999999', '-2147483648', 'BYSCORE', 'REV', 'STORE', 'NX', 'XX', 'GT', 'PX', '100', 'KEEPTTL', 'IDX', 'LEN', 'MINMATCHLEN', 'WITHMATCHLEN', 'MATCH', '*', 'TYPE', 'string'];
// no blocking commands (a 0 timeout blocks for good) and no MULTI (a marker PING would be queued)
const COMMANDS = ['MSET', 'MSETNX', 'MGET', 'DEL', 'UNLINK', 'EXISTS', 'TOUCH', 'RENAME', 'RENAMENX', 'SUNIONSTORE', 'SINTERSTORE', 'SDIFFSTORE', 'SUNION', 'SINTER', 'SDIFF', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'ZUNION', 'ZINTER', 'ZDIFF', 'LMOVE', 'RPOPLPUSH', 'SMOVE', 'COPY', 'LMPOP', 'ZMPOP', 'SINTERCARD', 'ZINTERCARD', 'ZRANGESTORE', 'LCS', 'SADD', 'ZADD', 'RPUSH', 'SET', 'HSET', 'HRANDFIELD', 'SRANDMEMBER', 'ZRANDMEMBER', 'LRANGE', 'INCR', 'APPEND', 'GETRANGE', 'SETRANGE', 'OBJECT', 'EXPIRE', 'WATCH', 'EXEC', 'DISCARD', 'SCAN', 'KEYS', 'TYPE'];
/** Words of exception messages that must never reach a client. */
const JS_TEXT = /Cannot read|undefined|is not a function|is not defined|RangeError|TypeError|internal error|\[object/;

function generator(seed: number): () => string[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  return () => {
    const argv = [pick(COMMANDS)];
    const n = Math.floor(rnd() * 7);
    for (let i = 0; i < n; i++) argv.push(rnd() < 0.5 ? pick(KEYS) : pick(WORDS));
    return argv;
  };
}

function encode(argv: string[]): string {
  let o = `*${argv.length}\r\n`;
  for (const a of argv) o += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return o;
}

/** Send `count` generated requests, a marker PING every 50; returns the error lines that look like JS. */
async function fuzzClient(port: number, id: number, count: number): Promise<string[]> {
  const gen = generator(1000 + id);
  const s = net.connect(port, '127.0.0.1');
  let buf = '';
  const leaks: string[] = [];
  s.on('data', (d: Buffer) => (buf += d.toString('latin1')));
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  try {
    for (let i = 0; i < count; i++) {
      s.write(encode(gen()));
      if (i % 50 !== 49 && i !== count - 1) continue;
      const mark = `mark-${id}-${i}`;
      s.write(encode(['PING', mark]));
      const deadline = Date.now() + 60_000;
      while (!buf.includes(mark)) {
        if (Date.now() > deadline) throw new Error(`client ${id}: no reply after request ${i}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      for (const line of buf.split('\r\n')) if (line.startsWith('-') && JS_TEXT.test(line)) leaks.push(line);
      buf = '';
    }
  } finally {
    s.destroy();
  }
  return leaks;
}

describe('multi-key commands under a seeded random mix', () => {
  it('a seeded random mix of cross-shard commands from four clients on a master with a replica is answered in full, leaks no exception text and leaves the replica equal', async () => {
    const m = await startShardis({ args: ['--repl-diskless-sync-delay', '0'], shards: 3 });
    procs.push(m);
    const r = await startShardis({ args: ['--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(m.port)], shards: 2 });
    procs.push(r);
    const mc = new Redis({ port: m.port });
    const rc = new Redis({ port: r.port });
    clients.push(mc, rc);
    await waitInSync(mc, rc);
    const leaks = (await Promise.all([1, 2, 3, 4].map((id) => fuzzClient(m.port, id, 2500)))).flat();
    expect(leaks).toEqual([]);
    await waitInSync(mc, rc);
    expect([...(await contents(rc))].sort()).toEqual([...(await contents(mc))].sort());
  }, 300_000);
});
