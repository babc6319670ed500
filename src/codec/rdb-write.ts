/*
 * Writing RDB: the header, key entries and values in the forms every redis-server 7.0 loads (STRING
 * with integer encodings, LIST, SET, SET_INTSET (an intset written from its packed bytes), ZSET_2,
 * HASH, STREAM_LISTPACKS_2), and DUMP payloads:
 *
 *   DUMP payload = <type byte> <value> <RDB version: u16 LE = 10> <CRC64 (Jones, reflected) u64 LE>
 */

import type { Value } from '../shard/values/types.js';
import { ListValue } from '../shard/values/list.js';
import { HashValue } from '../shard/values/hash.js';
import { SetValue } from '../shard/values/set.js';
import { ZSetValue } from '../shard/values/zset.js';
import { StreamValue } from '../shard/values/stream.js';
import { encodeStream, T_STREAM_LISTPACKS_2 } from './rdb-stream.js';
import { RDB_VERSION, RDB_OPCODE, crc64, T_STRING, T_LIST, T_SET, T_SET_INTSET, T_HASH, T_ZSET_2 } from './rdb-format.js';

/**
 * "REDIS0010" and the aux fields redis-server 7.0 writes: the replication ones when `repl` is given
 * (a saved file of a node with a history, or a full-sync payload), aof-base for an AOF's base file.
 */
