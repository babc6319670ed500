/*
 * Defaults chosen for memory (docs/benchmarks.md, issue 13): each shard's request and reply rings
 * are 1 MB by default (a record holds up to half a ring, so anything under 512 kB still goes as one
 * record; larger bodies go through shared memory or in parts), and `ring-size` still sets them.
 * Modules a fresh server does not run load on first use: piscina (the persistence pool).
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startShardis } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

/**
 * A preload (NODE_OPTIONS --require) that writes, every 50 ms, which of `packages` the server's main
 * thread has loaded (require.cache); returns the file it writes and a reader.
 */
function loadedPackagesProbe(packages: string[]): { env: NodeJS.ProcessEnv; loaded: () => Promise<string[]> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-probe-'));
  const out = path.join(dir, 'loaded.json');
  const probe = path.join(dir, 'probe.cjs');
  fs.writeFileSync(
    probe,
    `const fs = require('node:fs');
if (require('node:worker_threads').isMainThread) {
  setInterval(() => {
    const keys = Object.keys(require.cache);
    fs.writeFileSync(${JSON.stringify(out + '.tmp')}, JSON.stringify(${JSON.stringify(packages)}.filter((p) => keys.some((k) => k.includes('/node_modules/' + p + '/')))));
    fs.renameSync(${JSON.stringify(out + '.tmp')}, ${JSON.stringify(out)});
  }, 50).unref();
}`,
  );
  return {
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${probe}` },
    loaded: async () => {
      // a fresh report, written after this call
      fs.rmSync(out, { force: true });
      for (let i = 0; i < 200 && !fs.existsSync(out); i++) await new Promise((r) => setTimeout(r, 10));
      return JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
    },
  };
}

async function ringSize(args: string[]): Promise<string> {
  const srv = await startShardis({ args });
  try {
    const r = await RawClient.connect(srv.port);
    r.write('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$9\r\nring-size\r\n');
    const reply = await r.readRaw();
    // a value just under 512 kB: one record of the default ring; then one of 1 MB, in parts
    const v = 'r'.repeat(512 * 1024 - 64);
    r.write(`*3\r\n$3\r\nSET\r\n$2\r\nbv\r\n$${v.length}\r\n${v}\r\n*2\r\n$3\r\nGET\r\n$2\r\nbv\r\n`);
    expect(await r.readRaw()).toBe('+OK\r\n');
    expect(await r.readRaw()).toBe(`$${v.length}\r\n${v}\r\n`);
    const w = 'w'.repeat(1024 * 1024);
    r.write(`*3\r\n$3\r\nSET\r\n$2\r\nbw\r\n$${w.length}\r\n${w}\r\n*2\r\n$3\r\nGET\r\n$2\r\nbw\r\n`);
    expect(await r.readRaw()).toBe('+OK\r\n');
    expect(await r.readRaw()).toBe(`$${w.length}\r\n${w}\r\n`);
    r.close();
    return reply;
  } finally {
    await srv.stop();
  }
}

describe('memory defaults', () => {
  it('ring-size is 1 MB by default, and values just under 512 kB and of 1 MB go through the rings intact', async () => {
    expect(await ringSize([])).toBe('*2\r\n$9\r\nring-size\r\n$7\r\n1048576\r\n');
  });

  it('--ring-size is still honoured (64 kB rings carry the same value in parts)', async () => {
    expect(await ringSize(['--ring-size', '65536'])).toBe('*2\r\n$9\r\nring-size\r\n$5\r\n65536\r\n');
  });

  it('piscina (the persistence pool) is loaded by the first SAVE, not at start, and that SAVE writes the file', async () => {
    const probe = loadedPackagesProbe(['piscina', 'pino']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-lazy-'));
    const srv = await startShardis({ cwd: dir, env: probe.env });
    try {
      expect(await probe.loaded()).toEqual(['pino']);
      const r = await RawClient.connect(srv.port);
      r.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nSAVE\r\n');
      expect(await r.readRaw()).toBe('+OK\r\n');
      expect(await r.readRaw()).toBe('+OK\r\n');
      r.close();
      expect(await probe.loaded()).toEqual(['piscina', 'pino']);
      expect(fs.readFileSync(path.join(dir, 'dump.rdb')).subarray(0, 5).toString()).toBe('REDIS');
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
