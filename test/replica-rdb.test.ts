/*
 * The RDB file of a replica's full sync (repl-diskless-load disabled, as Redis 7's default): kept as
 * dbfilename with rdb-del-sync-files no, so a restart loads it and continues by partial resync; not
 * kept with rdb-del-sync-files yes on a replica without persistence; redis-server does the same. And
 * the progress fields of INFO persistence while a snapshot (BGSAVE, AOF rewrite) runs.
 */

import { describe, expect, it } from 'vitest';
import { useProcesses } from './helpers/fixture.js';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { info, waitInSync } from './helpers/replication.js';

const HAVE = haveBinaries('redis-server', 'redis-check-rdb');
const { procs, client } = useProcesses({ each: true });

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-rrdb-'));
}

async function server(kind: 'shardis' | 'redis', dir: string, args: string[]): Promise<{ p: Proc; c: Redis }> {
  const p = kind === 'shardis' ? await startShardis({ cwd: dir, args, shards: 2 }) : await startRedis(['--dir', dir, ...args], dir);
  procs.push(p);
  return { p, c: client(p) };
}

/** A master with a few keys and a replica of `kind` (save "" unless args say otherwise) in sync with it. */
async function pair(kind: 'shardis' | 'redis', replicaArgs: string[]) {
  const m = await server('shardis', tmpdir(), ['--repl-ping-replica-period', '3600']);
  for (let i = 0; i < 50; i++) await m.c.set(`k${i}`, `v${i}`);
  const rdir = tmpdir();
  const rargs = ['--replicaof', '127.0.0.1', String(m.p.port), ...replicaArgs];
  const r = await server(kind, rdir, rargs);
  await waitInSync(m.c, r.c);
  return { m, r, rdir, rargs };
}

