/*
 * CLIENT TRACKING (client-side caching): scripted sessions of several raw connections, each
 * connection's full transcript (replies and invalidation pushes / messages, in arrival order) compared
 * with redis-server 7.0.15's and with the recorded golden file: RESP3 pushes, REDIRECT to a RESP2
 * client subscribed to __redis__:invalidate, BCAST with PREFIX, OPTIN / OPTOUT with CLIENT CACHING,
 * NOLOOP, invalidation on expiry and FLUSHALL, CLIENT GETREDIR / TRACKINGINFO and the option errors;
 * and tracking-table-max-keys evicting remembered keys with an invalidation.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from './helpers/raw.js';
import { haveBinaries, sleep, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';

const haveRedis = haveBinaries('redis-server');
if (!haveRedis && process.env.CI === 'true') throw new Error('redis-server is required in CI');
const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden/tracking-script.json');

/**
 * "<client> <command...>" per line; clients are created on first use; "$id:x" is client x's id;
 * "sleep N" pauses; "|" separates commands sent back to back. After each line every client is synchronised with a PING, so what each one
 * received (replies and pushes) lands in its transcript in order.
 */
const SCRIPTS: Record<string, string> = {
  resp3: `
a HELLO 3
b HELLO 3
a CLIENT TRACKING on
a CLIENT GETREDIR
a CLIENT TRACKINGINFO
a GET k1
b SET k1 v
a GET k1
a SET k1 x
a MGET {k}2 {k}3 k4
b MSET {k}2 1 {k}3 2
b DEL k4
a GET k4
b SET k4 y px 1500
a GET k4
sleep 2000
b GET k4
a HGETALL h1
b HSET h1 f v
a GET k5
b FLUSHALL
a CLIENT TRACKING off
a CLIENT TRACKINGINFO
b SET k5 v
`,
  noloop: `
a HELLO 3
a CLIENT TRACKING on NOLOOP
a GET n1
a SET n1 1
a GET n2
b SET n2 2
a CLIENT TRACKINGINFO
`,
  // keys on four shards (a 3, b 0, c 1, d 2): a command over several shards, or a script's, is its
  // issuer's write
  noloopcross: `
a HELLO 3
a CLIENT TRACKING on NOLOOP
a MGET a b c d
a MSET a 1 b 2 c 3 d 4
a MGET a b c d
b MSET a 1 b 2 c 3 d 4
a MGET a b c d
a MULTI | DEL a b c d | EXEC
a MGET a b c d
a MULTI | SET a 1 | SET b 2 | INCR c | EXEC
a MGET a b c d
a RENAME a d
a MGET a b c d
b RENAME d a
a MGET a b c d
a SUNIONSTORE c b d
a MGET a b c d
a EVAL return(redis.call('set',KEYS[1],'5')) 1 c
a EVAL redis.call('set',KEYS[1],'1');return(redis.call('set',KEYS[2],'2')) 2 a b
a MGET a b c d
b MSET a 1 b 2 c 3
e HELLO 3
e CLIENT TRACKING on BCAST NOLOOP
e MSET a 1 b 2
b MSET a 1 b 2
b ECHO end
`,
  // a script that reads makes its caller track the script's declared keys (not the keys it read)
  scripts: `
a HELLO 3
a CLIENT TRACKING on
b MSET s1 1 s2 1
a EVAL redis.call('set','s3','bar') 2 s1 s2
b MSET s2 2 s1 2
a EVAL redis.call('get','s3') 2 s1 s2
b MSET s2 2 s1 2
a EVAL_RO redis.call('ping') 2 s1 s2
b MSET s2 5 s1 5
a EVAL_RO return(redis.call('get','s3')) 1 s2
b SET s2 3
a EVAL return(redis.call('get','s3')) 1 s3
b SET s3 x
b ECHO end
`,
  bcast: `
c HELLO 3
c CLIENT TRACKING on PREFIX user:
c CLIENT TRACKING on BCAST PREFIX user: PREFIX obj:
c CLIENT TRACKING on BCAST PREFIX us
c CLIENT TRACKING on BCAST PREFIX user:
c CLIENT TRACKING on BCAST PREFIX x PREFIX xy
c CLIENT TRACKING on BCAST PREFIX zz PREFIX z
c CLIENT TRACKING on OPTIN
c CLIENT TRACKINGINFO
b SET user:1 a
b SET other x
b SET obj:2 b
b DEL user:1 nokey
d HELLO 3
d CLIENT TRACKING on BCAST
d CLIENT TRACKINGINFO
b SET anything 1
d CLIENT TRACKING on BCAST OPTIN
`,
  opt: `
d HELLO 3
d CLIENT CACHING yes
d CLIENT TRACKING on OPTIN
d CLIENT CACHING no
d GET o1
d CLIENT CACHING yes
d CLIENT TRACKINGINFO
d GET o2
b SET o1 1
b SET o2 2
d CLIENT TRACKING on OPTOUT
e HELLO 3
e CLIENT TRACKING on OPTOUT
e CLIENT CACHING yes
e GET p1
e CLIENT CACHING no
e GET p2
b SET p1 1
b SET p2 2
e CLIENT TRACKING on OPTIN OPTOUT
`,
  redirect: `
f SUBSCRIBE __redis__:invalidate
g CLIENT TRACKING on REDIRECT $id:f
g CLIENT GETREDIR
g CLIENT TRACKING on REDIRECT 999999
g CLIENT TRACKING on REDIRECT $id:f REDIRECT $id:f
g GET r1
g MGET {r}2 {r}3
b SET r1 v
b MSET {r}2 1 {r}3 2
b FLUSHALL
g CLIENT TRACKING maybe
`,
};

