/*
 * Packed values: the compact encodings of small aggregates, kept as bytes inline in a byte-store
 * entry (byte-table.ts) instead of as JS objects on the heap, as Redis keeps small hashes in a
 * listpack and small integer sets in an intset (and small sorted sets and lists likewise).
 *
 * A packed value is one byte string: a tag (which type and encoding) and the type's own layout
 * (values/hash.ts, set.ts, zset.ts, list.ts). Lengths and counts are LEB128 varints (one byte below 128).
 * The value classes register a decoder per tag here (the store cannot import them: they import their
 * thresholds from the shard's configuration, which imports the keyspace). A value decoded from an
 * entry is "attached" to it (Aggregate.owner): each change the value makes to itself is written back
 * to the entry at once (PackOwner.repack), as bytes again or, past a threshold, as the JS object.
 */

import type { Aggregate } from '../shard/values/types.js';

/** Tags: the first byte of a packed value. */
export const TAG_HASH = 1;
export const TAG_INTSET = 2;
export const TAG_ZSET = 3;
export const TAG_LIST = 4;

type Unpack = (bytes: Uint8Array) => Aggregate;
const decoders: (Unpack | undefined)[] = [];

/** Register the decoder of a tag (each value class, when loaded). */
export function registerPacked(tag: number, fn: Unpack): void {
  decoders[tag] = fn;
}

/** The value whose packed bytes (tag first) are u8[off, off+len), on bytes of its own. */
export function unpack(u8: Uint8Array, off: number, len: number): Aggregate {
  const fn = decoders[u8[off]!];
  if (fn === undefined) throw new Error(`unknown packed value tag ${u8[off]}`);
  // a copy: the pages are Buffers, whose slice() is a view of memory the entry may free or move
  const v = fn(Uint8Array.prototype.slice.call(u8, off, off + len));
  v.est = len; // its size estimate (maxmemory accounting): its bytes
  return v;
}

/** The element count of a packed value: the varint after its tag byte. */
export function packedCount(u8: Uint8Array): number {
  return readVar(u8, 1);
}

/** The value of the varint at u8[p]. */
export function readVar(u8: Uint8Array, p: number): number {
  let b = u8[p]!;
  if (b < 128) return b;
  let n = b & 127;
  let mul = 128;
  for (;;) {
    b = u8[++p]!;
    n += (b & 127) * mul;
    if (b < 128) return n;
    mul *= 128;
  }
}

/** Bytes the varint of n takes. */
export function varSize(n: number): number {
  let s = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Byte length of the element (varint length, then bytes) at u8[p]. */
export function elementSize(u8: Uint8Array, p: number): number {
  const n = readVar(u8, p);
  return varSize(n) + n;
}

/** True if the element at u8[p] holds the latin1 string s. */
export function elementIs(u8: Uint8Array, p: number, s: string): boolean {
  const n = readVar(u8, p);
  if (n !== s.length) return false;
  p += varSize(n);
  for (let i = 0; i < n; i++) if (u8[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The element at u8[p] as a latin1 string. */
export function elementString(u8: Uint8Array, p: number): string {
  const n = readVar(u8, p);
  const s = p + varSize(n);
  return latin1Slice.call(u8, s, s + n);
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** The float64 (little-endian) at u8[p]. */
export function readDouble(u8: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[i] = u8[p + i]!;
  return f64[0]!;
}

/** Builds a packed value: write the parts, then done() gives bytes of exactly that length. */
export class PackWriter {
  private buf: Uint8Array;
  n = 0;

  /** size: the bytes expected (exact, done() makes no copy; more are made room for as needed). */
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.n++] = b;
  }

  varint(v: number): void {
    this.room(10);
    while (v >= 128) {
      this.buf[this.n++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }

  /** An element: the string's length, then its latin1 bytes. */
  element(s: string): void {
    const len = s.length;
    this.varint(len);
    this.room(len);
    const b = this.buf;
    let n = this.n;
    for (let i = 0; i < len; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
  }

  /** A float64, little-endian. */
  double(v: number): void {
    this.room(8);
    f64[0] = v;
    this.buf.set(f64Bytes, this.n);
    this.n += 8;
  }

  /** Bytes copied from src[from, to). */
  copy(src: Uint8Array, from: number, to: number): void {
    this.room(to - from);
    this.buf.set(src.subarray(from, to), this.n);
    this.n += to - from;
  }

  done(): Uint8Array {
    return this.buf.length === this.n ? this.buf : this.buf.slice(0, this.n);
  }
}
