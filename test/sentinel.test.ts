/*
 * High availability under the real redis-sentinel 7: three sentinels (quorum 2) over a shardis master
 * and two replicas. The master is SIGKILLed while a client writes through ioredis's sentinel support;
 * the replica with the better priority is promoted, the other is re-pointed, acknowledged writes
 * survive, and the old master restarted from its config file comes back as a replica.
 *
 * Set HA_REFERENCE=redis to run the same scenario against redis-server (checks the test itself).
 * Needs redis-sentinel (and redis-server for the reference run): required in CI.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, haveBinaries, sleep, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { startSentinel } from './helpers/sentinel.js';

const HAVE = haveBinaries('redis-sentinel', 'redis-server');
const REFERENCE = process.env.HA_REFERENCE === 'redis';

async function startNode(conf: string, port: number): Promise<Proc> {
  if (REFERENCE) return startRedis([conf], path.dirname(conf), port);
  return startShardis({ args: [conf], port, shards: 2, cwd: path.dirname(conf) });
}

function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m ? m[1]!.trim() : undefined;
}

async function role(port: number): Promise<unknown[]> {
  const c = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await c.connect();
    return (await c.call('ROLE')) as unknown[];
  } finally {
    c.disconnect();
  }
}

describe.skipIf(!HAVE)('redis-sentinel over shardis', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-ha-'));
  const nodes: Proc[] = [];
  const sentinels: Proc[] = [];
  // down-after 5 s: a live master on a busy machine can miss a second of PINGs, which must not start a failover
  let mPort = 0;
  let aPort = 0;
  let bPort = 0;
  const confs: Record<string, string> = {};

  beforeAll(async () => {
    mPort = await freePort();
    aPort = await freePort();
    bPort = await freePort();
    const write = (name: string, lines: string[]): string => {
      const f = path.join(dir, `${name}.conf`);
      fs.writeFileSync(f, lines.join('\n') + '\n');
      confs[name] = f;
      return f;
    };
    write('m', [`port ${mPort}`, 'replica-priority 100', `dir ${dir}`, 'save ""', 'repl-diskless-sync yes']);
    write('a', [`port ${aPort}`, `replicaof 127.0.0.1 ${mPort}`, 'replica-priority 10', `dir ${dir}`, 'save ""']);
    write('b', [`port ${bPort}`, `replicaof 127.0.0.1 ${mPort}`, 'replica-priority 50', `dir ${dir}`, 'save ""']);
    nodes.push(await startNode(confs.m!, mPort));
    nodes.push(await startNode(confs.a!, aPort));
    nodes.push(await startNode(confs.b!, bPort));
    const m = new Redis({ port: mPort });
    await waitFor(async () => infoField(await m.info('replication'), 'connected_slaves') === '2', 'two replicas on the master');
    m.disconnect();
    for (let i = 0; i < 3; i++) {
      sentinels.push(await startSentinel({ masterName: 'mymaster', masterPort: mPort, quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 10_000, dir, index: i }));
    }
    // every sentinel sees both replicas and the two other sentinels (found through __sentinel__:hello)
    for (const s of sentinels) {
      const c = new Redis({ port: s.port });
      await waitFor(async () => ((await c.call('SENTINEL', 'replicas', 'mymaster')) as unknown[]).length === 2, 'sentinel sees 2 replicas');
      await waitFor(async () => ((await c.call('SENTINEL', 'sentinels', 'mymaster')) as unknown[]).length === 2, 'sentinel sees 2 sentinels');
      c.disconnect();
    }
  });

  afterAll(async () => {
    for (const s of sentinels) await s.kill();
    for (const n of nodes) await n.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails over on master death: best-priority replica promoted, writes resume, acked writes survive, old master rejoins', async () => {
    const client = new Redis({
      sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name: 'mymaster',
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => {}); // reconnects through the sentinels are expected here
    const acked = new Map<string, string>();
    let written = 0;
    let afterKill = 0;
    let killed = false;
    let stop = false;
    const pending = new Map<string, string>();
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const k = `ha:${i}`;
        try {
          await client.set(k, String(i));
          pending.set(k, String(i));
          written++;
          if (killed) afterKill++;
          if (i % 10 === 9) {
            const n = (await client.call('WAIT', '1', '2000')) as number;
            if (n >= 1) {
              for (const [pk, pv] of pending) acked.set(pk, pv);
              pending.clear();
            }
          }
        } catch {
          await sleep(50); // the master is gone: ioredis asks the sentinels again
        }
      }
    })();

    await waitFor(() => acked.size >= 200, '200 acknowledged writes');
    const ackedBeforeKill = new Map(acked);
    await nodes[0]!.kill();
    killed = true;

    const s0 = new Redis({ port: sentinels[0]!.port });
    await waitFor(async () => {
      const addr = (await s0.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[];
      return addr[1] === String(aPort);
    }, 'sentinel promotes replica a (priority 10)');

    await waitFor(() => afterKill >= 100, 'writes resume on the new master');
    stop = true;
    await writer;
    client.disconnect();

    const a = new Redis({ port: aPort });
    expect(await role(aPort)).toEqual(expect.arrayContaining(['master']));
    for (const [k, v] of ackedBeforeKill) expect(await a.get(k)).toBe(v);

    // replica b is re-pointed at a and receives new writes
    const b = new Redis({ port: bPort });
    await waitFor(async () => {
      const info = await b.info('replication');
      return infoField(info, 'master_port') === String(aPort) && infoField(info, 'master_link_status') === 'up';
    }, 'replica b re-pointed to a');
    await a.set('after-failover', 'yes');
    await waitFor(async () => (await b.get('after-failover')) === 'yes', 'b receives writes from the new master');
    // CONFIG REWRITE persisted the new role in b's config file
    expect(fs.readFileSync(confs.b!, 'utf8')).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${aPort}$`, 'm'));

    // the old master comes back from its config file and is turned into a replica of a
    nodes[0] = await startNode(confs.m!, mPort);
    await waitFor(async () => {
      const r = await role(mPort);
      return r[0] === 'slave' && r[2] === aPort && r[3] === 'connected';
    }, 'old master rejoins as a replica of a');
    const m = new Redis({ port: mPort });
    await waitFor(async () => (await m.get('after-failover')) === 'yes', 'old master has the new data');
    expect(fs.readFileSync(confs.m!, 'utf8')).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${aPort}$`, 'm'));
    a.disconnect();
    b.disconnect();
    m.disconnect();
    s0.disconnect();
  });
});

describe.skipIf(!HAVE)('FAILOVER', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-failover-'));
  const nodes: Proc[] = [];
  const ports: number[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    for (let i = 0; i < 3; i++) {
      const f = path.join(dir, `n${i}.conf`);
      const lines = [`port ${ports[i]}`, `dir ${dir}`, 'save ""'];
      if (i > 0) lines.push(`replicaof 127.0.0.1 ${ports[0]}`);
      fs.writeFileSync(f, lines.join('\n') + '\n');
      nodes.push(await startNode(f, ports[i]!));
    }
    const m = new Redis({ port: ports[0] });
    await waitFor(async () => ((await m.info('replication')).match(/state=online/g) ?? []).length === 2, 'two online replicas');
    m.disconnect();
  });

  afterAll(async () => {
    for (const n of nodes) await n.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers with Redis errors', async () => {
    const m = new Redis({ port: ports[0] });
    const r = new Redis({ port: ports[1] });
    expect(infoField(await m.info('replication'), 'master_failover_state')).toBe('no-failover');
    await expect(m.call('FAILOVER', 'ABORT')).rejects.toThrow('ERR No failover in progress.');
    await expect(r.call('FAILOVER')).rejects.toThrow('ERR FAILOVER is not valid when server is a replica.');
    await expect(m.call('FAILOVER', 'TO', '127.0.0.1', '1')).rejects.toThrow('ERR FAILOVER target HOST and PORT is not a replica.');
    await expect(m.call('FAILOVER', 'FORCE')).rejects.toThrow('ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
    await expect(m.call('FAILOVER', 'TIMEOUT', '-1')).rejects.toThrow('ERR FAILOVER timeout must be greater than 0');
    await expect(m.call('FAILOVER', 'BOGUS')).rejects.toThrow('ERR syntax error');
    m.disconnect();
    r.disconnect();
  });

  it('FAILOVER TO a chosen replica under write load loses no acknowledged write', async () => {
    const [p0, p1] = [ports[0]!, ports[1]!];
    const w = new Redis({ port: p0, maxRetriesPerRequest: 0 });
    w.on('error', () => {});
    const acked: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await w.set(`fo:${i}`, String(i));
          acked.push(`fo:${i}`);
        } catch {
          // READONLY once demoted: stop writing to the old master
          break;
        }
      }
    })();
    await waitFor(() => acked.length >= 500, 'writes before the failover');
    const m = new Redis({ port: p0 });
    // a timeout no busy machine reaches: the target catches up however slowly (else FAILOVER aborts)
    expect(await m.call('FAILOVER', 'TO', '127.0.0.1', String(p1), 'TIMEOUT', '60000')).toBe('OK');
    try {
      await waitFor(async () => (await role(p1))[0] === 'master', 'target promoted');
      await waitFor(async () => {
        const r = await role(p0);
        return r[0] === 'slave' && r[2] === p1;
      }, 'old master follows the target');
    } catch (e) {
      // the nodes' logs say why (kept in the failure message)
      throw new Error(`${(e as Error).message}\n--- old master ---\n${nodes[0]!.output().slice(-3000)}\n--- target ---\n${nodes[1]!.output().slice(-3000)}`);
    }
    stop = true;
    await writer;
    w.disconnect();
    const n = new Redis({ port: p1 });
    const values = await n.mget(...acked);
    expect(values).toEqual(acked.map((k) => k.slice(3)));
    expect(infoField(await m.info('replication'), 'master_failover_state')).toBe('no-failover');
    // without load: switch back
    expect(await n.call('FAILOVER')).toBe('OK');
    await waitFor(async () => (await role(p0))[0] === 'master', 'switched back');
    await n.set('fo:back', '1').catch(() => undefined);
    m.disconnect();
    n.disconnect();
  });
});

/**
 * A sentinel that logs in as a restricted ACL user (sentinel auth-user / auth-pass, the rules the Redis
 * docs give a sentinel user), over a master and a replica whose default user is off and whose
 * replication goes through a restricted user too: monitoring, replica discovery and a forced
 * failover (SLAVEOF, CONFIG REWRITE, CLIENT KILL inside MULTI/EXEC, as that user).
 */
