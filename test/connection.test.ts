/*
 * Connection and server commands of the core: replies diffed against redis-server 7 where they are
 * deterministic, and checked by shape where they hold server-specific values (ids, times, INFO).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { freePort, haveBinaries, startRedis, startShardis, waitFor } from './helpers/server.js';
import net from 'node:net';
import { RawClient } from './helpers/raw.js';

const SCRIPT = `
## PING and ECHO
ping
ping hello
ping a b
echo hi
echo
## SELECT range and SWAPDB
select 15
select 16
select -1
select abc
select 0
set k1 v1
swapdb 0 1
get k1
select 1
get k1
swapdb 0 1
select 0
get k1
swapdb 0 99
swapdb a 1
dbsize
## HELLO and AUTH errors
hello 4
hello abc
auth foo
auth default foo
## CLIENT SETNAME, GETNAME and CLIENT argument errors
client getname
client setname my-name
client getname
client setname "bad name"
client setname ''
client getname
client bogus
client kill 1.2.3.4:5
client kill id abc
client kill type bogus
client kill maxage
client no-evict on
client no-evict maybe
client reply maybe
## CONFIG GET and SET of unknown and invalid options
config get bogus-option
config set bogus-option 1
config set maxclients abc
config set port
config get maxmemory
~ config get max*
config bogus
## DEBUG SLEEP 0 and unknown DEBUG subcommands
debug sleep 0
debug bogus
## COMMAND GETKEYS, GETKEYSANDFLAGS and INFO
command getkeys get a
command getkeysandflags lmove a b left right
command getkeysandflags zunionstore d 2 a b
command getkeysandflags set a b
command getkeysandflags set a b get
command getkeysandflags blmpop 0 2 a b left
command getkeys mset a 1 b 2
command getkeys bogus a
command getkeys ping
command info get ping bogus
command info zunionstore xread
command bogus
## arity errors and unknown commands
time bogus
lastsave bogus
bogus a b
`;

describe.each([1, 4])('connection and server commands with %i shard(s)', (shards) => {
  const s = useServers({ shards, args: ['--enable-debug-command', 'local'], redis: true, redisArgs: ['--enable-debug-command', 'local'] });

  describeCorpus('connection', corpus(SCRIPT), s);

  it('HELLO 3 returns the server map and switches to RESP3; HELLO 2 back', async () => {
    const r = await RawClient.connect(s.srv.port);
    r.send('HELLO', '3', 'SETNAME', 'h3');
    const reply = await r.readRaw();
    expect(reply.startsWith('%7\r\n')).toBe(true);
    expect(reply).toContain('$6\r\nserver\r\n$5\r\nredis\r\n');
    expect(reply).toContain('$5\r\nproto\r\n:3\r\n');
    expect(reply).toContain('$4\r\nrole\r\n$6\r\nmaster\r\n');
    r.send('GET', 'nokey-h3');
    expect(await r.readRaw()).toBe('_\r\n');
    r.send('CLIENT', 'GETNAME');
    expect(await r.readRaw()).toBe('$2\r\nh3\r\n');
    r.send('HELLO', '2');
    expect((await r.readRaw()).startsWith('*14\r\n')).toBe(true);
    r.send('GET', 'nokey-h3');
    expect(await r.readRaw()).toBe('$-1\r\n');
    r.close();
  });

  it('CLIENT REPLY OFF / ON / SKIP, pipelined and not, for main-thread and shard commands', async () => {
    const r = await RawClient.connect(s.srv.port);
    try {
      // SKIP drops the next command's reply only
      r.send('CLIENT', 'REPLY', 'SKIP');
      r.send('PING', 'a');
      r.send('PING', 'b');
      expect(await r.readRaw()).toBe('$1\r\nb\r\n');
      r.send('CLIENT', 'REPLY', 'SKIP');
      r.send('SET', 'rk', 'v');
      r.send('GET', 'rk');
      expect(await r.readRaw()).toBe('$1\r\nv\r\n');
      r.send('CLIENT', 'REPLY', 'SKIP');
      await new Promise((res) => setTimeout(res, 50));
      r.send('INCR', 'rn');
      await new Promise((res) => setTimeout(res, 50));
      r.send('INCR', 'rn');
      expect(await r.readRaw()).toBe(':2\r\n');
      // OFF silences everything until ON, which answers +OK
      r.send('CLIENT', 'REPLY', 'OFF');
      r.send('SET', 'rk', 'w');
      r.send('PING');
      r.send('CLIENT', 'REPLY', 'SKIP');
      r.send('GET', 'rk');
      r.send('CLIENT', 'REPLY', 'ON');
      expect(await r.readRaw()).toBe('+OK\r\n');
      r.send('GET', 'rk');
      expect(await r.readRaw()).toBe('$1\r\nw\r\n');
      r.send('CLIENT', 'REPLY', 'MAYBE');
      expect(await r.readRaw()).toBe('-ERR syntax error\r\n');
    } finally {
      r.close();
    }
  });

  it('CLIENT ID, LIST, INFO and KILL by id, addr, type and SKIPME', async () => {
    const a = new Redis({ port: s.srv.port, connectionName: 'victim', retryStrategy: () => null });
    const id = (await a.client('ID')) as number;
    expect(id).toBeGreaterThan(0);
    const list = (await s.io.client('LIST')) as string;
    expect(list).toMatch(new RegExp(`^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${s.srv.port} fd=\\d+ name=victim age=\\d+ idle=\\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\\d+ qbuf-free=\\d+ argv-mem=\\d+ multi-mem=0 rbs=\\d+ rbp=\\d+ obl=0 oll=0 omem=0 tot-mem=\\d+ events=r cmd=\\S+ user=default redir=-1 resp=[23]$`, 'm'));
    expect(await a.client('INFO')).toMatch(new RegExp(`^id=${id} .* cmd=client\\|info .*\\n$`));
    expect(await s.io.client('KILL', 'ID', String(id))).toBe(1);
    await waitFor(() => a.status === 'end', 'killed client closes');
    const b = new Redis({ port: s.srv.port, retryStrategy: () => null });
    const baddr = ((await b.client('INFO')) as string).match(/addr=(\S+)/)![1]!;
    expect(await s.io.client('KILL', baddr)).toBe('OK');
    await expect(s.io.client('KILL', baddr)).rejects.toThrow('ERR No such client');
    // TYPE normal kills every normal client but the caller (SKIPME yes by default)
    const c1 = new Redis({ port: s.srv.port, retryStrategy: () => null });
    const c2 = new Redis({ port: s.srv.port, retryStrategy: () => null });
    await c1.ping();
    await c2.ping();
    const killed = (await s.io.client('KILL', 'TYPE', 'normal')) as number;
    expect(killed).toBeGreaterThanOrEqual(2);
    expect(await s.io.ping()).toBe('PONG');
    const sub = new Redis({ port: s.srv.port, retryStrategy: () => null });
    await sub.subscribe('chan');
    expect(await s.io.client('KILL', 'TYPE', 'pubsub')).toBe(1);
    await waitFor(() => sub.status === 'end', 'pubsub client killed');
    expect(await s.io.client('KILL', 'TYPE', 'master')).toBe(0);
    expect(await s.io.client('KILL', 'TYPE', 'replica')).toBe(0);
  });

  it('COMMAND COUNT, INFO, DOCS, LIST', async () => {
    const count = (await s.io.command('COUNT')) as number;
    const list = (await s.io.command('LIST')) as string[];
    // COMMAND LIST names subcommands too; COUNT counts top-level commands
    expect(list.filter((n) => !n.includes('|')).length).toBe(count);
    expect(list).toContain('get');
    expect(list).toContain('config|get');
    const [info] = (await s.io.command('INFO', 'set')) as unknown[][];
    expect(info!.slice(0, 6)).toEqual(['set', -3, ['write', 'denyoom'], 1, 1, 1]);
    const docs = (await s.io.call('COMMAND', 'DOCS', 'get')) as unknown[];
    expect(docs[0]).toBe('get');
    expect(docs[1]).toEqual(expect.arrayContaining(['since', '1.0.0', 'group', 'string']));
  });

  it('CONFIG GET globs, SET, RESETSTAT and INFO sections with Redis field names', async () => {
    expect(await s.io.config('GET', 'port')).toEqual(['port', String(s.srv.port)]);
    const many = (await s.io.config('GET', 'maxmemory*')) as string[];
    expect(many).toContain('maxmemory-policy');
    expect(await s.io.config('SET', 'maxclients', '500')).toBe('OK');
    expect(await s.io.config('GET', 'maxclients')).toEqual(['maxclients', '500']);
    await s.io.set('hit', '1');
    await s.io.get('hit');
    await s.io.get('miss-key');
    const info = await s.io.info();
    for (const section of ['# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Keyspace']) {
      expect(info).toContain(section);
    }
    for (const field of ['redis_version:7.0.15', 'run_id:', 'tcp_port:', 'connected_clients:', 'used_memory:', 'total_commands_processed:', 'instantaneous_ops_per_sec:', 'keyspace_hits:', 'keyspace_misses:', 'role:master']) {
      expect(info).toContain(field);
    }
    expect(info).toMatch(/^run_id:[0-9a-f]{40}\r?$/m);
    expect(info).toMatch(/^db0:keys=\d+,expires=\d+,avg_ttl=\d+\r?$/m);
    expect(Number(/keyspace_hits:(\d+)/.exec(info)![1])).toBeGreaterThan(0);
    expect(await s.io.config('RESETSTAT')).toBe('OK');
    const after = await s.io.info('stats');
    expect(after).toMatch(/^keyspace_hits:0\r?$/m);
    expect(after).not.toContain('# Server');
  });

  it('TIME, LASTSAVE, DBSIZE, DEBUG SLEEP, node-redis', async () => {
    const [sec, usec] = (await s.io.time()) as [string, string];
    expect(Math.abs(Number(sec) - Date.now() / 1000)).toBeLessThan(60);
    expect(Number(usec)).toBeLessThan(1_000_000);
    expect(typeof (await s.io.lastsave())).toBe('number');
    expect(await s.io.call('DEBUG', 'SLEEP', '0.01')).toBe('OK');
    const c = createClient({ socket: { port: s.srv.port } });
    await c.connect();
    try {
      await c.flushAll();
      await c.set('a', '1');
      expect(await c.dbSize()).toBe(1);
      expect(await c.ping()).toBe('PONG');
    } finally {
      await c.quit();
    }
  });

  it('AUTH with requirepass: NOAUTH before, WRONGPASS on a bad password', async () => {
    const s = await startShardis({ shards, args: ['--requirepass', 'sekret'] });
    try {
      const r = await RawClient.connect(s.port);
      r.send('GET', 'a');
      expect(await r.readRaw()).toBe('-NOAUTH Authentication required.\r\n');
      r.send('AUTH', 'bad');
      expect(await r.readRaw()).toBe('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      r.send('AUTH', 'sekret');
      expect(await r.readRaw()).toBe('+OK\r\n');
      r.send('SET', 'a', '1');
      expect(await r.readRaw()).toBe('+OK\r\n');
      r.close();
      const i = new Redis({ port: s.port, password: 'sekret' });
      expect(await i.get('a')).toBe('1');
      i.disconnect();
    } finally {
      await s.stop();
    }
  });
});

/** What a MONITOR client sees while another client runs a fixed sequence (timestamps and ports cut). */
async function monitorSession(port: number): Promise<string[]> {
  const mon = await RawClient.connect(port);
  const r = await RawClient.connect(port);
  try {
    mon.send('MONITOR');
    expect(await mon.readRaw()).toBe('+OK\r\n');
    const cmds: string[][] = [
      ['SET', 'm"k', 'a\nb\x01\\'],
      ['SELECT', '3'],
      ['GET', 'x'],
      ['CONFIG', 'GET', 'maxclients'],
      ['MULTI'],
      ['INCR', 'c'],
      ['SELECT', '2'],
      ['GET', 'c'],
      ['EXEC'],
      ['SELECT', '0'],
      ['AUTH', 'pw'],
      ['AUTH', 'user', 'pw'],
      ['HELLO', '2', 'AUTH', 'default', 'pw'],
      ['NOSUCHCOMMAND'],
      ['PING'],
    ];
    for (const c of cmds) {
      r.send(...c);
      await r.readRaw();
    }
    const lines: string[] = [];
    while (lines.length < 13) {
      for (const l of (await mon.readRaw()).split('\r\n')) if (l !== '') lines.push(l);
    }
    return lines.map((l) => l.replace(/^\+\d+\.\d{6} \[(\d+) [\d.]+:\d+\]/, '+T [$1 addr]'));
  } finally {
    mon.close();
    r.close();
  }
}

