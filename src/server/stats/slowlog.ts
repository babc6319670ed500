/*
 * The slow log (SLOWLOG) and the latency monitor's event samples (LATENCY), main-thread side.
 *
 * Commands are timed where they run: a shard keeps the entries of its slow commands until the main
 * thread collects them (SLOWLOG and LATENCY commands, and once a second); main-thread and
 * cross-shard commands are recorded here directly. Every entry carries a wall-clock stamp with
 * sub-millisecond precision (performance.timeOrigin + performance.now(), comparable across threads),
 * so entries collected late still get their ids in the order the commands finished.
 */

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

/** An entry waiting for its id: [stamp, unix seconds, microseconds, args, connId, addr, name]. */
export type PendingSlow = [number, number, number, string[], number, string | null, string | null];

export interface SlowEntry {
  id: number;
  time: number;
  us: number;
  args: string[];
  addr: string;
  name: string;
}

/** A command's arguments as the slow log keeps them (binary strings). */
export function slowArgs(argc: number, at: (i: number) => string, len: (i: number) => number): string[] {
  const n = Math.min(argc, MAX_ARGC);
  const out: string[] = [];
  for (let j = 0; j < n; j++) {
    if (n !== argc && j === n - 1) {
      out.push(`... (${argc - n + 1} more arguments)`);
    } else {
      const l = len(j);
      out.push(l > MAX_STRING ? `${at(j).slice(0, MAX_STRING)}... (${l - MAX_STRING} more bytes)` : at(j));
    }
  }
  return out;
}

/** Configuration parameters whose values are secrets (Redis 7's SENSITIVE_CONFIG). */
const SENSITIVE_CONFIGS = new Set(['requirepass', 'masterauth', 'masteruser']);

/** Commands whose arguments hold secrets: the slow log shows "(redacted)" instead (Redis 7). */
export function redact(name: string, args: string[]): string[] {
  if (name === 'auth') return args.map((a, i) => (i === 0 ? a : '(redacted)'));
  if (name === 'config|set') {
    const out = [...args];
    for (let i = 2; i + 1 < out.length; i += 2) if (SENSITIVE_CONFIGS.has(out[i]!.toLowerCase())) out[i + 1] = '(redacted)';
    return out;
  }
  if (name === 'hello') {
    const out = [...args];
    for (let i = 2; i + 2 < out.length + 1; i++) {
      if (out[i]?.toLowerCase() === 'auth') {
        if (i + 1 < out.length) out[i + 1] = '(redacted)';
        if (i + 2 < out.length) out[i + 2] = '(redacted)';
        break;
      }
    }
    return out;
  }
  return args;
}

export function stampNow(): number {
  return performance.timeOrigin + performance.now();
}

export class SlowLog {
  entries: SlowEntry[] = []; // newest first
  nextId = 0;
  pending: PendingSlow[] = [];

  /** Give the pending entries their ids in stamp order; keep at most maxLen entries. */
  settle(maxLen: number, resolve: (connId: number, stamp: number) => [string, string]): void {
    if (this.pending.length > 0) {
      this.pending.sort((a, b) => a[0] - b[0]);
      for (const p of this.pending) {
        const [addr, name] = p[5] !== null ? [p[5], p[6] ?? ''] : resolve(p[4], p[0]);
        this.entries.unshift({ id: this.nextId++, time: p[1], us: p[2], args: p[3], addr, name });
      }
      this.pending = [];
    }
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  reset(): void {
    this.entries = [];
    this.pending = [];
  }
}

/** LATENCY_TS_LEN: samples kept per event. */
const HISTORY_LEN = 160;

export interface LatencyEvent {
  /** [unix seconds, ms], oldest first */
  samples: [number, number][];
  max: number;
}

export class LatencyMonitor {
  readonly events = new Map<string, LatencyEvent>();

  /** A sample of `ms` milliseconds for `event` at unix second `time` (one per second: the highest). */
  add(event: string, time: number, ms: number): void {
    let e = this.events.get(event);
    if (!e) {
      e = { samples: [], max: 0 };
      this.events.set(event, e);
    }
    if (ms > e.max) e.max = ms;
    const last = e.samples[e.samples.length - 1];
    if (last && last[0] === time) {
      if (ms > last[1]) last[1] = ms;
      return;
    }
    e.samples.push([time, ms]);
    if (e.samples.length > HISTORY_LEN) e.samples.shift();
  }

  /** Reset the named events (all when none): the number of events reset. */
  reset(names: string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}
