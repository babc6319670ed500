/*
 * The admin endpoint (admin-port): /health, /info, /info.json, /metrics and the WebSocket /ws, over
 * real sockets; off by default; malformed requests of every kind answered without harm; credentials
 * when requirepass is set; admin-bind. /metrics is parsed by Prometheus's own Python parser
 * (prometheus_client, Debian's python3-prometheus-client). The dashboard page: dashboard.test.ts.
 */

import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { freePort, startShardis, waitFor, type Proc } from './helpers/server.js';
import { info as infoOf, waitInSync } from './helpers/replication.js';

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

/** A WebSocket exchange by hand (RFC 6455): upgrade, one masked text frame out, one frame back. */
async function wsRequest(port: number, text: string | Buffer, headers = '', path = '/ws'): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    s.once('connect', () => res());
    s.once('error', rej);
  });
  const key = crypto.randomBytes(16).toString('base64');
  s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`);
  let buf = Buffer.alloc(0);
  let ended = false;
  s.on('error', () => undefined);
  s.on('close', () => {
    ended = true;
  });
  const more = (): Promise<void> =>
    new Promise((res, rej) => {
      if (ended) return rej(new Error('closed'));
      const onData = (d: Buffer): void => {
        s.off('close', onClose);
        buf = Buffer.concat([buf, d]);
        res();
      };
      const onClose = (): void => {
        s.off('data', onData);
        rej(new Error('closed'));
      };
      s.once('data', onData);
      s.once('close', onClose);
    });
  while (buf.indexOf('\r\n\r\n') < 0) await more();
  const head = buf.subarray(0, buf.indexOf('\r\n\r\n')).toString();
  expect(head).toMatch(/^HTTP\/1\.1 101/);
  buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
  s.write(wsFrame(typeof text === 'string' ? Buffer.from(text) : text, typeof text === 'string' ? 1 : 2));
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
        // a close frame: its code
        if ((buf[0]! & 0x0f) === 8) return `close ${len >= 2 ? buf.readUInt16BE(off) : ''}`;
        return buf.subarray(off, off + len).toString();
      }
    }
    await more();
  }
}

/** One masked client frame (opcode 1 text, 2 binary), any payload length. */
function wsFrame(payload: Buffer, opcode: number): Buffer {
  const mask = crypto.randomBytes(4);
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.alloc(head + 4 + n);
  frame[0] = 0x80 | opcode;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  mask.copy(frame, head);
  for (let i = 0; i < n; i++) frame[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** Send raw bytes, collect what comes back until the peer closes or `ms` pass. */
async function rawHttp(port: number, data: (string | Buffer)[], ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => s.destroy(), ms);
    let idle: NodeJS.Timeout | null = null;
    const done = (): void => {
      clearTimeout(t);
      if (idle) clearTimeout(idle);
      resolve(out);
    };
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      // a kept-alive connection: the answer is complete once its head arrived and the line went quiet
      if (idle) clearTimeout(idle);
      if (out.includes('\r\n\r\n')) idle = setTimeout(() => s.destroy(), 200);
    });
    s.on('error', () => undefined);
    s.on('close', done);
    s.on('connect', () => {
      for (const d of data) s.write(d);
    });
  });
}

const statusOf = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

/** Debian's python3 (the one python3-prometheus-client installs into), else python3 on PATH. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const HAVE_PROM = spawnSync(PYTHON, ['-c', 'import prometheus_client'], { encoding: 'utf8' }).status === 0;
if (!HAVE_PROM) {
  if (process.env.CI === 'true') throw new Error('python3-prometheus-client is required in CI');
  console.warn('\n!!!!! SKIPPING the /metrics parser tests: python3-prometheus-client is not installed (apt-get install python3-prometheus-client) !!!!!\n');
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  type: string;
}

/** Parse an exposition with prometheus_client's text_string_to_metric_families. */
function promParse(text: string): Sample[] {
  const script = [
    'import sys, json',
    'from prometheus_client.parser import text_string_to_metric_families',
    'out = []',
    'for fam in text_string_to_metric_families(sys.stdin.read()):',
    '    for s in fam.samples:',
    '        out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": fam.type})',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prometheus_client rejected the exposition: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sample[];
}

function sample(all: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined {
  return all.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
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

describe('admin endpoint survives malformed requests', () => {
  for (const pass of ['', 'adm-pass']) {
    it(`no request kills the server or loses data (${pass ? 'with' : 'without'} requirepass): malformed escapes answer 400`, async () => {
      const admin = await freePort();
      const s = await startShardis({ shards: 2, args: ['--admin-port', String(admin), ...(pass ? ['--requirepass', pass] : [])] });
      const io = new Redis({ port: s.port, password: pass || undefined });
      try {
        for (let i = 0; i < 50; i++) await io.set(`mal:${i}`, `v${i}`);
        const auth = pass ? `Authorization: Basic ${Buffer.from(`default:${pass}`).toString('base64')}\r\n` : '';
        const get = (target: string, headers = auth): string => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;
        // malformed percent escapes in the query: 400, whether or not credentials came with them
        for (const target of ['/info.json?%ZZ', '/info?%', '/info?%E0%A4%A', '/info?%C0%AF', '/metrics?%ZZ', '/?%', '/health?%ZZ', '/dashboard.js?%ZZ']) {
          for (const headers of [auth, '']) {
            const raw = await rawHttp(admin, [get(target, headers)]);
            expect(statusOf(raw), `${target} ${headers ? 'with' : 'without'} credentials`).toBe(400);
          }
        }
        // the same through the WebSocket handshake
        expect(statusOf(await rawHttp(admin, [`GET /ws?%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${auth}\r\n`]))).toBe(400);
        // a path escape is not decoded: just not found
        expect(statusOf(await rawHttp(admin, [get('/%ZZ')]))).toBe(404);
        // broken credentials are refused, not thrown
        if (pass) {
          for (const h of ['Authorization: Basic %%%\r\n', 'Authorization: Basic\r\n', `Authorization: Basic ${'A'.repeat(8000)}\r\n`, 'Authorization: Bearer\r\n', 'Cookie: ;;;=;shardis_admin=\r\n', 'Authorization: \u00ff\u00fe\r\n']) {
            expect(statusOf(await rawHttp(admin, [get('/info', h)]))).toBe(401);
          }
        }
        // headers and request lines HTTP cannot parse: the connection is dropped, the server lives
        await rawHttp(admin, ['GARBAGE\r\n\r\n']);
        await rawHttp(admin, ['GET /info HTTP/1.1\r\nBad Header Line\r\n\r\n']);
        await rawHttp(admin, ['GET /info HTTP/1.1\r\nHost: x\r\nX: ' + 'a'.repeat(100_000) + '\r\n\r\n']);
        await rawHttp(admin, [Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a])]); // a TLS hello
        // huge and broken bodies
        expect(statusOf(await rawHttp(admin, [`POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n${auth}\r\n`, Buffer.alloc(2_000_000, 0x61)]))).toBe(404);
        await rawHttp(admin, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nnot a chunk\r\n']);
        // WebSocket messages: oversized (closed with 1009), binary garbage, odd requests
        const wsAuth = pass ? `Authorization: Basic ${Buffer.from(`default:${pass}`).toString('base64')}\r\n` : '';
        // uWebSockets.js refuses it with close code 1009 (message too big), or resets while we still send
        expect(await wsRequest(admin, 'INFO ' + 'x'.repeat(100_000), wsAuth).catch((e: Error) => e.message)).toMatch(/^(close 1009|closed)$/);
        expect(JSON.parse(await wsRequest(admin, Buffer.from([0xff, 0xfe, 0x00, 0xc3]), wsAuth)).error).toMatch(/^unknown request/);
        expect(JSON.parse(await wsRequest(admin, 'INFO %ZZ \u0000 keyspace', wsAuth))).toHaveProperty('keyspace');
        expect(JSON.parse(await wsRequest(admin, 'SUBSCRIBE nothing-such', wsAuth)).error).toMatch(/^unknown request/);

        // still serving, nothing lost
        expect(s.proc.exitCode).toBeNull();
        expect(await io.ping()).toBe('PONG');
        for (let i = 0; i < 50; i++) expect(await io.get(`mal:${i}`)).toBe(`v${i}`);
        expect((await fetch(`http://127.0.0.1:${admin}/health`)).status).toBe(200);
      } finally {
        io.disconnect();
        await s.stop();
      }
    }, 60_000);
  }
});

