/*
 * Defaults chosen for memory (docs/benchmarks.md, issue 13): each shard's request and reply rings
 * are 2 MB by default (a record holds up to half a ring, so anything under 1 MB still goes as one
 * record; larger bodies go through shared memory or in parts), and `ring-size` still sets them.
 */

import { describe, expect, it } from 'vitest';
import { startShardis } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

async function ringSize(args: string[]): Promise<string> {
  const srv = await startShardis({ args });
  try {
    const r = await RawClient.connect(srv.port);
    r.write('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$9\r\nring-size\r\n');
    const reply = await r.readRaw();
    // a value just under 1 MB: one record of the default ring
    const v = 'r'.repeat(1024 * 1024 - 64);
    r.write(`*3\r\n$3\r\nSET\r\n$2\r\nbv\r\n$${v.length}\r\n${v}\r\n*2\r\n$3\r\nGET\r\n$2\r\nbv\r\n`);
    expect(await r.readRaw()).toBe('+OK\r\n');
    expect(await r.readRaw()).toBe(`$${v.length}\r\n${v}\r\n`);
    r.close();
    return reply;
  } finally {
    await srv.stop();
  }
}

describe('memory defaults', () => {
  it('ring-size is 2 MB by default, and a value just under 1 MB goes through the rings intact', async () => {
    expect(await ringSize([])).toBe('*2\r\n$9\r\nring-size\r\n$7\r\n2097152\r\n');
  });

  it('--ring-size is still honoured (64 kB rings carry the same value in parts)', async () => {
    expect(await ringSize(['--ring-size', '65536'])).toBe('*2\r\n$9\r\nring-size\r\n$5\r\n65536\r\n');
  });
});