export function rdbHeader(redisVersion: string, repl: { replid: string; offset: number; streamDb: number } | null, aofBase: boolean): Buffer {
  const w = new RdbWriter(256);
  w.raw(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`));
  const aux = (k: string, v: string): void => {
    w.byte(RDB_OPCODE.AUX);
    w.str(k);
    w.str(v);
  };
  aux('redis-ver', redisVersion);
  aux('redis-bits', '64');
  aux('ctime', String(Math.floor(Date.now() / 1000)));
  aux('used-mem', String(process.memoryUsage().rss));
  if (repl !== null) {
    aux('repl-stream-db', String(repl.streamDb));
    aux('repl-id', repl.replid);
    aux('repl-offset', String(repl.offset));
  }
  aux('aof-base', aofBase ? '1' : '0');
  return w.done();
}

// ---- writer ---------------------------------------------------------------------------------------

/** Appends RDB encodings to one growable buffer. */
export class RdbWriter {
  buf: Buffer;
  n = 0;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.n++] = b;
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  /** raw() of src[start, end), without a view object for the range (short ranges copied in a loop). */
  rawFrom(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    const b = this.buf;
    if (n < 32) for (let i = 0; i < n; i++) b[this.n + i] = src[start + i]!;
    else b.set(src.subarray(start, end), this.n);
    this.n += n;
  }
  len(n: number): void {
    this.ensure(9);
    const b = this.buf;
    if (n < 64) b[this.n++] = n;
    else if (n < 16384) {
      b[this.n++] = 0x40 | (n >> 8);
      b[this.n++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.n++] = 0x80;
      b.writeUInt32BE(n, this.n);
      this.n += 4;
    } else {
      b[this.n++] = 0x81;
      b.writeBigUInt64BE(BigInt(n), this.n);
      this.n += 8;
    }
  }
  str(s: string): void {
    // integers that fit 32 bits use Redis's int encodings (only for canonical decimal forms)
    if (s.length > 0 && s.length <= 11 && /^-?[1-9][0-9]*$|^0$/.test(s)) {
      const n = Number(s);
      if (n >= -2147483648 && n <= 2147483647) {
        this.int32(n);
        return;
      }
    }
    this.len(s.length);
    this.ensure(s.length);
    this.n += this.buf.latin1Write(s, this.n);
  }
  /** A string that is the canonical form of the 32-bit integer v, in Redis's int encodings. */
  private int32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    if (v >= -128 && v <= 127) {
      b[this.n++] = 0xc0;
      b[this.n++] = v & 0xff;
    } else if (v >= -32768 && v <= 32767) {
      b[this.n++] = 0xc1;
      b.writeInt16LE(v, this.n);
      this.n += 2;
    } else {
      b[this.n++] = 0xc2;
      b.writeInt32LE(v, this.n);
      this.n += 4;
    }
  }
  /** str() of the latin1 bytes u8[off, off + n) (an int encoding when str() would use one). */
  strBytes(u8: Uint8Array, off: number, n: number): void {
    if (n > 0 && n <= 11) {
      const v = canonicalInt(u8, off, n);
      if (v >= -2147483648 && v <= 2147483647) {
        this.int32(v);
        return;
      }
    }
    this.len(n);
    this.ensure(n);
    const b = this.buf;
    if (n < 32) for (let i = 0; i < n; i++) b[this.n + i] = u8[off + i]!;
    else b.set(u8.subarray(off, off + n), this.n);
    this.n += n;
  }
  double(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.n);
    this.n += 8;
  }
  /** u64 little-endian (RDB expire times in ms). */
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.n);
    this.n += 8;
  }
  /** A copy of what was written. */
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.n));
  }
  reset(): void {
    this.n = 0;
  }
}

/**
 * The value of the canonical decimal integer in u8[off, off + n) (no sign but "-", no leading zero,
 * "0" alone), or NaN when the bytes are not one (what str() tests with its regular expression).
 */
function canonicalInt(u8: Uint8Array, off: number, n: number): number {
  let i = off;
  const end = off + n;
  const neg = u8[i] === 0x2d;
  if (neg) i++;
  if (i === end) return NaN;
  const first = u8[i]!;
  if (first === 0x30) return n === 1 ? 0 : NaN;
  if (first < 0x31 || first > 0x39) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = u8[i]!;
    if (c < 0x30 || c > 0x39) return NaN;
    v = v * 10 + (c - 0x30);
  }
  return neg ? -v : v;
}

/** Type byte and encoded value of v (the body of a DUMP payload or of an RDB key entry). */
export function encodeValue(v: Value): Buffer {
  const o = new RdbWriter();
  writeValue(o, v, null);
  return o.done();
}


/** One key of an RDB file: [EXPIRETIME_MS at] <type> <key> <value>. */
export function writeEntry(o: RdbWriter, key: string, v: Value, expireAt: number): void {
  if (expireAt >= 0) {
    o.byte(RDB_OPCODE.EXPIRETIME_MS);
    o.u64(expireAt);
  }
  writeValue(o, v, key);
}

/** Type byte, then the key (when given), then the value. */
function writeValue(o: RdbWriter, v: Value, key: string | null): void {
  o.byte(rdbType(v));
  if (key !== null) o.str(key);
  if (typeof v === 'string' || typeof v === 'number') {
    o.str(typeof v === 'number' ? String(v) : v);
  } else if (v instanceof Uint8Array) {
    o.len(v.length);
    o.raw(v);
  } else if (v instanceof ListValue) {
    const all = v.toArray();
    o.len(all.length);
    for (const e of all) o.str(e);
  } else if (v instanceof SetValue && v.packed() !== null) {
    // an intset as redis-server writes it: encoding (bytes a member), count, the members (LE, sorted)
    const p = v.packed()!;
    o.len(8 + p.length - 2);
    o.raw(Uint8Array.of(p[1]!, 0, 0, 0, v.size & 255, (v.size >>> 8) & 255, (v.size >>> 16) & 255, v.size >>> 24));
    o.raw(p.subarray(2));
  } else if (v instanceof SetValue) {
    o.len(v.size);
    for (const m of v.members()) o.str(m);
  } else if (v instanceof HashValue) {
    o.len(v.size);
    for (const [f, val] of v.entries()) {
      o.str(f);
      o.str(val);
    }
  } else if (v instanceof ZSetValue) {
    o.len(v.size);
    for (const [m, s] of v.entries()) {
      o.str(m);
      o.double(s);
    }
  } else {
    o.raw(encodeStream(v as StreamValue));
  }
}

/** The RDB type byte a value is written with. */
function rdbType(v: Value): number {
  if (typeof v === 'string' || typeof v === 'number' || v instanceof Uint8Array) return T_STRING;
  if (v instanceof ListValue) return T_LIST;
  if (v instanceof SetValue) return v.packed() !== null ? T_SET_INTSET : T_SET;
  if (v instanceof HashValue) return T_HASH;
  if (v instanceof ZSetValue) return T_ZSET_2;
  if (v instanceof StreamValue) return T_STREAM_LISTPACKS_2;
  throw new Error(`cannot encode a ${(v as { type: string }).type}`);
}

export function createDump(v: Value): Buffer {
  const body = encodeValue(v);
  const tail = Buffer.alloc(10);
  tail.writeUInt16LE(RDB_VERSION, 0);
  const head = Buffer.concat([body, tail.subarray(0, 2)]);
  tail.writeBigUInt64LE(crc64(head), 2);
  return Buffer.concat([body, tail]);
}
