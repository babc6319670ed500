/*
 * Back-pressure: with small rings, a pipeline many times the ring size is stalled, not dropped (every
 * reply arrives, in order); a client that never reads its replies stops being served while the other
 * clients carry on, and its replies are all there once it reads.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { RawClient } from './helpers/raw.js';

describe.each([1, 4])('back-pressure with %i shard(s) and 64kb rings', (shards) => {
  const s = useServers({ shards, args: ['--ring-size', '65536'] });

  it('a pipeline of 20 MB through 64 kB rings loses nothing and keeps order', async () => {
    const r = await RawClient.connect(s.srv.port);
    const N = 20_000;
    const v = 'v'.repeat(1000);
    const parts: string[] = [];
    for (let i = 0; i < N; i++) parts.push(`*3\r\n$3\r\nSET\r\n$${`bp:${i}`.length}\r\nbp:${i}\r\n$1000\r\n${v}\r\n`);
    for (let i = 0; i < N; i += 97) parts.push(`*2\r\n$4\r\nECHO\r\n$${String(i).length}\r\n${i}\r\n`);
    r.write(parts.join(''));
    for (let i = 0; i < N; i++) expect(await r.readRaw()).toBe('+OK\r\n');
    for (let i = 0; i < N; i += 97) expect(await r.readRaw()).toBe(`$${String(i).length}\r\n${i}\r\n`);
    r.close();
    expect(await s.io.dbsize()).toBe(N);
    expect(await s.io.get(`bp:${N - 1}`)).toBe(v);
  });

  it('a client that never reads does not stop the others; its replies are intact when it reads', async () => {
    await s.io.set('big', 'x'.repeat(100_000));
    const lazy = await RawClient.connect(s.srv.port);
    lazy.socket.pause(); // stop reading
    const req = '*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(300); // 30 MB of replies
    lazy.write(req);
    // other clients are served meanwhile
    for (let i = 0; i < 50; i++) expect(await s.io.incr('others')).toBe(i + 1);
    lazy.socket.resume();
    for (let i = 0; i < 300; i++) expect((await lazy.readRaw()).length).toBe(100_000 + 11); // "$100000\r\n" + value + "\r\n"
    lazy.close();
  });
});
