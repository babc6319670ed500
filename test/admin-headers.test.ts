/*
 * How much request header the admin endpoint reads. uWebSockets.js answers a header block past its
 * limit with 431 before any handler runs; shardis sets that limit to 16 KB (src/admin/header-limit.ts)
 * so that a browser carrying the host's other cookies still reaches the dashboard, and an operator's
 * UWS_HTTP_MAX_HEADERS_SIZE wins over it.
 */

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { freePort, startShardis } from './helpers/server.js';

/** One HTTP/1.1 request on a fresh connection (Connection: close); the status code of the answer. */
async function statusOf(port: number, path: string, headers: string): Promise<number> {
  const head = await new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => s.destroy(), 5000);
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`));
  });
  const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
  if (!m) throw new Error(`no HTTP answer: ${JSON.stringify(head.slice(0, 80))}`);
  return Number(m[1]);
}

const PASS = 'hdr-pass';
const AUTH = `Authorization: Basic ${Buffer.from(`default:${PASS}`).toString('base64')}\r\n`;
/** `n` bytes of other sites' cookies, as a browser sends them to every port of the host. */
const cookies = (n: number): string => {
  const parts: string[] = [];
  for (let i = 0, len = 0; len < n; i++) {
    const c = `site${i}=${'c'.repeat(90)}`;
    parts.push(c);
    len += c.length + 2;
  }
  return `Cookie: ${parts.join('; ')}\r\n`;
};

describe('admin endpoint request header size', () => {
  it('a request with 12 KB of other cookies and valid credentials is served (200), 8 KB of wrong credentials are refused as such (401); past 16 KB of headers 431, and the server lives', async () => {
    const admin = await freePort();
    const s = await startShardis({ args: ['--admin-port', String(admin), '--requirepass', PASS] });
    const io = new Redis({ port: s.port, password: PASS });
    try {
      await io.set('hdr:k', 'v');
      expect(await statusOf(admin, '/', AUTH + cookies(12 * 1024))).toBe(200);
      expect(await statusOf(admin, '/info', AUTH + cookies(12 * 1024))).toBe(200);
      expect(await statusOf(admin, '/info', `Authorization: Basic ${'A'.repeat(8000)}\r\n`)).toBe(401);
      expect(await statusOf(admin, '/info', AUTH + cookies(17 * 1024))).toBe(431);
      expect(await statusOf(admin, '/info', `X: ${'a'.repeat(100_000)}\r\n`)).toBe(431);
      expect(await statusOf(admin, '/health', '')).toBe(200);
      expect(s.proc.exitCode).toBeNull();
      expect(await io.get('hdr:k')).toBe('v');
    } finally {
      io.disconnect();
      await s.stop();
    }
  }, 60_000);

  it("the operator's UWS_HTTP_MAX_HEADERS_SIZE wins over shardis's 16 KB", async () => {
    const admin = await freePort();
    const s = await startShardis({ args: ['--admin-port', String(admin)], env: { ...process.env, UWS_HTTP_MAX_HEADERS_SIZE: '4096' } });
    try {
      expect(await statusOf(admin, '/info', cookies(2 * 1024))).toBe(200);
      expect(await statusOf(admin, '/info', cookies(8 * 1024))).toBe(431);
      expect(await statusOf(admin, '/health', '')).toBe(200);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
