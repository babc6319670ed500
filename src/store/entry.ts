/*
 * The layout of a byte-store entry (ByteTable, byte-table.ts), and the hashing of keys.
 *
 * Entry layout (8-byte aligned; a 10-byte header in the common case):
 *   bytes 0-3  next entry in the bucket (Int32; the free-list link once freed)
 *   bytes 4-7  access data (Int32): last access in seconds, or LFU data (access.ts)
 *   byte  8    kind << 6 | key length (0..62; 63: the length is a Uint32 in the extension)
 *   byte  9    value length (0..254; 255: the length is a Uint32 in the extension): an inline
 *              string's, or a packed value's; 0 for numbers and for values held by handle
 *   then the extension (a long key's length, then a long value's length, 4 bytes each, present only
 *   when byte 8 / byte 9 say so), the key bytes, the value bytes: an inline string (latin1), a
 *   number (float64 little-endian), a packed value (KIND_OBJ with a length: a small aggregate's
 *   compact encoding, store/packed.ts) or a handle (KIND_OBJ without one: Int32 little-endian, the
 *   JS value in arena.objs), unaligned. An entry's size class follows from these lengths, so it is
 *   not stored.
 */

import type { Arena } from './arena.js';

/**
 * Kinds of value an entry holds (ByteTable.kindAt()): an inline string, a number, or an aggregate or
 * long string (KIND_OBJ: by handle, or packed inline with its length in byte 9).
 */
export const KIND_STR = 0;
export const KIND_NUM = 1;
export const KIND_OBJ = 2;

/**
 * Header fields: the key length field value meaning "the length is in the extension" (and the
 * largest short length + 1), the value length byte meaning the same, and the header's size.
 */
export const LONG_KEY = 63;
export const LONG_VAL = 255;
export const HEADER = 10;

/** Bytes an entry takes: header, extension, key, value (vlen: a string's or packed value's length). */
export function entrySize(klen: number, kind: number, vlen: number): number {
  let n = HEADER + klen + (klen >= LONG_KEY ? 4 : 0);
  if (kind === KIND_NUM) return n + 8;
  if (kind === KIND_OBJ && vlen === 0) return n + 4;
  return n + vlen + (vlen >= LONG_VAL ? 4 : 0);
}

/** 32-bit hash of a key given as bytes, u8[off, off+len) (FNV-1a, then a final mix). */
export function hashBytes(u8: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ u8[off + i]!, 0x01000193);
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}

export interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length: number): number;
}

/** Byte offset of the key of the entry at byte o (past the header and its extension). */
export function keyOffset(u8: Uint8Array, o: number): number {
  return o + HEADER + ((u8[o + 8]! & LONG_KEY) === LONG_KEY ? 4 : 0) + (u8[o + 9] === LONG_VAL ? 4 : 0);
}

export function keyLength(a: Arena, p: number, o: number): number {
  const kf = a.u8[p]![o + 8]! & LONG_KEY;
  return kf === LONG_KEY ? a.dv[p]!.getUint32(o + HEADER, true) : kf;
}

/** Length of an inline string or packed value (0 for a number or a handle). */
export function valueLength(a: Arena, p: number, o: number): number {
  const u8 = a.u8[p]!;
  const vf = u8[o + 9]!;
  if (vf !== LONG_VAL) return vf;
  return a.dv[p]!.getUint32(o + HEADER + ((u8[o + 8]! & LONG_KEY) === LONG_KEY ? 4 : 0), true);
}

export function sameBytes(u8: Uint8Array, at: number, src: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (u8[at + i] !== src[off + i]) return false;
  return true;
}

export function writeLatin1(u8: Latin1Buffer, off: number, s: string): void {
  const n = s.length;
  if (n > 24) u8.latin1Write(s, off, n);
  else for (let i = 0; i < n; i++) u8[off + i] = s.charCodeAt(i);
}

/**
 * Write an entry's header (access, kind and lengths, their extension) at address e; returns the key's
 * byte offset (the value follows the key).
 */
export function writeHeader(a: Arena, p: number, o: number, kind: number, klen: number, vlen: number, access: number): number {
  const u8 = a.u8[p]!;
  const dv = a.dv[p]!;
  a.i32[p]![(o >>> 2) + 1] = access;
  const longKey = klen >= LONG_KEY;
  const longVal = vlen >= LONG_VAL;
  u8[o + 8] = (kind << 6) | (longKey ? LONG_KEY : klen);
  u8[o + 9] = longVal ? LONG_VAL : vlen;
  let ko = o + HEADER;
  if (longKey) {
    dv.setUint32(ko, klen, true);
    ko += 4;
  }
  if (longVal) {
    dv.setUint32(ko, vlen, true);
    ko += 4;
  }
  return ko;
}

export function pow2(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}
