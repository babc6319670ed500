/*
 * The admin endpoint (admin-port): /health, /info, /info.json and the WebSocket /ws, over real
 * sockets; off by default.
 */

import net from 'node:net';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { freePort, startShardis, waitFor, type Proc } from './helpers/server.js';

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

/** A WebSocket exchange by hand (RFC 6455): upgrade, one masked text frame out, one frame back. */
async function wsRequest(port: number, text: string): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    s.once('connect', () => res());
    s.once('error', rej);
  });
  const key = crypto.randomBytes(16).toString('base64');
  s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buf = Buffer.alloc(0);
  const more = (): Promise<void> =>
    new Promise((res, rej) => {
      s.once('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        res();
      });
      s.once('error', rej);
    });
  while (buf.indexOf('\r\n\r\n') < 0) await more();
  const head = buf.subarray(0, buf.indexOf('\r\n\r\n')).toString();
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  const payload = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  const frame = Buffer.alloc(2 + 4 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i & 3]!;
  s.write(frame);
  for (;;) {
    if (buf.length >= 2) {
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) {
          await more();
          continue;
        }
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) {
          await more();
          continue;
        }
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length >= off + len) {
        s.destroy();
        return buf.subarray(off, off + len).toString();
      }
    }
    await more();
  }
}

describe('admin endpoint', () => {
  let srv: Proc;
  let admin: number;
  let io: Redis;

  beforeAll(async () => {
    admin = await freePort();
    srv = await startShardis({ args: ['--admin-port', String(admin)] });
    io = new Redis({ port: srv.port });
  });

  afterAll(async () => {
    io.disconnect();
    await srv.stop();
  });

  it('GET /health answers 200 with the role while serving', async () => {
    const r = await get(admin, '/health');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ status: 'ok', role: 'master', loading: false });
  });

  it('GET /info is INFO as the RESP command prints it, sections from the query', async () => {
    await io.set('adm:a', '1');
    await io.set('adm:b', '2');
    const r = await get(admin, '/info?keyspace');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.body).toBe(await io.info('keyspace'));
    const all = await get(admin, '/info?server,clients');
    expect(all.body).toContain('# Server\r\n');
    expect(all.body).toContain('# Clients\r\n');
    expect(all.body).not.toContain('# Keyspace');
  });

  it('GET /info.json gives sections of fields', async () => {
    const r = await get(admin, '/info.json?stats,keyspace');
    expect(r.status).toBe(200);
    const j = JSON.parse(r.body) as Record<string, Record<string, string>>;
    expect(Object.keys(j)).toEqual(['stats', 'keyspace']);
    expect(Number(j.stats!.total_commands_processed)).toBeGreaterThan(0);
    expect(j.keyspace!.db0).toMatch(/^keys=2,expires=0,avg_ttl=0$/);
  });

  it('unknown paths are 404', async () => {
    const r = await get(admin, '/nope');
    expect(r.status).toBe(404);
  });

  it('WebSocket /ws answers PING and INFO <section>', async () => {
    expect(await wsRequest(admin, 'PING')).toBe('PONG');
    const j = JSON.parse(await wsRequest(admin, 'INFO replication')) as Record<string, Record<string, string>>;
    expect(j.replication!.role).toBe('master');
    expect(JSON.parse(await wsRequest(admin, 'BOGUS')).error).toMatch(/^unknown request 'BOGUS'/);
  });
});

describe('admin endpoint health of a replica', () => {
  it('503 while the master link is down and replica-serve-stale-data is no; 200 when stale reads are allowed', async () => {
    const dead = await freePort();
    for (const [stale, status] of [
      ['no', 503],
      ['yes', 200],
    ] as const) {
      const admin = await freePort();
      const s = await startShardis({ args: ['--admin-port', String(admin), '--replicaof', '127.0.0.1', String(dead), '--replica-serve-stale-data', stale] });
      try {
        // the replica role is taken right after the ready line
        const r = await waitFor(async () => {
          const x = await get(admin, '/health');
          return JSON.parse(x.body).role === 'slave' ? x : null;
        }, 'replica role');
        expect(r.status).toBe(status);
        expect(JSON.parse(r.body)).toMatchObject({ role: 'slave', master_link_status: 'down' });
      } finally {
        await s.stop();
      }
    }
  });
});

describe('admin endpoint is off by default', () => {
  it('admin-port defaults to 0: nothing listens', async () => {
    const s = await startShardis();
    try {
      const r = new Redis({ port: s.port });
      expect(await r.config('GET', 'admin-port')).toEqual(['admin-port', '0']);
      r.disconnect();
    } finally {
      await s.stop();
    }
  });
});