describe.skipIf(!HAVE)('the RDB file of a full sync on the replica', () => {
  for (const kind of ['shardis', 'redis'] as const) {
    it(`rdb-del-sync-files no: a ${kind} replica keeps the payload as dump.rdb (redis-check-rdb accepts it)`, async () => {
      const { rdir } = await pair(kind, []);
      await waitFor(() => fs.existsSync(path.join(rdir, 'dump.rdb')), 'dump.rdb on the replica');
      const check = spawnSync('redis-check-rdb', [path.join(rdir, 'dump.rdb')], { encoding: 'utf8' });
      expect(check.stdout).toContain('RDB looks OK');
      expect(fs.readdirSync(rdir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    });

    it(`rdb-del-sync-files yes on a ${kind} replica without persistence: no RDB file is left`, async () => {
      const { r, rdir } = await pair(kind, ['--rdb-del-sync-files', 'yes']);
      await waitFor(() => r.p.output().includes('Removing the RDB file obtained from the master. This replica has persistence disabled'), 'the log line');
      expect(fs.readdirSync(rdir).filter((f) => f.endsWith('.rdb'))).toEqual([]);
    });
  }

  it('rdb-del-sync-files yes on a replica with save points keeps the file', async () => {
    const { rdir } = await pair('shardis', ['--rdb-del-sync-files', 'yes', '--save', '3600 1']);
    await waitFor(() => fs.existsSync(path.join(rdir, 'dump.rdb')), 'dump.rdb on the replica');
  });

  it('repl-diskless-load on-empty-db: the payload is not written to disk', async () => {
    const { m, r, rdir } = await pair('shardis', ['--repl-diskless-load', 'on-empty-db']);
    await m.c.set('more', 'x');
    await waitInSync(m.c, r.c);
    expect(fs.existsSync(path.join(rdir, 'dump.rdb'))).toBe(false);
  });

  it('a replica killed after its full sync restarts from the kept file and continues by partial resync (sync_partial_ok)', async () => {
    const { m, r, rdir, rargs } = await pair('shardis', []);
    await waitFor(() => fs.existsSync(path.join(rdir, 'dump.rdb')), 'dump.rdb on the replica');
    await r.p.kill(); // SIGKILL: no save at exit; the file is the full sync's
    await m.c.set('while-down', 'yes');
    const r2 = await server('shardis', rdir, rargs);
    await waitInSync(m.c, r2.c);
    const st = await info(m.c, 'stats');
    expect(st.sync_full).toBe('1');
    expect(st.sync_partial_ok).toBe('1');
    expect(await r2.c.get('k7')).toBe('v7');
    expect(await r2.c.get('while-down')).toBe('yes');
  });
});

describe('INFO persistence while a snapshot runs', () => {
  it('current_save_keys_total, current_save_keys_processed and current_fork_perc follow a BGSAVE and an AOF rewrite; the cow fields stay 0 (no fork)', async () => {
    const dir = tmpdir();
    const a = await server('shardis', dir, ['--rdb-key-save-delay', '10000']);
    for (let i = 0; i < 400; i++) await a.c.set(`k${i}`, 'v');
    for (const start of [() => a.c.bgsave(), () => a.c.bgrewriteaof()]) {
      await start();
      let mid: Record<string, string> = {};
      await waitFor(async () => {
        mid = await info(a.c, 'persistence');
        const done = Number(mid.current_save_keys_processed);
        return mid.current_save_keys_total === '400' && done > 0 && done < 400;
      }, 'a snapshot part done');
      const done = Number(mid.current_save_keys_processed);
      expect(mid.current_fork_perc).toBe(((done / 400) * 100).toFixed(2));
      expect([mid.current_cow_size, mid.current_cow_size_age, mid.current_cow_peak]).toEqual(['0', '0', '0']);
      await waitFor(async () => {
        const p = await info(a.c, 'persistence');
        return p.rdb_bgsave_in_progress === '0' && p.aof_rewrite_in_progress === '0';
      }, 'the snapshot end', 30_000);
      const after = await info(a.c, 'persistence');
      expect([after.current_save_keys_total, after.current_save_keys_processed, after.current_fork_perc]).toEqual(['0', '0', '0.00']);
    }
  });
});

describe("a replica's full-sync payload", () => {
  /** The nice value of each thread of process `pid` (Linux /proc; field 19 of a thread's stat). */
  function threadNices(pid: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
        out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
      } catch {
        /* the thread ended */
      }
    }
    return out;
  }

  it.skipIf(process.platform !== 'linux')('is parsed on a background pool thread at nice 10, not on the main thread, while the replica answers INFO with loading:1', async () => {
    const m = await server('shardis', tmpdir(), ['--repl-ping-replica-period', '3600']);
    const p = m.c.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`key:${i}`, `v${i}`);
    await p.exec();
    // key-load-delay (1 ms a key) keeps the load going long enough to watch it
    const r = await server('shardis', tmpdir(), ['--key-load-delay', '1000']);
    await r.c.call('REPLICAOF', '127.0.0.1', String(m.p.port));
    await waitFor(async () => (await info(r.c, 'persistence')).loading === '1', 'the replica loading');
    const pid = r.p.proc.pid!;
    const nice = await waitFor(() => {
      const n = threadNices(pid);
      return [...n.values()].includes(10) ? n : null;
    }, 'a thread at nice 10 in the replica while it loads');
    expect(nice.get(pid)).toBe(0); // the main thread keeps its priority
    expect((await info(r.c, 'persistence')).loading).toBe('1');
    await waitInSync(m.c, r.c);
    expect(await r.c.dbsize()).toBe(3000);
    expect(await r.c.get('key:2999')).toBe('v2999');
  });

  it.skipIf(process.platform !== 'linux')("has its checksum computed by the master on a pool thread at the normal priority (the sync's end waits for it)", async () => {
    const m = await server('shardis', tmpdir(), ['--repl-ping-replica-period', '3600']);
    const p = m.c.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`key:${i}`, `v${i}`);
    await p.exec();
    const mpid = m.p.proc.pid!;
    const before = new Set(threadNices(mpid).keys());
    // the replica loads slowly (1 ms a key): the master's pool thread is watched while it lives
    const r = await server('shardis', tmpdir(), ['--key-load-delay', '1000']);
    await r.c.call('REPLICAOF', '127.0.0.1', String(m.p.port));
    const firstSeen = new Map<number, number>();
    // a thread the sync started, watched long enough for a thread that sets its own nice to have done so
    const seen = await waitFor(() => {
      const now = Date.now();
      const fresh = [...threadNices(mpid)].filter(([tid]) => !before.has(tid));
      for (const [tid] of fresh) if (!firstSeen.has(tid)) firstSeen.set(tid, now);
      return fresh.some(([tid]) => now - firstSeen.get(tid)! >= 700) ? fresh : null;
    }, 'a thread the full sync started on the master');
    expect(seen.map(([, nice]) => nice)).not.toContain(10);
    await waitInSync(m.c, r.c);
    expect(await r.c.dbsize()).toBe(3000);
  });
});