describe('admin endpoint credentials', () => {
  const PASS = 'adm-pass';
  let srv: Proc;
  let admin: number;
  const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const status = async (path: string, authorization?: string): Promise<number> =>
    (await fetch(`http://127.0.0.1:${admin}${path}`, { headers: authorization ? { authorization } : {} })).status;

  beforeAll(async () => {
    admin = await freePort();
    srv = await startShardis({ args: ['--admin-port', String(admin), '--requirepass', PASS] });
  });

  afterAll(async () => {
    await srv.stop();
  });

  it('with requirepass, INFO, metrics, the dashboard and its assets need credentials (401 with a Basic challenge)', async () => {
    for (const p of ['/info', '/info.json', '/metrics', '/', '/dashboard.js', '/dashboard.css']) {
      const r = await fetch(`http://127.0.0.1:${admin}${p}`);
      expect(r.status, p).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="shardis admin"/);
      expect(await r.text()).not.toContain(PASS);
    }
    expect(await status('/health')).toBe(200);
  });

  it('HTTP Basic as user default with the requirepass password, or a Bearer password, lets in; anything else does not', async () => {
    expect(await status('/info', basic('default', PASS))).toBe(200);
    expect(await status('/metrics', basic('default', PASS))).toBe(200);
    expect(await status('/metrics', `Bearer ${PASS}`)).toBe(200);
    expect(await status('/info', basic('default', 'wrong'))).toBe(401);
    expect(await status('/info', basic('alice', PASS))).toBe(401);
    expect(await status('/info', `Bearer wrong`)).toBe(401);
    expect(await status('/info', basic('default', ''))).toBe(401);
  });

  it("the WebSocket needs credentials too; the dashboard page's session cookie opens it", async () => {
    const key = crypto.randomBytes(16).toString('base64');
    const upgrade = (headers: string): string =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`;
    expect(statusOf(await rawHttp(admin, [upgrade('')]))).toBe(401);
    expect(statusOf(await rawHttp(admin, [upgrade('Cookie: shardis_admin=forged\r\n')]))).toBe(401);
    const page = await fetch(`http://127.0.0.1:${admin}/`, { headers: { authorization: basic('default', PASS) } });
    expect(page.status).toBe(200);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^shardis_admin=[0-9a-f]{64}$/);
    expect(await wsRequest(admin, 'PING', `Cookie: ${cookie}\r\n`)).toBe('PONG');
    expect(await wsRequest(admin, 'PING', `Authorization: ${basic('default', PASS)}\r\n`)).toBe('PONG');
  });

  it('CONFIG SET requirepass applies at once: cleared, the endpoint is open', async () => {
    const io = new Redis({ port: srv.port, password: PASS });
    try {
      await io.config('SET', 'requirepass', '');
      expect(await status('/info')).toBe(200);
      await io.config('SET', 'requirepass', PASS);
      expect(await status('/info')).toBe(401);
    } finally {
      io.disconnect();
    }
  });
});

