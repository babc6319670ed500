/*
 * Huge bulk arguments (issue #20 item 8): a SET of tens of megabytes arrives in many socket reads, is
 * handed to its shard in many ring records and must come back byte for byte, while the other clients
 * keep being served. Also with a pipelined request right behind the huge one in the same input
 * buffer (the main thread hands the big body on without copying it: the bytes after it must not
 * overwrite it).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import Redis from 'ioredis';
import { startShardis } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { waitInSync } from './helpers/replication.js';

const MB = 1024 * 1024;

/** A value whose every byte depends on its position (a misplaced chunk cannot go unnoticed). */
function pattern(n: number, salt: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(((i * 2654435761) ^ salt) >>> 0, i);
  return b;
}

describe.each([
  [2, []],
  [1, ['--ring-size', '65536']],
])('huge bulk arguments with %i shard(s) %j', (shards, extra) => {
  const s = useServers({ shards, args: extra as string[] });

  it('a 64 MB SET then GET round-trips intact while other clients keep being answered', async () => {
    const n = 64 * MB;
    const v = pattern(n, 0x5a5a);
    const r = await RawClient.connect(s.srv.port);
    // the header and half the value: the request is incomplete, the server must still answer others
    r.write(Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${n}\r\n`), v.subarray(0, n / 2)]));
    for (let i = 0; i < 20; i++) expect(await s.io.incr('others')).toBe(i + 1);
    r.write(Buffer.concat([v.subarray(n / 2), Buffer.from('\r\n')]));
    for (let i = 20; i < 40; i++) expect(await s.io.incr('others')).toBe(i + 1);
    expect(await r.readRaw()).toBe('+OK\r\n');
    r.close();
    expect(await s.io.strlen('big')).toBe(n);
    const back = await s.io.getBuffer('big');
    expect(back!.length).toBe(n);
    expect(back!.equals(v)).toBe(true);
    await s.io.del('big');
  });

  it('a huge SET counts as one change in rdb_changes_since_last_save (as redis-server: 1)', async () => {
    const changes = async (): Promise<number> => Number(/rdb_changes_since_last_save:(\d+)/.exec(await s.io.info('persistence'))![1]);
    const before = await changes();
    await s.io.set('big3', pattern(12 * MB, 7)); // several ring records of propagation
    expect((await changes()) - before).toBe(1);
    await s.io.del('big3');
  });

  it('a request pipelined right behind a 24 MB SET does not corrupt it', async () => {
    const n = 24 * MB;
    const v = pattern(n, 0x1234);
    const r = await RawClient.connect(s.srv.port);
    r.write(
      Buffer.concat([
        Buffer.from(`*3\r\n$3\r\nSET\r\n$4\r\nbig2\r\n$${n}\r\n`),
        v,
        Buffer.from('\r\n*3\r\n$3\r\nSET\r\n$5\r\nsmall\r\n$5\r\nhello\r\n'),
        Buffer.from('*2\r\n$6\r\nSTRLEN\r\n$4\r\nbig2\r\n'),
      ]),
    );
    expect(await r.readRaw()).toBe('+OK\r\n');
    expect(await r.readRaw()).toBe('+OK\r\n');
    expect(await r.readRaw()).toBe(`:${n}\r\n`);
    r.close();
    expect(await s.io.get('small')).toBe('hello');
    expect((await s.io.getBuffer('big2'))!.equals(v)).toBe(true);
    await s.io.del('big2', 'small');
  });
});

describe('huge bulk arguments and replication', () => {
  it('a 24 MB SET written to a master reaches its replica intact (propagated from the request bytes)', async () => {
    const m = await startShardis({ shards: 2 });
    const r = await startShardis({ shards: 2, args: ['--replicaof', '127.0.0.1', String(m.port)] });
    const mc = new Redis({ port: m.port });
    const rc = new Redis({ port: r.port });
    try {
      await waitInSync(mc, rc);
      const v = pattern(24 * MB, 99);
      await mc.set('bigr', v);
      await mc.set('after', 'small');
      await waitInSync(mc, rc);
      expect(await rc.get('after')).toBe('small');
      expect((await rc.getBuffer('bigr'))!.equals(v)).toBe(true);
    } finally {
      mc.disconnect();
      rc.disconnect();
      await r.stop();
      await m.stop();
    }
  });
});