describe('MONITOR', () => {
  it('streams each command run, in Redis format: quoting, databases, transactions, AUTH redacted, admin commands left out', async () => {
    const s = await startShardis({ shards: 2 });
    try {
      const lines = await monitorSession(s.port);
      expect(lines).toEqual([
        '+T [0 addr] "SET" "m\\"k" "a\\nb\\x01\\\\"',
        '+T [3 addr] "SELECT" "3"',
        '+T [3 addr] "GET" "x"',
        '+T [3 addr] "MULTI"',
        '+T [3 addr] "INCR" "c"',
        '+T [2 addr] "SELECT" "2"',
        '+T [2 addr] "GET" "c"',
        '+T [2 addr] "EXEC"',
        '+T [0 addr] "SELECT" "0"',
        '+T [0 addr] "AUTH" "(redacted)"',
        '+T [0 addr] "AUTH" "(redacted)" "(redacted)"',
        '+T [0 addr] "HELLO" "2" "AUTH" "(redacted)" "(redacted)"',
        '+T [0 addr] "PING"',
      ]);
      // CLIENT LIST flags the monitor with O
      const c = new Redis({ port: s.port });
      const mon = await RawClient.connect(s.port);
      mon.send('MONITOR');
      await mon.readRaw();
      expect(await c.client('LIST')).toMatch(/flags=O /);
      mon.send('RESET');
      await mon.readRaw(); // the RESET line or +RESET
      c.disconnect();
      mon.close();
    } finally {
      await s.stop();
    }
  });

  it.skipIf(!haveBinaries('redis-server'))('shows what redis-server 7 shows for the same session', async () => {
    const [s, ref] = await Promise.all([startShardis({ shards: 2 }), startRedis()]);
    try {
      expect(await monitorSession(s.port)).toEqual(await monitorSession(ref.port));
    } finally {
      await Promise.all([s.stop(), ref.stop()]);
    }
  });
});

