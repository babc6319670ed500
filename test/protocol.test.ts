/*
 * Bad input: malformed RESP gets Redis's exact "-ERR Protocol error: ..." and that connection closes,
 * while other clients and the data are untouched; size limits; maxclients; inline commands;
 * pipelines of mixed commands across shards come back in order.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import net from 'node:net';
import { CEILING_MS, startShardis, waitFor, type Proc } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

const CASES: [string, string, string][] = [
  ['bad bulk type byte', '*1\r\n+PING\r\n', "-ERR Protocol error: expected '$', got '+'\r\n"],
  ['invalid multibulk length', '*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
  ['multibulk length over INT_MAX', '*2147483648\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
  ['invalid bulk length', '*1\r\n$abc\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
  ['negative bulk length', '*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
  ['unbalanced quotes inline', 'SET "a b\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
];

describe.each([1, 4])('protocol handling with %i shard(s)', (shards) => {
  let srv: Proc;
  let io: Redis;

  beforeAll(async () => {
    srv = await startShardis({ shards, args: ['--proto-max-bulk-len', '1mb', '--client-query-buffer-limit', '2mb', '--maxclients', '40'] });
    io = new Redis({ port: srv.port });
    await io.set('safe', 'intact');
  });

  afterAll(async () => {
    io.disconnect();
    await srv.stop();
  });

  it.each(CASES)('%s: error then close, others unaffected', async (_name, input, expected) => {
    const bystander = await RawClient.connect(srv.port);
    const r = await RawClient.connect(srv.port);
    r.write(input);
    expect(await r.readUntilClose()).toBe(expected);
    bystander.send('GET', 'safe');
    expect(await bystander.readRaw()).toBe('$6\r\nintact\r\n');
    bystander.close();
  });

  it('replies to valid requests pipelined before the bad one, then closes', async () => {
    const r = await RawClient.connect(srv.port);
    r.write('*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$2\r\npp\r\n$1\r\n1\r\n*1\r\n+X\r\n*1\r\n$4\r\nPING\r\n');
    expect(await r.readUntilClose()).toBe("+PONG\r\n+OK\r\n-ERR Protocol error: expected '$', got '+'\r\n");
    expect(await io.get('pp')).toBe('1');
  });

  it('a bulk longer than proto-max-bulk-len is refused', async () => {
    const r = await RawClient.connect(srv.port);
    r.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`);
    expect(await r.readUntilClose()).toBe('-ERR Protocol error: invalid bulk length\r\n');
    expect(await io.get('safe')).toBe('intact');
  });

  it('an inline request line too long is refused', async () => {
    const r = await RawClient.connect(srv.port);
    r.write('a'.repeat(70 * 1024));
    expect(await r.readUntilClose()).toBe('-ERR Protocol error: too big inline request\r\n');
  });

  it('a query buffer over client-query-buffer-limit closes the client', async () => {
    const r = await RawClient.connect(srv.port);
    // one bulk of 1mb (allowed) repeated without ever completing the array: 3mb pending
    r.write(`*100\r\n`);
    const chunk = Buffer.concat([Buffer.from(`$${1024 * 1024 - 100}\r\n`), Buffer.alloc(1024 * 1024 - 100, 97), Buffer.from('\r\n')]);
    for (let i = 0; i < 3; i++) r.write(chunk);
    await r.readUntilClose();
    expect(r.closed).toBe(true);
    expect(await io.get('safe')).toBe('intact');
  });

  it('after a protocol error the socket is closed, not half-closed: a client that keeps sending is reset (Redis desync tests)', async () => {
    for (const seq of ['\x00', '*\x00', '$\x00']) {
      // half-open allowed, as a raw client (the TCL suite's) is: it can keep writing after the FIN
      const sock = net.connect({ port: srv.port, host: '127.0.0.1', allowHalfOpen: true });
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
      const failed = new Promise<string>((res) => sock.on('error', (e: NodeJS.ErrnoException) => res(e.code ?? 'error')));
      await new Promise<void>((res) => sock.once('connect', () => res()));
      sock.write(seq);
      // keep sending, as a desynchronised client does, until a write fails (bounded by the hang ceiling)
      let code: string | null = null;
      void failed.then((c) => (code = c));
      for (const end = Date.now() + CEILING_MS; code === null && Date.now() < end; ) {
        sock.write('payload'.repeat(100));
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(code ?? 'no error: the server kept reading').toMatch(/^(ECONNRESET|EPIPE)$/);
      expect(got).toMatch(/^-ERR Protocol error: too big (inline request|mbulk count string)\r\n$/);
      sock.destroy();
    }
  });

  it('inline commands work, with quotes and escapes', async () => {
    const r = await RawClient.connect(srv.port);
    r.write('SET inl "hello\\x41 world"\r\nGET inl\r\nPING\r\n\r\nECHO inl\n');
    expect(await r.readRaw()).toBe('+OK\r\n');
    expect(await r.readRaw()).toBe('$12\r\nhelloA world\r\n');
    expect(await r.readRaw()).toBe('+PONG\r\n');
    expect(await r.readRaw()).toBe('$3\r\ninl\r\n');
    r.send('GET', 'inl');
    expect(await r.readRaw()).toBe('$12\r\nhelloA world\r\n');
    r.close();
  });

  it('unknown commands, wrong arity and errors keep the connection open', async () => {
    const r = await RawClient.connect(srv.port);
    r.send('NOSUCH', 'a', 'b');
    expect(await r.readRaw()).toBe("-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
    r.send('GET');
    expect(await r.readRaw()).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    r.send('CONFIG', 'NOPE');
    expect(await r.readRaw()).toBe("-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n");
    r.send('PING');
    expect(await r.readRaw()).toBe('+PONG\r\n');
    r.close();
  });

  it('a pipeline of mixed commands across shards comes back in order', async () => {
    const r = await RawClient.connect(srv.port);
    const expected: string[] = [];
    const model = new Map<string, number>();
    let out = '';
    for (let i = 0; i < 600; i++) {
      const k = `pipe:${i % 37}`;
      const op = i % 5;
      const enc = (...a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('');
      if (op === 0) {
        out += enc('SET', k, String(i));
        model.set(k, i);
        expected.push('+OK\r\n');
      } else if (op === 1) {
        out += enc('GET', k);
        const v = model.get(k);
        expected.push(v === undefined ? '$-1\r\n' : `$${String(v).length}\r\n${v}\r\n`);
      } else if (op === 2) {
        out += enc('INCR', k);
        const v = (model.get(k) ?? 0) + 1;
        model.set(k, v);
        expected.push(`:${v}\r\n`);
      } else if (op === 3) {
        out += enc('PING', `p${i}`);
        expected.push(`$${`p${i}`.length}\r\np${i}\r\n`);
      } else {
        const k2 = `pipe:${(i * 7) % 37}`;
        out += enc('MGET', k, k2);
        const f = (x: string): string => {
          const v = model.get(x);
          return v === undefined ? '$-1\r\n' : `$${String(v).length}\r\n${v}\r\n`;
        };
        expected.push(`*2\r\n${f(k)}${f(k2)}`);
      }
    }
    r.write(out);
    for (let i = 0; i < expected.length; i++) expect(await r.readRaw(), `reply ${i}`).toBe(expected[i]);
    r.close();
  });

  it("a request split across reads keeps its first part while other clients' reads arrive in between", async () => {
    // every client socket reads into one shared buffer: a connection must keep its unparsed bytes
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    a.send('CLIENT', 'SETNAME', 'split-a');
    expect(await a.readRaw()).toBe('+OK\r\n');
    a.write('*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$10\r\nhello');
    // the server holds A's first part (its query buffer is not empty) before B's reads come in
    await waitFor(async () => /name=split-a .*qbuf=[1-9]/.test(String(await io.client('LIST'))), "A's first part read");
    for (let i = 0; i < 20; i++) {
      b.send('SET', `other:${i}`, 'z'.repeat(2000 + i));
      expect(await b.readRaw()).toBe('+OK\r\n');
    }
    a.write('world\r\n');
    expect(await a.readRaw()).toBe('+OK\r\n');
    a.send('GET', 'split');
    expect(await a.readRaw()).toBe('$10\r\nhelloworld\r\n');
    a.close();
    b.close();
  });

  it('refuses clients over maxclients with Redis error', async () => {
    const held: RawClient[] = [];
    let refused = '';
    for (let i = 0; i < 45 && !refused; i++) {
      const c = await RawClient.connect(srv.port);
      c.send('PING');
      const reply = await c.readRaw().catch(() => '');
      if (reply.startsWith('-')) refused = reply;
      held.push(c);
    }
    expect(refused).toBe('-ERR max number of clients reached\r\n');
    for (const c of held) c.close();
    expect(await io.get('safe')).toBe('intact');
  });
});
