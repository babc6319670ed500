/*
 * Loading the append-only file at startup (appendonly yes): the manifest's base (an RDB file, or
 * RESP commands) then each incr file, replayed through the server as a master connection would be
 * (no replies, not refused while loading, not appended again). A last command cut short is dropped
 * with Redis's warning and the file truncated when aof-load-truncated is yes (else the server stops);
 * anything else malformed stops the server with Redis's words.
 */

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { PersistHost as Server } from './host.js';
import { Aof, type ManifestFile } from './aof.js';
import { loadFile } from './load.js';
import { Persistence } from './persistence.js';

/**
 * End of the last complete RESP command in b (multibulk only), whether a malformed one stopped the
 * scan, and the annotation lines ("#TS:..." of aof-timestamp-enabled: skipped, as Redis) met on the way.
 */
function completePrefix(b: Buffer): { end: number; bad: boolean; notes: [number, number][] } {
  let p = 0;
  const notes: [number, number][] = [];
  const line = (from: number): number => {
    const e = b.indexOf(10, from);
    return e < 0 ? -1 : e + 1;
  };
  for (;;) {
    if (p >= b.length) return { end: p, bad: false, notes };
    if (b[p] === 0x23) {
      const q = line(p);
      if (q < 0) return { end: p, bad: false, notes };
      notes.push([p, q]);
      p = q;
      continue;
    }
    if (b[p] !== 0x2a) return { end: p, bad: true, notes }; // AOF holds multibulk commands only
    let q = line(p);
    if (q < 0) return { end: p, bad: false, notes };
    const n = Number(b.latin1Slice(p + 1, q - 2));
    if (!Number.isInteger(n) || n < 1) return { end: p, bad: true, notes };
    let ok = true;
    for (let i = 0; i < n; i++) {
      if (q >= b.length) {
        ok = false;
        break;
      }
      if (b[q] !== 0x24) return { end: p, bad: true, notes };
      const r = line(q);
      if (r < 0) {
        ok = false;
        break;
      }
      const len = Number(b.latin1Slice(q + 1, r - 2));
      if (!Number.isInteger(len) || len < 0) return { end: p, bad: true, notes };
      if (r + len + 2 > b.length) {
        ok = false;
        break;
      }
      q = r + len + 2;
    }
    if (!ok) return { end: p, bad: false, notes };
    p = q;
  }
}

/** The commands of b[0, end) without the annotation lines. */
function withoutNotes(b: Buffer, end: number, notes: [number, number][]): Buffer {
  if (notes.length === 0) return b.subarray(0, end);
  const parts: Buffer[] = [];
  let from = 0;
  for (const [a, z] of notes) {
    if (a > from) parts.push(b.subarray(from, a));
    from = z;
  }
  if (end > from) parts.push(b.subarray(from, end));
  return Buffer.concat(parts);
}

/** Replay RESP commands through a master-like connection; resolves when every one has run. */
async function replay(s: Server, data: Buffer, progress: (bytes: number) => void): Promise<void> {
  const conn = s.attachMasterConnection(new net.Socket());
  try {
    const step = 1024 * 1024;
    // data holds whole commands (see load): a command longer than a step stays pending, incomplete,
    // until the steps that complete it (waiting for no pending input at all would wait forever)
    let complete = 0;
    for (let off = 0; off < data.length; off += step) {
      const end = Math.min(data.length, off + step);
      s.input(conn, data.subarray(off, end));
      complete += completePrefix(data.subarray(complete, end)).end;
      await drained(s, conn, end - complete);
      progress(end);
    }
  } finally {
    s.closeConnection(conn);
  }
}

