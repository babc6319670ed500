/*
 * client-output-buffer-limit for normal clients (issue #20 part 5): a client that sends requests and
 * never reads is closed once its unsent output passes the hard limit, or stays over the soft limit
 * for its seconds, with Redis's log line; CONFIG SET applies to connected clients; a client under the
 * limits keeps being served.
 */

import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startShardis, waitFor, type Proc } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { encode } from './helpers/pipeline.js';

const VALUE = 'v'.repeat(100 * 1024);

let srv: Proc | null = null;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await srv?.stop();
  srv = null;
});

async function setup(limits: string | null): Promise<{ srv: Proc; admin: RawClient }> {
  srv = await startShardis({ shards: 2, args: limits === null ? [] : ['--client-output-buffer-limit', limits] });
  const admin = await RawClient.connect(srv.port);
  admin.send('SET', 'big', VALUE);
  expect(await admin.readRaw()).toBe('+OK\r\n');
  return { srv, admin };
}

/** A client that pipelines `n` GETs of the big value and never reads; resolves with its id. */
async function nonReader(port: number, n: number): Promise<number> {
  const s = net.connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => {});
  const id = await new Promise<number>((resolve) => {
    s.once('data', (d) => resolve(Number(d.toString().slice(1, -2))));
    s.write(encode([['CLIENT', 'ID']]));
  });
  s.pause(); // stop reading: the server's output piles up
  const batch = encode(Array.from({ length: 100 }, () => ['GET', 'big']));
  for (let i = 0; i < n; i += 100) s.write(batch);
  return id;
}

async function listed(admin: RawClient, id: number): Promise<boolean> {
  admin.send('CLIENT', 'LIST', 'ID', String(id));
  return (await admin.readRaw()).includes(`id=${id} `);
}

describe('client-output-buffer-limit for normal clients', () => {
  it('a client over the normal hard limit is closed, with Redis log line', async () => {
    const { srv, admin } = await setup('normal 2mb 0 0');
    const id = await nonReader(srv.port, 2000);
    await waitFor(async () => !(await listed(admin, id)), 'the non-reading client to be closed', 20_000);
    const line = srv.output().split('\n').find((l) => l.includes('scheduled to be closed ASAP for overcoming of output buffer limits.'));
    expect(line).toBeDefined();
    expect(line).toContain(`Client id=${id} addr=`);
    // the server serves everyone else on
    admin.send('GET', 'big');
    expect((await admin.readRaw()).length).toBe(VALUE.length + 11);
    admin.close();
  });

  it('a client over the normal soft limit for its seconds is closed', async () => {
    const { srv, admin } = await setup('normal 0 1mb 1');
    const id = await nonReader(srv.port, 300);
    await waitFor(async () => !(await listed(admin, id)), 'the non-reading client to be closed', 20_000);
    expect(srv.output()).toContain('scheduled to be closed ASAP for overcoming of output buffer limits.');
    admin.close();
  });

  it('CONFIG SET client-output-buffer-limit applies to the normal class', async () => {
    const { srv, admin } = await setup(null);
    admin.send('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 2mb 1mb 10');
    expect(await admin.readRaw()).toBe('+OK\r\n');
    admin.send('CONFIG', 'GET', 'client-output-buffer-limit');
    expect(await admin.readRaw()).toContain('normal 2097152 1048576 10');
    const id = await nonReader(srv.port, 2000);
    await waitFor(async () => !(await listed(admin, id)), 'the non-reading client to be closed', 20_000);
    admin.close();
  });

  it('a client reading its replies stays under the limits and gets every reply', async () => {
    const { srv, admin } = await setup('normal 2mb 1mb 1');
    const c = await RawClient.connect(srv.port);
    for (let round = 0; round < 5; round++) {
      c.write(encode(Array.from({ length: 10 }, () => ['GET', 'big'])));
      for (let i = 0; i < 10; i++) expect((await c.readRaw()).length).toBe(VALUE.length + 11);
    }
    c.send('PING');
    expect(await c.readRaw()).toBe('+PONG\r\n');
    expect(srv.output()).not.toContain('overcoming of output buffer limits');
    c.close();
    admin.close();
  });
});