describe('admin-bind', () => {
  it('admin-bind defaults to the first bind address; when set, the endpoint listens there only', async () => {
    const admin = await freePort();
    const s = await startShardis({ args: ['--admin-port', String(admin), '--bind', '127.0.0.1', '--admin-bind', '127.0.0.2'] });
    try {
      const io = new Redis({ port: s.port });
      expect(await io.config('GET', 'admin-bind')).toEqual(['admin-bind', '127.0.0.2']);
      io.disconnect();
      expect((await fetch(`http://127.0.0.2:${admin}/health`)).status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${admin}/health`)).rejects.toThrow();
    } finally {
      await s.stop();
    }
    const admin2 = await freePort();
    const d = await startShardis({ args: ['--admin-port', String(admin2), '--bind', '127.0.0.2'] });
    try {
      expect((await fetch(`http://127.0.0.2:${admin2}/health`)).status).toBe(200);
      await expect(fetch(`http://127.0.0.1:${admin2}/health`)).rejects.toThrow();
    } finally {
      await d.stop();
    }
  });
});

describe.skipIf(!HAVE_PROM)('GET /metrics (parsed by prometheus_client)', () => {
  let master: Proc;
  let replica: Proc;
  let madmin: number;
  let radmin: number;
  let m: Redis;
  let r: Redis;

  beforeAll(async () => {
    madmin = await freePort();
    radmin = await freePort();
    master = await startShardis({ shards: 2, args: ['--admin-port', String(madmin)] });
    replica = await startShardis({ shards: 2, args: ['--admin-port', String(radmin), '--replicaof', '127.0.0.1', String(master.port)] });
    m = new Redis({ port: master.port });
    r = new Redis({ port: replica.port });
  }, 30_000);

  afterAll(async () => {
    m?.disconnect();
    r?.disconnect();
    await replica?.stop();
    await master?.stop();
  });

  const metrics = async (port: number): Promise<{ type: string; samples: Sample[] }> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    return { type: res.headers.get('content-type') ?? '', samples: promParse(await res.text()) };
  };

  it("a master's series follow redis_exporter's names and match INFO", async () => {
    for (let i = 0; i < 7; i++) await m.set(`met:${i}`, 'x');
    await m.set('met:ttl', 'x', 'EX', 1000);
    for (let i = 0; i < 3; i++) await m.get(`met:${i}`);
    await m.select(3);
    await m.set('met:db3', 'y');
    await m.select(0);
    await waitInSync(m, r);
    const before = { stats: await infoOf(m, 'stats'), repl: await infoOf(m, 'replication') };
    const { type, samples } = await metrics(madmin);
    const after = { stats: await infoOf(m, 'stats'), repl: await infoOf(m, 'replication'), clients: await infoOf(m, 'clients'), ks: await infoOf(m, 'keyspace') };
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const v = (name: string, labels: Record<string, string> = {}): number => {
      const s = sample(samples, name, labels);
      if (!s) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
      return s.value;
    };
    const between = (x: number, a: string | undefined, b: string | undefined): void => {
      expect(x).toBeGreaterThanOrEqual(Number(a));
      expect(x).toBeLessThanOrEqual(Number(b));
    };
    expect(v('redis_up')).toBe(1);
    expect(sample(samples, 'redis_instance_info', { role: 'master', redis_version: '7.0.15' })).toBeDefined();
    expect(v('redis_connected_clients')).toBe(Number(after.clients.connected_clients));
    expect(v('redis_db_keys', { db: 'db0' })).toBe(Number(/keys=(\d+)/.exec(after.ks.db0!)![1]));
    expect(v('redis_db_keys', { db: 'db0' })).toBe(8);
    expect(v('redis_db_keys', { db: 'db3' })).toBe(1);
    expect(v('redis_db_keys_expiring', { db: 'db0' })).toBe(1);
    between(v('redis_commands_processed_total'), before.stats.total_commands_processed, after.stats.total_commands_processed);
    expect(sample(samples, 'redis_commands_processed_total')!.type).toBe('counter');
    expect(v('redis_commands_total', { cmd: 'set' })).toBe(9);
    expect(v('redis_commands_total', { cmd: 'get' })).toBe(3);
    expect(v('redis_memory_used_bytes')).toBeGreaterThan(0);
    expect(v('redis_connected_slaves')).toBe(1);
    between(v('redis_master_repl_offset'), before.repl.master_repl_offset, after.repl.master_repl_offset);
    const labels = { slave_ip: '127.0.0.1', slave_port: String(replica.port), slave_state: 'online' };
    expect(v('redis_connected_slave_offset_bytes', labels)).toBeGreaterThan(0);
    expect(v('redis_connected_slave_lag_seconds', labels)).toBeGreaterThanOrEqual(0);
    expect(v('shardis_replica_lag_bytes', labels)).toBeGreaterThanOrEqual(0);
    // shardis's own: per shard, and the event loop
    expect(v('shardis_shards')).toBe(2);
    const shardKeys = samples.filter((s) => s.name === 'shardis_shard_keys' && s.labels.db === 'db0').reduce((a, s) => a + s.value, 0);
    expect(shardKeys).toBe(8);
    for (const shard of ['0', '1']) {
      expect(v('shardis_shard_commands_processed_total', { shard })).toBeGreaterThanOrEqual(0);
      expect(v('shardis_shard_busy_seconds_total', { shard })).toBeGreaterThan(0);
      expect(v('shardis_shard_request_ring_used_bytes', { shard })).toBeGreaterThanOrEqual(0);
      expect(v('shardis_shard_ring_capacity_bytes', { shard })).toBeGreaterThan(0);
    }
    expect(v('shardis_shard_commands_processed_total', { shard: '0' }) + v('shardis_shard_commands_processed_total', { shard: '1' })).toBeGreaterThanOrEqual(12);
    expect(sample(samples, 'shardis_event_loop_delay_seconds', { quantile: '0.99' })!.type).toBe('summary');
    expect(v('shardis_event_loop_delay_seconds_count')).toBeGreaterThanOrEqual(0);
  });

  it("a replica's series: its link, its offset, its role", async () => {
    await waitInSync(m, r);
    const before = await infoOf(r);
    const { samples } = await metrics(radmin);
    const after = await infoOf(r);
    expect(sample(samples, 'redis_instance_info', { role: 'slave' })).toBeDefined();
    expect(sample(samples, 'redis_master_link_up')!.value).toBe(1);
    const off = sample(samples, 'redis_slave_repl_offset')!.value;
    expect(off).toBeGreaterThanOrEqual(Number(before.slave_repl_offset));
    expect(off).toBeLessThanOrEqual(Number(after.slave_repl_offset));
    expect(sample(samples, 'redis_slave_info', { master_host: '127.0.0.1', master_port: String(master.port) })).toBeDefined();
    expect(sample(samples, 'redis_connected_slaves')!.value).toBe(0);
  });
});

