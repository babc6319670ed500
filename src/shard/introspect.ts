/*
 * Shard side of the introspection commands: times every command this shard executes (one
 * performance.now() per command within a batch: the end of one command is the start of the next),
 * counts calls, failures, latency histograms and error replies in a CommandStats (typed arrays by
 * command id), keeps the slow log entries and latency-monitor samples of its slow commands and of its
 * own cycles (expire-cycle, eviction-del, eviction-cycle: event()) until the main thread collects
 * them, and answers MEMORY USAGE for its keys.
 *
 * Control ops (main thread -> shard):
 *   introspect-config <slowlog-log-slower-than> <latency-monitor-threshold> <latency-tracking 0|1>
 *                     <slowlog-max-len>
 *   cmdstats          -> cmdstatsOp (src/ipc/control.ts)
 *   introspect-drain  -> introspectDrainOp: pending slow log entries and latency samples
 */

import { F, type Command } from '../commands/table.js';
import { FLAG_COORDINATED } from '../ipc/records.js';
import { cmdstatsOp, introspectConfigOp, introspectDrainOp } from '../ipc/control.js';
import { SYNTAX, NOT_INTEGER, CommandError } from '../resp/errors.js';
import { parseInt64 } from '../commands/numbers.js';
import { setErrorReplyHook } from '../resp/writer.js';
import { CommandStats } from '../server/stats/cmdstats.js';
import { slowArgs, redact, stampNow, type PendingSlow } from '../server/stats/slowlog.js';
import type { ShardCtx, ShardHandler } from './context.js';
import type { Args } from '../commands/args.js';
import type { RespWriter } from '../resp/writer.js';
import { MAP_ENTRY, strBytes, valueBytes } from './mem-estimate.js';
import { entryBytes, isInline } from '../store/byte-table.js';
import { shardCommands } from '../commands/registry.js';

/** Pending entries a shard keeps at most between two collections. */
const MAX_PENDING = 1024;
/** Fast commands timed together at most. */
const PENDING_MAX = 512;
const EMPTY = Buffer.alloc(0);

export class ShardIntrospection {
  readonly stats: CommandStats;
  /** performance.now() at the last clock reading of the current batch; 0 outside a batch. */
  mark = 0;
  /** A command of a script running in this shard: counted and timed on its own, as Redis's scriptCall. */
  nested = false;
  slowerThan = 10000;
  latencyThreshold = 0;
  /** slowlog-max-len */
  maxLen = 128;
  slow: PendingSlow[] = [];
  latency: [number, string, number, number][] = [];
  private errBefore = 0;
  /*
   * Fast commands (flag "fast": O(1) or O(log N)) of a batch are not timed one by one: reading the
   * clock costs ~150 ns on this kind of VM, about as much as running a GET. They wait here until the
   * next clock reading (a slower command, the end of the batch, a ring release, a control op) and
   * share the time elapsed since the previous one. Their request bytes stay valid until then (ring
   * space is released only after flush()), so a slow one can still be put in the slow log.
   */
  private pendN = 0;
  private readonly pendId = new Int32Array(PENDING_MAX);
  private readonly pendConn = new Int32Array(PENDING_MAX);
  private readonly pendStart = new Int32Array(PENDING_MAX);
  private readonly pendLen = new Int32Array(PENDING_MAX);
  private readonly pendBody: Buffer[] = new Array<Buffer>(PENDING_MAX).fill(EMPTY);

  constructor(private readonly commands: readonly Command[]) {
    this.stats = new CommandStats(commands.length);
    setErrorReplyHook((msg) => this.stats.errorReply(msg));
  }

  /**
   * Start of a command: its start time, or -1 for a fast command inside a batch (timed in bulk).
   * Inside a batch a command starts when the previous one ended (the clock was just read), unless
   * fast commands are waiting: then the clock is read to close their share.
   */
  begin(cmd: Command | undefined): number {
    this.errBefore = this.stats.errorTotal;
    if (this.mark !== 0 && !this.nested) {
      if (cmd !== undefined && cmd.flags & F.FAST) return -1;
      if (this.pendN === 0) return this.mark;
    }
    const t = performance.now();
    if (this.mark !== 0) this.close(t);
    return t;
  }

