/*
 * MainIntrospection: the main thread's share of command statistics (its own commands and the
 * cross-shard ones it coordinates), the slow log and the latency monitor. Counts every error reply
 * written on the main thread (INFO errorstats).
 */

import type { Args } from '../../commands/args.js';
import { F, type Command } from '../../commands/table.js';
import { setErrorReplyHook } from '../../resp/writer.js';
import { CommandStats } from './cmdstats.js';
import { LatencyMonitor, SlowLog, redact, slowArgs, stampNow } from './slowlog.js';

/** The client a command came from. */
export interface ClientRef {
  readonly id: number;
  readonly addr: string;
  readonly name: string;
}

export class MainIntrospection {
  readonly commands = new CommandStats(4096);
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  slowerThan = 10000;
  latencyThreshold = 0;

  constructor() {
    setErrorReplyHook((msg) => this.commands.errorReply(msg));
  }

  /**
   * A main-thread or cross-shard command finished: `t0` is performance.now() when it started,
   * `failed` whether it replied with an error.
   */
  called(conn: ClientRef, cmd: Command, args: Args | readonly string[], t0: number, failed: boolean): void {
    let us = (performance.now() - t0) * 1000;
    if (this.wait.size > 0) {
      const w = this.wait.get(conn.id);
      if (w !== undefined) {
        this.wait.delete(conn.id);
        us = Math.max(0, us - w);
      }
    }
    const st = this.commands;
    st.record(cmd.id, us);
    if (failed) st.failed[cmd.id] = st.failed[cmd.id]! + 1;
    if (this.slowerThan >= 0 && us >= this.slowerThan && !(cmd.flags & F.SKIP_SLOWLOG)) {
      const argv = Array.isArray(args) ? (args as readonly string[]) : null;
      const a = args as Args;
      const list = argv
        ? slowArgs(argv.length, (i) => argv[i]!, (i) => argv[i]!.length)
        : slowArgs(a.argc, (i) => a.str(i), (i) => a.length(i));
      this.slowlog.pending.push([stampNow(), Math.floor(Date.now() / 1000), Math.floor(us), redact(cmd.name, list), conn.id, conn.addr, conn.name]);
    }
    this.noteName(conn);
    // LATENCY subcommands wait for every shard's samples: their own wait is not a latency event
    // (a LATENCY RESET would otherwise record itself)
    if (this.latencyThreshold > 0 && us >= this.latencyThreshold * 1000 && cmd.parent?.name !== 'latency') {
      this.latency.add(cmd.flags & F.FAST ? 'fast-command' : 'command', Math.floor(Date.now() / 1000), Math.floor(us / 1000));
    }
  }

  /**
   * Client names over time ([stamp, name] changes, per client id), so an entry timed in a shard and
   * collected later shows the name its client had when the command ran. Names only change through
   * main-thread commands (CLIENT SETNAME, HELLO SETNAME), after which called() notes them.
   */
  readonly names = new Map<number, [number, string][]>();

  private noteName(conn: ClientRef): void {
    const h = this.names.get(conn.id);
    const last = h ? h[h.length - 1]![1] : '';
    if (conn.name === last) return;
    const entry: [number, string] = [stampNow(), conn.name];
    if (!h) this.names.set(conn.id, [entry]);
    else if (h.push(entry) > 16) h.shift();
  }

  /** The name client `id` had at `stamp`. */
  nameAt(id: number, stamp: number): string {
    const h = this.names.get(id);
    let name = '';
    if (h) for (const [t, n] of h) if (t <= stamp) name = n;
    return name;
  }

  /**
   * Microseconds the running command of a client spent waiting for the shards to hand over their
   * slow log entries, latency samples or stats (SLOWLOG, LATENCY): not part of its own duration, so
   * that SLOWLOG RESET does not land in the slow log for waiting on a busy shard.
   */
  private readonly wait = new Map<number, number>();

  waited(connId: number, t0: number): void {
    if (connId !== 0) this.wait.set(connId, (this.wait.get(connId) ?? 0) + (performance.now() - t0) * 1000);
  }

  rejected(cmd: Command | undefined): void {
    if (cmd !== undefined) this.commands.rejected[cmd.id] = this.commands.rejected[cmd.id]! + 1;
  }
}

