/*
 * Interop with the Debian tools: redis-cli round trips (including --pipe mass insertion and RESP3),
 * and redis-benchmark's default test set with no errors against 1 and 4 shards. Required in CI.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { spawnSync } from 'node:child_process';
import { CEILING_MS, haveBinaries } from './helpers/server.js';

const HAVE = haveBinaries('redis-cli', 'redis-benchmark');

function cli(port: number, args: string[], input?: string): { out: string; code: number | null } {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', input, timeout: CEILING_MS });
  return { out: r.stdout + r.stderr, code: r.status };
}

// skipped only outside CI when the Debian binaries are absent (haveBinaries warns loudly; with CI=true it throws)
describe.skipIf(!HAVE).each([1, 4])('redis-cli and redis-benchmark with %i shard(s)', (shards) => {
  const s = useServers({ shards });

  it('redis-cli round trips', () => {
    expect(cli(s.srv.port, ['PING']).out).toBe('PONG\n');
    expect(cli(s.srv.port, ['SET', 'msg', 'hello world']).out).toBe('OK\n');
    expect(cli(s.srv.port, ['GET', 'msg']).out).toBe('hello world\n');
    expect(cli(s.srv.port, ['INCR', 'counter']).out).toBe('1\n');
    expect(cli(s.srv.port, ['INCR', 'counter']).out).toBe('2\n');
    expect(cli(s.srv.port, ['MGET', 'msg', 'counter', 'none']).out).toBe('hello world\n2\n\n');
    expect(cli(s.srv.port, ['NOSUCH']).out).toContain("ERR unknown command 'NOSUCH'");
    expect(cli(s.srv.port, ['-3', 'HELLO', '3']).out).toContain('proto 3');
    // interactive-style input on stdin
    expect(cli(s.srv.port, [], 'SET a 1\nGET a\n').out).toBe('OK\n1\n');
  });

  it('redis-cli --pipe mass insertion', () => {
    let data = '';
    for (let i = 0; i < 5000; i++) data += `*3\r\n$3\r\nSET\r\n$${`pk:${i}`.length}\r\npk:${i}\r\n$${String(i).length}\r\n${i}\r\n`;
    const r = cli(s.srv.port, ['--pipe'], data);
    expect(r.out).toContain('errors: 0, replies: 5000');
    expect(cli(s.srv.port, ['GET', 'pk:4999']).out).toBe('4999\n');
  });

  it('redis-benchmark default test set runs with no errors', () => {
    const r = spawnSync('redis-benchmark', ['-p', String(s.srv.port), '-q', '-n', '2000', '-c', '20'], { encoding: 'utf8', timeout: CEILING_MS });
    const out = (r.stdout + r.stderr).replace(/\r[^\n]*\r/g, '\n');
    expect(r.status).toBe(0);
    expect(out).not.toMatch(/ERR|error|Error/);
    for (const t of ['PING_INLINE', 'PING_MBULK', 'SET', 'GET', 'INCR', 'LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'LRANGE_100', 'LRANGE_600', 'MSET']) {
      expect(out, t).toMatch(new RegExp(`${t}[^:]*: [\\d.]+ requests per second`));
    }
  });

  it('redis-benchmark with pipelines of 16', () => {
    const r = spawnSync('redis-benchmark', ['-p', String(s.srv.port), '-q', '-n', '20000', '-P', '16', '-t', 'set,get,incr,mset', '-r', '1000'], { encoding: 'utf8', timeout: CEILING_MS });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/ERR|error/);
    expect(cli(s.srv.port, ['DBSIZE']).out).not.toBe('0\n');
  });
});
