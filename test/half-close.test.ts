/*
 * Half-closed clients and reply gathering (issue #23): a client that writes its requests and at once
 * shuts down its sending side (FIN) still gets every reply, whatever runs them (shards, the
 * coordinator, async main-thread commands); CLIENT UNBLOCK finds a client CLIENT LIST shows in a
 * blocking command; a pipeline's replies, main-thread ones included, go out in one write.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startShardis, waitFor, type Proc } from './helpers/server.js';
import { RawClient, replyEnd } from './helpers/raw.js';

const TRIES = 200;

/** Connect, write `data`, half-close at once, and collect everything until the server closes. */
function writeThenFin(port: number, data: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      s.end(data);
    });
    s.on('data', (d) => parts.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(parts)));
  });
}

/** Number of complete RESP values in `b`. */
function countReplies(b: Buffer): number {
  let n = 0;
  let i = 0;
  while (i < b.length) {
    const e = replyEnd(b, i);
    if (e < 0) break;
    n++;
    i = e;
  }
  return n;
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** Run `tries` write-then-FIN rounds (a few at a time) and return how many got `expected` replies. */
async function answeredRounds(port: number, data: string, expected: number, tries = TRIES): Promise<{ ok: number; bad: string[] }> {
  let ok = 0;
  const bad: string[] = [];
  for (let i = 0; i < tries; i += 4) {
    const got = await Promise.all([0, 1, 2, 3].map(() => writeThenFin(port, data)));
    for (const g of got) {
      if (countReplies(g) === expected) ok++;
      else if (bad.length < 3) bad.push(g.toString('latin1').slice(0, 200));
    }
  }
  return { ok, bad };
}

describe.each([1, 4])('write then FIN, %i shard(s)', (shards) => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards });
    const c = await RawClient.connect(srv.port);
    c.send('SET', 'foo', 'bar');
    await c.readRaw();
    c.close();
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('a keyed command is answered after the client half-closes', async () => {
    const r = await answeredRounds(srv.port, 'GET foo\r\n', 1);
    expect(r.bad).toEqual([]);
    expect(r.ok).toBe(TRIES);
    const one = await writeThenFin(srv.port, 'GET foo\r\n');
    expect(one.toString()).toBe('$3\r\nbar\r\n');
  });

  it('SET then GET are both answered after the client half-closes', async () => {
    const r = await answeredRounds(srv.port, resp('SET', 'hc', 'v') + resp('GET', 'hc'), 2);
    expect(r.bad).toEqual([]);
    expect(r.ok).toBe(TRIES);
  });

  it('a cross-shard MGET is answered after the client half-closes', async () => {
    const r = await answeredRounds(srv.port, resp('MGET', 'foo', 'a', 'b', 'c', 'd', 'e', 'f'), 1);
    expect(r.bad).toEqual([]);
    expect(r.ok).toBe(TRIES);
  });

  it('INFO and DBSIZE are answered after the client half-closes', async () => {
    const info = await answeredRounds(srv.port, 'INFO\r\n', 1);
    expect(info.bad).toEqual([]);
    expect(info.ok).toBe(TRIES);
    const dbsize = await answeredRounds(srv.port, 'DBSIZE\r\n', 1);
    expect(dbsize.bad).toEqual([]);
    expect(dbsize.ok).toBe(TRIES);
  });

  it('a pipeline of 100 mixed commands is fully answered after the client half-closes', async () => {
    let p = '';
    for (let i = 0; i < 10; i++) {
      p += resp('SET', `k${i}`, `v${i}`);
      p += resp('GET', `k${i}`);
      p += resp('INCR', `n${i}`);
      p += resp('PING');
      p += resp('MGET', 'k1', 'k2', 'k3', `k${i}`);
      p += resp('DBSIZE');
      p += resp('INFO', 'server');
      p += resp('LPUSH', `l${i}`, 'x');
      p += resp('ECHO', 'e');
      p += resp('EXISTS', 'k1', 'k2', 'k5');
    }
    const r = await answeredRounds(srv.port, p, 100);
    expect(r.bad).toEqual([]);
    expect(r.ok).toBe(TRIES);
  });

  it('a MULTI/EXEC is answered after the client half-closes', async () => {
    const r = await answeredRounds(srv.port, resp('MULTI') + resp('SET', 'm1', 'x') + resp('GET', 'foo') + resp('EXEC'), 4, 40);
    expect(r.bad).toEqual([]);
    expect(r.ok).toBe(40);
  });

  it('a blocked command ends with the half-closed connection, after earlier replies are written', async () => {
    const got = await writeThenFin(srv.port, resp('PING') + resp('BLPOP', 'never-pushed', '0'));
    expect(got.toString()).toBe('+PONG\r\n');
    // nothing stays blocked on the shard: a push to the key is not consumed by the gone client
    const c = await RawClient.connect(srv.port);
    c.send('LPUSH', 'never-pushed', 'x');
    expect(await c.readRaw()).toBe(':1\r\n');
    c.send('LLEN', 'never-pushed');
    expect(await c.readRaw()).toBe(':1\r\n');
    c.send('DEL', 'never-pushed');
    await c.readRaw();
    c.close();
  });

  it('a client that closes both directions is cleaned up, blocked or not', async () => {
    const admin = await RawClient.connect(srv.port);
    const gone: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      for (const req of [resp('PING'), resp('BLPOP', 'both-closed', '0'), resp('GET', 'foo')]) {
        const s = net.connect(srv.port, '127.0.0.1');
        s.on('error', () => {});
        gone.push(new Promise((r) => s.on('close', () => r())));
        s.on('connect', () => {
          s.write(req);
          setTimeout(() => s.destroy(), 20);
        });
      }
    }
    await Promise.all(gone);
    await waitFor(async () => {
      admin.send('INFO', 'clients');
      return (await admin.readRaw()).includes('connected_clients:1\r\n');
    }, 'the closed clients to be gone');
    admin.send('LPUSH', 'both-closed', 'x');
    expect(await admin.readRaw()).toBe(':1\r\n');
    admin.send('DEL', 'both-closed');
    await admin.readRaw();
    admin.close();
  });

  it('a request held by CLIENT PAUSE is answered once the pause ends, after the client half-closed', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('CLIENT', 'PAUSE', '300', 'WRITE');
    expect(await c.readRaw()).toBe('+OK\r\n');
    const got = await writeThenFin(srv.port, resp('SET', 'paused', '1'));
    expect(got.toString()).toBe('+OK\r\n');
    c.close();
  });

  it('CLIENT UNBLOCK right after CLIENT LIST shows the blocked client returns 1', async () => {
    const blocked = await RawClient.connect(srv.port);
    const admin = await RawClient.connect(srv.port);
    blocked.send('CLIENT', 'ID');
    const id = Number((await blocked.readRaw()).slice(1, -2));
    let ones = 0;
    for (let i = 0; i < TRIES; i++) {
      blocked.send('BLPOP', `ub${i % 7}`, '0');
      let listed = false;
      while (!listed) {
        admin.send('CLIENT', 'LIST', 'ID', String(id));
        listed = (await admin.readRaw()).includes('cmd=blpop');
      }
      admin.send('CLIENT', 'UNBLOCK', String(id));
      if ((await admin.readRaw()) === ':1\r\n') ones++;
      expect(await blocked.readRaw()).toBe('*-1\r\n');
      // a no-op so the next round's CLIENT LIST cannot see this round's cmd=blpop
      blocked.send('PING');
      expect(await blocked.readRaw()).toBe('+PONG\r\n');
    }
    expect(ones).toBe(TRIES);
    admin.close();
    blocked.close();
  });

  it('CLIENT UNBLOCK ERROR answers the blocked client with the UNBLOCKED error', async () => {
    const blocked = await RawClient.connect(srv.port);
    const admin = await RawClient.connect(srv.port);
    blocked.send('CLIENT', 'ID');
    const id = (await blocked.readRaw()).slice(1, -2);
    blocked.send('BRPOP', 'ube', '0');
    admin.send('CLIENT', 'UNBLOCK', id, 'ERROR');
    expect(await admin.readRaw()).toBe(':1\r\n');
    expect(await blocked.readRaw()).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
    admin.send('CLIENT', 'UNBLOCK', id, 'FOO');
    expect(await admin.readRaw()).toBe('-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n');
    admin.send('CLIENT', 'UNBLOCK', id);
    expect(await admin.readRaw()).toBe(':0\r\n');
    // arguments are checked as Redis does: reason first, then the id, more than 4 is a syntax error
    admin.send('CLIENT', 'UNBLOCK', 'abc', 'FOO');
    expect(await admin.readRaw()).toBe('-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n');
    admin.send('CLIENT', 'UNBLOCK', 'abc');
    expect(await admin.readRaw()).toBe('-ERR value is not an integer or out of range\r\n');
    admin.send('CLIENT', 'UNBLOCK', id, 'TIMEOUT', 'x');
    expect(await admin.readRaw()).toBe("-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.\r\n");
    // a RESP3 client unblocked with TIMEOUT gets RESP3's null
    blocked.send('HELLO', '3');
    await blocked.readRaw();
    blocked.send('BLPOP', 'ube', '0');
    admin.send('CLIENT', 'UNBLOCK', id, 'TIMEOUT');
    expect(await admin.readRaw()).toBe(':1\r\n');
    expect(await blocked.readRaw()).toBe('_\r\n');
    admin.close();
    blocked.close();
  });

  it('a pipelined PING + GET + INFO is answered in one write', async () => {
    for (let round = 0; round < 20; round++) {
      const reads = await new Promise<number>((resolve, reject) => {
        let n = 0;
        let buf = Buffer.alloc(0);
        const s = net.connect(srv.port, '127.0.0.1', () => s.write(resp('PING') + resp('GET', 'foo') + resp('INFO')));
        s.on('data', (d) => {
          n++;
          buf = Buffer.concat([buf, d]);
          if (countReplies(buf) === 3) {
            s.destroy();
            resolve(n);
          }
        });
        s.on('error', reject);
      });
      expect(reads).toBe(1);
    }
  });
});

