/*
 * The command line and config file in redis-server syntax, startup/ready log lines, clean shutdown on
 * SIGTERM and SHUTDOWN (exit 0), CONFIG REWRITE, and a dying shard being fatal.
 */

import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CEILING_MS, MAIN, freePort, startShardis, waitFor } from './helpers/server.js';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { RawClient } from './helpers/raw.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-cfg-'));
}

describe('command line and config file', () => {
  it('logs a startup line with version, port, shards, pid and a ready line', async () => {
    const s = await startShardis({ shards: 2 });
    const out = s.output();
    expect(out).toMatch(/"version":"\d+\.\d+\.\d+"/);
    expect(out).toMatch(/"shards":2/);
    expect(out).toMatch(new RegExp(`"pid":${s.proc.pid}`));
    expect(out).toMatch(/Ready to accept connections tcp/);
    expect(await s.stop()).toBe(0);
  });

  it('loglevel is honoured: warning hides notice lines and keeps warnings', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, '--port', String(port), '--shards', '1', '--save', '', '--loglevel', 'warning', '--client-query-buffer-limit', '1mb'], { cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const c = new Redis({ port, retryStrategy: () => 50, maxRetriesPerRequest: 50 });
    c.on('error', () => {}); // refused until the server listens
    await waitFor(async () => (await c.ping()) === 'PONG', 'server up');
    // a client over the query buffer limit is closed with a warning
    const r = await RawClient.connect(port);
    r.write(`*2\r\n$3\r\nGET\r\n$${2 * 1024 * 1024}\r\n` + 'x'.repeat(1024 * 1024 + 10));
    await r.readUntilClose();
    await waitFor(() => out.includes('max query buffer'), 'warning logged');
    c.disconnect();
    proc.kill('SIGTERM');
    await new Promise((res) => proc.once('exit', res));
    expect(out).not.toContain('Ready to accept connections');
    expect(out).toContain('"level":40');
  });

  it('an unknown option is a clear startup error with a non-zero exit', () => {
    const r = spawnSync(process.execPath, [MAIN, '--port', '0', '--no-such-option', 'x'], { encoding: 'utf8', timeout: CEILING_MS });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('FATAL CONFIG FILE ERROR');
    expect(r.stderr + r.stdout).toContain("Bad directive or wrong number of arguments");
    expect(r.stderr + r.stdout).toContain('no-such-option');
  });

  it('a bad value is refused at startup', () => {
    const r = spawnSync(process.execPath, [MAIN, '--port', '0', '--maxclients', 'lots'], { encoding: 'utf8', timeout: CEILING_MS });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('FATAL CONFIG FILE ERROR');
  });

  it('reads a redis.conf-style file (quotes, comments, units, include) and CLI overrides it', async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'inc.conf'), 'maxclients 123\n');
    const conf = path.join(dir, 'main.conf');
    fs.writeFileSync(
      conf,
      [
        '# a comment',
        '   ',
        'databases 4',
        'proto-max-bulk-len 2mb',
        'client-query-buffer-limit 1gb',
        'requirepass "pass word"',
        `include ${path.join(dir, 'inc.conf')}`,
        'timeout 0',
        '',
      ].join('\n'),
    );
    const s = await startShardis({ args: [conf, '--databases', '8'] });
    try {
      const c = new Redis({ port: s.port, password: 'pass word' });
      expect(await c.config('GET', 'databases')).toEqual(['databases', '8']);
      expect(await c.config('GET', 'proto-max-bulk-len')).toEqual(['proto-max-bulk-len', String(2 * 1024 * 1024)]);
      expect(await c.config('GET', 'client-query-buffer-limit')).toEqual(['client-query-buffer-limit', String(1024 * 1024 * 1024)]);
      expect(await c.config('GET', 'maxclients')).toEqual(['maxclients', '123']);
      await expect(c.select(8)).rejects.toThrow('ERR DB index is out of range');
      expect(await c.select(7)).toBe('OK');
      // CONFIG REWRITE keeps comments and writes changed values back
      expect(await c.config('SET', 'maxmemory', '10mb')).toBe('OK');
      expect(await c.config('REWRITE')).toBe('OK');
      const text = fs.readFileSync(conf, 'utf8');
      expect(text).toContain('# a comment');
      expect(text).toMatch(/^maxmemory 10mb$/m);
      c.disconnect();
    } finally {
      await s.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CONFIG REWRITE without a config file fails as Redis does', async () => {
    const s = await startShardis();
    const c = new Redis({ port: s.port });
    await expect(c.config('REWRITE')).rejects.toThrow('ERR The server is running without a config file');
    c.disconnect();
    await s.stop();
  });
});