describe.skipIf(!HAVE)('redis-sentinel over shardis with ACL users', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-ha-acl-'));
  const nodes: Proc[] = [];
  let sentinel: (Proc & { conf: string }) | null = null;
  let mPort = 0;
  let rPort = 0;
  const users = [
    'user default off',
    'user admin on >adminpw ~* &* +@all',
    'user sentinel-user on >sentinelpw allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill',
    'user replica-user on >replicapw +psync +replconf +ping',
    'masteruser replica-user',
    'masterauth replicapw',
  ];
  const admin = (port: number): Redis => new Redis({ port, username: 'admin', password: 'adminpw', maxRetriesPerRequest: 1 });

  beforeAll(async () => {
    mPort = await freePort();
    rPort = await freePort();
    const write = (name: string, lines: string[]): string => {
      const f = path.join(dir, `${name}.conf`);
      fs.writeFileSync(f, [...lines, ...users].join('\n') + '\n');
      return f;
    };
    nodes.push(await startNode(write('m', [`port ${mPort}`, `dir ${dir}`, 'save ""']), mPort));
    nodes.push(await startNode(write('r', [`port ${rPort}`, `replicaof 127.0.0.1 ${mPort}`, `dir ${dir}`, 'save ""']), rPort));
    const m = admin(mPort);
    await waitFor(async () => infoField(await m.info('replication'), 'connected_slaves') === '1', 'the replica on the master');
    m.disconnect();
    sentinel = await startSentinel({
      masterName: 'aclmaster',
      masterPort: mPort,
      quorum: 1,
      downAfterMs: 5000,
      failoverTimeoutMs: 10_000,
      dir,
      index: 9,
      extra: ['sentinel auth-user aclmaster sentinel-user', 'sentinel auth-pass aclmaster sentinelpw'],
    });
  });

  afterAll(async () => {
    await sentinel?.kill();
    for (const n of nodes) await n.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('monitors the master, discovers the replica and fails over as the restricted user', async () => {
    const s = new Redis({ port: sentinel!.port });
    try {
      const fields = async (cmd: string[]): Promise<Record<string, string>> => {
        const flat = (await s.call('SENTINEL', ...cmd)) as string[];
        const o: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
        return o;
      };
      await waitFor(async () => {
        const reps = (await s.call('SENTINEL', 'replicas', 'aclmaster')) as string[][];
        if (reps.length !== 1) return false;
        const r: Record<string, string> = {};
        for (let i = 0; i + 1 < reps[0]!.length; i += 2) r[reps[0]![i]!] = reps[0]![i + 1]!;
        return r.flags === 'slave' && r['master-link-status'] === 'ok' && r.port === String(rPort);
      }, 'the sentinel sees the replica, linked');
      const master = await fields(['master', 'aclmaster']);
      expect(master.flags).toBe('master');
      expect(master['num-slaves']).toBe('1');
      // the sentinel's connections are logged in as sentinel-user
      const m = admin(mPort);
      const list = (await m.call('CLIENT', 'LIST')) as string;
      expect(list).toMatch(/name=sentinel-\S+-cmd .*user=sentinel-user/);
      expect(await m.call('ACL', 'LOG')).toEqual([]);
      m.disconnect();

      expect(await s.call('SENTINEL', 'FAILOVER', 'aclmaster')).toBe('OK');
      await waitFor(async () => ((await s.call('SENTINEL', 'get-master-addr-by-name', 'aclmaster')) as string[])[1] === String(rPort), 'the replica promoted');
      const r = admin(rPort);
      await waitFor(async () => ((await r.call('ROLE')) as unknown[])[0] === 'master', 'the replica is master');
      const old = admin(mPort);
      await waitFor(async () => {
        const role = (await old.call('ROLE')) as unknown[];
        return role[0] === 'slave' && role[2] === rPort && role[3] === 'connected';
      }, 'the old master replicates from the new one');
      // CONFIG REWRITE (sent by the sentinel) kept the users and recorded the new role
      const conf = fs.readFileSync(path.join(dir, 'm.conf'), 'utf8');
      expect(conf).toMatch(new RegExp(`^replicaof 127\\.0\\.0\\.1 ${rPort}$`, 'm'));
      expect(conf).toMatch(/^user sentinel-user on #[0-9a-f]{64} .*\+slaveof/m);
      await r.set('after', 'failover');
      await waitFor(async () => (await old.get('after')) === 'failover', 'writes reach the old master');
      r.disconnect();
      old.disconnect();
    } finally {
      s.disconnect();
    }
  });
});
