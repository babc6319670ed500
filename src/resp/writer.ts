/*
 * RespWriter: encodes replies (RESP2 or RESP3) into one growable Buffer, with no allocation per reply
 * beyond the strings handed to it. Shards encode every reply through one writer and copy the bytes into
 * their reply ring; the main thread uses one for its own commands.
 *
 * Strings in this server are "binary strings": JS strings whose char codes are the bytes (latin1), so
 * they are written with latin1Write and round-trip every byte value unchanged.
 */

import { constants as bufferConstants } from 'node:buffer';
import { CommandError, REPLY_TOO_LARGE } from './errors.js';
import { copySlice } from '../bytes.js';

/**
 * Strings up to this length are copied by a JS loop: below it the loop beats latin1Write, whose fixed
 * cost per call (a call into C++) dominates for short values (tinybench: bench/micro.bench.mjs).
 */
const SHORT_STRING = 48;

export type Proto = 2 | 3;

/** The most bytes header() writes: a type byte, a 64-bit integer's 20 characters, CRLF. */
const HEADER_MAX = 24;

/** The largest Buffer this runtime allocates (beyond it allocUnsafe throws a RangeError). */
const MAX_WRITER_BYTES = bufferConstants.MAX_LENGTH;

export class RespWriter {
  buf: Buffer;
  len = 0;
  /** Protocol of the client the reply is for; RESP3 types degrade to RESP2 forms when 2. */
  proto: Proto = 2;
  /**
   * Most bytes this writer may hold: growing past it throws CommandError(REPLY_TOO_LARGE), so a
   * reply too large to send fails fast instead of growing the process (shards set it per command).
   */
  limit = MAX_WRITER_BYTES;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): void {
    this.len = 0;
  }

  /**
   * Make room for n more bytes. Kept this small so V8 inlines it into the writers (a bulk string
   * calls it once): the limit check and the growth are in grow(), called only when the buffer is
   * short or the limit is passed (measured: LRANGE 0 99 of a long list spent ~0.3 µs a reply in
   * 200 calls of an ensure() too large to inline).
   */
  ensure(n: number): void {
    const need = this.len + n;
    if (need > this.buf.length || need > this.limit) this.grow(need);
  }

  private grow(need: number): void {
    if (need > this.limit || need > MAX_WRITER_BYTES) throw new CommandError(REPLY_TOO_LARGE);
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    size = Math.min(size, Math.max(need, Math.min(this.limit, MAX_WRITER_BYTES)));
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Shrink back after an unusually large reply so one huge reply does not pin memory forever. */
  trim(max: number): void {
    if (this.buf.length > max && this.len === 0) this.buf = Buffer.allocUnsafe(max);
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** raw() of src[off, off+len), with no view made of it. */
  rawSlice(src: Uint8Array, off: number, len: number): void {
    this.ensure(len);
    copySlice(src, off, len, this.buf, this.len);
    this.len += len;
  }

  rawString(s: string): void {
    this.ensure(s.length);
    this.str(s);
  }

  private crlf(): void {
    const b = this.buf;
    b[this.len] = 13;
    b[this.len + 1] = 10;
    this.len += 2;
  }

  /** Writes a type byte, the decimal integer n and CRLF. n must be an integer. */
  private header(type: number, n: number): void {
    this.ensure(HEADER_MAX);
    this.headerIn(type, n);
  }

  /** header() with its HEADER_MAX bytes of room already ensured. */
  private headerIn(type: number, n: number): void {
    const b = this.buf;
    let p = this.len;
    b[p++] = type;
    if (n >= 0 && n < 10) {
      b[p++] = 48 + n;
    } else if (n >= 0 && n < 0x40000000) {
      // digits of a small non-negative integer without making a string
      let digits = 1;
      for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
      p += digits;
      for (let i = p - 1, t = n; i >= p - digits; i--, t = (t / 10) | 0) b[i] = 48 + (t % 10);
    } else if (Number.isSafeInteger(n)) {
      p += b.latin1Write(String(n), p);
    } else {
      p += b.latin1Write(BigInt.asIntN(64, BigInt(n)).toString(), p);
    }
    b[p] = 13;
    b[p + 1] = 10;
    this.len = p + 2;
  }

  /** Copy a binary string's bytes at the write position (room must be ensured). */
  private str(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      const b = this.buf;
      const p = this.len;
      for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
      this.len = p + n;
    } else {
      this.len += this.buf.latin1Write(s, this.len);
    }
  }

  simple(s: string): void {
    this.ensure(s.length + 3);
    this.buf[this.len++] = 0x2b; // +
    this.str(s);
    this.crlf();
  }

  ok(): void {
    this.ensure(5);
    this.str('+OK\r\n');
  }

  error(s: string): void {
    if (errorReplyHook !== null) errorReplyHook(s);
    this.ensure(s.length + 3);
    this.buf[this.len++] = 0x2d; // -
    this.str(s);
    this.crlf();
  }

  int(n: number): void {
    this.header(0x3a, n); // :
  }

  /** A 64-bit integer held as a bigint (replies of INCRBY on values past 2^53). */
  bigint(n: bigint): void {
    const s = n.toString();
    this.ensure(s.length + 3);
    this.buf[this.len++] = 0x3a;
    this.str(s);
    this.crlf();
  }

  /** Bulk string of a binary string (latin1 JS string). */
  bulk(s: string): void {
    const n = s.length;
    this.ensure(n + HEADER_MAX + 2);
    this.headerIn(0x24, n); // $
    this.str(s);
    this.crlf();
  }

  bulkBytes(b: Uint8Array): void {
    this.bulkSlice(b, 0, b.length);
  }

  /** Bulk string of src[off, off+len) (a value read in place). */
  bulkSlice(src: Uint8Array, off: number, len: number): void {
    this.ensure(len + HEADER_MAX + 2);
    this.headerIn(0x24, len); // $
    copySlice(src, off, len, this.buf, this.len);
    this.len += len;
    this.crlf();
  }

  /** Bulk string of the decimal form of an integer (GET of an int-encoded value). */
  bulkInt(n: number): void {
    this.bulk(String(n));
  }

  /** A string value as stored: binary string, int-encoded number or bytes. */
  bulkValue(v: string | number | Uint8Array): void {
    if (typeof v === 'string') this.bulk(v);
    else if (typeof v === 'number') this.bulk(String(v));
    else this.bulkBytes(v);
  }

  /** Null bulk: $-1 in RESP2, _ in RESP3. */
  nullBulk(): void {
    this.ensure(5);
    this.str(this.proto === 3 ? '_\r\n' : '$-1\r\n');
  }

  /** A bulk string, or a null bulk for undefined (HGET of a missing field). */
  bulkOrNull(s: string | undefined): void {
    if (s === undefined) this.nullBulk();
    else this.bulk(s);
  }

  /** A double, or a null bulk for undefined (ZSCORE of a missing member). */
  doubleOrNull(d: number | undefined): void {
    if (d === undefined) this.nullBulk();
    else this.double(d);
  }

  /** Null array: *-1 in RESP2, _ in RESP3. */
  nullArray(): void {
    this.ensure(5);
    this.str(this.proto === 3 ? '_\r\n' : '*-1\r\n');
  }

  array(n: number): void {
    this.header(0x2a, n); // *
  }

  /** Map of n pairs: %n in RESP3, an array of 2n elements in RESP2. */
  map(n: number): void {
    if (this.proto === 3) this.header(0x25, n);
    else this.header(0x2a, n * 2);
  }

  /**
   * Fields of a map (after its map() header): each name as a bulk string, then its value: a string
   * as a bulk string, a number as an integer, null as a null bulk.
   */
  fields(pairs: readonly (readonly [string, string | number | null])[]): void {
    for (const [name, v] of pairs) {
      this.bulk(name);
      if (typeof v === 'string') this.bulk(v);
      else if (v === null) this.nullBulk();
      else this.int(v);
    }
  }

  /** Set of n elements: ~n in RESP3, *n in RESP2. */
  set(n: number): void {
    this.header(this.proto === 3 ? 0x7e : 0x2a, n);
  }

  /** Push of n elements: >n in RESP3, *n in RESP2. */
  push(n: number): void {
    this.header(this.proto === 3 ? 0x3e : 0x2a, n);
  }

  /** Double: ,d in RESP3, a bulk string in RESP2, formatted as Redis does (%.17g, inf, -inf, nan). */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.proto === 3) {
      this.ensure(s.length + 3);
      this.buf[this.len++] = 0x2c; // ,
      this.str(s);
      this.crlf();
    } else {
      this.bulk(s);
    }
  }

  /** Boolean: #t/#f in RESP3, :1/:0 in RESP2. */
  bool(b: boolean): void {
    if (this.proto === 3) {
      this.ensure(4);
      this.str(b ? '#t\r\n' : '#f\r\n');
    } else {
      this.int(b ? 1 : 0);
    }
  }

  /** Verbatim string (=len\r\ntxt:...) in RESP3, a bulk string in RESP2. */
  verbatim(s: string, format = 'txt'): void {
    if (this.proto === 3) {
      this.header(0x3d, s.length + 4);
      this.ensure(s.length + 6);
      this.str(format + ':');
      this.str(s);
      this.crlf();
    } else {
      this.bulk(s);
    }
  }

  /** Array of bulk strings. */
  bulkArray(items: readonly string[]): void {
    this.array(items.length);
    for (const s of items) this.bulk(s);
  }

  /** A HELP reply: an array of status lines, as Redis's addReplyHelp. */
  helpLines(items: readonly string[]): void {
    this.array(items.length);
    for (const s of items) this.simple(s);
  }

  /** Encode a command (array of bulk strings) in RESP2, for the replication stream. */
  command(parts: readonly (string | number | Uint8Array)[]): void {
    this.header(0x2a, parts.length);
    for (const p of parts) {
      if (typeof p === 'string') this.bulk(p);
      else if (typeof p === 'number') this.bulk(String(p));
      else this.bulkBytes(p);
    }
  }

  /** Bytes written so far, as a copy. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** One command (argv as binary strings, numbers or bytes) in RESP, as a buffer of its own. */
