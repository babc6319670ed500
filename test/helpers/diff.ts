/*
 * Differential testing against a reference redis-server: run the same commands on both servers over
 * raw sockets (RESP2 or RESP3) and collect every reply that differs byte for byte. Used for commands
 * whose replies are deterministic; random/ordering-free commands are checked by properties instead.
 */

import { RawClient, replyEnd } from './raw.js';

export interface Mismatch {
  cmd: string[];
  expected: string;
  actual: string;
}

/** A raw connection speaking RESP2 or RESP3 (HELLO 3 sent and its reply read). */
export async function open(port: number, proto: 2 | 3): Promise<RawClient> {
  const r = await RawClient.connect(port);
  if (proto === 3) {
    r.send('HELLO', '3');
    await r.readRaw();
  }
  return r;
}

/** Run `cmds` in order on both servers; returns the replies that differ. */
export async function diffReplies(refPort: number, port: number, proto: 2 | 3, cmds: string[][]): Promise<Mismatch[]> {
  const ref = await open(refPort, proto);
  const sut = await open(port, proto);
  const out: Mismatch[] = [];
  const started = Date.now();
  try {
    for (let cmd of cmds) {
      const m = marks(cmd);
      cmd = m.cmd;
      ref.send(...cmd);
      sut.send(...cmd);
      let expected: string;
      let actual: string;
      try {
        [expected, actual] = await Promise.all([ref.readRaw(), sut.readRaw()]);
      } catch (e) {
        out.push({ cmd, expected: '(a reply)', actual: String(e) });
        break;
      }
      if (!sameReply(m, expected, actual, Date.now() - started)) out.push({ cmd, expected, actual });
    }
  } finally {
    ref.close();
    sut.close();
  }
  return out;
}

/** A script command with its leading marks taken off. */
export interface Marked {
  cmd: string[];
  /** "~": the reply's top-level elements come in hash-table order. */
  unordered: boolean;
  /** "?": the reply reads the clock (TTL of a key the script gave a TTL). */
  clocked: boolean;
}

/** Take the marks ("~", "?") off a script command. */
export function marks(cmd: string[]): Marked {
  const unordered = cmd[0] === '~';
  if (unordered) cmd = cmd.slice(1);
  const clocked = cmd[0] === '?';
  if (clocked) cmd = cmd.slice(1);
  return { cmd, unordered, clocked };
}

/** Whether two raw replies to a marked command agree (`elapsedMs`: how long the run has taken so far). */
export function sameReply(m: Marked, expected: string, actual: string, elapsedMs: number): boolean {
  if (m.unordered) {
    expected = sortedElements(expected);
    actual = sortedElements(actual);
  }
  if (m.clocked && sameClockReading(m.cmd, expected, actual, elapsedMs)) return true;
  return expected === actual;
}

/**
 * Two integer replies of a clock-reading command (TTL, PTTL, OBJECT IDLETIME) that may differ only
 * because the servers answered at different moments: they may be apart by no more than the time the
 * run has taken so far (in the reply's unit, plus one for rounding). Negative replies (-1, -2) must
 * be equal.
 */
function sameClockReading(cmd: string[], expected: string, actual: string, elapsedMs: number): boolean {
  const e = /^:(-?\d+)\r\n$/.exec(expected);
  const a = /^:(-?\d+)\r\n$/.exec(actual);
  if (!e || !a) return false;
  const x = Number(e[1]);
  const y = Number(a[1]);
  if (x < 0 || y < 0) return x === y;
  const ms = /^p/i.test(cmd[0]!);
  const slack = ms ? elapsedMs + 1 : Math.ceil(elapsedMs / 1000) + 1;
  return Math.abs(x - y) <= slack;
}

/** Split a script of one command per line (whitespace separated, '' for an empty argument). */
export function script(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => l.split(/\s+/).map((a) => (a === "''" ? '' : a)));
}

/** Format mismatches for an assertion message. */
export function showMismatches(mm: Mismatch[]): string {
  return mm.map((m) => `${m.cmd.join(' ')}\n   redis:   ${JSON.stringify(m.expected)}\n   shardis: ${JSON.stringify(m.actual)}`).join('\n');
}

/** An aggregate reply with its top-level elements sorted (for replies in hash-table order). */
export function sortedElements(raw: string): string {
  if (!'*~%'.includes(raw[0]!)) return raw;
  const b = Buffer.from(raw, 'latin1');
  const head = raw.indexOf('\r\n') + 2;
  const parts: string[] = [];
  for (let p = head; p < b.length; ) {
    const e = replyEnd(b, p);
    parts.push(raw.slice(p, e));
    p = e;
  }
  return raw.slice(0, head) + parts.sort().join('');
}