  /**
   * End of a command. Parked (blocked) commands are counted when served; commands sent by the main
   * thread's coordinator are counted there.
   */
  end(c: ShardCtx, cmd: Command | undefined, t0: number, parked: boolean, body: Buffer, start: number, len: number): void {
    const st = this.stats;
    if (t0 < 0) {
      if (cmd === undefined || c.flags & FLAG_COORDINATED) return;
      if (st.errorTotal > this.errBefore) st.failed[cmd.id] = st.failed[cmd.id]! + 1;
      const i = this.pendN++;
      this.pendId[i] = cmd.id;
      this.pendConn[i] = c.connId;
      this.pendStart[i] = start;
      this.pendLen[i] = len;
      this.pendBody[i] = body;
      if (this.pendN === PENDING_MAX) this.close(performance.now());
      return;
    }
    const t1 = performance.now();
    if (this.mark !== 0) this.mark = t1;
    if (cmd === undefined || parked || (c.flags & FLAG_COORDINATED && !this.nested)) return;
    const us = (t1 - t0) * 1000;
    st.record(cmd.id, us);
    if (st.errorTotal > this.errBefore) st.failed[cmd.id] = st.failed[cmd.id]! + 1;
    if (this.slowerThan >= 0 && us >= this.slowerThan && !(cmd.flags & F.SKIP_SLOWLOG)) {
      const a = c.args;
      const args = redact(cmd.name, slowArgs(c.argc, (i) => a.str(i), (i) => a.length(i)));
      this.pushSlow([stampNow(), Math.floor(Date.now() / 1000), Math.floor(us), args, c.connId, null, null]);
    }
    this.latencySample(cmd, us);
  }

  /**
   * Start of a script sent straight to this shard (REQ_SCRIPT): its start time. Inside a batch with
   * no fast commands waiting, that is when the previous command or script ended (the clock was
   * just read), as begin() takes it.
   */
  beginScript(): number {
    if (this.mark !== 0 && this.pendN === 0) return this.mark;
    const t = performance.now();
    if (this.mark !== 0) this.close(t);
    return t;
  }

  /**
   * End of that script, run here to its end: counted and timed as its client's command (the
   * commands it called were counted on their own), as redis-server times a script: its run, not
   * its wait in the queue. Its arguments, for the slow log, are read from its request bytes.
   */
  endScript(connId: number, cmd: Command, t0: number, failed: boolean, body: Buffer, start: number, len: number): void {
    const t1 = performance.now();
    if (this.mark !== 0) this.mark = t1;
    const us = (t1 - t0) * 1000;
    const st = this.stats;
    st.record(cmd.id, us);
    if (failed) st.failed[cmd.id] = st.failed[cmd.id]! + 1;
    if (this.slowerThan >= 0 && us >= this.slowerThan && !(cmd.flags & F.SKIP_SLOWLOG)) {
      const argv = requestArgs(body, start, len);
      const args = redact(cmd.name, slowArgs(argv.length, (j) => argv[j]!, (j) => argv[j]!.length));
      this.pushSlow([stampNow(), Math.floor(Date.now() / 1000), Math.floor(us), args, connId, null, null]);
    }
    this.latencySample(cmd, us);
  }

  /** Time the fast commands waiting since the last clock reading (before ring space is released). */
  flush(): void {
    if (this.pendN > 0) this.close(performance.now());
  }

  private close(t: number): void {
    const n = this.pendN;
    if (n > 0) {
      const us = ((t - this.mark) * 1000) / n;
      const st = this.stats;
      const slow = this.slowerThan >= 0 && us >= this.slowerThan;
      for (let i = 0; i < n; i++) {
        const cmd = this.commands[this.pendId[i]!]!;
        st.record(cmd.id, us);
        if (slow && !(cmd.flags & F.SKIP_SLOWLOG)) {
          const argv = requestArgs(this.pendBody[i]!, this.pendStart[i]!, this.pendLen[i]!);
          const args = redact(cmd.name, slowArgs(argv.length, (j) => argv[j]!, (j) => argv[j]!.length));
          this.pushSlow([stampNow(), Math.floor(Date.now() / 1000), Math.floor(us), args, this.pendConn[i]!, null, null]);
        }
        this.latencySample(cmd, us);
        this.pendBody[i] = EMPTY;
      }
      this.pendN = 0;
    }
    this.mark = t;
  }