interface Session {
  clients: Map<string, RawClient>;
  ids: Map<string, string>;
  transcripts: Map<string, string[]>;
}

function isPingReply(r: string): boolean {
  return r === '+PONG\r\n' || r === '*2\r\n$4\r\npong\r\n$0\r\n\r\n';
}

async function runScript(port: number, text: string): Promise<Record<string, string[]>> {
  const s: Session = { clients: new Map(), ids: new Map(), transcripts: new Map() };
  const admin = await RawClient.connect(port);
  admin.send('FLUSHALL');
  await admin.readRaw();
  admin.send('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
  await admin.readRaw();
  admin.close();
  const client = async (name: string): Promise<RawClient> => {
    let c = s.clients.get(name);
    if (c) return c;
    c = await RawClient.connect(port);
    c.send('CLIENT', 'ID');
    const id = (await c.readRaw()).slice(1, -2);
    s.clients.set(name, c);
    s.ids.set(name, id);
    s.transcripts.set(name, []);
    return c;
  };
  try {
    for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const [who, ...argv] = line.split(/\s+/);
      if (who === 'sleep') {
        await sleep(Number(argv[0]));
        continue;
      }
      const c = await client(who!);
      // "x CMD1 ... | CMD2 ..." sends the commands back to back (a MULTI ... EXEC block)
      let args: string[] = [];
      for (const a of [...argv, '|']) {
        if (a === '|') {
          c.send(...args);
          args = [];
        } else args.push(a.startsWith('$id:') ? s.ids.get(a.slice(4)) ?? (await client(a.slice(4)), s.ids.get(a.slice(4))!) : a);
      }
      // synchronise everyone: what each client got up to its PING reply is in its transcript
      for (const [name, other] of s.clients) {
        other.send('PING');
        const t = s.transcripts.get(name)!;
        for (;;) {
          const r = await other.readRaw();
          if (isPingReply(r)) break;
          t.push(r);
        }
      }
    }
    // ids differ between servers: name them
    const out: Record<string, string[]> = {};
    for (const [name, t] of s.transcripts) {
      out[name] = t.map((r) => {
        let x = r.replace(/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:<id>\r\n');
        for (const [n, id] of s.ids) {
          if (x === `:${id}\r\n`) x = `:<id ${n}>\r\n`;
          x = x.split(`redirect\r\n:${id}\r\n`).join(`redirect\r\n:<id ${n}>\r\n`);
        }
        return x;
      });
    }
    return out;
  } finally {
    for (const c of s.clients.values()) c.close();
  }
}

let ref: Proc | null = null;

beforeAll(async () => {
  if (haveRedis) ref = await startRedis();
});

afterAll(async () => {
  await ref?.stop();
});

describe.each([1, 4])('CLIENT TRACKING with %i shard(s)', (shards) => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards });
  });
  afterAll(async () => {
    await srv.stop();
  });

  describe.each(Object.keys(SCRIPTS))('session %s', (name) => {
    it.skipIf(!haveRedis)('every connection receives exactly what redis-server sends', async () => {
      const want = await runScript(ref!.port, SCRIPTS[name]!);
      expect(await runScript(srv.port, SCRIPTS[name]!)).toEqual(want);
    });

    it('every connection receives what redis-server 7.0.15 sent (golden file)', async () => {
      const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, Record<string, string[]>>;
      if (ref && process.env.GOLDEN_UPDATE === '1') {
        golden[name] = await runScript(ref.port, SCRIPTS[name]!);
        fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');
      }
      expect(await runScript(srv.port, SCRIPTS[name]!)).toEqual(golden[name]);
    });
  });

  it('NOLOOP does not filter the invalidation of a key its own client set that then expired', async () => {
    const a = await RawClient.connect(srv.port);
    try {
      // the key that expires is set last: once it is set, its invalidation may come at any moment (the
      // active expire cycle), so a command after it could get that push before its own reply
      for (const cmd of [['HELLO', '3'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP'], ['SET', '{e}y', 'v'], ['SET', '{e}x', 'v', 'PX', '1']]) {
        a.send(...cmd);
        await a.readRaw();
      }
      await sleep(20);
      // expired by the active cycle meanwhile or lazily by this GET: either way one invalidation
      a.send('GET', '{e}x');
      const got: string[] = [];
      for (;;) {
        const r = await a.readRaw();
        if (r === '_\r\n') break;
        got.push(r);
      }
      if (got.length === 0) got.push(await a.readRaw());
      expect(got).toEqual(['>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\n{e}x\r\n']);
      a.send('PING');
      expect(await a.readRaw()).toBe('+PONG\r\n');
    } finally {
      a.close();
    }
  });

  it('an unblocked BLMOVE gets the invalidation of its own destination after its reply', async () => {
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    try {
      for (const cmd of [['RPUSH', '{bl}2', 'a'], ['HELLO', '3'], ['CLIENT', 'TRACKING', 'on'], ['LRANGE', '{bl}2', '0', '-1']]) {
        a.send(...cmd);
        await a.readRaw();
      }
      a.send('BLMOVE', '{bl}1', '{bl}2', 'LEFT', 'LEFT', '0');
      await waitFor(async () => {
        b.send('INFO', 'clients');
        return /blocked_clients:1/.test(await b.readRaw());
      }, 'client blocked');
      b.send('RPUSH', '{bl}1', 'foo');
      expect(await b.readRaw()).toBe(':1\r\n');
      expect(await a.readRaw()).toBe('$3\r\nfoo\r\n');
      expect(await a.readRaw()).toBe('>2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\n{bl}2\r\n');
    } finally {
      a.close();
      b.close();
    }
  });

  it('CLIENT CACHING applies to the very next command (TRACKINGINFO shows it, then it is gone)', async () => {
    const a = await RawClient.connect(srv.port);
    try {
      for (const cmd of [['HELLO', '3'], ['CLIENT', 'TRACKING', 'on', 'OPTIN']]) {
        a.send(...cmd);
        await a.readRaw();
      }
      a.write('*3\r\n$6\r\nCLIENT\r\n$7\r\nCACHING\r\n$3\r\nyes\r\n*2\r\n$6\r\nCLIENT\r\n$12\r\nTRACKINGINFO\r\n*2\r\n$6\r\nCLIENT\r\n$12\r\nTRACKINGINFO\r\n');
      expect(await a.readRaw()).toBe('+OK\r\n');
      expect(await a.readRaw()).toContain('~3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n');
      expect(await a.readRaw()).toContain('~2\r\n$2\r\non\r\n$5\r\noptin\r\n');
    } finally {
      a.close();
    }
  });

  it('tracking-table-max-keys: lowering it invalidates the excess keys', async () => {
    const a = await RawClient.connect(srv.port);
    try {
      for (const cmd of [['HELLO', '3'], ['CLIENT', 'TRACKING', 'on'], ['MGET', '{lo}1', '{lo}2']]) {
        a.send(...cmd);
        await a.readRaw();
      }
      a.send('CONFIG', 'SET', 'tracking-table-max-keys', '1');
      expect(await a.readRaw()).toBe('+OK\r\n');
      expect(await a.readRaw()).toMatch(/^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$5\r\n\{lo\}[12]\r\n$/);
    } finally {
      a.send('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
      await a.readRaw();
      a.close();
    }
  });

  it('tracking-table-max-keys: remembering more keys invalidates the excess', async () => {
    const a = await RawClient.connect(srv.port);
    try {
      a.send('CONFIG', 'SET', 'tracking-table-max-keys', '2');
      expect(await a.readRaw()).toBe('+OK\r\n');
      a.send('HELLO', '3');
      await a.readRaw();
      a.send('CLIENT', 'TRACKING', 'on');
      expect(await a.readRaw()).toBe('+OK\r\n');
      const got: string[] = [];
      for (const k of ['m1', 'm2', 'm3', 'm4']) {
        a.send('GET', k);
        for (;;) {
          const r = await a.readRaw();
          if (r === '_\r\n') break;
          got.push(r);
        }
      }
      // m3 and m4 each pushed one remembered key out
      await waitFor(() => got.length >= 2, 'evicted invalidations');
      expect(got.length).toBe(2);
      for (const r of got) expect(r).toMatch(/^>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$2\r\nm[1-4]\r\n$/);
    } finally {
      a.send('CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
      await a.readRaw();
      a.close();
    }
  });
});
