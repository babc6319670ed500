/*
 * Golden replies: a differential script's reference replies recorded from redis-server 7.0.15 into
 * test/golden/<name>.json, so the comparison still runs where redis-server is not installed. With
 * redis-server present the test compares live and rewrites the file when GOLDEN_UPDATE=1;
 * GOLDEN_ONLY=1 compares with the recorded replies even then.
 */

import fs from 'node:fs';
import path from 'node:path';
import { RawClient } from './raw.js';
import { diffReplies, type Mismatch } from './diff.js';
import { ROOT } from './server.js';

function file(name: string): string {
  return path.join(ROOT, 'test', 'golden', `${name}.json`);
}

async function replies(port: number, proto: 2 | 3, cmds: string[][]): Promise<string[]> {
  const r = await RawClient.connect(port);
  const out: string[] = [];
  try {
    if (proto === 3) {
      r.send('HELLO', '3');
      await r.readRaw();
    }
    for (const cmd of cmds) {
      r.send(...cmd);
      out.push(await r.readRaw());
    }
  } finally {
    r.close();
  }
  return out;
}

/**
 * Compare shardis's replies to `cmds` with redis-server's: live when refPort is given (recording them
 * with GOLDEN_UPDATE=1), else with the recorded golden replies of `name`.
 */
export async function diffWithGolden(name: string, refPort: number | undefined, port: number, proto: 2 | 3, cmds: string[][]): Promise<Mismatch[]> {
  const key = `${name}.resp${proto}`;
  if (process.env.GOLDEN_ONLY === '1') refPort = undefined; // check the recorded replies alone
  if (refPort !== undefined) {
    if (process.env.GOLDEN_UPDATE === '1') {
      const got = await replies(refPort, proto, cmds);
      fs.mkdirSync(path.dirname(file(key)), { recursive: true });
      fs.writeFileSync(file(key), JSON.stringify({ cmds, replies: got }, null, 1) + '\n');
    }
    return diffReplies(refPort, port, proto, cmds);
  }
  const golden = JSON.parse(fs.readFileSync(file(key), 'utf8')) as { cmds: string[][]; replies: string[] };
  if (JSON.stringify(golden.cmds) !== JSON.stringify(cmds)) throw new Error(`golden replies of ${key} were recorded for another script: rerun with redis-server and GOLDEN_UPDATE=1`);
  const got = await replies(port, proto, cmds);
  const out: Mismatch[] = [];
  cmds.forEach((cmd, i) => {
    if (got[i] !== golden.replies[i]) out.push({ cmd, expected: golden.replies[i]!, actual: got[i]! });
  });
  return out;
}
