/*
 * MONITOR: the clients in MONITOR mode and the lines they get, in Redis's format:
 * `+<sec>.<usec> [<db> <ip:port>] "arg" ...` with arguments quoted and escaped as sdscatrepr does
 * (source "lua" for the commands a script runs). Redis feeds monitors after a command runs; admin
 * commands never.
 */

import type { Args } from '../commands/args.js';
import { F, Route, type Command } from '../commands/table.js';
import type { Connection } from './connection.js';
import type { ServerContext } from './main-ctx.js';

export class Monitor {
  /** Connections in MONITOR mode. */
  readonly clients = new Set<Connection>();

  constructor(private readonly s: ServerContext) {}

  /** Send a command to every MONITOR client. */
  feed(conn: Connection, argv: readonly string[], db = conn.db, source = conn.addr): void {
    const t = performance.timeOrigin + performance.now();
    const sec = Math.floor(t / 1000);
    const usec = Math.floor((t - sec * 1000) * 1000);
    let line = `+${sec}.${String(usec).padStart(6, '0')} [${db} ${source}]`;
    for (const a of argv) line += ' ' + monitorRepr(a);
    const bytes = Buffer.from(line + '\r\n', 'latin1');
    for (const m of this.clients) {
      if (m.closed) continue;
      m.pushOutOfBand(bytes);
      this.s.pump.queueWrite(m);
    }
  }

  /**
   * Dispatch with MONITOR clients listening: a main-thread command after it ran (so SELECT shows the
   * new database), a transaction's commands at its EXEC, before the EXEC; shard commands as they are
   * sent to their shard. Returns what dispatch returns (false: the connection holds the request).
   */
  dispatch(conn: Connection, cmd: Command, args: Args): boolean {
    const s = this.s;
    const argv = monitorArgs(cmd, args.all(0));
    if (cmd.route !== Route.Main) {
      this.feed(conn, argv);
      return s.router.route(conn, cmd, args);
    }
    const queued = cmd.name === 'exec' && !conn.multiError ? conn.multi : null;
    const db = conn.db;
    if (!s.runner.run(conn, cmd, args)) return false;
    if (queued === null) {
      this.feed(conn, argv);
      return true;
    }
    // the transaction runs later (on the shards): follow its SELECTs for the database shown
    let at = db;
    for (const q of queued) {
      if (q.cmd.name === 'select') {
        const n = Number(q.argv[1]);
        if (Number.isInteger(n) && n >= 0 && n < s.config.int('databases')) at = n;
      }
      if (!(q.cmd.flags & (F.ADMIN | F.SKIP_MONITOR))) this.feed(conn, monitorArgs(q.cmd, q.argv), at);
    }
    this.feed(conn, argv, at);
    return true;
  }
}

/** MONITOR hides passwords as Redis does: AUTH's, and HELLO's AUTH option's. */
function monitorArgs(cmd: Command, argv: string[]): string[] {
  if (cmd.name === 'auth') {
    if (argv.length > 1) argv[1] = '(redacted)';
    if (argv.length === 3) argv[2] = '(redacted)';
  } else if (cmd.name === 'hello') {
    for (let j = 2; j + 2 < argv.length; j++) {
      if (argv[j]!.toLowerCase() === 'auth') {
        argv[j + 1] = '(redacted)';
        argv[j + 2] = '(redacted)';
        j += 2;
      } else if (argv[j]!.toLowerCase() === 'setname') j++;
    }
  }
  return argv;
}

/** An argument as MONITOR shows it (Redis's sdscatrepr): quoted, with C escapes and \\xHH. */
function monitorRepr(a: string): string {
  let out = '"';
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0x5c || c === 0x22) out += '\\' + a[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c >= 0x20 && c < 0x7f) out += a[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}
