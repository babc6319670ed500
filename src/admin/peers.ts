/*
 * Where the other nodes' dashboards are. A shardis node prints its admin port in INFO server as
 * `shardis_admin_port` (the `admin-announce-port` config when set, else `admin-port`; 0 when off).
 * The dashboard asks this directory for the admin port of its master and of each of its replicas;
 * the directory finds out by connecting to the peer's RESP port (the address INFO replication
 * shows), sending AUTH with `masterauth` (or this node's own `requirepass`) when one is set, then
 * INFO server, at most once every few seconds per peer. No REPLCONF extension: a redis-server peer
 * simply has no such field and gets no link.
 */

import net from 'node:net';
import type { Config } from '../config.js';
import { encodeCommand } from '../resp/writer.js';

const REFRESH_MS = 5000;
const TIMEOUT_MS = 2000;

/** Ask one node for INFO server; resolves with its shardis_admin_port (0 when unknown). */
function probe(host: string, port: number, auth: string[] | null): Promise<number> {
  return new Promise((resolve) => {
    let done = false;
    let buf = '';
    const finish = (v: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    let sock: net.Socket;
    try {
      sock = net.connect(port, host);
    } catch {
      resolve(0);
      return;
    }
    const timer = setTimeout(() => finish(0), TIMEOUT_MS);
    sock.on('error', () => finish(0));
    sock.on('close', () => finish(0));
    const request: Buffer[] = [];
    // the credentials as their UTF-8 bytes, as the configuration file has them
    if (auth) request.push(encodeCommand(['AUTH', ...auth.map((a) => Buffer.from(a, 'utf8'))]));
    request.push(encodeCommand(['INFO', 'server']));
    sock.on('connect', () => sock.write(Buffer.concat(request)));
    const replies: string[] = [];
    const want = auth ? 2 : 1;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.length > 1 << 20) return finish(0);
      for (;;) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) break;
        if (buf[0] === '+' || buf[0] === '-') {
          replies.push(buf.slice(0, nl));
          buf = buf.slice(nl + 2);
        } else if (buf[0] === '$') {
          const len = Number(buf.slice(1, nl));
          if (!(len >= 0)) return finish(0);
          if (buf.length < nl + 2 + len + 2) break;
          replies.push(buf.slice(nl + 2, nl + 2 + len));
          buf = buf.slice(nl + 4 + len);
        } else {
          return finish(0);
        }
      }
      if (replies.length >= want) {
        const m = /(?:^|\r\n)shardis_admin_port:(\d+)\r\n/.exec(replies[want - 1]!);
        finish(m ? Number(m[1]) : 0);
      }
    });
  });
}

export class PeerDirectory {
  private readonly known = new Map<string, { adminPort: number; at: number; probing: boolean }>();

  constructor(private readonly config: Config) {}

  /** The admin port known for host:port (0 if none yet); starts a probe when stale. */
  adminPort(host: string, port: number): number {
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) return 0;
    const id = `${host}:${port}`;
    let e = this.known.get(id);
    if (!e) {
      e = { adminPort: 0, at: 0, probing: false };
      this.known.set(id, e);
      if (this.known.size > 256) this.known.delete(this.known.keys().next().value!);
    }
    const now = Date.now();
    if (!e.probing && now - e.at >= REFRESH_MS) {
      e.probing = true;
      const entry = e;
      const cfg = this.config;
      const pass = cfg.get('masterauth') || cfg.get('requirepass');
      const user = cfg.get('masterauth') ? cfg.get('masteruser') : '';
      const auth = pass ? (user ? [user, pass] : [pass]) : null;
      const done = (p: number): void => {
        entry.adminPort = p > 0 && p <= 65535 ? p : 0;
        entry.at = Date.now();
        entry.probing = false;
      };
      probe(host, port, auth).then(done, () => done(0));
    }
    return e.adminPort;
  }
}
