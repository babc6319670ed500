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

async function open(port: number, proto: 2 | 3): Promise<RawClient> {
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
  try {
    for (let cmd of cmds) {
      // a leading "~" marks a reply whose top-level elements come in hash-table order
      const unordered = cmd[0] === '~';
      if (unordered) cmd = cmd.slice(1);
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
      if (unordered) {
        expected = sortedElements(expected);
        actual = sortedElements(actual);
      }
      if (expected !== actual) out.push({ cmd, expected, actual });
    }
  } finally {
    ref.close();
    sut.close();
  }
  return out;
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
