/*
 * Replication between shardis processes: the seed session, replicas made by command line, config
 * file and SLAVEOF, READONLY, ROLE and INFO, WAIT, min-replicas, a full sync of a large keyspace with
 * writes running during it, partial resync after a dropped link, master loss (stale reads, refused
 * writes, MASTERDOWN), promotion keeping the data and the other replica re-pointed with a partial
 * resync, chained replicas, expiry seen from a replica, the client-output-buffer-limit for replicas.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import Redis from 'ioredis';
import { freePort, sleep, startShardis, waitFor, type Proc } from './helpers/server.js';
import { contents, differences, info, waitInSync } from './helpers/replication.js';

const FAST = ['--repl-diskless-sync-delay', '0'];

const procs: Proc[] = [];
const clients: Redis[] = [];

async function shardis(args: string[] = [], shards = 1): Promise<{ p: Proc; c: Redis }> {
  const p = await startShardis({ args: [...FAST, ...args], shards });
  procs.push(p);
  const pw = args.indexOf('--requirepass');
  const password = pw >= 0 ? args[pw + 1] : undefined;
  const c = new Redis({ port: p.port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return { p, c };
}

async function stopAll(): Promise<void> {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(procs.splice(0).map((p) => p.kill()));
}

describe('the seed session', () => {
  afterAll(stopAll);

  it('writes on the master are read on replicas made by --replicaof, by SLAVEOF and by a config file', async () => {
    const m = await shardis([], 2);
    const r1 = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    const r2 = await shardis([]);
    expect(await r2.c.slaveof('127.0.0.1', m.p.port)).toBe('OK');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-repl-'));
    const conf = path.join(dir, 'replica.conf');
    fs.writeFileSync(conf, `slaveof 127.0.0.1 ${m.p.port}\nrepl-diskless-sync-delay 0\n`);
    const p3 = await startShardis({ args: [conf] });
    procs.push(p3);
    const r3 = new Redis({ port: p3.port });
    clients.push(r3);

    await m.c.set('msg', 'hello world');
    await m.c.incr('counter');
    await m.c.incr('counter');
    await m.c.rpush('lst', 1, 3, 5, 7, 9);
    for (const r of [r1.c, r2.c, r3]) {
      await waitInSync(m.c, r);
      expect(await r.get('msg')).toBe('hello world');
      expect(await r.get('counter')).toBe('2');
      expect(await r.lrange('lst', 0, -1)).toEqual(['1', '3', '5', '7', '9']);
    }
    expect((await info(m.c)).connected_slaves).toBe('3');
    expect(await r2.c.slaveof('127.0.0.1', m.p.port)).toBe('OK Already connected to specified master');
  });
});

describe('replica behaviour and introspection', () => {
  let m: { p: Proc; c: Redis };
  let r: { p: Proc; c: Redis };
  beforeAll(async () => {
    m = await shardis([], 2);
    r = await shardis([]);
    await r.c.replicaof('127.0.0.1', m.p.port);
    await waitInSync(m.c, r.c);
  });
  afterAll(stopAll);

  it('a replica refuses writes with READONLY, and serves reads', async () => {
    await m.c.set('k', 'v');
    await waitInSync(m.c, r.c);
    await expect(r.c.set('x', '1')).rejects.toThrow("READONLY You can't write against a read only replica.");
    expect(await r.c.get('k')).toBe('v');
  });

  it('ROLE has the shapes of Redis on master and replica', async () => {
    await waitInSync(m.c, r.c);
    // replicas ACK every second: wait until the master has the ACK of everything and the replica
    // reports the same offset (a PING the master sends meanwhile moves both: read them again)
    const [mr, rr] = await waitFor(async () => {
      const v = (await m.c.call('ROLE')) as [string, number, [string, string, string][]];
      if (v[2][0]?.[2] !== String(v[1])) return null;
      const w = (await r.c.call('ROLE')) as [string, string, number, string, number];
      return w[4] === v[1] ? ([v, w] as const) : null;
    }, 'the replica ACK and offset to reach the master offset');
    expect(mr[0]).toBe('master');
    expect(mr[2]).toEqual([['127.0.0.1', String(r.p.port), String(mr[1])]]);
    expect(rr).toEqual(['slave', '127.0.0.1', m.p.port, 'connected', mr[1]]);
  });

  it('INFO replication has the fields of redis-server on both sides', async () => {
    const mi = await info(m.c);
    for (const f of ['role', 'connected_slaves', 'slave0', 'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen']) {
      expect(mi, f).toHaveProperty(f);
    }
    expect(mi.role).toBe('master');
    expect(mi.slave0).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${r.p.port},state=online,offset=\\d+,lag=\\d+$`));
    const ri = await info(r.c);
    for (const f of ['master_host', 'master_port', 'master_link_status', 'master_last_io_seconds_ago', 'master_sync_in_progress', 'slave_read_repl_offset', 'slave_repl_offset', 'slave_priority', 'slave_read_only', 'replica_announced', 'connected_slaves', 'master_replid', 'master_repl_offset']) {
      expect(ri, f).toHaveProperty(f);
    }
    expect(ri.role).toBe('slave');
    expect(ri.master_link_status).toBe('up');
    expect(ri.master_replid).toBe(mi.master_replid);
    const stats = await info(m.c, 'stats');
    expect(Number(stats.sync_full)).toBeGreaterThanOrEqual(1);
  });

  it('INFO stats counts replication traffic apart from client traffic (total_net_repl_*)', async () => {
    await m.c.set('net:k', 'x'.repeat(1000));
    await waitInSync(m.c, r.c);
    // the master may stream a PING after waitInSync: wait until the replica read up to the offset seen
    const offset = Number((await info(m.c)).master_repl_offset);
    await waitFor(async () => Number((await info(r.c, 'stats')).total_net_repl_input_bytes) >= offset, 'replica read the stream');
    const ms = await info(m.c, 'stats');
    const rs = await info(r.c, 'stats');
    // the replica read the payload and the whole stream from its master; the master wrote at least the stream
    expect(Number(rs.total_net_repl_input_bytes)).toBeGreaterThanOrEqual(offset);
    expect(Number(ms.total_net_repl_output_bytes)).toBeGreaterThanOrEqual(1000);
    // client replies count as client output, and the replica's own client traffic is apart from the stream
    expect(Number(ms.total_net_output_bytes)).toBeGreaterThan(0);
    // (a write's bytes reach the replica's stream count, not its client count, which grows only by
    // this test's INFO calls: however many the waits above made, while a slow full sync began)
    await m.c.set('net:k2', 'y'.repeat(5000));
    await waitInSync(m.c, r.c);
    const rs2 = await info(r.c, 'stats');
    expect(Number(rs2.total_net_repl_input_bytes) - Number(rs.total_net_repl_input_bytes)).toBeGreaterThanOrEqual(5000);
    expect(Number(rs2.total_net_input_bytes) - Number(rs.total_net_input_bytes)).toBeLessThan(5000);
    const before = Number((await info(m.c, 'stats')).total_net_output_bytes);
    await m.c.get('net:k');
    expect(Number((await info(m.c, 'stats')).total_net_output_bytes)).toBeGreaterThanOrEqual(before + 1000);
  });

  it('WAIT counts the replicas that acknowledged, and times out with fewer', async () => {
    await m.c.set('w', '1');
    expect(await m.c.wait(1, 0)).toBe(1);
    expect(await m.c.wait(2, 200)).toBe(1);
    await expect(r.c.wait(1, 10)).rejects.toThrow('ERR WAIT cannot be used with replica instances');
    await expect(m.c.wait(1, -1)).rejects.toThrow('ERR timeout is negative');
  });

  it('min-replicas-to-write refuses writes with NOREPLICAS when too few replicas are good', async () => {
    // a lag limit no busy machine reaches: the one replica is good however late its last ACK was
    await m.c.config('SET', 'min-replicas-max-lag', '3600');
    try {
      await m.c.config('SET', 'min-replicas-to-write', '2');
      await expect(m.c.set('a', '1')).rejects.toThrow('NOREPLICAS Not enough good replicas to write.');
      await m.c.config('SET', 'min-replicas-to-write', '1');
      expect(await m.c.set('a', '1')).toBe('OK');
    } finally {
      await m.c.config('SET', 'min-replicas-to-write', '0');
      await m.c.config('SET', 'min-replicas-max-lag', '10');
    }
  });

  it('a replica hides a key whose time passed while the master is stopped, but does not delete it', async () => {
    // the master must be stopped before the key's time passes (else its own expiry sends the DEL):
    // the key cannot expire before (time SET was sent) + ttl; on a machine too slow for that, try
    // again with a longer TTL
    let key = '';
    let expiredBy = 0;
    for (let ttl = 400; ; ttl *= 4) {
      key = `soon:${ttl}`;
      const sent = Date.now();
      await m.c.set(key, 'v', 'PX', ttl);
      expiredBy = Date.now() + ttl + 1;
      await waitInSync(m.c, r.c);
      const seen = await r.c.get(key);
      m.p.proc.kill('SIGSTOP');
      if (Date.now() < sent + ttl) {
        expect(seen).toBe('v');
        break;
      }
      m.p.proc.kill('SIGCONT');
      // drop the late key everywhere (a read on the master expires it and sends the DEL) before trying again
      await sleep(sent + ttl + 1 - Date.now());
      expect(await m.c.get(key)).toBeNull();
      await waitInSync(m.c, r.c);
      if (ttl > 600_000) throw new Error('could not stop the master within the TTL');
    }
    try {
      await sleep(expiredBy - Date.now());
      expect(await r.c.get(key)).toBeNull();
      expect(await r.c.exists(key)).toBe(0);
      // still held: the master's DEL removes it
      expect(await r.c.dbsize()).toBeGreaterThanOrEqual(1);
      const before = await r.c.dbsize();
      m.p.proc.kill('SIGCONT');
      await waitFor(async () => (await r.c.dbsize()) === before - 1, "the master's DEL to reach the replica");
    } finally {
      m.p.proc.kill('SIGCONT');
    }
  });
});

describe('a small replication backlog', () => {
  afterAll(stopAll);

  it('writes of one tick larger than repl-backlog-size, and one write larger than it, reach the replica whole', async () => {
    const m = await shardis(['--repl-backlog-size', '16kb']);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitInSync(m.c, r.c);
    const fullSyncs = Number((await info(m.c, 'stats')).sync_full);
    // one pipeline: about 100 KB of stream, six times the backlog, fed to the replica in few ticks
    const p = m.c.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`tick:${i}`, `v${i}:${'x'.repeat(90)}`);
    await p.exec();
    await m.c.set('huge', 'h'.repeat(200_000));
    await waitInSync(m.c, r.c);
    expect(await r.c.get('tick:0')).toBe(`v0:${'x'.repeat(90)}`);
    expect(await r.c.get('tick:999')).toBe(`v999:${'x'.repeat(90)}`);
    expect(await r.c.strlen('huge')).toBe(200_000);
    expect(differences(await contents(m.c), await contents(r.c))).toEqual([]);
    // the stream itself arrived whole: the link never broke into another full sync
    expect(Number((await info(m.c, 'stats')).sync_full)).toBe(fullSyncs);
    expect((await info(r.c)).master_link_status).toBe('up');
  });
});

describe('full sync of a large keyspace while writes go on', () => {
  afterAll(stopAll);

  it('the replica converges to identical contents, key by key', async () => {
    const m = await shardis([], 4);
    // 100k keys of every type, some with TTLs (a snapshot that takes a while to send)
    const N = 100_000;
    for (let base = 0; base < N; base += 10_000) {
      const p = m.c.pipeline();
      for (let i = base; i < base + 10_000; i++) {
        if (i % 50 === 0) p.rpush(`list:${i}`, 'a', String(i), 'c');
        else if (i % 50 === 1) p.hset(`hash:${i}`, 'f', String(i), 'g', 'x');
        else if (i % 50 === 2) p.sadd(`set:${i}`, 'a', String(i));
        else if (i % 50 === 3) p.zadd(`zset:${i}`, i, 'm', -i, 'n');
        else if (i % 50 === 4) p.set(`ttl:${i}`, String(i), 'EX', 3600);
        else p.set(`key:${i}`, `value-${i}`);
      }
      await p.exec();
    }
    const r = await shardis([]);
    // a writer keeps changing keys (old and new ones) during the sync
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        const p = m.c.pipeline();
        for (let j = 0; j < 100; j++) {
          const i = Math.floor(Math.random() * N * 1.1);
          p.set(`key:${i}`, `new-${writes}`);
          p.incr('counter');
          p.rpush(`list:${i - (i % 50)}`, 'z');
          p.del(`key:${(i + 7) % N}`);
          p.mset(`ma:${i}`, '1', `mb:${i}`, '2');
        }
        await p.exec();
        writes += 100;
      }
    })();
    await r.c.replicaof('127.0.0.1', m.p.port);
    await waitFor(async () => (await info(r.c)).master_link_status === 'up', 'link up');
    // a few more batches once the stream flows (as many as it takes, however slow the machine)
    const upAt = writes;
    await waitFor(() => writes >= upAt + 300, 'writes after the link came up');
    writing = false;
    await writer;
    expect(writes).toBeGreaterThan(0);
    await waitInSync(m.c, r.c);
    const [a, b] = await Promise.all([contents(m.c), contents(r.c)]);
    expect(a.size).toBeGreaterThan(N * 0.95);
    expect(differences(a, b)).toEqual([]);
    expect(b.size).toBe(a.size);
  });
});

describe('links dropped, masters lost, replicas promoted', () => {
  afterAll(stopAll);

  it('a dropped link resumes with a partial resync', async () => {
    const m = await shardis([], 2);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    await m.c.set('before', '1');
    await waitInSync(m.c, r.c);
    const ok0 = Number((await info(m.c, 'stats')).sync_partial_ok);
    expect(await m.c.client('KILL', 'TYPE', 'replica')).toBe(1);
    await m.c.set('during', '2');
    await waitFor(async () => Number((await info(m.c, 'stats')).sync_partial_ok) === ok0 + 1, 'a partial resync');
    await waitInSync(m.c, r.c);
    expect(await r.c.get('during')).toBe('2');
    expect((await info(m.c, 'stats')).sync_full).toBe('1');
  });

  it('master killed: replicas serve stale reads and refuse writes; promotion keeps data; the other replica continues partially', async () => {
    const m = await shardis([], 2);
    const a = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)], 2);
    const b = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    const stale = await shardis(['--replicaof', '127.0.0.1', String(m.p.port), '--replica-serve-stale-data', 'no']);
    for (let i = 0; i < 100; i++) await m.c.set(`k${i}`, `v${i}`);
    await m.c.rpush('lst', 'a', 'b');
    for (const r of [a, b, stale]) await waitInSync(m.c, r.c);
    await m.p.kill();
    await waitFor(async () => (await info(a.c)).master_link_status === 'down', 'link down');
    await waitFor(async () => (await info(stale.c)).master_link_status === 'down', 'link down');
    // stale reads are served, writes refused
    expect(await a.c.get('k7')).toBe('v7');
    expect(await b.c.lrange('lst', 0, -1)).toEqual(['a', 'b']);
    await expect(a.c.set('x', '1')).rejects.toThrow('READONLY');
    await expect(stale.c.get('k7')).rejects.toThrow('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.');

    // promote a: data kept, writes accepted
    expect(await a.c.slaveof('NO', 'ONE')).toBe('OK');
    expect((await info(a.c)).role).toBe('master');
    expect(await a.c.get('k99')).toBe('v99');
    expect(await a.c.set('after', 'promotion')).toBe('OK');
    // re-point b at a: partial resync
    await b.c.replicaof('127.0.0.1', a.p.port);
    await waitInSync(a.c, b.c);
    expect(await b.c.get('after')).toBe('promotion');
    expect(await b.c.get('k0')).toBe('v0');
    const st = await info(a.c, 'stats');
    expect(st.sync_partial_ok).toBe('1');
    expect(st.sync_full).toBe('0');
    const ai = await info(a.c);
    expect(ai.master_replid2).not.toBe('0'.repeat(40));
  });

  it('a master restarted with a new history answers the old replid with a full sync (sync_partial_err)', async () => {
    const port = await freePort();
    const m1 = await startShardis({ args: FAST, port });
    const r = await shardis(['--replicaof', '127.0.0.1', String(port)]);
    const c1 = new Redis({ port });
    await c1.set('old', '1');
    await waitInSync(c1, r.c);
    c1.disconnect();
    await m1.kill();
    const m2 = await startShardis({ args: FAST, port });
    procs.push(m2);
    const c2 = new Redis({ port });
    clients.push(c2);
    await c2.set('new', '2');
    await waitInSync(c2, r.c);
    const st = await info(c2, 'stats');
    expect(st.sync_partial_err).toBe('1');
    expect(st.sync_full).toBe('1');
    // the replica now holds exactly the new master's data
    expect(await r.c.get('old')).toBeNull();
    expect(await r.c.get('new')).toBe('2');
  });

  it('PSYNC ... FAILOVER promotes the replica and continues, while other clients keep it busy', async () => {
    const m = await shardis([], 1);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)], 2);
    await m.c.set('fo', '1');
    await waitInSync(m.c, r.c);
    const ri = await info(r.c);
    // other clients keep requests arriving while the promotion awaits its shards
    const busy = [0, 1, 2].map(() => new Redis({ port: r.p.port }));
    let stop = false;
    let rounds = 0;
    const flood = busy.map(async (b) => {
      while (!stop) {
        await b.pipeline([['get', 'fo'], ['exists', 'a', 'b', 'c', 'd'], ['ping']]).exec();
        rounds++;
      }
    });
    await waitFor(() => rounds >= 10, 'the other clients to be busy');
    // a bare socket posing as the old master handing over (its FAILOVER)
    const sock = net.connect(r.p.port, '127.0.0.1');
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const off = String(Number(ri.master_repl_offset) + 1);
    sock.write(`*4\r\n$5\r\nPSYNC\r\n$${ri.master_replid!.length}\r\n${ri.master_replid}\r\n$${off.length}\r\n${off}\r\n$8\r\nFAILOVER\r\n`);
    await waitFor(() => got.includes('\r\n'), 'the PSYNC reply');
    stop = true;
    await Promise.all(flood);
    for (const b of busy) b.disconnect();
    sock.destroy();
    // no "capa psync2" was sent, so no replid after +CONTINUE
    expect(got.split('\r\n')[0]).toBe('+CONTINUE');
    expect(((await r.c.call('ROLE')) as unknown[])[0]).toBe('master');
    expect(await r.c.get('fo')).toBe('1');
  });

  it('a replica of a replica (chained) gets the same data', async () => {
    const m = await shardis([], 2);
    const mid = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    const leaf = await shardis(['--replicaof', '127.0.0.1', String(mid.p.port)]);
    await m.c.set('a', '1');
    await m.c.hset('h', 'f', 'v');
    await m.c.mset('x1', '1', 'x2', '2', 'x3', '3');
    await waitInSync(m.c, mid.c);
    await waitInSync(mid.c, leaf.c);
    expect(differences(await contents(m.c), await contents(leaf.c))).toEqual([]);
    expect((await info(leaf.c)).master_replid).toBe((await info(m.c)).master_replid);
  });
});

describe('a replica that cannot keep up', () => {
  let sock: net.Socket | null = null;
  afterEach(() => sock?.destroy());
  afterAll(stopAll);

  it('is disconnected at client-output-buffer-limit replica, and the master keeps serving', async () => {
    const m = await shardis(['--client-output-buffer-limit', 'replica 1mb 512kb 60']);
    // a "replica" that asks for the stream and never reads it
    sock = net.connect(m.p.port, '127.0.0.1');
    await new Promise((res) => sock!.once('connect', res));
    sock.write('PSYNC ? -1\r\n');
    sock.pause();
    await waitFor(async () => (await info(m.c)).connected_slaves === '1', 'the replica to register');
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 200; i++) await m.c.set(`big${i % 10}`, big);
    await waitFor(async () => (await info(m.c)).connected_slaves === '0', 'the replica to be dropped');
    expect(m.p.output()).toContain('scheduled to be closed ASAP for overcoming of output buffer limits');
    expect(await m.c.get('big1')).toBe(big);
  });
});

describe('writes during a full sync', () => {
  let sock: net.Socket | null = null;
  afterEach(() => sock?.destroy());
  afterAll(stopAll);

  it('writes held for a replica that has not acknowledged its payload take their own bytes (not a buffer each) and follow it in order after its ACK', async () => {
    const m = await shardis(FAST);
    await m.c.set('before', '1');
    sock = net.connect(m.p.port, '127.0.0.1');
    await new Promise((res) => sock!.once('connect', res));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.write('REPLCONF capa eof capa psync2\r\nPSYNC ? -1\r\n');
    await waitFor(() => /\$EOF:[0-9a-f]{40}\r\n/.test(got), 'the payload header');
    const mark = /\$EOF:([0-9a-f]{40})\r\n/.exec(got)![1]!;
    await waitFor(() => got.indexOf(mark) !== got.lastIndexOf(mark), 'the end of the payload');
    const payloadEnd = got.lastIndexOf(mark) + mark.length;
    const used = async (): Promise<number> => Number(((await m.c.info('memory')).match(/used_memory:(\d+)/) ?? [])[1]);
    const before = await used();
    // one write per event-loop tick, each held until the replica's first ACK
    for (let i = 0; i < 3000; i++) await m.c.set(`held:${i}`, 'v');
    expect(await used()).toBeLessThan(before + 16 * 1024 * 1024); // a 16 kB tick buffer each would be 48 MB
    expect(got.length).toBe(payloadEnd); // nothing sent before the ACK
    sock.write('REPLCONF ACK 0\r\n');
    await waitFor(() => got.includes('held:2999'), 'the held writes');
    const stream = got.slice(payloadEnd);
    const at = [0, 1, 1499, 2998, 2999].map((i) => stream.indexOf(`$${`held:${i}`.length}\r\nheld:${i}\r\n`));
    expect(at.every((x) => x >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });
});

describe('replication options', () => {
  afterAll(stopAll);

  it('masterauth authenticates to a master with requirepass; announce-ip/port are what the master reports', async () => {
    const m = await shardis(['--requirepass', 'sekret'], 1);
    const r = await shardis(['--masterauth', 'sekret', '--replica-announce-ip', '10.1.2.3', '--replica-announce-port', '4444', '--replicaof', '127.0.0.1', String(m.p.port)]);
    await m.c.set('k', 'v');
    await waitInSync(m.c, r.c);
    expect(await r.c.get('k')).toBe('v');
    expect((await info(m.c)).slave0).toMatch(/^ip=10\.1\.2\.3,port=4444,state=online,/);
  });

  it('without masterauth the link does not come up', async () => {
    const m = await shardis(['--requirepass', 'sekret'], 1);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitFor(() => /NOAUTH|Authentication required/.test(r.p.output()), 'the refused sync in the log');
    expect((await info(r.c)).master_link_status).toBe('down');
  });

  it('repl-timeout: a replica drops a silent master link', async () => {
    const m = await shardis([], 1);
    const r = await shardis(['--repl-timeout', '2', '--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitInSync(m.c, r.c);
    m.p.proc.kill('SIGSTOP');
    try {
      await waitFor(async () => (await info(r.c)).master_link_status === 'down', 'the link to time out');
      expect(r.p.output()).toContain('MASTER timeout');
    } finally {
      m.p.proc.kill('SIGCONT');
    }
    // and it reconnects once the master answers again
    await waitInSync(m.c, r.c);
  });

  it('CONFIG REWRITE records replicaof after SLAVEOF, and drops it after SLAVEOF NO ONE', async () => {
    const m = await shardis([], 1);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-repl-'));
    const conf = path.join(dir, 'r.conf');
    fs.writeFileSync(conf, 'repl-diskless-sync-delay 0\n');
    const p = await startShardis({ args: [conf] });
    procs.push(p);
    const r = new Redis({ port: p.port });
    clients.push(r);
    await r.replicaof('127.0.0.1', m.p.port);
    await r.config('REWRITE');
    expect(fs.readFileSync(conf, 'utf8')).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${m.p.port}$`, 'm'));
    await r.replicaof('NO', 'ONE');
    await r.config('REWRITE');
    expect(fs.readFileSync(conf, 'utf8')).not.toMatch(/^replicaof /m);
  });

  it('repl-ping-replica-period: the master PINGs its replicas through the stream', async () => {
    const m = await shardis(['--repl-ping-replica-period', '1'], 1);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitInSync(m.c, r.c);
    const before = Number((await info(m.c)).master_repl_offset);
    // no writes: only PINGs ("*1\r\n$4\r\nPING\r\n", 14 bytes) move the offset
    const after = await waitFor(async () => {
      const o = Number((await info(m.c)).master_repl_offset);
      return o >= before + 28 ? o : 0;
    }, 'two PINGs in the stream');
    expect((after - before) % 14).toBe(0);
    await waitInSync(m.c, r.c);
  });

  it('repl-backlog-ttl: the backlog is freed once no replica is left for that long', async () => {
    const m = await shardis(['--repl-backlog-ttl', '1'], 1);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitInSync(m.c, r.c);
    expect((await info(m.c)).repl_backlog_active).toBe('1');
    await r.c.replicaof('NO', 'ONE');
    await waitFor(async () => (await info(m.c)).connected_slaves === '0', 'the replica to leave');
    await waitFor(async () => (await info(m.c)).repl_backlog_active === '0', 'the backlog to be freed');
  });

  it('replica-read-only no: a replica takes writes locally and does not pass them on', async () => {
    const m = await shardis([], 1);
    const mid = await shardis(['--replicaof', '127.0.0.1', String(m.p.port), '--replica-read-only', 'no']);
    const leaf = await shardis(['--replicaof', '127.0.0.1', String(mid.p.port)]);
    await waitInSync(m.c, mid.c);
    await waitInSync(mid.c, leaf.c);
    expect(await mid.c.set('local', '1')).toBe('OK');
    await m.c.set('from-master', '1');
    await waitInSync(m.c, mid.c);
    await waitInSync(mid.c, leaf.c);
    expect(await leaf.c.get('from-master')).toBe('1');
    expect(await leaf.c.get('local')).toBeNull();
    expect(await m.c.get('local')).toBeNull();
  });

  it('repl-diskless-sync-delay: replicas wait (state wait_bgsave, newline keep-alives) and share one snapshot', async () => {
    // a delay no busy machine outlasts; the sync starts when the second replica arrives
    // (repl-diskless-sync-max-replicas), so the test does not race the delay
    const m = await shardis(['--repl-diskless-sync-delay', '600', '--repl-diskless-sync-max-replicas', '2'], 1);
    await m.c.set('k', 'v');
    const a = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    const mi = await waitFor(async () => {
      const x = await info(m.c);
      return x.slave0 ? x : null;
    }, 'the first replica registered');
    expect(mi.slave0).toContain('state=wait_bgsave');
    expect((await info(a.c)).master_link_status).toBe('down');
    const b = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitInSync(m.c, a.c);
    await waitInSync(m.c, b.c);
    expect(await a.c.get('k')).toBe('v');
    expect(await b.c.get('k')).toBe('v');
    // one snapshot served both
    expect(m.p.output().match(/Starting BGSAVE for SYNC/g)).toHaveLength(1);
  });

  it('REPLICAOF argument errors are the ones of Redis', async () => {
    const m = await shardis([], 1);
    await expect(m.c.replicaof('127.0.0.1', 'notaport')).rejects.toThrow('ERR Invalid master port');
    await expect(m.c.replicaof('127.0.0.1', '70000')).rejects.toThrow('ERR Invalid master port');
    await expect(m.c.call('REPLCONF', 'bogus', 'x')).rejects.toThrow('ERR Unrecognized REPLCONF option: bogus');
    expect(await m.c.replicaof('NO', 'ONE')).toBe('OK');
    expect((await info(m.c)).role).toBe('master');
  });
});

describe('the backlog under a pipeline of writes', () => {
  let sock: net.Socket | null = null;
  afterEach(() => sock?.destroy());
  afterAll(stopAll);

  it('a partial resync gets exactly the bytes of the writes made while a replica was attached (short and long ones, many to a tick)', async () => {
    const m = await shardis(['--repl-ping-replica-period', '3600']);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port)]);
    // after the full sync, so that this write is streamed (not in the snapshot) and the stream's
    // SELECT goes before the offset taken below
    await waitInSync(m.c, r.c);
    await m.c.set('first', '1');
    await waitInSync(m.c, r.c);
    const mi = await info(m.c);
    const from = Number(mi.master_repl_offset) + 1;
    // one pipeline: many writes land in one tick of the master, some longer than a short copy, one
    // longer than the fan-out buffer's first size
    const p = m.c.pipeline();
    const expected: string[] = [];
    const resp = (...a: string[]): string => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
    for (let i = 0; i < 600; i++) {
      const v = i % 100 === 7 ? 'L'.repeat(300 + i) : i === 301 ? 'H'.repeat(40_000) : `v${i}`;
      p.set(`pipelined:${i}`, v);
      expected.push(resp('set', `pipelined:${i}`, v));
    }
    await p.exec();
    await waitInSync(m.c, r.c);
    const want = expected.join('');
    expect(Number((await info(m.c)).master_repl_offset)).toBe(from - 1 + Buffer.byteLength(want));
    sock = net.connect(m.p.port, '127.0.0.1');
    await new Promise((res) => sock!.once('connect', res));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.write(resp('PSYNC', mi.master_replid!, String(from)));
    const head = '+CONTINUE\r\n';
    await waitFor(() => got.length >= head.length + want.length, 'the backlog from the offset');
    expect(got.slice(0, head.length)).toBe(head);
    expect(got.slice(head.length, head.length + want.length) === want).toBe(true);
  });
});

describe("the replica's apply path (the master's commands get no reply records)", () => {
  afterAll(stopAll);

  it('a replica publishes the keyspace events of the writes it applies, and serves a client blocked on a key the master writes', async () => {
    const m = await shardis();
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port), '--notify-keyspace-events', 'KEA']);
    await m.c.set('warm', '1');
    await waitInSync(m.c, r.c);
    const sub = new Redis({ port: r.p.port, lazyConnect: true });
    await sub.connect();
    clients.push(sub);
    const events: string[] = [];
    sub.on('pmessage', (_p: string, ch: string, msg: string) => {
      if (`${ch} ${msg}`.includes('applied')) events.push(`${ch} ${msg}`);
    });
    await sub.psubscribe('__key*__:*');
    const blocked = new Redis({ port: r.p.port, lazyConnect: true });
    await blocked.connect();
    clients.push(blocked);
    const read = blocked.xread('BLOCK', 0, 'STREAMS', 'applied:stream', '$');
    await waitFor(async () => /blocked_clients:1/.test(await r.c.info('clients')), 'the XREAD blocked on the replica');
    await m.c.set('applied:k', 'v');
    await m.c.xadd('applied:stream', '1-1', 'f', 'x');
    const got = await read;
    expect(got).toEqual([['applied:stream', [['1-1', ['f', 'x']]]]]);
    await waitFor(() => events.length >= 4, 'the events of both writes');
    expect(events).toEqual(['__keyspace@0__:applied:k set', '__keyevent@0__:set applied:k', '__keyspace@0__:applied:stream xadd', '__keyevent@0__:xadd applied:stream']);
  });

  it('a replica applying a stream longer than its request ring (the link congested, the main thread waiting on it) converges and WAIT counts it', async () => {
    const m = await shardis(['--ring-size', '65536']);
    const r = await shardis(['--replicaof', '127.0.0.1', String(m.p.port), '--ring-size', '65536']);
    await waitInSync(m.c, r.c);
    for (let round = 0; round < 4; round++) {
      const p = m.c.pipeline();
      for (let i = 0; i < 20_000; i++) p.set(`congested:${i}`, `${round}:${i}:${'x'.repeat(i % 50)}`);
      await p.exec();
    }
    expect(await m.c.wait(1, 0)).toBe(1);
    // acknowledged: a read on the replica now sees the last write
    expect(await r.c.get('congested:19999')).toBe(`3:19999:${'x'.repeat(19999 % 50)}`);
    await waitInSync(m.c, r.c);
    expect(await r.c.dbsize()).toBe(20_000);
    expect(differences(await contents(m.c), await contents(r.c))).toEqual([]);
  });
});
