/*
 * Pub/Sub: SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH / SPUBLISH, PUBSUB
 * introspection, the RESP2 subscribed context and RESP3 pushes (exact bytes over a raw socket),
 * ioredis and node-redis subscribers, many subscribers and patterns, clean-up on RESET and close,
 * and the pubsub output buffer limit cutting off a subscriber that does not read while the others
 * keep receiving.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import Redis from 'ioredis';
import { createClient } from 'redis';
import net from 'node:net';
import { RawClient } from './helpers/raw.js';
import { startShardis, waitFor, type Proc } from './helpers/server.js';

function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

function frame(kind: '*' | '>', ...parts: (string | number | null)[]): string {
  let out = `${kind}${parts.length}\r\n`;
  for (const p of parts) out += p === null ? '$-1\r\n' : typeof p === 'number' ? `:${p}\r\n` : bulk(p);
  return out;
}

describe.each([1, 4])('pub/sub with %i shard(s)', (shards) => {
  const s = useServers({ shards });
  const raw = (): Promise<RawClient> => s.raw();
  const io = (): Redis => s.client();

  it('RESP2: confirmations, messages, pmessages, counts and unsubscribe without arguments', async () => {
    const sub = await raw();
    const pub = io();
    sub.send('SUBSCRIBE', 'r2:a', 'r2:b');
    expect(await sub.readRaw()).toBe(frame('*', 'subscribe', 'r2:a', 1));
    expect(await sub.readRaw()).toBe(frame('*', 'subscribe', 'r2:b', 2));
    sub.send('PSUBSCRIBE', 'r2:p*');
    expect(await sub.readRaw()).toBe(frame('*', 'psubscribe', 'r2:p*', 3));
    // subscribing twice to the same channel does not count twice
    sub.send('SUBSCRIBE', 'r2:a');
    expect(await sub.readRaw()).toBe(frame('*', 'subscribe', 'r2:a', 3));

    expect(await pub.publish('r2:a', 'hello')).toBe(1);
    expect(await sub.readRaw()).toBe(frame('*', 'message', 'r2:a', 'hello'));
    expect(await pub.publish('r2:pq', 'bin\r\n\x00')).toBe(1);
    expect(await sub.readRaw()).toBe(frame('*', 'pmessage', 'r2:p*', 'r2:pq', 'bin\r\n\x00'));
    expect(await pub.publish('r2:nobody', 'x')).toBe(0);

    sub.send('UNSUBSCRIBE', 'r2:b', 'r2:never');
    expect(await sub.readRaw()).toBe(frame('*', 'unsubscribe', 'r2:b', 2));
    expect(await sub.readRaw()).toBe(frame('*', 'unsubscribe', 'r2:never', 2));
    sub.send('UNSUBSCRIBE');
    expect(await sub.readRaw()).toBe(frame('*', 'unsubscribe', 'r2:a', 1));
    sub.send('UNSUBSCRIBE');
    expect(await sub.readRaw()).toBe(frame('*', 'unsubscribe', null, 1));
    sub.send('PUNSUBSCRIBE');
    expect(await sub.readRaw()).toBe(frame('*', 'punsubscribe', 'r2:p*', 0));
    sub.send('PUNSUBSCRIBE');
    expect(await sub.readRaw()).toBe(frame('*', 'punsubscribe', null, 0));
    // out of the subscribed context: normal commands work again
    sub.send('PING');
    expect(await sub.readRaw()).toBe('+PONG\r\n');
  });

  it('CLIENT REPLY OFF / SKIP do not silence confirmations and messages (RESP2 and RESP3), as Redis', async () => {
    for (const proto of [2, 3]) {
      const sub = await raw();
      const pub = io();
      if (proto === 3) {
        sub.send('HELLO', '3');
        await sub.readRaw();
      }
      const kind = proto === 3 ? '>' : '*';
      sub.send('CLIENT', 'REPLY', 'OFF');
      sub.send('SUBSCRIBE', `ro${proto}:a`);
      expect(await sub.readRaw()).toBe(frame(kind, 'subscribe', `ro${proto}:a`, 1));
      sub.send('PSUBSCRIBE', `ro${proto}:p*`);
      expect(await sub.readRaw()).toBe(frame(kind, 'psubscribe', `ro${proto}:p*`, 2));
      expect(await pub.publish(`ro${proto}:a`, 'hello')).toBe(1);
      expect(await sub.readRaw()).toBe(frame(kind, 'message', `ro${proto}:a`, 'hello'));
      expect(await pub.publish(`ro${proto}:pz`, 'hi')).toBe(1);
      expect(await sub.readRaw()).toBe(frame(kind, 'pmessage', `ro${proto}:p*`, `ro${proto}:pz`, 'hi'));
      sub.send('UNSUBSCRIBE', `ro${proto}:a`);
      expect(await sub.readRaw()).toBe(frame(kind, 'unsubscribe', `ro${proto}:a`, 1));
      sub.send('PUNSUBSCRIBE', `ro${proto}:p*`);
      expect(await sub.readRaw()).toBe(frame(kind, 'punsubscribe', `ro${proto}:p*`, 0));
      // ordinary replies stay silenced; SKIP is spent by the next command, not by a confirmation
      sub.send('PING');
      sub.send('CLIENT', 'REPLY', 'ON');
      expect(await sub.readRaw()).toBe('+OK\r\n');
      sub.send('CLIENT', 'REPLY', 'SKIP');
      sub.send('SUBSCRIBE', `ro${proto}:b`);
      expect(await sub.readRaw()).toBe(frame(kind, 'subscribe', `ro${proto}:b`, 1));
      sub.send('PING', 'after');
      expect(await sub.readRaw()).toBe(proto === 3 ? '$5\r\nafter\r\n' : frame('*', 'pong', 'after'));
    }
  });

  it('RESP2 subscribed context: only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET', async () => {
    const sub = await raw();
    sub.send('SUBSCRIBE', 'ctx');
    await sub.readRaw();
    sub.send('GET', 'x');
    expect(await sub.readRaw()).toBe(
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    sub.send('PING');
    expect(await sub.readRaw()).toBe(frame('*', 'pong', ''));
    sub.send('PING', 'hi');
    expect(await sub.readRaw()).toBe(frame('*', 'pong', 'hi'));
    sub.send('RESET');
    expect(await sub.readRaw()).toBe('+RESET\r\n');
    sub.send('GET', 'x');
    expect(await sub.readRaw()).toBe('$-1\r\n');
  });

  it('RESP3: pushes, and other commands keep working while subscribed', async () => {
    const sub = await raw();
    const pub = io();
    sub.send('HELLO', '3');
    await sub.readRaw();
    sub.send('SUBSCRIBE', 'r3');
    expect(await sub.readRaw()).toBe(frame('>', 'subscribe', 'r3', 1));
    sub.send('PSUBSCRIBE', 'r3*');
    expect(await sub.readRaw()).toBe(frame('>', 'psubscribe', 'r3*', 2));
    sub.send('SET', 'r3key', 'v');
    expect(await sub.readRaw()).toBe('+OK\r\n');
    sub.send('PING');
    expect(await sub.readRaw()).toBe('+PONG\r\n');
    expect(await pub.publish('r3', 'm')).toBe(2);
    const got = [await sub.readRaw(), await sub.readRaw()].sort();
    expect(got).toEqual([frame('>', 'message', 'r3', 'm'), frame('>', 'pmessage', 'r3*', 'r3', 'm')].sort());
    sub.send('UNSUBSCRIBE');
    expect(await sub.readRaw()).toBe(frame('>', 'unsubscribe', 'r3', 1));
    sub.send('PUNSUBSCRIBE', 'nope');
    expect(await sub.readRaw()).toBe(frame('>', 'punsubscribe', 'nope', 1));
    sub.send('UNSUBSCRIBE');
    expect(await sub.readRaw()).toBe('>3\r\n$11\r\nunsubscribe\r\n_\r\n:1\r\n');
  });

  it('a SUBSCRIBE pipelined behind a shard command is confirmed before its first message', async () => {
    const sub = await raw();
    const pub = io();
    // the confirmation waits for a GET reply coming back from a shard; a message published meanwhile
    // must not overtake either. 3 MB is over one reply-ring record (512 kB with the default ring-size),
    // so the reply streams back in several records; ordering needs nothing bigger.
    const big = 'v'.repeat(3 * 1024 * 1024);
    await pub.set('ordbig', big);
    sub.send('GET', 'ordbig');
    sub.send('SUBSCRIBE', 'ord');
    await waitFor(async () => (await pub.publish('ord', 'm1')) === 1, { what: 'subscriber registered', everyMs: 1 });
    expect(await sub.readRaw()).toBe(bulk(big));
    expect(await sub.readRaw()).toBe(frame('*', 'subscribe', 'ord', 1));
    expect(await sub.readRaw()).toBe(frame('*', 'message', 'ord', 'm1'));
  });

  it('SSUBSCRIBE / SPUBLISH / SUNSUBSCRIBE and PUBSUB SHARDCHANNELS / SHARDNUMSUB', async () => {
    const sub = await raw();
    const pub = io();
    sub.send('SSUBSCRIBE', 'sh1', 'sh2');
    expect(await sub.readRaw()).toBe(frame('*', 'ssubscribe', 'sh1', 1));
    expect(await sub.readRaw()).toBe(frame('*', 'ssubscribe', 'sh2', 2));
    // shard channels are their own namespace
    expect(await pub.publish('sh1', 'x')).toBe(0);
    expect(await pub.call('SPUBLISH', 'sh1', 'y')).toBe(1);
    expect(await sub.readRaw()).toBe(frame('*', 'smessage', 'sh1', 'y'));
    expect(await pub.call('PUBSUB', 'SHARDCHANNELS')).toEqual(expect.arrayContaining(['sh1', 'sh2']));
    expect(await pub.call('PUBSUB', 'SHARDCHANNELS', 'sh1*')).toEqual(['sh1']);
    expect(await pub.call('PUBSUB', 'SHARDNUMSUB', 'sh1', 'zz')).toEqual(['sh1', 1, 'zz', 0]);
    expect(Number(/pubsubshard_channels:(\d+)/.exec((await pub.info('stats')) as string)![1])).toBeGreaterThanOrEqual(2);
    sub.send('GET', 'x');
    expect(await sub.readRaw()).toMatch(/^-ERR Can't execute 'get'/);
    sub.send('SUNSUBSCRIBE');
    const a = [await sub.readRaw(), await sub.readRaw()];
    expect(a).toContain(frame('*', 'sunsubscribe', 'sh1', 1));
    expect(a.some((x) => x === frame('*', 'sunsubscribe', 'sh2', 1) || x === frame('*', 'sunsubscribe', 'sh2', 0))).toBe(true);
    expect(await pub.call('PUBSUB', 'SHARDNUMSUB', 'sh1')).toEqual(['sh1', 0]);
  });

  it('PUBSUB CHANNELS / NUMSUB / NUMPAT / HELP and their errors', async () => {
    const s1 = io();
    const s2 = io();
    const q = io();
    await s1.subscribe('intro:a', 'intro:b');
    await s2.subscribe('intro:a');
    await s2.psubscribe('intro:*', 'other*');
    expect((await q.call('PUBSUB', 'CHANNELS', 'intro:*')) as string[]).toEqual(expect.arrayContaining(['intro:a', 'intro:b']));
    expect(((await q.call('PUBSUB', 'CHANNELS', 'intro:*')) as string[]).length).toBe(2);
    expect(await q.call('PUBSUB', 'NUMSUB', 'intro:a', 'intro:b', 'intro:none')).toEqual(['intro:a', 2, 'intro:b', 1, 'intro:none', 0]);
    expect(await q.call('PUBSUB', 'NUMSUB')).toEqual([]);
    expect(await q.call('PUBSUB', 'NUMPAT')).toBeGreaterThanOrEqual(2);
    const help = (await q.call('PUBSUB', 'HELP')) as string[];
    expect(help[0]).toBe('PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('NUMPAT');
    await expect(q.call('PUBSUB', 'CHANNELS', 'a', 'b')).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.");
    await expect(q.call('PUBSUB', 'NUMPAT', 'x')).rejects.toThrow("ERR wrong number of arguments for 'pubsub|numpat' command");
    await expect(q.call('PUBSUB', 'FOO')).rejects.toThrow("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.");
    const info = (await q.info('stats')) as string;
    expect(Number(/pubsub_channels:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(2);
    expect(Number(/pubsub_patterns:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(2);
    await s2.call('CLIENT', 'SETNAME', 'intro-s2').catch(() => undefined);
    const list = (await q.call('CLIENT', 'LIST')) as string;
    expect(list).toMatch(/sub=1 psub=2/);
  });

  it('many subscribers and patterns all receive every message (ioredis and node-redis)', async () => {
    const pub = io();
    const N = 20;
    const counts = new Array<number>(N * 2).fill(0);
    const subs: Redis[] = [];
    for (let i = 0; i < N; i++) {
      const s = io();
      subs.push(s);
      await s.subscribe('many');
      await s.psubscribe('ma*', `m?n${i % 2 === 0 ? 'y' : '*'}`);
      s.on('message', () => counts[i]!++);
      s.on('pmessage', () => counts[N + i]!++);
    }
    const nr = createClient({ socket: { port: s.srv.port } });
    await nr.connect();
    const nrGot: string[] = [];
    await nr.subscribe('many', (m) => nrGot.push(m));
    await nr.pSubscribe('man?', (m, ch) => nrGot.push(`${ch}:${m}`));
    const M = 50;
    for (let k = 0; k < M; k++) expect(await pub.publish('many', `m${k}`)).toBe(N + 2 * N + 2);
    await waitFor(() => counts.every((c, i) => c === (i < N ? M : 2 * M)) && nrGot.length === 2 * M, 'all messages delivered');
    expect(nrGot.filter((m) => !m.includes(':'))).toEqual(Array.from({ length: M }, (_, k) => `m${k}`));
    await nr.disconnect();
  });

  it('RESET and closing a connection leave every subscription', async () => {
    const q = io();
    const sub = await raw();
    sub.send('SUBSCRIBE', 'cleanup:a');
    await sub.readRaw();
    sub.send('PSUBSCRIBE', 'cleanup:*');
    await sub.readRaw();
    expect(await q.call('PUBSUB', 'NUMSUB', 'cleanup:a')).toEqual(['cleanup:a', 1]);
    sub.send('RESET');
    expect(await sub.readRaw()).toBe('+RESET\r\n');
    expect(await q.call('PUBSUB', 'NUMSUB', 'cleanup:a')).toEqual(['cleanup:a', 0]);
    expect(await q.publish('cleanup:a', 'x')).toBe(0);

    const sub2 = await raw();
    sub2.send('SUBSCRIBE', 'cleanup:b');
    await sub2.readRaw();
    expect(await q.publish('cleanup:b', 'x')).toBe(1);
    sub2.close();
    await waitFor(async () => (await q.publish('cleanup:b', 'x')) === 0, 'closed subscriber removed');
    expect(await q.call('PUBSUB', 'CHANNELS', 'cleanup:*')).toEqual([]);
  });

  it('PUBLISH inside MULTI/EXEC delivers and replies with the receiver count', async () => {
    const s = io();
    const got: string[] = [];
    await s.subscribe('txpub');
    s.on('message', (_ch, m) => got.push(m));
    const c = io();
    const res = await c.multi().publish('txpub', 'one').set('txk', '1').publish('txpub', 'two').exec();
    expect(res).toEqual([
      [null, 1],
      [null, 'OK'],
      [null, 1],
    ]);
    await waitFor(() => got.length === 2, 'messages');
    expect(got).toEqual(['one', 'two']);
  });
});

describe('pub/sub output buffer limit', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 2 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  async function slowSubscriber(channel: string, name: string): Promise<net.Socket> {
    const sock = net.connect(srv.port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const confirmed = new Promise<void>((r) => sock.once('data', () => r()));
    sock.write(`*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n${bulk(name)}*2\r\n$9\r\nSUBSCRIBE\r\n${bulk(channel)}`);
    await confirmed;
    sock.pause(); // never read again: the kernel buffers fill, then the server's output buffer grows
    return sock;
  }

  async function run(limit: string, name: string): Promise<void> {
    const admin = new Redis({ port: srv.port });
    const pub = new Redis({ port: srv.port });
    const good = new Redis({ port: srv.port });
    try {
      expect(await admin.config('SET', 'client-output-buffer-limit', limit)).toBe('OK');
      let received = 0;
      await good.subscribe(`big:${name}`);
      good.on('message', () => received++);
      const slow = await slowSubscriber(`big:${name}`, name);
      const payload = 'x'.repeat(64 * 1024);
      let sent = 0;
      await waitFor(
        async () => {
          for (let i = 0; i < 16; i++) {
            await pub.publish(`big:${name}`, payload);
            sent++;
          }
          const list = (await admin.call('CLIENT', 'LIST')) as string;
          return !list.includes(`name=${name} `);
        },
        'slow subscriber disconnected',
        30_000,
        10,
      );
      // the others keep receiving everything
      await waitFor(() => received === sent, 'good subscriber got every message');
      expect(await pub.publish(`big:${name}`, 'after')).toBe(1);
      await waitFor(() => received === sent + 1, 'message after the cut');
      expect(srv.output()).toMatch(/scheduled to be closed ASAP for overcoming of output buffer limits/);
      slow.destroy();
    } finally {
      await admin.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
      admin.disconnect();
      pub.disconnect();
      good.disconnect();
    }
  }

  it('hard limit: a subscriber that does not read is cut off, the others keep receiving', async () => {
    await run('pubsub 1mb 0 0', 'slowhard');
  });

  it('soft limit: cut off after staying over it for the configured seconds', async () => {
    await run('pubsub 0 512kb 1', 'slowsoft');
  });

  it('the default limit is 32mb 8mb 60 for pubsub', async () => {
    const c = new Redis({ port: srv.port });
    const v = (await c.config('GET', 'client-output-buffer-limit')) as string[];
    expect(v[1]).toMatch(/pubsub 33554432 8388608 60/);
    c.disconnect();
  });
});