describe('CONFIG SET port', () => {
  it('listens on the new port and closes the old listener, keeping open connections; a port in use is refused and nothing changes', async () => {
    const s = await startShardis({ shards: 1 });
    const c = new Redis({ port: s.port, retryStrategy: () => null });
    const blocker = net.createServer();
    try {
      const next = await freePort();
      expect(await c.config('SET', 'port', String(next), 'maxmemory-clients', '5%')).toBe('OK');
      expect(await c.config('GET', 'port')).toEqual(['port', String(next)]);
      expect(await c.ping()).toBe('PONG'); // this connection stays
      const d = new Redis({ port: next });
      expect(await d.ping()).toBe('PONG');
      d.disconnect();
      const refused = await new Promise<boolean>((res) => {
        const sock = net.connect(s.port, '127.0.0.1');
        sock.on('connect', () => (sock.destroy(), res(false)));
        sock.on('error', () => res(true));
      });
      expect(refused).toBe(true);
      // a port something else listens on: Redis's error, every value rolled back
      const used = await freePort();
      await new Promise<void>((res) => blocker.listen(used, '127.0.0.1', () => res()));
      await expect(c.config('SET', 'maxmemory-clients', '7%', 'port', String(used))).rejects.toThrow(
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port",
      );
      expect(await c.config('GET', 'port')).toEqual(['port', String(next)]);
      expect(await c.config('GET', 'maxmemory-clients')).toEqual(['maxmemory-clients', '5%']);
      await expect(c.config('SET', 'maxmemory-clients', '200%')).rejects.toThrow(
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100",
      );
      const e = new Redis({ port: next });
      expect(await e.ping()).toBe('PONG');
      e.disconnect();
    } finally {
      blocker.close();
      c.disconnect();
      await s.stop();
    }
  });
});

