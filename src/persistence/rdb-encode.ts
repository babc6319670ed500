/*
 * The CPU-heavy half of writing an RDB file, run on the piscina pool (rdb-worker.ts): a shard's
 * snapshot chunk (RDB key entries as shard/snapshot.ts serialized them: uncompressed strings) is
 * rewritten with LZF-compressed strings where Redis would compress them (rdbcompression: strings over
 * 20 bytes whose compressed form saves at least 4 bytes), the file's running CRC64 is advanced, and the
 * bytes are written to the open file.
 *
 * The entries walked are those RdbWriter/writeEntry produce:
 *   [0xFC <u64 ms>] <type> <key string> <value>
 *   type 0 STRING: string; 1 LIST, 2 SET: len + strings; 4 HASH: len + 2*len strings;
 *   5 ZSET_2: len + (string + 8-byte double) each; 19 STREAM_LISTPACKS_2: see stream() below.
 */

import fs from 'node:fs';
import { Crc64, crc64, RDB_OPCODE, RDB_VERSION, RdbWriter } from '../codec/rdb.js';
import { lzfCompressInto } from './lzf.js';

export interface EncodeStats {
  keys: number;
}

class Walker {
  pos = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly out: RdbWriter,
    private readonly compress: boolean,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new Error('snapshot chunk truncated');
  }

  /** Copy a length (returns it). */
  len(): number {
    this.need(1);
    const first = this.b[this.pos]!;
    const kind = first >> 6;
    let n: number;
    let size: number;
    if (kind === 0) {
      n = first & 0x3f;
      size = 1;
    } else if (kind === 1) {
      this.need(2);
      n = ((first & 0x3f) << 8) | this.b[this.pos + 1]!;
      size = 2;
    } else if (first === 0x80) {
      this.need(5);
      n = be32(this.b, this.pos + 1);
      size = 5;
    } else if (first === 0x81) {
      this.need(9);
      n = be32(this.b, this.pos + 1) * 2 ** 32 + be32(this.b, this.pos + 5);
      size = 9;
    } else throw new Error('snapshot chunk: bad length');
    this.out.rawFrom(this.b, this.pos, this.pos + size);
    this.pos += size;
    return n;
  }

  /** Copy a string, compressing it when Redis would. */
  str(): void {
    this.need(1);
    const first = this.b[this.pos]!;
    if (first >> 6 === 3) {
      const size = first === 0xc0 ? 2 : first === 0xc1 ? 3 : first === 0xc2 ? 5 : 0;
      if (size === 0) throw new Error('snapshot chunk: unexpected string encoding');
      this.need(size);
      this.out.rawFrom(this.b, this.pos, this.pos + size);
      this.pos += size;
      return;
    }
    const w = this.out;
    const at = w.n;
    const n = this.len();
    this.need(n);
    const from = this.pos;
    this.pos += n;
    if (this.compress && n > 20) {
      // into a scratch buffer kept by the thread: no allocation per string
      if (lzfOut.length < n + 3) lzfOut = Buffer.allocUnsafe(Math.max(2 * lzfOut.length, n + 3));
      const c = lzfCompressInto(this.b, from, n, n - 4, lzfOut);
      if (c >= 0) {
        w.n = at; // drop the length just copied
        w.byte(0xc3);
        w.len(c);
        w.len(n);
        w.rawFrom(lzfOut, 0, c);
        return;
      }
    }
    w.rawFrom(this.b, from, this.pos);
  }

  raw(n: number): void {
    this.need(n);
    this.out.rawFrom(this.b, this.pos, this.pos + n);
    this.pos += n;
  }

  /** A type-19 stream as rdb-stream.ts encodeStream writes it (listpacks, ids, groups, PELs). */
  private stream(): void {
    const nodes = this.len();
    for (let i = 0; i < nodes; i++) {
      this.str(); // master id
      this.str(); // listpack
    }
    for (let i = 0; i < 8; i++) this.len(); // length, last id, first id, max deleted id, entries added
    const groups = this.len();
    for (let g = 0; g < groups; g++) {
      this.str(); // name
      this.len(); // last id ms
      this.len(); // last id seq
      this.len(); // entries read
      const pel = this.len();
      for (let i = 0; i < pel; i++) {
        this.raw(16 + 8); // id, delivery time
        this.len(); // delivery count
      }
      const consumers = this.len();
      for (let c = 0; c < consumers; c++) {
        this.str(); // name
        this.raw(8); // seen time
        const own = this.len();
        this.raw(16 * own);
      }
    }
  }

  /** Walk every entry of the chunk; returns the number of keys. */
  entries(): number {
    let keys = 0;
    while (this.pos < this.b.length) {
      const t = this.b[this.pos++]!;
      this.out.byte(t);
      if (t === RDB_OPCODE.EXPIRETIME_MS) {
        this.raw(8);
        continue;
      }
      this.str(); // the key
      keys++;
      this.value(t);
    }
    return keys;
  }

  /** The bytes of a string (a key), read without copying them to the output. */
  plainStr(): Buffer {
    this.need(1);
    const first = this.b[this.pos]!;
    const view = Buffer.from(this.b.buffer, this.b.byteOffset, this.b.length);
    if (first >> 6 === 3) {
      const size = first === 0xc0 ? 2 : first === 0xc1 ? 3 : first === 0xc2 ? 5 : 0;
      if (size === 0) throw new Error('snapshot chunk: unexpected key encoding');
      this.need(size);
      const v = size === 2 ? view.readInt8(this.pos + 1) : size === 3 ? view.readInt16LE(this.pos + 1) : view.readInt32LE(this.pos + 1);
      this.pos += size;
      return Buffer.from(String(v), 'latin1');
    }
    const at = this.out.n;
    const n = this.len();
    this.out.n = at; // the length is not output
    this.need(n);
    this.pos += n;
    return view.subarray(this.pos - n, this.pos);
  }

  /** Copy one value of type t. */
  value(t: number): void {
    switch (t) {
        case 0:
        case 11: // an intset: one string
          this.str();
          break;
        case 1:
        case 2: {
          const n = this.len();
          for (let i = 0; i < n; i++) this.str();
          break;
        }
        case 4: {
          const n = this.len();
          for (let i = 0; i < 2 * n; i++) this.str();
          break;
        }
        case 5: {
          const n = this.len();
          for (let i = 0; i < n; i++) {
            this.str();
            this.raw(8);
          }
          break;
        }
        case 19:
          this.stream();
          break;
        default:
          throw new Error(`snapshot chunk: unexpected type ${t}`);
    }
  }
}