describe('admin port announced in INFO server', () => {
  it('INFO server prints shardis_admin_port: admin-port, or admin-announce-port when set (CONFIG SET at run time); 0 when off', async () => {
    const admin = await freePort();
    const s = await startShardis({ args: ['--admin-port', String(admin)] });
    const off = await startShardis();
    try {
      const io = new Redis({ port: s.port });
      expect((await infoOf(io, 'server')).shardis_admin_port).toBe(String(admin));
      await io.config('SET', 'admin-announce-port', '23456');
      expect((await infoOf(io, 'server')).shardis_admin_port).toBe('23456');
      io.disconnect();
      const o = new Redis({ port: off.port });
      expect((await infoOf(o, 'server')).shardis_admin_port).toBe('0');
      o.disconnect();
    } finally {
      await s.stop();
      await off.stop();
    }
  });
});

describe.skipIf(!HAVE_PROM)('Prometheus exposition escaping', () => {
  it('label values with quotes, backslashes and newlines (a master_host, an os name) stay parseable', async () => {
    const { renderMetrics } = await import('../src/admin/metrics.js');
    const weird = 'a "b" \\c\nd';
    const text = renderMetrics(
      {
        t: Date.now(),
        info: {
          server: { redis_version: '7.0.15', os: weird, uptime_in_seconds: '5', tcp_port: '1' },
          replication: { role: 'slave', master_host: weird, master_port: '1', master_link_status: 'up', slave_repl_offset: '7', slave0: `ip=${weird},port=2,state=online,offset=3,lag=0`, master_repl_offset: '9' },
          keyspace: { db0: 'keys=1,expires=0,avg_ttl=0' },
        },
        shards: [],
        calls: [['config|get', 'server', 2]],
        loop: { p50: 0, p90: 0, p99: 0, max: 0, sum: 0, count: 0 },
      },
      10,
    );
    const all = promParse(text);
    expect(sample(all, 'redis_instance_info')!.labels.os).toBe(weird);
    expect(sample(all, 'redis_slave_info')!.labels.master_host).toBe(weird);
    expect(sample(all, 'redis_commands_total', { cmd: 'config|get' })!.value).toBe(2);
    expect(sample(all, 'redis_slave_repl_offset')!.value).toBe(7);
  });
});