describe('DEBUG is refused unless enable-debug-command allows it (as Redis 7)', () => {
  it('default "no" refuses DEBUG SLEEP', async () => {
    const s = await startShardis();
    try {
      const r = await RawClient.connect(s.port);
      r.send('DEBUG', 'SLEEP', '0');
      expect(await r.readRaw()).toMatch(/^-ERR DEBUG command not allowed\./);
      r.close();
    } finally {
      await s.stop();
    }
  });
});

/*
 * COMMAND DOCS: shardis writes its own summaries, complexities and history notes, so those are checked
 * for presence; everything clients build on (argument trees with names, types, tokens, key-spec
 * indexes, flags and versions; since, group, doc flags, deprecation versions, history versions) must
 * equal what redis-server 7 reports, for every command shardis implements.
 */
describe.skipIf(!haveBinaries('redis-server'))('COMMAND DOCS against redis-server', () => {
  type Doc = Record<string, unknown>;
  const toMap = (a: unknown[]): Doc => {
    const o: Doc = {};
    for (let i = 0; i < a.length; i += 2) o[a[i] as string] = a[i + 1];
    return o;
  };
  const arg = (a: unknown[]): Doc => {
    const o = toMap(a);
    if (o.arguments) o.arguments = (o.arguments as unknown[][]).map(arg);
    return o;
  };
  /** The interface part of a docs map: prose replaced by whether it is there. */
  const shape = (a: unknown[]): Doc => {
    const o = toMap(a);
    if (o.arguments) o.arguments = (o.arguments as unknown[][]).map(arg);
    if (o.history) o.history = (o.history as string[][]).map(([v]) => v);
    for (const k of ['summary', 'complexity', 'replaced_by']) if (k in o) o[k] = typeof o[k] === 'string' && (o[k] as string).length > 0;
    if (o.subcommands) {
      const subs = toMap(o.subcommands as unknown[]);
      for (const k of Object.keys(subs)) subs[k] = shape(subs[k] as unknown[]);
      o.subcommands = subs;
    }
    return o;
  };

  const s = useServers({ redis: true });

  it('every command shardis has: same argument trees, versions, groups and doc flags; a summary and complexity', async () => {
    const a = new Redis({ port: s.srv.port });
    const b = new Redis({ port: s.ref!.port });
    try {
      const ours = toMap((await a.call('COMMAND', 'DOCS')) as unknown[]);
      const names = Object.keys(ours).sort();
      expect(names.length).toBe(await a.command('COUNT'));
      const theirs = toMap((await b.call('COMMAND', 'DOCS', ...names)) as unknown[]);
      const differ: string[] = [];
      for (const n of names) {
        const mine = shape(ours[n] as unknown[]);
        const want = shape(theirs[n] as unknown[]);
        // shardis implements a subset of some containers' subcommands (CLIENT, CONFIG, ...)
        if (mine.subcommands && want.subcommands) {
          const keep = want.subcommands as Doc;
          for (const k of Object.keys(keep)) if (!(k in (mine.subcommands as Doc))) delete keep[k];
        }
        try {
          expect(mine).toEqual(want);
        } catch {
          differ.push(n);
        }
      }
      expect(differ).toEqual([]);
      // spot checks of the prose being there and of the RESP3 shape through a raw client
      const set = shape(ours.set as unknown[]);
      expect(set.summary).toBe(true);
      expect(set.complexity).toBe(true);
      expect((set.arguments as Doc[]).map((x) => x.name)).toEqual(['key', 'value', 'condition', 'get', 'expiration']);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('COMMAND INFO equals redis-server for every command shardis has (key-spec notes present where Redis has them)', async () => {
    const a = new Redis({ port: s.srv.port });
    const b = new Redis({ port: s.ref!.port });
    /** notes prose -> true; subcommands sorted by name and limited to `only` */
    const norm = (info: unknown[], only?: Set<string>): unknown[] => {
      const out = [...info];
      out[8] = (info[8] as unknown[][]).map((spec) => {
        const m = toMap(spec);
        if ('notes' in m) m.notes = true;
        return m;
      });
      const subs = (info[9] as unknown[][]).filter((x) => !only || only.has(x[0] as string));
      out[9] = subs.map((x) => norm(x)).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      return out;
    };
    try {
      const names = ((await a.command('LIST')) as string[]).filter((n) => !n.includes('|'));
      const all = new Set((await a.command('LIST')) as string[]);
      const ours = (await a.command('INFO', ...names)) as unknown[][];
      const theirs = (await b.command('INFO', ...names)) as unknown[][];
      const differ = names.filter((_, i) => JSON.stringify(norm(ours[i]!)) !== JSON.stringify(norm(theirs[i]!, all)));
      expect(differ).toEqual([]);
      const set = toMap(((ours[names.indexOf('set')]![8] as unknown[][])[0]) as unknown[]);
      expect(typeof set.notes).toBe('string');
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('CONFIG GET * lists what redis-server lists plus our own mutable ones; hidden parameters (our immutable ones too) answer only by exact name', async () => {
    const a = new Redis({ port: s.srv.port });
    const b = new Redis({ port: s.ref!.port });
    try {
      const names = async (c: Redis): Promise<string[]> => ((await c.config('GET', '*')) as string[]).filter((_, i) => i % 2 === 0).sort();
      const ours = await names(a);
      const theirs = await names(b);
      expect(ours.filter((n) => !theirs.includes(n)).sort()).toEqual(['admin-announce-port']);
      for (const own of ['admin-bind', 'admin-port', 'keyspace-store', 'optimize-for-size', 'ring-size', 'shards']) expect((await a.config('GET', own)) as string[]).toHaveLength(2);
      expect(theirs.filter((n) => !ours.includes(n))).toEqual([]);
      for (const h of ['use-exit-on-panic', 'key-load-delay', 'rdb-key-save-delay', 'watchdog-period', 'loading-process-events-interval-bytes']) {
        expect(ours).not.toContain(h);
        expect(await a.config('GET', h)).toEqual(await b.config('GET', h));
      }
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('latency-tracking-info-percentiles: CONFIG GET trims the numbers, bad values are refused as by redis-server', async () => {
    const run = async (c: Redis): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const v of ['0.0 50.0 100.0', '99.9 1e1 .5', '10.0 50.0 a', '10.0 50.0 101.0', '']) {
        out.push(await c.config('SET', 'latency-tracking-info-percentiles', v).catch((e: Error) => e.message));
        out.push(await c.config('GET', 'latency-tracking-info-percentiles'));
      }
      await c.config('SET', 'latency-tracking-info-percentiles', '50 99 99.9');
      return out;
    };
    const a = new Redis({ port: s.srv.port });
    const b = new Redis({ port: s.ref!.port });
    try {
      const got = await run(a);
      expect(got.slice(0, 4)).toEqual(['OK', ['latency-tracking-info-percentiles', '0 50 100'], 'OK', ['latency-tracking-info-percentiles', '99.9 10 0.5']]);
      expect(got).toEqual(await run(b));
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('RESP3: doc and argument flags are sets, history entries pairs', async () => {
    const r = await RawClient.connect(s.srv.port);
    r.send('HELLO', '3');
    await r.readRaw();
    r.send('COMMAND', 'DOCS', 'getset');
    const getset = await r.readRaw();
    r.send('COMMAND', 'DOCS', 'lpop');
    const lpop = await r.readRaw();
    r.close();
    expect(getset).toContain('$9\r\ndoc_flags\r\n~1\r\n+deprecated\r\n');
    expect(getset).toContain('$16\r\ndeprecated_since\r\n$5\r\n6.2.0\r\n');
    expect(lpop).toContain('$7\r\nhistory\r\n~1\r\n*2\r\n$5\r\n6.2.0\r\n');
    expect(lpop).toContain('$5\r\nflags\r\n~1\r\n+optional\r\n');
  });
});