/** Wait until every complete command fed has run (`incomplete`: bytes of a command still to come). */
async function drained(s: Server, conn: { hold: number; pendingInput(): number }, incomplete: number): Promise<void> {
  for (;;) {
    const links = s.links as { inflight: number }[];
    if (conn.hold === 0 && conn.pendingInput() <= incomplete && links.every((l) => l.inflight === 0)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * Load the AOF. Returns null when there is none (AOF files are then created), true when loaded, or
 * the log lines saying why it could not be.
 */
export async function loadAof(s: Server): Promise<true | null | string[]> {
  const aof = Aof.of(s);
  if (!aof.upgradeOldFile()) return ['Fatal error: the old AOF file could not be moved into the AOF directory'];
  let files: ManifestFile[] | null;
  try {
    files = aof.readManifest();
  } catch (e) {
    return [`Invalid AOF manifest file format: ${(e as Error).message}`];
  }
  if (files === null) return null;
  aof.manifest = files;
  const t0 = Date.now();
  const dir = aof.dir();
  const truncatedOk = s.config.bool('aof-load-truncated');
  aof.replaying = true;
  try {
    for (const f of files) {
      if (f.type === 'h') continue;
      const file = path.join(dir, f.name);
      const t1 = Date.now();
      const done = (): void => s.log.info(`DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}: ${((Date.now() - t1) / 1000).toFixed(3)} seconds`);
      if (f.type === 'b' && f.name.endsWith('.rdb')) {
        s.log.info('Reading RDB base file on AOF loading...');
        const r = await loadFile(s, file, false, false);
        if (r === null) return [`The AOF file ${f.name} doesn't exist`];
        if (r !== true) return r;
        done();
        continue;
      }
      let data: Buffer;
      try {
        data = fs.readFileSync(file);
      } catch {
        return [`The AOF file ${f.name} doesn't exist`];
      }
      // an RDB preamble (an upgraded Redis 4-6 appendonly.aof): the RDB part, then the commands
      let skip = 0;
      if (data.length >= 5 && data.latin1Slice(0, 5) === 'REDIS') {
        const end = { at: 0 };
        const r = await loadFile(s, file, false, false, end);
        if (r !== true) return r ?? [`The AOF file ${f.name} doesn't exist`];
        s.log.info('Reading the remaining AOF tail...');
        skip = end.at;
      }
      const { end: stop, bad, notes } = completePrefix(data.subarray(skip));
      if (bad) return [`Bad file format reading the append only file ${f.name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`];
      const end = skip + stop;
      const commands = withoutNotes(data.subarray(skip), stop, notes);
      const p = Persistence.of(s);
      s.loading = true;
      p.load.start = Date.now();
      p.load.total = commands.length;
      p.load.done = 0;
      try {
        await replay(s, commands, (n) => (p.load.done = n));
      } finally {
        s.loading = false;
        p.load.start = 0;
      }
      if (end < data.length) {
        const last = f === files.filter((x) => x.type === 'i').at(-1);
        s.log.warn(`!!! Warning: short read while loading the AOF file ${f.name}!!!`);
        if (!truncatedOk || !last) {
          return [`Unexpected end of file reading the append only file ${f.name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the \'aof-load-truncated\' configuration option to yes and restart the server.`];
        }
        s.log.warn(`!!! Truncating the AOF ${f.name} at offset ${end} !!!`);
        fs.truncateSync(file, end);
        s.log.warn(`AOF ${f.name} loaded anyway because aof-load-truncated is enabled`);
      }
      done();
    }
  } finally {
    aof.replaying = false;
  }
  Persistence.of(s).resetChanges();
  s.log.info(`DB loaded from append only file: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`);
  return true;
}

/** Startup with appendonly yes: load the AOF, or create its files. False when the server must stop. */
export async function aofStartup(s: Server): Promise<boolean> {
  const aof = Aof.of(s);
  const r = await loadAof(s);
  if (r === true) {
    try {
      aof.openLastIncr();
    } catch (e) {
      s.log.warn(`Can't open the append-only file: ${(e as Error).message}`);
      return false;
    }
    aof.delHistoryFiles(); // left by a rewrite that ended just before a stop (Redis does it at startup)
    return true;
  }
  if (r === null) {
    s.log.info(`Creating AOF base file ${s.config.get('appendfilename')}.1.base.${s.config.bool('aof-use-rdb-preamble') ? 'rdb' : 'aof'} on server start`);
    return aof.rewrite();
  }
  for (const line of r) s.log.warn(line);
  return false;
}