describe('blocked commands off the shards, 4 shards', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 4 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  // keys a..h hash to more than one of 4 shards
  const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

  it('CLIENT UNBLOCK right after CLIENT LIST shows a client blocked on keys of several shards returns 1', async () => {
    const blocked = await RawClient.connect(srv.port);
    const admin = await RawClient.connect(srv.port);
    blocked.send('CLIENT', 'ID');
    const id = Number((await blocked.readRaw()).slice(1, -2));
    const tries = 50;
    let ones = 0;
    for (let i = 0; i < tries; i++) {
      blocked.send('BLPOP', ...KEYS, '0');
      let listed = false;
      while (!listed) {
        admin.send('CLIENT', 'LIST', 'ID', String(id));
        listed = (await admin.readRaw()).includes('cmd=blpop');
      }
      admin.send('CLIENT', 'UNBLOCK', String(id), i % 2 === 0 ? 'TIMEOUT' : 'ERROR');
      if ((await admin.readRaw()) === ':1\r\n') ones++;
      expect(await blocked.readRaw()).toBe(i % 2 === 0 ? '*-1\r\n' : '-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
      blocked.send('PING');
      expect(await blocked.readRaw()).toBe('+PONG\r\n');
    }
    expect(ones).toBe(tries);
    admin.close();
    blocked.close();
  });

  it('CLIENT LIST shows a client blocked on keys of several shards with flag b', async () => {
    const blocked = await RawClient.connect(srv.port);
    const admin = await RawClient.connect(srv.port);
    blocked.send('CLIENT', 'ID');
    const id = (await blocked.readRaw()).slice(1, -2);
    blocked.send('BLPOP', ...KEYS, '0');
    let line = '';
    while (!/flags=b /.test(line)) {
      admin.send('CLIENT', 'LIST', 'ID', id);
      line = await admin.readRaw();
    }
    admin.send('CLIENT', 'UNBLOCK', id);
    expect(await admin.readRaw()).toBe(':1\r\n');
    expect(await blocked.readRaw()).toBe('*-1\r\n');
    admin.close();
    blocked.close();
  });

  it('a command blocked on keys of several shards ends with the half-closed connection', async () => {
    const got = await writeThenFin(srv.port, resp('PING') + resp('BLPOP', ...KEYS, '0'));
    expect(got.toString()).toBe('+PONG\r\n');
  });

  it('a command on keys of several shards that can be served at once is answered after the half-close', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('RPUSH', 'h', 'x1', 'x2', 'x3', 'x4', 'x5');
    expect(await c.readRaw()).toBe(':5\r\n');
    for (let i = 1; i <= 5; i++) {
      const got = await writeThenFin(srv.port, resp('BLPOP', ...KEYS, '0'));
      expect(got.toString()).toBe(`*2\r\n$1\r\nh\r\n$2\r\nx${i}\r\n`);
    }
    c.close();
  });

  it('WAIT ends with the half-closed connection', async () => {
    const got = await writeThenFin(srv.port, resp('PING') + resp('WAIT', '1', '0'));
    expect(got.toString()).toBe('+PONG\r\n');
    // WAIT held behind a shard write first (a barrier), then blocked
    const after = await writeThenFin(srv.port, resp('SET', 'w', '1') + resp('WAIT', '1', '0'));
    expect(after.toString()).toBe('+OK\r\n');
    // a WAIT answered at once is answered
    const now = await writeThenFin(srv.port, resp('WAIT', '0', '0'));
    expect(now.toString()).toBe(':0\r\n');
  });
});