export function encodeCommand(argv: readonly (string | number | Uint8Array)[]): Buffer {
  const w = new RespWriter(256);
  w.command(argv);
  return w.toBuffer();
}

/**
 * Format a double as Redis does for replies: "inf", "-inf", "nan", integers without a fraction,
 * otherwise %.17g (the shortest form that round-trips, which JS's String() already gives; Redis 7.0
 * uses %.17g which can print more digits: e.g. 0.1 -> "0.10000000000000001").
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  return g17(d);
}

/** C's printf("%.17g", d). */
export function g17(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(d)));
  let s: string;
  // %g uses scientific notation when exp < -4 or exp >= precision.
  let e = exp;
  const expo = d.toExponential(16); // 17 significant digits
  const m = /e([+-]\d+)$/.exec(expo);
  if (m) e = parseInt(m[1]!, 10);
  if (e < -4 || e >= 17) {
    let [mant, ex] = expo.split('e') as [string, string];
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const sign = ex.startsWith('-') ? '-' : '+';
    let digits = ex.replace(/^[+-]/, '');
    if (digits.length < 2) digits = '0' + digits;
    s = `${mant}e${sign}${digits}`;
  } else {
    s = d.toFixed(Math.max(0, 16 - e));
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

/** Called with every error reply written on this thread (INFO errorstats; one per thread). */
let errorReplyHook: ((msg: string) => void) | null = null;

export function setErrorReplyHook(f: ((msg: string) => void) | null): void {
  errorReplyHook = f;
}

