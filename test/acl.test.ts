/*
 * ACL (issue #17): users, SETUSER rules and their descriptions, AUTH / HELLO AUTH, NOPERM for
 * commands, keys (on several shards, in MULTI) and channels, DRYRUN, LOG, SAVE / LOAD, config `user`
 * lines, CLIENT KILL USER, DELUSER closing clients, and a replica linked through a restricted
 * masteruser. Golden replies (test/golden/acl.json) were recorded from redis-server 7.0.15 and are
 * replayed against it when it is installed.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';
import { diffWithGolden } from './helpers/golden.js';
import { pipelineThenFin } from './helpers/pipeline.js';
import { describePipelineCases } from './helpers/pipeline-cases.js';

interface Case {
  name: string;
  reqs: string[][];
  golden: string;
}

const CASES: Case[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/acl.json'), 'utf8'));

describePipelineCases('ACL replies and errors as redis-server (golden), %i shards', CASES, ['ACL', 'LOG', 'RESET'], [4]);

const haveRedis = haveBinaries('redis-server');

/** ACL LOG entries without the fields that depend on time and connection (age, client-info). */
async function logEntries(c: Redis): Promise<Record<string, unknown>[]> {
  const raw = (await c.call('ACL', 'LOG')) as unknown[][];
  return raw.map((e) => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < e.length; i += 2) o[e[i] as string] = e[i + 1];
    expect(typeof o['age-seconds']).toBe('string');
    expect(o['client-info']).toMatch(/^id=\d+ addr=.* user=/);
    delete o['age-seconds'];
    delete o['client-info'];
    return o;
  });
}

async function aclLogScenario(port: number): Promise<Record<string, unknown>[]> {
  const admin = new Redis({ port, lazyConnect: true });
  await admin.connect();
  await admin.call('ACL', 'LOG', 'RESET');
  await admin.call('ACL', 'SETUSER', 'lg', 'on', '>pw', '+@all', '-flushall', '~a*', 'resetchannels', '&c*');
  const u = new Redis({ port, lazyConnect: true, username: 'lg', password: 'pw' });
  await u.connect();
  for (const cmd of [['FLUSHALL'], ['FLUSHALL'], ['GET', 'b'], ['MSET', 'a1', '1', 'zz', '2'], ['PUBLISH', 'x', 'm'], ['MULTI'], ['GET', 'q'], ['DISCARD'], ['AUTH', 'lg', 'bad']]) {
    await u.call(cmd[0]!, ...cmd.slice(1)).catch(() => null);
  }
  const entries = await logEntries(admin);
  const two = (await admin.call('ACL', 'LOG', '2')) as unknown[];
  expect(two.length).toBe(2);
  expect(await admin.call('ACL', 'LOG', 'RESET')).toBe('OK');
  expect(await admin.call('ACL', 'LOG')).toEqual([]);
  await admin.call('ACL', 'DELUSER', 'lg');
  u.disconnect();
  admin.disconnect();
  return entries;
}

const EXPECTED_LOG = [
  { count: 1, reason: 'auth', context: 'toplevel', object: 'AUTH', username: 'lg' },
  { count: 1, reason: 'key', context: 'multi', object: 'q', username: 'lg' },
  { count: 1, reason: 'channel', context: 'toplevel', object: 'x', username: 'lg' },
  { count: 1, reason: 'key', context: 'toplevel', object: 'zz', username: 'lg' },
  { count: 1, reason: 'key', context: 'toplevel', object: 'b', username: 'lg' },
  { count: 2, reason: 'command', context: 'toplevel', object: 'flushall', username: 'lg' },
];

describe('ACL LOG', () => {
  it('entries have redis-server 7.0 shape: count, reason, context, object, username, age-seconds, client-info', async () => {
    const srv = await startShardis({ shards: 4 });
    try {
      expect(await aclLogScenario(srv.port)).toEqual(EXPECTED_LOG);
    } finally {
      await srv.stop();
    }
  });
  it.skipIf(!haveRedis)('redis-server logs the same entries', async () => {
    const ref = await startRedis();
    try {
      expect(await aclLogScenario(ref.port)).toEqual(EXPECTED_LOG);
    } finally {
      await ref.stop();
    }
  });
});

