/*
 * Small file-system and encoding helpers of a save (persistence.ts): the working directory for the
 * log, the directory fsync after a rename, FUNCTION2 records' codes (paced pulls: pacer.ts).
 */

import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { In } from '../codec/rdb.js';
import { RespWriter } from '../resp/writer.js';

export function safeCwd(): string {
  try {
    return process.cwd();
  } catch {
    return '(unknown)';
  }
}

export const fsOpen = promisify(fs.open);
export const fsClose = promisify(fs.close);

export async function fsyncDir(dir: string): Promise<void> {
  try {
    const h = await fs.promises.open(path.resolve(dir), 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort, as Redis's fsyncFileDir on filesystems without directory fsync */
  }
}

/** The library codes of FUNCTION2 records. */
export function functionCodes(records: Buffer): Buffer[] {
  const r = new In(records);
  const out: Buffer[] = [];
  while (r.pos < records.length) {
    r.pos++; // RDB_OPCODE.FUNCTION2
    out.push(r.strBuf());
  }
  return out;
}

export function respCommand(argv: (string | number | Uint8Array)[]): Buffer {
  const w = new RespWriter(64);
  w.command(argv);
  return w.toBuffer();
}
