/*
 * Replication test helpers: wait for a replica's link, and read a whole keyspace in a form two
 * servers can be compared by (every key with its type, value and whether it has a TTL).
 */

import net from 'node:net';
import Redis from 'ioredis';
import { waitFor } from './server.js';

export async function info(c: Redis, section = 'replication'): Promise<Record<string, string>> {
  const text = await c.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Wait until the replica reports its link up and its offset equal to the master's. */
export async function waitInSync(master: Redis, replica: Redis, ms = 20_000): Promise<void> {
  await waitFor(async () => (await info(replica)).master_link_status === 'up', 'replica link up', ms);
  await waitFor(
    async () => {
      const m = await info(master);
      const r = await info(replica);
      return m.master_repl_offset === r.slave_repl_offset;
    },
    'replica offset to reach the master offset',
    ms,
  );
}

export type Contents = Map<string, string>;

/** Every key of database 0: "type|value|ttl?" (values in a canonical form). */
export async function contents(c: Redis): Promise<Contents> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await c.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const out: Contents = new Map();
  for (let i = 0; i < keys.length; i += 200) {
    const batch = keys.slice(i, i + 200);
    const p = c.pipeline();
    for (const k of batch) p.type(k).pttl(k);
    const tt = (await p.exec())!.map(([, v]) => v);
    const q = c.pipeline();
    batch.forEach((k, j) => {
      const t = tt[2 * j] as string;
      if (t === 'string') q.getBuffer(k);
      else if (t === 'list') q.lrange(k, 0, -1);
      else if (t === 'set') q.smembers(k);
      else if (t === 'hash') q.hgetall(k);
      else if (t === 'zset') q.zrange(k, 0, -1, 'WITHSCORES');
      else q.type(k);
    });
    const vals = (await q.exec())!.map(([, v]) => v);
    batch.forEach((k, j) => {
      const t = tt[2 * j] as string;
      let v = vals[j];
      if (Buffer.isBuffer(v)) v = v.toString('hex');
      else if (t === 'set') v = [...(v as string[])].sort();
      else if (t === 'hash') v = Object.entries(v as Record<string, string>).sort();
      out.set(k, `${t}|${JSON.stringify(v)}|${(tt[2 * j + 1] as number) >= 0 ? 'ttl' : 'none'}`);
    });
  }
  return out;
}

/** Keys whose contents differ (at most `max` listed). */
export function differences(a: Contents, b: Contents, max = 10): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v.slice(0, 80)} vs ${(b.get(k) ?? '(missing)').slice(0, 80)}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: (missing) vs ${b.get(k)!.slice(0, 80)}`);
  return out.slice(0, max);
}

/** A bare socket posing as a replica: collects the commands of the replication stream. */
export class FakeReplica {
  private buf = Buffer.alloc(0);
  readonly sock: net.Socket;
  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (d) => (this.buf = Buffer.concat([this.buf, d])));
  }
  async start(): Promise<void> {
    await new Promise((res) => this.sock.once('connect', res));
    // redis-server refuses a PSYNC sent before the REPLCONF reply was read
    this.sock.write('REPLCONF listening-port 1\r\n');
    await waitFor(() => this.buf.toString('latin1').startsWith('+OK\r\n'), 'the REPLCONF reply');
    this.sock.write('PSYNC ? -1\r\n');
    await waitFor(() => {
      const s = this.buf.toString('latin1');
      const m = /\+FULLRESYNC \S+ \d+\r\n\n*\$(\d+)\r\n/.exec(s);
      if (!m) return false;
      const start = m.index + m[0].length;
      if (this.buf.length < start + Number(m[1])) return false;
      this.buf = this.buf.subarray(start + Number(m[1]));
      return true;
    }, 'the full sync payload');
  }
  /** Commands of the stream so far, as arrays of strings (PINGs left out). */
  commands(): string[][] {
    const out: string[][] = [];
    const s = this.buf.toString('latin1');
    let p = 0;
    while (p < s.length && s[p] === '*') {
      const nl = s.indexOf('\r\n', p);
      const n = Number(s.slice(p + 1, nl));
      p = nl + 2;
      const argv: string[] = [];
      for (let i = 0; i < n; i++) {
        const nl2 = s.indexOf('\r\n', p);
        const len = Number(s.slice(p + 1, nl2));
        argv.push(s.slice(nl2 + 2, nl2 + 2 + len));
        p = nl2 + 2 + len + 2;
      }
      if (argv[0] !== 'PING') out.push(argv);
    }
    return out;
  }
}
