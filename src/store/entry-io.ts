/*
 * Writing, reading and freeing one byte-store entry (layout: entry.ts) in an Arena: the parts of
 * ByteSlots (byte-slots.ts) that do not depend on which table the entry is in.
 */

import type { PackOwner, Value } from '../shard/values/types.js';
import { unpack } from './packed.js';
import { Arena, classOf, pageOf, byteOf } from './arena.js';
import { copySlice } from '../bytes.js';
import { KIND_NUM, KIND_OBJ, KIND_STR, entrySize, keyLength, keyOffset, valueLength, writeHeader, writeLatin1, type Latin1Buffer } from './entry.js';

/** Size class of the entry at page p, byte o (from its lengths). */
export function classAt(a: Arena, p: number, o: number): number {
  const u8 = a.u8[p]!;
  return classOf(entrySize(keyLength(a, p, o), u8[o + 8]! >>> 6, valueLength(a, p, o)));
}

/** Free entry e (and the JS value it holds by handle). */
export function freeEntry(a: Arena, e: number): void {
  const p = pageOf(e);
  const o = byteOf(e);
  dropHandle(a, p, o);
  a.release(e, classAt(a, p, o));
}

/** Let go of the JS value the entry at page p, byte o holds by handle, if it does. */
export function dropHandle(a: Arena, p: number, o: number): void {
  const u8 = a.u8[p]!;
  if (u8[o + 8]! >>> 6 === KIND_OBJ && u8[o + 9] === 0) a.drop(a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true));
}

/** Write everything but the bucket link: access, lengths, key, value. */
export function writeEntry(a: Arena, e: number, key: string, kind: number, value: Value, vlen: number, packed: Uint8Array | null, access: number): void {
  const p = pageOf(e);
  const u8 = a.u8[p]! as Latin1Buffer;
  const ko = writeHeader(a, p, byteOf(e), kind, key.length, vlen, access);
  writeLatin1(u8, ko, key);
  const vo = ko + key.length;
  if (kind === KIND_STR) writeLatin1(u8, vo, value as string);
  else if (kind === KIND_NUM) a.dv[p]!.setFloat64(vo, value as number, true);
  else if (packed !== null) u8.set(packed, vo);
  else a.dv[p]!.setInt32(vo, a.hold(value), true);
}

/** writeEntry() of an inline string from bytes: key src[koff, koff+klen), value src[voff, voff+vlen). */
export function writeBytes(a: Arena, e: number, src: Buffer, koff: number, klen: number, voff: number, vlen: number, access: number): void {
  const p = pageOf(e);
  const u8 = a.u8[p]!;
  const ko = writeHeader(a, p, byteOf(e), KIND_STR, klen, vlen, access);
  copySlice(src, koff, klen, u8, ko);
  copySlice(src, voff, vlen, u8, ko + klen);
}

/** Entry e's key as a (latin1) string. */
export function keyOf(a: Arena, e: number): string {
  const p = pageOf(e);
  const o = byteOf(e);
  const u8 = a.u8[p]! as Latin1Buffer;
  const ko = keyOffset(u8, o);
  return u8.latin1Slice(ko, ko + keyLength(a, p, o));
}

/** Entry e's value (key: its key, to which a packed value's decoding is attached, owned by `owner`). */
export function valueOf(a: Arena, owner: PackOwner, e: number, key: string): Value {
  const p = pageOf(e);
  const o = byteOf(e);
  const u8 = a.u8[p]! as Latin1Buffer;
  const kind = u8[o + 8]! >>> 6;
  const vo = keyOffset(u8, o) + keyLength(a, p, o);
  if (kind === KIND_STR) return u8.latin1Slice(vo, vo + valueLength(a, p, o));
  if (kind === KIND_NUM) return a.dv[p]!.getFloat64(vo, true);
  const vlen = valueLength(a, p, o);
  if (vlen === 0) return a.objs[a.dv[p]!.getInt32(vo, true)] as Value;
  const c = a.recalled(owner, key);
  if (c !== null) return c;
  const v = unpack(u8, vo, vlen);
  v.owner = owner;
  v.ownerKey = key;
  a.remember(owner, key, v);
  return v;
}