/** Output of LZF (grown to the longest string compressed), kept by the pool thread. */
let lzfOut = Buffer.allocUnsafe(64 * 1024);
/** Output of encodeEntries, kept by the pool thread (its bytes are written before the next call). */
const encoded = new RdbWriter(64 * 1024);

function be32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Rewrite a chunk of key entries with compressed strings; returns the bytes and the key count. The
 * bytes are valid until the next call (one writer is reused: a save of 1M keys made a 64 kB buffer per
 * chunk and a view object per string copied, young garbage the pool thread's scavenges collected
 * every few tens of milliseconds on V8's helper threads, at normal priority).
 */
export function encodeEntries(chunk: Uint8Array, compress: boolean): { bytes: Buffer; keys: number } {
  encoded.n = 0;
  const keys = new Walker(chunk, encoded, compress).entries();
  return { bytes: encoded.buf.subarray(0, encoded.n), keys };
}

/**
 * A chunk of key entries as AOF commands (aof-use-rdb-preamble no): one RESTORE per key, its value
 * as a DUMP payload (the RDB value, RDB version, CRC64), ABSTTL with its expiry time.
 */
export function restoreCommands(chunk: Uint8Array, compress: boolean): { bytes: Buffer; keys: number } {
  const out: Buffer[] = [];
  const value = new RdbWriter(256);
  const w = new Walker(chunk, value, compress);
  const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  const bulk = (b: Uint8Array): Buffer[] => [Buffer.from(`$${b.length}\r\n`, 'latin1'), Buffer.from(b), CRLF];
  let keys = 0;
  let expireAt = -1;
  while (w.pos < chunk.length) {
    const t = chunk[w.pos++]!;
    if (t === RDB_OPCODE.EXPIRETIME_MS) {
      expireAt = Number(view.readBigInt64LE(w.pos));
      w.pos += 8;
      continue;
    }
    const key = w.plainStr();
    value.n = 0;
    value.byte(t);
    w.value(t);
    value.raw(DUMP_VERSION);
    const body = value.buf.subarray(0, value.n);
    const sum = Buffer.alloc(8);
    sum.writeBigUInt64LE(crc64(body));
    const argc = expireAt >= 0 ? 5 : 4;
    out.push(Buffer.from(`*${argc}\r\n$7\r\nRESTORE\r\n`, 'latin1'), ...bulk(key), ...bulk(Buffer.from(String(Math.max(0, expireAt)), 'latin1')));
    out.push(Buffer.from(`$${body.length + 8}\r\n`, 'latin1'), Buffer.from(body), sum, CRLF);
    if (expireAt >= 0) out.push(Buffer.from('$6\r\nABSTTL\r\n', 'latin1'));
    expireAt = -1;
    keys++;
  }
  return { bytes: Buffer.concat(out), keys };
}

const CRLF = Buffer.from('\r\n', 'latin1');
/** The RDB version a DUMP payload carries (2 bytes, little endian). */
const DUMP_VERSION = Buffer.from([RDB_VERSION & 0xff, RDB_VERSION >> 8]);

/** One piece of the file: raw bytes (header, SELECTDB) or key entries to encode. */
export interface WriteTask {
  fd: number;
  pieces: Uint8Array[];
  /** Per piece: 0 = raw, 1 = key entries. */
  kinds: number[];
  crcLo: number;
  crcHi: number;
  compress: boolean;
  checksum: boolean;
  /** rdb-key-save-delay: microseconds to wait per key saved. */
  keyDelayUs: number;
  /** Append EOF and the checksum, then fsync. */
  final: boolean;
  /** Shared with the main thread: [0] set to 1 stops the save (SHUTDOWN, FLUSHALL); [1] counts the keys written. */
  abort: Int32Array;
  /** An AOF base of commands: entries become RESTORE commands; no EOF or checksum at the end. */
  aof?: boolean;
}

/** Only advance a running CRC64 over the pieces (a replication full sync's payload). */
/** A task that does nothing: it starts the pool's thread ahead of the work (Persistence.readyPool). */
export interface WarmTask {
  warm: true;
}

export interface CrcTask {
  crcOnly: true;
  pieces: Uint8Array[];
  crcLo: number;
  crcHi: number;
}

/** The CRC64 of a CrcTask's pieces, continued from its state. */
export function crcPieces(t: CrcTask): WriteResult {
  const crc = new Crc64();
  crc.lo = t.crcLo;
  crc.hi = t.crcHi;
  let bytes = 0;
  for (const b of t.pieces) {
    crc.update(b);
    bytes += b.length;
  }
  return { crcLo: crc.lo, crcHi: crc.hi, keys: 0, bytes };
}

/** Thrown when the main thread asked the save to stop. */
export const ABORTED = 'rdb save aborted';

export interface WriteResult {
  crcLo: number;
  crcHi: number;
  keys: number;
  bytes: number;
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
}

/** Encode, checksum and write one batch of pieces (runs on a pool thread). */
export function writePieces(t: WriteTask): WriteResult {
  const crc = new Crc64();
  crc.lo = t.crcLo;
  crc.hi = t.crcHi;
  let keys = 0;
  let bytes = 0;
  for (let i = 0; i < t.pieces.length; i++) {
    if (Atomics.load(t.abort, 0) !== 0) throw new Error(ABORTED);
    let b = t.pieces[i]!;
    if (t.kinds[i] === 1) {
      const e = t.aof === true ? restoreCommands(b, t.compress) : encodeEntries(b, t.compress);
      b = e.bytes;
      keys += e.keys;
      // rdb-key-save-delay (tests use it to watch a save in progress); an abort wakes it
      if (t.keyDelayUs > 0 && e.keys > 0 && Atomics.wait(t.abort, 0, 0, (e.keys * t.keyDelayUs) / 1000) !== 'timed-out') throw new Error(ABORTED);
      Atomics.add(t.abort, 1, e.keys); // current_save_keys_processed
    }
    if (t.checksum) crc.update(b);
    writeAll(t.fd, b);
    bytes += b.length;
  }
  if (t.final && t.aof === true) fs.fsyncSync(t.fd);
  else if (t.final) {
    const end = Buffer.from([RDB_OPCODE.EOF]);
    if (t.checksum) crc.update(end);
    const sum = Buffer.alloc(8);
    if (t.checksum) sum.writeBigUInt64LE(crc.value());
    writeAll(t.fd, Buffer.concat([end, sum]));
    bytes += 9;
    fs.fsyncSync(t.fd);
  }
  return { crcLo: crc.lo, crcHi: crc.hi, keys, bytes };
}