describe('dashboard frames with odd peers', () => {
  it('a replica announcing an impossible listening port (99999) is shown without a dashboard link and does not take the server down', async () => {
    const admin = await freePort();
    const s = await startShardis({ args: ['--admin-port', String(admin), '--repl-diskless-sync-delay', '0'] });
    const fake = net.connect(s.port, '127.0.0.1');
    try {
      await new Promise((r) => fake.once('connect', r));
      fake.on('data', () => undefined);
      fake.write('*3\r\n$8\r\nREPLCONF\r\n$14\r\nlistening-port\r\n$5\r\n99999\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
      const io = new Redis({ port: s.port });
      await waitFor(async () => (await io.info('replication')).includes('port=99999'), 'the fake replica listed');
      io.disconnect();
      const frame = JSON.parse(await wsRequest(admin, 'SUBSCRIBE dashboard')) as { replicas: { port: number; admin: string | null }[] };
      expect(frame.replicas.map((r) => [r.port, r.admin])).toEqual([[99999, null]]);
      await new Promise((r) => setTimeout(r, 300));
      expect(s.proc.exitCode).toBeNull();
      expect((await fetch(`http://127.0.0.1:${admin}/health`)).status).toBe(200);
    } finally {
      fake.destroy();
      await s.stop();
    }
  });
});