describe('shutdown', () => {
  it('SIGTERM finishes in-flight replies and exits 0', async () => {
    const s = await startShardis({ shards: 2 });
    const c = new Redis({ port: s.port, retryStrategy: () => null });
    const pending = Array.from({ length: 200 }, (_, i) => c.set(`k${i}`, 'v'));
    await Promise.all(pending);
    expect(await s.stop()).toBe(0);
    expect(s.output()).toContain('ready to exit');
    c.disconnect();
  });

  it('SHUTDOWN exits 0 and the client sees the connection close', async () => {
    const s = await startShardis({ shards: 2 });
    const c = new Redis({ port: s.port, retryStrategy: () => null });
    await c.set('a', '1');
    await c.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    expect(await s.exited).toBe(0);
    c.disconnect();
  });

  it('a shard that dies is fatal: the server exits non-zero and logs why', async () => {
    const s = await startShardis({ shards: 2, args: ['--enable-debug-command', 'yes'] });
    const c = new Redis({ port: s.port, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    await c.set('a', '1');
    void c.call('DEBUG', 'SEGFAULT').catch(() => undefined);
    const code = await s.exited;
    expect(code).not.toBe(0);
    expect(s.output()).toMatch(/shard \d died/);
    c.disconnect();
  });
});

describe('optimize-for-size', () => {
  /** Pipelines `n` SETs over one socket and resolves when every +OK is back. */
  async function load(port: number, n: number): Promise<void> {
    const value = 'v'.repeat(32);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const k = `key:${String(i).padStart(10, '0')}`;
      parts.push(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$32\r\n${value}\r\n`);
    }
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        seen += d.length;
        if (seen >= n * 5) resolve(); // "+OK\r\n" each
      });
      sock.write(parts.join(''));
    });
    sock.destroy();
  }

  async function rssGrowth(args: string[]): Promise<{ growth: number; config: unknown; setErr: string }> {
    const s = await startShardis({ shards: 1, args });
    const c = new Redis({ port: s.port });
    try {
      const rss = async (): Promise<number> => Number(/used_memory_rss:(\d+)/.exec(await c.info('memory'))![1]);
      // after each thread's idle collection that follows its start (idle-gc.ts: 250 ms without a
      // request; it shrinks the young generation its modules loading grew), not racing it
      await new Promise((r) => setTimeout(r, 2000));
      const before = await rss();
      await load(s.port, 200_000);
      expect(await c.dbsize()).toBe(200_000);
      const growth = (await rss()) - before;
      const config = await c.config('GET', 'optimize-for-size');
      const setErr = await c.config('SET', 'optimize-for-size', 'no').then(String, (e: Error) => e.message);
      return { growth, config, setErr };
    } finally {
      c.disconnect();
      await s.stop();
    }
  }

  it('yes gives the shards V8 --optimize-for-size: less memory for many small keys; immutable', async () => {
    // on the heap store, where the keys are V8 strings (the byte store keeps them outside the heap)
    const plain = await rssGrowth(['--keyspace-store', 'heap']);
    const small = await rssGrowth(['--keyspace-store', 'heap', '--optimize-for-size', 'yes']);
    expect(plain.config).toEqual(['optimize-for-size', 'no']);
    expect(small.config).toEqual(['optimize-for-size', 'yes']);
    expect(small.setErr).toBe("ERR CONFIG SET failed (possibly related to argument 'optimize-for-size') - can't set immutable config");
    // measured here: ~100-120 MB without, ~50 MB with, for 200k keys with 32-byte values; since
    // every isolate keeps its first young generation (young-gen.ts), which was most of what the flag
    // saved, 48.8 MB without and 41.9 MB with
    expect(small.growth).toBeLessThan(plain.growth * 0.95);
  });
});
