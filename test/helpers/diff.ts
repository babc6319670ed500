/*
 * Differential testing against a reference redis-server: run the same commands on both servers over
 * raw sockets (RESP2 or RESP3) and collect every reply that differs byte for byte. Used for commands
 * whose replies are deterministic; random/ordering-free commands are checked by properties instead.
 */

import { RawClient } from './raw.js';

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
    for (const cmd of cmds) {
      ref.send(...cmd);
      sut.send(...cmd);
      const [expected, actual] = await Promise.all([ref.readRaw(), sut.readRaw()]);
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