  /** Keep the newest slowlog-max-len entries until the main thread collects them. */
  private pushSlow(e: PendingSlow): void {
    if (this.slow.push(e) >= 2 * this.maxLen + 16) this.slow.splice(0, this.slow.length - this.maxLen);
  }

  /**
   * A latency-monitor event of the shard's own work (expire-cycle, eviction-del, eviction-cycle), as
   * Redis's latencyAddSampleIfNeeded: whole milliseconds, kept at or over latency-monitor-threshold.
   */
  event(name: string, ms: number): void {
    const whole = Math.floor(ms);
    if (this.latencyThreshold > 0 && whole >= this.latencyThreshold && this.latency.length < MAX_PENDING) {
      this.latency.push([stampNow(), name, Math.floor(Date.now() / 1000), whole]);
    }
  }

  private latencySample(cmd: Command, us: number): void {
    if (this.latencyThreshold > 0 && us >= this.latencyThreshold * 1000 && this.latency.length < MAX_PENDING) {
      this.latency.push([stampNow(), cmd.flags & F.FAST ? 'fast-command' : 'command', Math.floor(Date.now() / 1000), Math.floor(us / 1000)]);
    }
  }

  /** A parked command answered without running again (timeout, CLIENT UNBLOCK): one call, as Redis counts it. */
  unblocked(cmd: Command, failed: boolean): void {
    this.stats.record(cmd.id, 0);
    if (failed) this.stats.failed[cmd.id] = this.stats.failed[cmd.id]! + 1;
  }
}

/** The arguments of a RESP multibulk request (as binary strings). */
function requestArgs(body: Buffer, start: number, len: number): string[] {
  const out: string[] = [];
  const end = start + len;
  let p = start + 1;
  let n = 0;
  while (p < end && body[p] !== 13) n = n * 10 + body[p++]! - 48;
  p += 2;
  for (let i = 0; i < n && p < end; i++) {
    p++; // '$'
    let l = 0;
    while (p < end && body[p] !== 13) l = l * 10 + body[p++]! - 48;
    p += 2;
    out.push(body.latin1Slice(p, p + l));
    p += l + 2;
  }
  return out;
}

/** What the control ops use of the shard (structural: keeps this file out of shard.ts's cycle). */
type ControlHandler = (c: { readonly intro: ShardIntrospection; readonly args: Args; readonly w: RespWriter }) => void;

export const INTROSPECT_CONTROL: Record<string, ControlHandler> = {
  'introspect-config'(c) {
    const s = introspectConfigOp.settings(c.args);
    c.intro.slowerThan = s.slowerThan;
    c.intro.latencyThreshold = s.latencyThreshold;
    c.intro.stats.tracking = s.tracking;
    c.intro.maxLen = s.maxLen;
    c.w.ok();
  },

  cmdstats(c) {
    cmdstatsOp.write(c.w, c.intro.stats);
  },

  'introspect-drain'(c) {
    const { slow, latency } = c.intro;
    c.intro.slow = [];
    c.intro.latency = [];
    introspectDrainOp.write(c.w, slow, latency);
  },
};

// ---- MEMORY USAGE (estimates in mem-estimate.ts) -------------------------------------------

function memoryUsage(c: ShardCtx): void {
  const key = c.args.str(2);
  let samples = 5;
  for (let j = 3; j < c.argc; j += 2) {
    if (c.args.is(j, 'samples') && j + 1 < c.argc) {
      // a long long, as Redis; a negative one is a syntax error (LLONG_MIN included)
      const s = parseInt64(c.args.str(j + 1));
      if (s === null) throw new CommandError(NOT_INTEGER);
      if (s < 0n) throw new CommandError(SYNTAX);
      samples = s > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(s);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const v = c.db.get(key, false);
  if (v === undefined) {
    c.w.nullBulk();
    return;
  }
  const expires = c.db.expireCost(key);
  // the byte store: the entry's size class and bucket slot, and the heap size of a value held as a
  // JS object (an aggregate, a long string); the heap store: a Map entry, the key string, the value
  const entry = c.db.ks.arena === null ? MAP_ENTRY + strBytes(key) + valueBytes(v, samples) : entryBytes(key, v) + (isInline(v) ? 0 : valueBytes(v, samples));
  c.w.int(entry + expires);
}

export const commands = shardCommands<ShardHandler>({
  'memory|usage': memoryUsage,
});