describe('ACL users and connections', () => {
  let srv: Proc;
  let admin: Redis;
  beforeAll(async () => {
    srv = await startShardis({ shards: 4 });
    admin = new Redis({ port: srv.port });
  });
  afterAll(async () => {
    admin.disconnect();
    await srv.stop();
  });

  it('HELLO AUTH authenticates as an ACL user', async () => {
    await admin.call('ACL', 'SETUSER', 'h1', 'on', '>pw', '+@all', '~*');
    const c = new Redis({ port: srv.port });
    const hello = (await c.call('HELLO', '3', 'AUTH', 'h1', 'pw')) as unknown;
    expect(JSON.stringify(hello)).toContain('proto');
    expect(await c.call('ACL', 'WHOAMI')).toBe('h1');
    c.disconnect();
  });

  it('keys on every shard are checked before routing (MGET / DEL over 4 shards)', async () => {
    await admin.call('ACL', 'SETUSER', 'k4', 'on', '>pw', '+@all', '~ok:*');
    const c = new Redis({ port: srv.port, username: 'k4', password: 'pw' });
    const keys = Array.from({ length: 16 }, (_, i) => `ok:${i}`);
    expect(await c.call('MSET', ...keys.flatMap((k) => [k, 'v']))).toBe('OK');
    await expect(c.call('MGET', ...keys, 'other')).rejects.toThrow(/NOPERM this user has no permissions to access one of the keys/);
    await expect(c.call('DEL', 'other', ...keys)).rejects.toThrow(/NOPERM/);
    expect(await admin.call('EXISTS', ...keys)).toBe(16);
    c.disconnect();
  });

  it('ACL DELUSER closes the connections of the deleted user', async () => {
    await admin.call('ACL', 'SETUSER', 'gone', 'on', '>pw', '+@all', '~*');
    const c = new Redis({ port: srv.port, username: 'gone', password: 'pw', retryStrategy: () => null });
    c.on('error', () => {});
    expect(await c.ping()).toBe('PONG');
    expect(await admin.call('ACL', 'DELUSER', 'gone')).toBe(1);
    await waitFor(() => c.status === 'end', 'client closed');
  });

  it('CLIENT KILL USER kills the connections of that user only', async () => {
    await admin.call('ACL', 'SETUSER', 'kk', 'on', '>pw', '+@all', '~*');
    const c = new Redis({ port: srv.port, username: 'kk', password: 'pw', retryStrategy: () => null });
    c.on('error', () => {});
    expect(await c.ping()).toBe('PONG');
    expect(await admin.call('CLIENT', 'KILL', 'USER', 'kk')).toBe(1);
    await waitFor(() => c.status === 'end', 'client closed');
    await expect(admin.call('CLIENT', 'KILL', 'USER', 'nosuch')).rejects.toThrow("ERR No such user 'nosuch'");
  });

  it('requirepass still sets the default user password (CONFIG SET included)', async () => {
    const p = await startShardis({ args: ['--requirepass', 'sekret'] });
    try {
      const c = new Redis({ port: p.port, lazyConnect: true, password: 'sekret' });
      await c.connect();
      expect(await c.call('ACL', 'LIST')).toEqual([`user default on #${sha('sekret')} ~* &* +@all`]);
      await c.call('CONFIG', 'SET', 'requirepass', 'other');
      expect(await pipelineThenFin(p.port, [['AUTH', 'sekret'], ['AUTH', 'other'], ['ACL', 'WHOAMI']])).toBe(
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n$7\r\ndefault\r\n',
      );
      c.disconnect();
    } finally {
      await p.stop();
    }
  });
});

