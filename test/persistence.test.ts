/*
 * Persistence (RDB): SAVE / BGSAVE / the save schedule / SHUTDOWN and SIGTERM saves, the load at
 * startup (LOADING state, Redis's log lines), every type through SAVE + restart, LZF and CRC64 options,
 * corrupt and truncated files refused at startup, a failed background save (status err, MISCONF),
 * DEBUG RELOAD, and the replication history kept across restarts (partial resync after a restart of
 * the master or of the replica).
 */

import { afterEach, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAIN, freePort, startShardis, waitFor, type Proc } from './helpers/server.js';
import { fillEveryEncoding } from './helpers/fill.js';
import { contents, differences, info, waitInSync } from './helpers/replication.js';
import { lzfCompress } from './helpers/src.js';
import { lzfDecompress } from './helpers/src.js';

const procs: Proc[] = [];
const clients: Redis[] = [];

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-rdb-'));
}

async function start(dir: string, args: string[] = [], shards = 2, port?: number): Promise<{ p: Proc; c: Redis }> {
  const p = await startShardis({ cwd: dir, args: ['--repl-diskless-sync-delay', '0', ...args], shards, port });
  procs.push(p);
  const c = new Redis({ port: p.port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return { p, c };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

/** Every encoding (helpers/fill.ts), plus an empty string, a TTL, bigger hash values and 200 plain keys. */
async function fill(c: Redis): Promise<void> {
  await fillEveryEncoding(c);
  await c.set('s:empty', '');
  await c.set('s:ttl', 'v', 'PX', 3_600_000);
  await c.hset('h:big', Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`.repeat(5)])));
  for (let i = 0; i < 200; i++) await c.set(`k${i}`, `value-${i}`);
}

describe('LZF', () => {
  it('compressed data decompresses to the input (literals, short and long back references)', () => {
    const inputs = [
      Buffer.from('abcabcabc'.repeat(200)),
      Buffer.from('x'.repeat(5000)),
      Buffer.from(Array.from({ length: 3000 }, (_, i) => `item:${i % 97}:`).join('')),
      Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 251)),
    ];
    for (const b of inputs) {
      const c = lzfCompress(b, b.length - 4);
      expect(c).not.toBeNull();
      expect(c!.length).toBeLessThan(b.length);
      expect(lzfDecompress(c!, b.length).equals(b)).toBe(true);
    }
  });

  it('strings compressed one after another refer only to their own bytes (the match table is not cleared between them)', () => {
    // each string repeats sequences the one before held at other positions: a table entry left by an
    // earlier string taken as a match would decode to the wrong bytes
    const parts = ['abcdefgh'.repeat(40), 'xyzabcdefghxyz'.repeat(30), 'abcdefgh'.repeat(3) + 'qq' + 'abcdefgh'.repeat(30), 'hgfedcba'.repeat(50)];
    for (let round = 0; round < 3; round++) {
      for (const p of parts) {
        const b = Buffer.from(p);
        const c = lzfCompress(b, b.length - 4);
        expect(c).not.toBeNull();
        expect(lzfDecompress(c!, b.length).equals(b)).toBe(true);
      }
    }
  });

  it('incompressible data does not fit the limit (stored raw, as Redis)', () => {
    const b = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
    expect(lzfCompress(b, b.length - 4)).toBeNull();
  });
});

describe('SAVE and restart', () => {
  it('every type and encoding round-trips through SAVE and a restart (other shard count), TTLs kept', async () => {
    const dir = tmpdir();
    const a = await start(dir, [], 3);
    await fill(a.c);
    await a.c.select(5);
    await a.c.set('db5key', 'five');
    await a.c.select(0);
    const before = await contents(a.c);
    expect(await a.c.save()).toBe('OK');
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    expect(await a.p.stop()).toBe(0);
    const b = await start(dir, [], 2);
    expect(differences(before, await contents(b.c))).toEqual([]);
    expect(await b.c.pttl('s:ttl')).toBeGreaterThan(3_000_000);
    await b.c.select(5);
    expect(await b.c.get('db5key')).toBe('five');
    expect(b.p.output()).toMatch(/Done loading RDB, keys loaded: \d+, keys expired: 0\./);
    expect(b.p.output()).toMatch(/DB loaded from disk: \d+\.\d{3} seconds/);
    const pi = await info(b.c, 'persistence');
    expect(Number(pi.rdb_last_load_keys_loaded)).toBe(before.size + 1);
  });

  it('streams (with consumer groups and pending entries) and function libraries survive SAVE, BGSAVE and a restart', async () => {
    const dir = tmpdir();
    const a = await start(dir, [], 3);
    for (let i = 0; i < 50; i++) await a.c.xadd('st', `${i + 1}-1`, 'f', `v${i}`, 'n', String(i));
    await a.c.xgroup('CREATE', 'st', 'g1', '0');
    await a.c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 5, 'STREAMS', 'st', '>');
    await a.c.xdel('st', '3-1');
    const lib = "#!lua name=keepme\nredis.register_function('kept', function(keys, args) return 'still here' end)";
    await a.c.call('FUNCTION', 'LOAD', lib);
    const stream = await a.c.xrange('st', '-', '+');
    const pending = await a.c.xpending('st', 'g1', '-', '+', 10);
    expect(pending).toHaveLength(5);
    for (const save of ['save', 'bgsave'] as const) {
      if (save === 'save') expect(await a.c.save()).toBe('OK');
      else {
        const before = Number((await info(a.c, 'persistence')).rdb_saves);
        await a.c.bgsave();
        await waitFor(async () => Number((await info(a.c, 'persistence')).rdb_saves) > before, 'the background save');
        expect((await info(a.c, 'persistence')).rdb_last_bgsave_status).toBe('ok');
      }
    }
    expect(await a.p.stop()).toBe(0);
    const b = await start(dir, [], 2);
    expect(await b.c.xrange('st', '-', '+')).toEqual(stream);
    // idle times grow meanwhile: ids, consumers and delivery counts are what the file keeps
    const shape = (rows: unknown) => (rows as [string, string, number, number][]).map(([id, who, , n]) => [id, who, n]);
    expect(shape(await b.c.xpending('st', 'g1', '-', '+', 10))).toEqual(shape(pending));
    expect(await b.c.call('FCALL', 'kept', 0)).toBe('still here');
  });

  it('a key already expired when the file loads is dropped and counted (rdb_last_load_keys_expired)', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--enable-debug-command', 'yes']);
    // no active expiry: the key is in the file however long the save takes on a busy machine
    await a.c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    const expiresAt = Date.now() + 300;
    await a.c.set('short', 'v', 'PXAT', expiresAt);
    await a.c.set('long', 'v');
    await a.c.save();
    await a.p.stop();
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt + 100 - Date.now())));
    const b = await start(dir);
    expect(await b.c.exists('short')).toBe(0);
    expect((await info(b.c, 'persistence')).rdb_last_load_keys_expired).toBe('1');
  });

  it('rdbcompression stores long strings LZF-compressed; rdbcompression no stores them raw', async () => {
    const dir = tmpdir();
    const a = await start(dir);
    await a.c.set('big', 'abcdefgh'.repeat(10000));
    await a.c.save();
    const compressed = fs.statSync(path.join(dir, 'dump.rdb')).size;
    expect(compressed).toBeLessThan(10000);
    await a.c.config('SET', 'rdbcompression', 'no');
    await a.c.save();
    expect(fs.statSync(path.join(dir, 'dump.rdb')).size).toBeGreaterThan(80000);
    await a.p.stop();
    const b = await start(dir);
    expect(await b.c.get('big')).toBe('abcdefgh'.repeat(10000));
  });

  it('rdbchecksum no writes a zero checksum, and such a file loads', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--rdbchecksum', 'no']);
    await a.c.set('k', 'v');
    await a.c.save();
    const f = fs.readFileSync(path.join(dir, 'dump.rdb'));
    expect(f.subarray(f.length - 8).equals(Buffer.alloc(8))).toBe(true);
    await a.p.stop();
    const b = await start(dir);
    expect(await b.c.get('k')).toBe('v');
  });

  it('dir and dbfilename are protected configs: CONFIG SET refused unless enable-protected-configs allows it', async () => {
    const a = await start(tmpdir());
    await expect(a.c.config('SET', 'dir', os.tmpdir())).rejects.toThrow("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
    await expect(a.c.config('SET', 'dbfilename', 'x.rdb')).rejects.toThrow("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config");
    const b = await start(tmpdir(), ['--enable-protected-configs', 'yes']);
    await expect(b.c.config('SET', 'dir', '/nonexistent/x')).rejects.toThrow("ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory");
    expect(await b.c.config('SET', 'dbfilename', 'x.rdb')).toBe('OK');
    await expect(b.c.config('SET', 'dbfilename', 'a/x.rdb')).rejects.toThrow("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename");
  });

  it('dbfilename names the file in dir', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--dbfilename', 'other.rdb', '--enable-protected-configs', 'local']);
    await a.c.set('k', 'v');
    await a.c.save();
    expect(fs.existsSync(path.join(dir, 'other.rdb'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(false);
    const d2 = tmpdir();
    await a.c.config('SET', 'dir', d2);
    await a.c.save();
    expect(fs.existsSync(path.join(d2, 'other.rdb'))).toBe(true);
  });
});

describe('BGSAVE, LASTSAVE, INFO persistence and the save schedule', () => {
  it('BGSAVE answers at once, runs in the background (rdb_bgsave_in_progress), a second one is refused, then rdb_saves and LASTSAVE advance', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--rdb-key-save-delay', '20000']);
    for (let i = 0; i < 100; i++) await a.c.set(`k${i}`, 'v');
    const last0 = await a.c.lastsave();
    expect(Number((await info(a.c, 'persistence')).rdb_changes_since_last_save)).toBeGreaterThanOrEqual(100);
    expect(await a.c.bgsave()).toBe('Background saving started');
    const during = await info(a.c, 'persistence');
    expect(during.rdb_bgsave_in_progress).toBe('1');
    expect(Number(during.rdb_current_bgsave_time_sec)).toBeGreaterThanOrEqual(0);
    await waitFor(async () => (await info(a.c, 'persistence')).current_save_keys_total === '100', 'keys total at the cut');
    await expect(a.c.bgsave()).rejects.toThrow('ERR Background save already in progress');
    await expect(a.c.save()).rejects.toThrow('ERR Background save already in progress');
    // writes keep being served during the snapshot
    expect(await a.c.set('during', 'x')).toBe('OK');
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_bgsave_in_progress === '0', 'bgsave end', 20_000);
    const after = await info(a.c, 'persistence');
    expect(after.rdb_saves).toBe('1');
    expect(after.rdb_last_bgsave_status).toBe('ok');
    expect(after.rdb_last_bgsave_time_sec).not.toBe('-1');
    expect(Number(after.rdb_changes_since_last_save)).toBe(1); // the write after the cut
    expect(await a.c.lastsave()).toBeGreaterThanOrEqual(last0);
    expect(a.p.output()).toContain('Background saving terminated with success');
    // the file holds the keys at the cut, not the write made during the save
    await a.p.stop();
    const b = await start(dir);
    expect(await b.c.dbsize()).toBe(100);
    expect(await b.c.get('during')).toBeNull();
  });

  it('BGSAVE is a point-in-time copy: keys overwritten, deleted and added while it runs are saved as they were at the cut', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--rdb-key-save-delay', '5000'], 4);
    const p = a.c.pipeline();
    // 2 KB values: the snapshot is pulled from the shards in several chunks, so the writes below
    // reach slots not serialized yet (copy-on-write)
    const pad = 'x'.repeat(2000);
    for (let i = 0; i < 400; i++) p.set(`k${i}`, `old${i}${pad}`);
    for (let i = 0; i < 50; i++) p.rpush(`list${i}`, 'a', 'b');
    await p.exec();
    await a.c.bgsave();
    await waitFor(async () => (await info(a.c, 'persistence')).current_save_keys_total === '450', 'cut taken');
    const q = a.c.pipeline();
    for (let i = 0; i < 400; i++) q.set(`k${i}`, `new${i}`);
    for (let i = 0; i < 50; i++) q.del(`list${i}`);
    for (let i = 0; i < 50; i++) q.set(`added${i}`, 'x');
    await q.exec();
    await a.c.config('SET', 'rdb-key-save-delay', '0');
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_bgsave_in_progress === '0', 'bgsave end', 30_000);
    await a.p.stop();
    const b = await start(dir, [], 2);
    expect(await b.c.dbsize()).toBe(450);
    const vals = await b.c.mget(...Array.from({ length: 400 }, (_, i) => `k${i}`));
    expect(vals).toEqual(Array.from({ length: 400 }, (_, i) => `old${i}${pad}`));
    expect(await b.c.lrange('list7', 0, -1)).toEqual(['a', 'b']);
  });

  it('BGSAVE SCHEDULE is accepted, other arguments are a syntax error', async () => {
    const a = await start(tmpdir());
    expect(await a.c.call('BGSAVE', 'SCHEDULE')).toBe('Background saving started');
    await expect(a.c.call('BGSAVE', 'NOW')).rejects.toThrow('ERR syntax error');
    await expect(a.c.call('SAVE', 'x')).rejects.toThrow("ERR wrong number of arguments for 'save' command");
  });

  it('BGSAVE inside MULTI/EXEC is scheduled and runs after the transaction; SAVE inside MULTI is refused', async () => {
    const dir = tmpdir();
    const a = await start(dir);
    await a.c.set('k', 'v');
    expect(await a.c.multi().bgsave().exec()).toEqual([[null, 'Background saving scheduled']]);
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_saves === '1', 'scheduled bgsave');
    await expect(a.c.multi().save().exec()).rejects.toThrow('EXECABORT');
  });

  it('save lines of a config file add up; save "" clears them', async () => {
    const dir = tmpdir();
    const conf = path.join(dir, 'a.conf');
    fs.writeFileSync(conf, 'save 900 1\nsave 300 10\n');
    const get = async (args: string[]): Promise<unknown> => {
      const p = await startShardis({ cwd: dir, args });
      procs.push(p);
      const c = new Redis({ port: p.port });
      clients.push(c);
      return c.config('GET', 'save');
    };
    expect(await get([conf, '--save', '60', '5'])).toEqual(['save', '900 1 300 10 60 5']);
    fs.writeFileSync(conf, 'save 900 1\nsave ""\n');
    expect(await get([conf, '--save', '120', '7'])).toEqual(['save', '120 7']);
  });

  it('INFO persistence has every field redis-server 7.0 prints, in its order', async () => {
    const a = await start(tmpdir());
    const text = await a.c.info('persistence');
    const names = text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.slice(0, l.indexOf(':')));
    expect(names).toEqual([
      'loading', 'async_loading', 'current_cow_peak', 'current_cow_size', 'current_cow_size_age', 'current_fork_perc',
      'current_save_keys_processed', 'current_save_keys_total', 'rdb_changes_since_last_save', 'rdb_bgsave_in_progress',
      'rdb_last_save_time', 'rdb_last_bgsave_status', 'rdb_last_bgsave_time_sec', 'rdb_current_bgsave_time_sec', 'rdb_saves',
      'rdb_last_cow_size', 'rdb_last_load_keys_expired', 'rdb_last_load_keys_loaded', 'aof_enabled', 'aof_rewrite_in_progress',
      'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec', 'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status',
      'aof_rewrites', 'aof_rewrites_consecutive_failures', 'aof_last_write_status', 'aof_last_cow_size', 'module_fork_in_progress',
      'module_fork_last_cow_size',
    ]);
  });

  it('a save point reached (CONFIG SET save "1 3") starts a background save by itself', async () => {
    const dir = tmpdir();
    const a = await start(dir);
    await a.c.config('SET', 'save', '1 3');
    expect(await a.c.config('GET', 'save')).toEqual(['save', '1 3']);
    await a.c.set('a', '1');
    await a.c.set('b', '2');
    await a.c.set('c', '3');
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_saves === '1', 'scheduled save', 15_000);
    expect(a.p.output()).toContain('3 changes in 1 seconds. Saving...');
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    expect((await info(a.c, 'persistence')).rdb_changes_since_last_save).toBe('0');
  });
});

describe('SHUTDOWN and signals', () => {
  it('SIGTERM saves when save points are set', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--save', '3600 1']);
    await a.c.set('k', 'v');
    expect(await a.p.stop()).toBe(0);
    expect(a.p.output()).toContain('Saving the final RDB snapshot before exiting.');
    const b = await start(dir);
    expect(await b.c.get('k')).toBe('v');
  });

  it('SIGTERM does not save without save points', async () => {
    const dir = tmpdir();
    const a = await start(dir);
    await a.c.set('k', 'v');
    expect(await a.p.stop()).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(false);
  });

  it('SHUTDOWN SAVE saves without save points; SHUTDOWN NOSAVE does not save with them', async () => {
    const dir = tmpdir();
    const a = await start(dir);
    await a.c.set('k', 'v');
    await a.c.call('SHUTDOWN', 'SAVE').catch(() => {});
    expect(await a.p.exited).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    const b = await start(dir, ['--save', '3600 1']);
    expect(await b.c.get('k')).toBe('v');
    await b.c.set('k', 'changed');
    await b.c.call('SHUTDOWN', 'NOSAVE').catch(() => {});
    expect(await b.p.exited).toBe(0);
    const c = await start(dir);
    expect(await c.c.get('k')).toBe('v');
  });

  it('SHUTDOWN during a BGSAVE abandons it (temp file removed), then saves and exits', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--rdb-key-save-delay', '50000']);
    for (let i = 0; i < 200; i++) await a.c.set(`k${i}`, 'v');
    await a.c.bgsave();
    await waitFor(async () => (await info(a.c, 'persistence')).current_save_keys_total === '200', 'bgsave running');
    await a.c.config('SET', 'rdb-key-save-delay', '0');
    await a.c.call('SHUTDOWN', 'SAVE').catch(() => {});
    expect(await a.p.exited).toBe(0);
    expect(a.p.output()).toContain('There is a child saving an .rdb. Killing it!');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    const b = await start(dir);
    expect(await b.c.dbsize()).toBe(200);
  });

  it('SHUTDOWN argument errors: SAVE with NOSAVE, ABORT with a flag, ABORT with no shutdown in progress', async () => {
    const a = await start(tmpdir());
    await expect(a.c.call('SHUTDOWN', 'SAVE', 'NOSAVE')).rejects.toThrow('ERR syntax error');
    await expect(a.c.call('SHUTDOWN', 'ABORT', 'NOW')).rejects.toThrow('ERR syntax error');
    await expect(a.c.call('SHUTDOWN', 'BOGUS')).rejects.toThrow('ERR syntax error');
    await expect(a.c.call('SHUTDOWN', 'ABORT')).rejects.toThrow('ERR No shutdown in progress.');
    expect(await a.c.ping()).toBe('PONG');
  });

  it('SHUTDOWN with a failing save keeps running (Errors trying to SHUTDOWN); FORCE exits anyway', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--save', '3600 1']);
    fs.mkdirSync(path.join(dir, 'dump.rdb')); // the rename onto it fails
    await a.c.set('k', 'v');
    await expect(a.c.call('SHUTDOWN')).rejects.toThrow('ERR Errors trying to SHUTDOWN. Check logs.');
    expect(await a.c.get('k')).toBe('v');
    expect(a.p.output()).toContain("Error trying to save the DB, can't exit.");
    await a.c.call('SHUTDOWN', 'FORCE').catch(() => {});
    expect(await a.p.exited).toBe(0);
  });
});

describe('DEBUG RELOAD and FLUSHALL', () => {
  it('DEBUG RELOAD saves and loads the data back', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--enable-debug-command', 'yes']);
    await fill(a.c);
    const before = await contents(a.c);
    expect(await a.c.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(differences(before, await contents(a.c))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(true);
    expect(a.p.output()).toContain('DB reloaded by DEBUG RELOAD');
  });

  it('FLUSHALL stops a BGSAVE in progress without marking it failed', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--rdb-key-save-delay', '50000']);
    for (let i = 0; i < 200; i++) await a.c.set(`k${i}`, 'v');
    await a.c.bgsave();
    await waitFor(async () => (await info(a.c, 'persistence')).current_save_keys_total === '200', 'bgsave running');
    expect(await a.c.flushall()).toBe('OK');
    const pi = await info(a.c, 'persistence');
    expect(pi.rdb_bgsave_in_progress).toBe('0');
    expect(pi.rdb_last_bgsave_status).toBe('ok');
    expect(fs.existsSync(path.join(dir, 'dump.rdb'))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
  });

  it('FLUSHALL with save points set saves the empty dataset', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--save', '3600 1']);
    await a.c.set('k', 'v');
    await a.c.save();
    expect(await a.c.call('FLUSHALL', 'SYNC')).toBe('OK');
    await a.p.kill();
    const b = await start(dir);
    expect(await b.c.dbsize()).toBe(0);
  });
});

describe('bad files and faults', () => {
  function run(dir: string): { status: number | null; out: string } {
    const r = spawnSync(process.execPath, [MAIN, '--port', '0', '--shards', '1', '--save', ''], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  async function savedFile(): Promise<{ dir: string; file: Buffer }> {
    const dir = tmpdir();
    const a = await start(dir);
    await fill(a.c);
    await a.c.save();
    await a.p.stop();
    return { dir, file: fs.readFileSync(path.join(dir, 'dump.rdb')) };
  }

  it('a truncated file: the server refuses to start (exit 1, "Short read or OOM loading DB") and leaves the file as it was', async () => {
    const { dir, file } = await savedFile();
    const cut = file.subarray(0, Math.floor(file.length / 2));
    fs.writeFileSync(path.join(dir, 'dump.rdb'), cut);
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain('Short read or OOM loading DB. Unrecoverable error, aborting now.');
    expect(r.out).not.toContain('Ready to accept connections');
    expect(fs.readFileSync(path.join(dir, 'dump.rdb')).equals(cut)).toBe(true);
  });

  it('a wrong signature: the server refuses to start with Redis\'s words', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'dump.rdb'), 'XEDIS0010garbage');
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain('Wrong signature trying to load DB from file');
    expect(r.out).toContain('Fatal error loading the DB: Invalid argument. Exiting.');
  });

  it('a file of a newer RDB version: "Can\'t handle RDB format version", exit 1', () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'dump.rdb'), Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xff]), Buffer.alloc(8)]));
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain("Can't handle RDB format version 11");
  });

  it('a flipped byte (checksum mismatch): the server refuses to start', async () => {
    const { dir, file } = await savedFile();
    const bad = Buffer.from(file);
    // the stored checksum itself: the structure parses, the CRC64 does not match
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
    fs.writeFileSync(path.join(dir, 'dump.rdb'), bad);
    const r = run(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/Wrong RDB checksum expected: \([0-9a-f]+\) got \([0-9a-f]+\)\. Aborting now\./);
    expect(r.out).not.toContain('Ready to accept connections');
  });

  it('a failed BGSAVE reports rdb_last_bgsave_status:err and writes get MISCONF until a save succeeds', async () => {
    const dir = tmpdir();
    const a = await start(dir, ['--save', '3600 1']);
    fs.mkdirSync(path.join(dir, 'dump.rdb')); // the rename onto it fails
    await a.c.set('k', 'v');
    await expect(a.c.save()).rejects.toThrow(/^ERR$/);
    expect(await a.c.bgsave()).toBe('Background saving started');
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_last_bgsave_status === 'err', 'bgsave failure', 15_000);
    expect(a.p.output()).toContain('Background saving error');
    expect(a.p.output()).toContain('Error moving temp DB file');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
    await expect(a.c.set('k2', 'v')).rejects.toThrow(/^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk\./);
    await expect(a.c.ping()).rejects.toThrow(/^MISCONF/);
    expect(await a.c.get('k')).toBe('v'); // reads still work
    await a.c.config('SET', 'stop-writes-on-bgsave-error', 'no');
    expect(await a.c.set('k2', 'v')).toBe('OK');
    await a.c.config('SET', 'stop-writes-on-bgsave-error', 'yes');
    await expect(a.c.set('k3', 'v')).rejects.toThrow(/^MISCONF/);
    // no save points: no MISCONF (as Redis)
    await a.c.config('SET', 'save', '');
    expect(await a.c.set('k3', 'v')).toBe('OK');
    await a.c.config('SET', 'save', '3600 1');
    fs.rmdirSync(path.join(dir, 'dump.rdb'));
    await a.c.bgsave();
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_last_bgsave_status === 'ok', 'bgsave success', 15_000);
    expect(await a.c.set('k4', 'v')).toBe('OK');
  });

  it('a missing directory: BGSAVE fails opening the temp file (Redis\'s log line)', async () => {
    const parent = tmpdir();
    const dir = path.join(parent, 'gone');
    fs.mkdirSync(dir);
    const a = await start(dir);
    await a.c.set('k', 'v');
    fs.rmSync(dir, { recursive: true });
    await a.c.bgsave();
    await waitFor(async () => (await info(a.c, 'persistence')).rdb_last_bgsave_status === 'err', 'bgsave failure', 15_000);
    expect(a.p.output()).toMatch(/Failed opening the RDB file temp-\d+\.rdb \(in server root dir .*\) for saving: No such file or directory/);
    // without save points writes go on
    expect(await a.c.set('k2', 'v')).toBe('OK');
  });

  it('a pool thread that cannot start (working directory removed) fails the full sync, and the master keeps serving', async () => {
    const parent = tmpdir();
    const dir = path.join(parent, 'gone');
    fs.mkdirSync(dir);
    const m = await start(dir, ['--repl-diskless-sync-delay', '0']);
    await m.c.set('k', 'v');
    fs.rmSync(dir, { recursive: true });
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitFor(async () => /Background pool thread failed: .*uv_cwd/.test(m.p.output()), 'the pool thread failing', 30_000);
    expect(await m.c.ping()).toBe('PONG');
    expect(await m.c.set('k2', 'v')).toBe('OK');
    await r.p.stop();
  });
});

describe('LOADING', () => {
  it('while the file loads, clients get -LOADING and INFO persistence shows loading:1 with progress', async () => {
    const { dir } = await (async () => {
      const d = tmpdir();
      const a = await start(d, [], 1);
      const p = a.c.pipeline();
      for (let i = 0; i < 3000; i++) p.set(`key:${i}`, `v${i}`);
      await p.exec();
      await a.c.save();
      await a.p.stop();
      return { dir: d };
    })();
    const port = await freePort();
    const proc = spawn(process.execPath, [MAIN, '--port', String(port), '--shards', '1', '--save', '', '--key-load-delay', '1000'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      const c = new Redis({ port, retryStrategy: () => 20, maxRetriesPerRequest: null, enableReadyCheck: false });
      c.on('error', () => {});
      clients.push(c);
      const err = await waitFor(async () => {
        try {
          await c.get('key:1');
          return null;
        } catch (e) {
          return String(e).includes('LOADING') ? String(e) : null;
        }
      }, 'a LOADING error', 20_000, 20);
      expect(err).toContain('LOADING Redis is loading the dataset in memory');
      const pi = await info(c, 'persistence');
      expect(pi.loading).toBe('1');
      expect(Number(pi.loading_total_bytes)).toBeGreaterThan(0);
      expect(pi).toHaveProperty('loading_loaded_perc');
      expect(pi).toHaveProperty('loading_eta_seconds');
      await waitFor(() => out.includes('Ready to accept connections'), 'ready after loading', 30_000);
      expect(await c.get('key:1')).toBe('v1');
      expect(await c.dbsize()).toBe(3000);
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
  });
});

describe('replication history across restarts', () => {
  it('a master restarted from its RDB (same port) continues with its replica by partial resync (+CONTINUE)', async () => {
    const mdir = tmpdir();
    const port = await freePort();
    const m = await start(mdir, ['--repl-ping-replica-period', '3600'], 2, port);
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(port)]);
    await m.c.set('a', '1');
    await m.c.rpush('l', 'x', 'y');
    await waitInSync(m.c, r.c);
    const replid = (await info(m.c)).master_replid;
    await m.c.call('SHUTDOWN', 'SAVE').catch(() => {});
    expect(await m.p.exited).toBe(0);
    const m2 = await start(mdir, ['--repl-ping-replica-period', '3600'], 2, port);
    await waitInSync(m2.c, r.c);
    const st = await info(m2.c, 'stats');
    expect(st.sync_partial_ok).toBe('1');
    expect(st.sync_full).toBe('0');
    expect((await info(m2.c)).master_replid).toBe(replid);
    await m2.c.set('b', '2');
    await waitInSync(m2.c, r.c);
    expect(await r.c.get('b')).toBe('2');
    expect(await r.c.lrange('l', 0, -1)).toEqual(['x', 'y']);
  });

  it('a restarted replica continues the master stream in the database it was in (repl-stream-db)', async () => {
    const m = await start(tmpdir(), ['--repl-ping-replica-period', '3600']);
    const rdir = tmpdir();
    const rargs = ['--replicaof', '127.0.0.1', String(m.p.port)];
    const r = await start(rdir, rargs);
    await m.c.select(3);
    await m.c.set('a', '1');
    await waitInSync(m.c, r.c);
    await r.c.call('SHUTDOWN', 'SAVE').catch(() => {});
    await r.p.exited;
    await m.c.set('b', '2'); // the master stream stays in database 3: no SELECT before it
    const r2 = await start(rdir, rargs);
    await waitInSync(m.c, r2.c);
    expect((await info(m.c, 'stats')).sync_partial_ok).toBe('1');
    expect(await r2.c.exists('b')).toBe(0);
    await r2.c.select(3);
    expect(await r2.c.get('b')).toBe('2');
  });

  it('after a dropped link, a partial resync continues the stream in its database', async () => {
    const m = await start(tmpdir(), ['--repl-ping-replica-period', '3600']);
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(m.p.port)]);
    await m.c.select(4);
    await m.c.set('a', '1');
    await waitInSync(m.c, r.c);
    await r.c.client('KILL', 'TYPE', 'master');
    await waitFor(async () => (await info(m.c, 'stats')).sync_partial_ok === '1', 'partial resync');
    await m.c.set('b', '2');
    await waitInSync(m.c, r.c);
    expect(await r.c.exists('b')).toBe(0);
    await r.c.select(4);
    expect(await r.c.get('b')).toBe('2');
  });

  it('one snapshot at a time: a replica asking for a full sync during a BGSAVE is served when the save ends', async () => {
    // the save sleeps 40 ms per key (6 s): the replica surely asks while it runs
    const m = await start(tmpdir(), ['--rdb-key-save-delay', '40000']);
    for (let i = 0; i < 150; i++) await m.c.set(`k${i}`, 'v');
    expect(await m.c.bgsave()).toBe('Background saving started');
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(m.p.port)]);
    await waitFor(async () => (await info(m.c)).connected_slaves === '1', 'replica connected');
    await waitInSync(m.c, r.c, 30_000);
    expect(await r.c.dbsize()).toBe(150);
    expect((await info(m.c, 'persistence')).rdb_saves).toBe('1');
    // the full sync's snapshot started only after the save's ended
    const out = m.p.output();
    expect(out.indexOf('Background saving terminated with success')).toBeGreaterThan(0);
    expect(out.indexOf('Starting BGSAVE for SYNC')).toBeGreaterThan(out.indexOf('Background saving terminated with success'));
  });

  it("a replica's rdb_changes_since_last_save counts its master's writes, not the link's PINGs nor the SELECT before a write", async () => {
    const m = await start(tmpdir(), ['--repl-ping-replica-period', '1']);
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(m.p.port)]);
    await m.c.set('a', '1');
    await waitInSync(m.c, r.c);
    await r.c.save();
    const offset = Number((await info(m.c)).master_repl_offset);
    await waitFor(async () => Number((await info(m.c)).master_repl_offset) > offset + 20, 'PINGs in the stream');
    await waitInSync(m.c, r.c);
    expect((await info(r.c, 'persistence')).rdb_changes_since_last_save).toBe('0');
    await m.c.set('b', '2');
    await waitInSync(m.c, r.c);
    expect((await info(r.c, 'persistence')).rdb_changes_since_last_save).toBe('1');
    // a write to another database comes after a SELECT in the stream: one change still
    await m.c.select(3);
    await m.c.set('c', '3');
    await m.c.select(0);
    await waitInSync(m.c, r.c);
    expect((await info(r.c, 'persistence')).rdb_changes_since_last_save).toBe('2');
  });

  it('SHUTDOWN SAVE during a full sync to a replica that does not read drops that replica and saves', async () => {
    const dir = tmpdir();
    const m = await start(dir);
    const big = 'v'.repeat(100_000);
    const p = m.c.pipeline();
    for (let i = 0; i < 200; i++) p.set(`k${i}`, big + i);
    await p.exec();
    // a replica that asks for a full sync (EOF-marked payload) and never reads it
    const sock = net.connect(m.p.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.write('*5\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n$4\r\ncapa\r\n$6\r\npsync2\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n');
    sock.pause();
    try {
      await waitFor(() => m.p.output().includes('Starting BGSAVE for SYNC'), 'full sync started');
      await m.c.call('SHUTDOWN', 'SAVE').catch(() => {});
      expect(await m.p.exited).toBe(0);
      expect(m.p.output()).toContain('There is a child saving an .rdb. Killing it!');
    } finally {
      sock.destroy();
    }
    const b = await start(dir);
    expect(await b.c.dbsize()).toBe(200);
  });

  it('SHUTDOWN waits for a lagging replica (writes paused); SHUTDOWN ABORT cancels it and writes resume', async () => {
    const m = await start(tmpdir(), ['--repl-ping-replica-period', '3600']);
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(m.p.port)]);
    await m.c.set('a', '1');
    await waitInSync(m.c, r.c);
    r.p.proc.kill('SIGSTOP'); // the replica cannot acknowledge
    try {
      await m.c.set('b', '2');
      const other = new Redis({ port: m.p.port, maxRetriesPerRequest: 0 });
      other.on('error', () => {});
      clients.push(other);
      const shut = m.c.call('SHUTDOWN').then(
        () => 'ok',
        (e: Error) => e.message,
      );
      await waitFor(() => m.p.output().includes('Waiting for replicas before shutting down.'), 'shutdown waiting');
      expect(await other.call('SHUTDOWN', 'ABORT')).toBe('OK');
      expect(await shut).toBe('ERR Errors trying to SHUTDOWN. Check logs.');
      expect(await other.set('c', '3')).toBe('OK');
      expect(m.p.proc.exitCode).toBeNull();
    } finally {
      r.p.proc.kill('SIGCONT');
    }
  });

  it('SHUTDOWN gives up waiting after shutdown-timeout and exits, naming the lagging replica', async () => {
    const m = await start(tmpdir(), ['--repl-ping-replica-period', '3600', '--shutdown-timeout', '1']);
    const r = await start(tmpdir(), ['--replicaof', '127.0.0.1', String(m.p.port)]);
    await m.c.set('a', '1');
    await waitInSync(m.c, r.c);
    r.p.proc.kill('SIGSTOP');
    try {
      await m.c.set('b', '2');
      await m.c.call('SHUTDOWN').catch(() => {});
      expect(await m.p.exited).toBe(0);
      expect(m.p.output()).toMatch(/Lagging replica 127\.0\.0\.1:\d+ reported offset \d+ behind master/);
    } finally {
      r.p.proc.kill('SIGCONT');
    }
  });

  it('a restarted replica loads its RDB and continues with PSYNC <replid> <offset> (partial resync)', async () => {
    const m = await start(tmpdir(), ['--repl-ping-replica-period', '3600']);
    const rdir = tmpdir();
    const rargs = ['--replicaof', '127.0.0.1', String(m.p.port)];
    const r = await start(rdir, rargs);
    await m.c.set('a', '1');
    await waitInSync(m.c, r.c);
    await r.c.call('SHUTDOWN', 'SAVE').catch(() => {});
    expect(await r.p.exited).toBe(0);
    await m.c.set('while-down', 'yes');
    const r2 = await start(rdir, rargs);
    await waitInSync(m.c, r2.c);
    const st = await info(m.c, 'stats');
    expect(st.sync_full).toBe('1');
    expect(st.sync_partial_ok).toBe('1');
    expect(await r2.c.get('a')).toBe('1');
    expect(await r2.c.get('while-down')).toBe('yes');
  });
});