function sha(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

describe('aclfile and config user lines', () => {
  it('ACL SAVE writes the users and ACL LOAD reads them back (bad files change nothing)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-acl-'));
    const file = path.join(dir, 'users.acl');
    fs.writeFileSync(file, 'user default on nopass ~* &* +@all\nuser f1 on #' + sha('pw') + ' ~a* resetchannels -@all +get\n');
    const p = await startShardis({ args: ['--aclfile', file] });
    try {
      const c = new Redis({ port: p.port });
      expect(await c.call('ACL', 'LIST')).toEqual(['user default on nopass ~* &* +@all', `user f1 on #${sha('pw')} ~a* resetchannels -@all +get`]);
      await c.call('ACL', 'SETUSER', 'f2', 'on', 'nopass', '+@read');
      expect(await c.call('ACL', 'SAVE')).toBe('OK');
      expect(fs.readFileSync(file, 'utf8')).toBe(
        `user default on nopass ~* &* +@all\nuser f1 on #${sha('pw')} ~a* resetchannels -@all +get\nuser f2 on nopass resetchannels -@all +@read\n`,
      );
      fs.writeFileSync(file, 'user f3 on nopass +@all ~*\nuser f4 +nosuch\nnot a user\n');
      await expect(c.call('ACL', 'LOAD')).rejects.toThrow(
        `ERR ${file}:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. ${file}:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed`,
      );
      expect(await c.call('ACL', 'USERS')).toEqual(['default', 'f1', 'f2']);
      fs.writeFileSync(file, 'user f3 on nopass +@all ~*\n');
      expect(await c.call('ACL', 'LOAD')).toBe('OK');
      expect(await c.call('ACL', 'USERS')).toEqual(['default', 'f3']);
      c.disconnect();
    } finally {
      await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('user lines of the config file create users', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-acl-'));
    const conf = path.join(dir, 'redis.conf');
    fs.writeFileSync(conf, 'user cu on >pw ~x* +@all\nuser default on nopass ~* &* +@all -flushall\n');
    const p = await startShardis({ args: [conf] });
    try {
      const c = new Redis({ port: p.port });
      expect(await c.call('ACL', 'LIST')).toEqual([
        'user cu on #' + sha('pw') + ' ~x* resetchannels +@all',
        'user default on nopass sanitize-payload ~* &* +@all -flushall',
      ]);
      await expect(c.call('FLUSHALL')).rejects.toThrow("NOPERM this user has no permissions to run the 'flushall' command");
      c.disconnect();
    } finally {
      await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SORT BY / GET patterns need read access to every key', () => {
  it('answers as redis-server for each key rule (selectors, %R~*, %W~*, ~*)', async () => {
    // one connection: the rules are set as default (nopass: any password) and tried as sorter
    const sorts = [['mylist', 'by', 'v*'], ['mylist', 'get', 'v*'], ['mylist', 'by', 'nosort']];
    const cmds: string[][] = [['FLUSHALL'], ['SET', 'v1', '1'], ['LPUSH', 'mylist', '1'], ['ACL', 'SETUSER', 'sorter', 'on', 'nopass', '(+sort ~mylist)'], ['AUTH', 'sorter', 'x']];
    for (const rule of ['(+sort ~mylist ~v*)', '(+sort ~mylist %W~*)', '(+sort ~mylist %R~*)', '(+sort allkeys)']) {
      for (const argv of sorts) cmds.push(['SORT', ...argv]);
      cmds.push(['AUTH', 'default', 'x'], ['ACL', 'SETUSER', 'sorter', rule], ['AUTH', 'sorter', 'x']);
    }
    for (const argv of sorts.slice(0, 2)) cmds.push(['SORT', ...argv]);
    cmds.push(['AUTH', 'default', 'x'], ['ACL', 'DELUSER', 'sorter']);
    const ref = haveRedis ? await startRedis() : null;
    const srv = await startShardis({ shards: 4 });
    try {
      expect(await diffWithGolden('acl-sort-patterns', ref?.port, srv.port, 2, cmds)).toEqual([]);
      // (the first SORT BY, with ~mylist only, is refused: shardis's reply is the recorded one)
      const golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/golden/acl-sort-patterns.resp2.json'), 'utf8')) as { replies: string[] };
      expect(golden.replies[5]).toBe('-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n');
    } finally {
      await ref?.stop();
      await srv.stop();
    }
  });
});

describe('CONFIG REWRITE and ACL users', () => {
  /** Start a server on a copy of `conf` (and `acl`, when given), run `act`, return the files after. */
  const rewriteOn = async (kind: 'redis' | 'shardis', conf: string, act: (c: Redis) => Promise<void>, acl?: string): Promise<{ conf: string; acl?: string }> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-acl-'));
    const confFile = path.join(dir, 'redis.conf');
    const aclFile = path.join(dir, 'users.acl');
    if (acl !== undefined) fs.writeFileSync(aclFile, acl);
    fs.writeFileSync(confFile, conf.replace('$ACLFILE', aclFile));
    const p = kind === 'redis' ? await startRedis([confFile]) : await startShardis({ args: [confFile] });
    try {
      const c = new Redis({ port: p.port });
      await act(c);
      expect(await c.config('REWRITE')).toBe('OK');
      c.disconnect();
      // the user lines and comments, in file order (other generated options differ between servers)
      const lines = fs.readFileSync(confFile, 'utf8').split('\n').filter((l) => l.startsWith('user ') || l.startsWith('#') || l.startsWith('aclfile'));
      return { conf: lines.join('\n').replace(aclFile, '$ACLFILE'), acl: acl === undefined ? undefined : fs.readFileSync(aclFile, 'utf8') };
    } finally {
      await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it.skipIf(!haveRedis)('rewrites the user lines of the config file with the current users, as redis-server', async () => {
    const conf = '# users\nuser cu on >pw ~x* +@all\n# more\nuser gone on nopass +get\nuser default on nopass ~* &* +@all -flushall\n';
    const act = async (c: Redis): Promise<void> => {
      await c.call('ACL', 'SETUSER', 'added', 'on', '>secret', '~k*', '+@read');
      await c.call('ACL', 'DELUSER', 'gone');
    };
    const want = await rewriteOn('redis', conf, act);
    expect(want.conf).toContain('user added on');
    expect(await rewriteOn('shardis', conf, act)).toEqual(want);
  });

  it.skipIf(!haveRedis)('writes the users when the file had none, and none with an aclfile (which it leaves as it is), as redis-server', async () => {
    const act = async (c: Redis): Promise<void> => {
      await c.call('ACL', 'SETUSER', 'added', 'on', 'nopass', '+ping');
    };
    const want = await rewriteOn('redis', '# nothing\n', act);
    expect(await rewriteOn('shardis', '# nothing\n', act)).toEqual(want);
    const acl = 'user default on nopass ~* &* +@all\nuser f1 on nopass +get\n';
    const wantAcl = await rewriteOn('redis', 'aclfile $ACLFILE\n', act, acl);
    expect(wantAcl.acl).toBe(acl);
    expect(wantAcl.conf).not.toContain('user ');
    expect(await rewriteOn('shardis', 'aclfile $ACLFILE\n', act, acl)).toEqual(wantAcl);
  });
});

describe('replication through a restricted masteruser', () => {
  it('a replica authenticates with masteruser/masterauth and syncs; the user can do nothing else', async () => {
    const m = await startShardis({ shards: 4, args: ['--repl-diskless-sync-delay', '0'] });
    const mc = new Redis({ port: m.port });
    await mc.call('ACL', 'SETUSER', 'repl', 'on', '>rpw', '-@all', '+psync', '+replconf', '+ping');
    await mc.call('ACL', 'SETUSER', 'default', 'resetpass', '>adminpw');
    const r = await startShardis({ args: ['--replicaof', '127.0.0.1', String(m.port), '--masteruser', 'repl', '--masterauth', 'rpw'] });
    const rc = new Redis({ port: r.port });
    try {
      await mc.call('AUTH', 'adminpw');
      for (let i = 0; i < 20; i++) await mc.set(`k${i}`, `v${i}`);
      await waitFor(async () => (await rc.get('k19')) === 'v19', 'replica has the writes');
      const u = new Redis({ port: m.port, username: 'repl', password: 'rpw' });
      await expect(u.get('k1')).rejects.toThrow("NOPERM this user has no permissions to run the 'get' command");
      u.disconnect();
    } finally {
      mc.disconnect();
      rc.disconnect();
      await r.stop();
      await m.stop();
    }
  });
});

/** Queue commands, change the user's rules from another connection, EXEC: the replies and the log. */
async function execRecheck(port: number): Promise<unknown> {
  const admin = new Redis({ port });
  await admin.call('ACL', 'LOG', 'RESET');
  await admin.call('ACL', 'SETUSER', 'ex', 'on', '>pw', '+@all', '~*', '&*');
  const u = new Redis({ port, username: 'ex', password: 'pw' });
  await u.call('MULTI');
  for (const cmd of [['SET', 'a', '1'], ['SET', 'b', '2'], ['GET', 'a'], ['PUBLISH', 'ch', 'x'], ['PING']]) await u.call(cmd[0]!, ...cmd.slice(1));
  await admin.call('ACL', 'SETUSER', 'ex', 'resetkeys', '~a', 'resetchannels', '-ping');
  const replies = await u.call('EXEC').catch((e: Error) => e.message);
  const log = (await admin.call('ACL', 'LOG')) as unknown[][];
  await admin.call('ACL', 'DELUSER', 'ex');
  u.disconnect();
  admin.disconnect();
  return { replies, log: log.map((e) => [e[1], e[3], e[5], e[7]]) };
}

describe('ACL rules are checked again at EXEC', () => {
  const expected = {
    replies: [
      'OK',
      'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys',
      '1',
      'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to access one of the channels used as arguments',
      'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand',
    ],
    log: [
      [1, 'command', 'multi', 'ping'],
      [1, 'channel', 'multi', 'ch'],
      [1, 'key', 'multi', 'b'],
    ],
  };
  it('commands no longer allowed answer NOPERM inside the EXEC array (4 shards)', async () => {
    const srv = await startShardis({ shards: 4 });
    try {
      const got = (await execRecheck(srv.port)) as { replies: unknown[] };
      got.replies = got.replies.map((r) => (r instanceof Error ? r.message : r));
      expect(got).toEqual(expected);
    } finally {
      await srv.stop();
    }
  });
  it.skipIf(!haveRedis)('redis-server answers the same', async () => {
    const ref = await startRedis();
    try {
      const got = (await execRecheck(ref.port)) as { replies: unknown[] };
      got.replies = got.replies.map((r) => (r instanceof Error ? r.message : r));
      expect(got).toEqual(expected);
    } finally {
      await ref.stop();
    }
  });
});

describe('admin endpoint and ACL users', () => {
  it('HTTP Basic accepts any enabled ACL user with its password (not a disabled one, not a wrong password)', async () => {
    const port = await freePort();
    const srv = await startShardis({ args: ['--admin-port', String(port), '--requirepass', 'adm'] });
    const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    const status = async (auth: string): Promise<number> => (await fetch(`http://127.0.0.1:${port}/info`, { headers: { authorization: auth } })).status;
    try {
      const c = new Redis({ port: srv.port, password: 'adm' });
      await c.call('ACL', 'SETUSER', 'ops', 'on', '>opspw', '+@all', '~*');
      await c.call('ACL', 'SETUSER', 'offuser', 'off', '>offpw');
      expect(await status(basic('ops', 'opspw'))).toBe(200);
      expect(await status(basic('ops', 'bad'))).toBe(401);
      expect(await status(basic('offuser', 'offpw'))).toBe(401);
      expect(await status(basic('default', 'adm'))).toBe(200);
      c.disconnect();
    } finally {
      await srv.stop();
    }
  });
});

describe('revoking channel rights', () => {
  it('closes the subscribed clients of the user whose channels are no longer allowed, and only them', async () => {
    const srv = await startShardis({ shards: 4 });
    const admin = new Redis({ port: srv.port });
    try {
      await admin.call('ACL', 'SETUSER', 'ps', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&foo', '&bar');
      const sub1 = new Redis({ port: srv.port, username: 'ps', password: 'x', retryStrategy: () => null });
      const sub2 = new Redis({ port: srv.port, username: 'ps', password: 'x', retryStrategy: () => null });
      sub1.on('error', () => {});
      sub2.on('error', () => {});
      await sub1.subscribe('foo');
      await sub2.subscribe('bar');
      await admin.call('ACL', 'SETUSER', 'ps', 'resetchannels', '&bar');
      await waitFor(() => sub1.status === 'end', 'the foo subscriber closed');
      expect(sub2.status).toBe('ready');
      expect(await admin.call('PUBLISH', 'bar', 'm')).toBe(1);
      sub2.disconnect();
    } finally {
      admin.disconnect();
      await srv.stop();
    }
  });
});

describe('ACL inside scripts', () => {
  // expected replies recorded from redis-server 7.0.15 (same user, same scripts)
  const cases: [string, string, (string | number)[], string | null][] = [
    ['a forbidden command', "return redis.call('set','a1','x')", [0], "ERR The user executing the script can't run this command or subcommand script: e5c6e2f5247b0217d081804c63965eefc41b0d1a, on @user_script:1."],
    ['a forbidden key (undeclared, another shard)', "return redis.call('get','b1')", [0], "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: 88445491396731e617b880dd708c0ea914b19126, on @user_script:1."],
    ['a forbidden key through pcall', "return redis.pcall('get','b1')", [0], "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"],
    ['an allowed key (declared: the in-shard path)', "return redis.call('get',KEYS[1])", [1, 'a1'], null],
  ];
  it('a script runs as its caller: each redis.call is checked against the user, denials logged with context lua', async () => {
    const srv = await startShardis({ shards: 4 });
    const admin = new Redis({ port: srv.port, lazyConnect: true });
    const u = new Redis({ port: srv.port, lazyConnect: true, username: 'u', password: 'pw' });
    try {
      await admin.connect();
      await admin.call('ACL', 'SETUSER', 'u', 'on', '>pw', '~a*', '+@all', '-set');
      await admin.set('a1', 'v');
      await u.connect();
      for (const [what, script, rest, want] of cases) {
        const got = await u.call('EVAL', script, ...rest).then(
          (r) => r,
          (e: Error) => e.message,
        );
        expect(got, what).toBe(want ?? 'v');
      }
      const log = (await admin.call('ACL', 'LOG', '1')) as unknown[][];
      const entry = new Map<string, unknown>();
      for (let i = 0; i + 1 < log[0]!.length; i += 2) entry.set(log[0]![i] as string, log[0]![i + 1]);
      expect([entry.get('reason'), entry.get('context'), entry.get('object'), entry.get('username')]).toEqual(['key', 'lua', 'b1', 'u']);
    } finally {
      admin.disconnect();
      u.disconnect();
      await srv.stop();
    }
  });
});
