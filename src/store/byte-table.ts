/*
 * ByteTable: the keys of one hash slot of one database, stored as bytes in an Arena (outside the V8
 * heap), with the same API as the heap SlotTable (src/shard/slot-table.ts).
 *
 * Index: chained hashing over the key bytes, an Int32Array of bucket heads (entry addresses, 0 for
 * none), each entry holding the address of the next in its bucket. The table doubles when it holds
 * more keys than buckets and shrinks when under 1/8 full; resizing is incremental, as Redis's rehash:
 * a second table, and each operation moves a bucket or two of the old one, so no operation pays for
 * the whole slot. Lookups during a resize look in both tables. Bucket arrays past 16 buckets are
 * views of arena memory (Arena.allocRaw), freed when the table resizes or empties.
 *
 * Entry layout (8-byte aligned; a 10-byte header in the common case):
 *   bytes 0-3  next entry in the bucket (Int32; the free-list link once freed)
 *   bytes 4-7  access data (Int32): last access in seconds, or LFU data (access.ts)
 *   byte  8    kind << 6 | key length (0..62; 63: the length is a Uint32 in the extension)
 *   byte  9    string value length (0..254; 255: the length is a Uint32 in the extension); 0 for
 *              other kinds
 *   then the extension (a long key's length, then a long string's length, 4 bytes each, present
 *   only when byte 8 / byte 9 say so), the key bytes, the value bytes: an inline string (latin1), a
 *   number (float64 little-endian) or a handle (Int32 little-endian, the JS value in arena.objs),
 *   unaligned. An entry's size class follows from these lengths, so it is not stored.
 * A 14-byte key with a 32-byte value takes 56 bytes (Redis: a dictEntry, a key sds and a value
 * object, about 90 bytes before the index).
 * Strings up to INLINE_MAX bytes are inline; longer strings and aggregates stay JS values, by handle
 * (compact encodings of small aggregates in the arena are a later stage).
 *
 * Iteration (keys, forEach, the iterator) walks the buckets; order is not insertion order, which no
 * caller needs: SCAN's cursor is a slot number and it returns whole slots. The table must not be
 * modified during an iteration; resize steps pause while one is open (Redis's safe iterator).
 */

import type { Value } from '../shard/values/types.js';
import { ACCESS, accessNew, accessTouch } from '../shard/access.js';
import { Arena, CLASS_SIZE, classOf, pageOf, byteOf, wordOf } from './arena.js';
import { copySlice } from '../bytes.js';

/** Longest string value kept inline in the entry. */
export const INLINE_MAX = 4096;

/** Kinds of value an entry holds (kindAt()). */
export const KIND_STR = 0;
export const KIND_NUM = 1;
export const KIND_OBJ = 2;
/** Key length field value meaning "the length is in the extension" (and the largest short length + 1). */
const LONG_KEY = 63;
/** String length byte meaning "the length is in the extension". */
const LONG_VAL = 255;
const HEADER = 10;
/** Bucket arrays up to this many buckets are small typed arrays on the heap; larger ones live in the arena. */
const SMALL_BUCKETS = 16;

/** Bytes an entry takes: header, extension, key, value. */
function entrySize(klen: number, kind: number, vlen: number): number {
  let n = HEADER + klen + (klen >= LONG_KEY ? 4 : 0);
  if (kind === KIND_STR) n += vlen + (vlen >= LONG_VAL ? 4 : 0);
  else n += kind === KIND_NUM ? 8 : 4;
  return n;
}

/** Index bytes counted per key: one bucket slot (4 bytes) at the table's largest load factor. */
const BUCKET_SHARE = 4;

/** True for the values kept inline in an entry (numbers, strings up to INLINE_MAX bytes). */
export function isInline(value: Value): boolean {
  return typeof value === 'number' || (typeof value === 'string' && value.length <= INLINE_MAX);
}

/**
 * Bytes a key with this value takes in the store: its entry's size class and its bucket slot. A value
 * held as a JS object (an aggregate, a long string) adds its own size on the heap beside this.
 */
export function entryBytes(key: string, value: Value): number {
  const kind = typeof value === 'number' ? KIND_NUM : typeof value === 'string' && value.length <= INLINE_MAX ? KIND_STR : KIND_OBJ;
  return CLASS_SIZE[classOf(entrySize(key.length, kind, kind === KIND_STR ? (value as string).length : 0))]! + BUCKET_SHARE;
}

/** 32-bit hash of a latin1 key string (FNV-1a, then a final mix). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return mix(h);
}

function hashBytes(u8: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ u8[off + i]!, 0x01000193);
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}

interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length: number): number;
}

export class ByteTable {
  private t: Int32Array<ArrayBufferLike> = new Int32Array(4);
  private old: Int32Array<ArrayBufferLike> | null = null;
  /** Arena addresses of t's and old's buckets (0: a small array on the heap). */
  private tAddr = 0;
  private oldAddr = 0;
  private rehashIdx = 0;
  private iterating = 0;
  private count = 0;
  // where the last locate() found its entry: table, bucket, previous entry (0: bucket head)
  private fTab: Int32Array<ArrayBufferLike> = this.t;
  private fBucket = 0;
  private fPrev = 0;
  private fHash = 0;

  constructor(private readonly a: Arena) {}

  get size(): number {
    return this.count;
  }

  /** Address of the key's entry (0 if absent), recording where it was found. */
  private locate(key: string): number {
    const h = hashKey(key);
    this.fHash = h;
    const a = this.a;
    const klen = key.length;
    let tab = this.t;
    let b = h & (tab.length - 1);
    for (let pass = 0; pass < 2; pass++) {
      let prev = 0;
      let e = tab[b]!;
      while (e !== 0) {
        const p = pageOf(e);
        const u8 = a.u8[p]!;
        const o = byteOf(e);
        const kf = u8[o + 8]! & LONG_KEY;
        if (kf === klen || (kf === LONG_KEY && klen >= LONG_KEY && a.dv[p]!.getUint32(o + HEADER, true) === klen)) {
          if (sameKey(u8, keyOffset(u8, o), key)) {
            this.fTab = tab;
            this.fBucket = b;
            this.fPrev = prev;
            return e;
          }
        }
        prev = e;
        e = a.i32[p]![o >>> 2]!;
      }
      const old = this.old;
      if (old === null) return 0;
      b = h & (old.length - 1);
      if (b < this.rehashIdx) return 0;
      tab = old;
    }
    return 0;
  }

  get(key: string): Value | undefined {
    if (this.old !== null) this.step();
    const e = this.locate(key);
    return e === 0 ? undefined : this.valueOf(e);
  }

  /** get() that also records the access, in one lookup. */
  getTouch(key: string, now: number): Value | undefined {
    if (this.old !== null) this.step();
    const e = this.locate(key);
    if (e === 0) return undefined;
    const i32 = this.a.i32[pageOf(e)]!;
    const w = wordOf(e) + 1;
    i32[w] = ACCESS.lfu ? accessTouch(i32[w]!, now) : now;
    return this.valueOf(e);
  }

  /**
   * The entry of a key given as bytes, src[off, off+len) (0 if absent): a lookup straight from the
   * request's bytes, no JS string made. Its value is read with kindAt(), bytesAt()/valueOffset()/
   * valueLength() (an inline string) or numberAt().
   */
  findBytes(src: Uint8Array, off: number, len: number): number {
    if (this.old !== null) this.step();
    const h = hashBytes(src, off, len);
    this.fHash = h;
    const a = this.a;
    let tab = this.t;
    let b = h & (tab.length - 1);
    for (let pass = 0; pass < 2; pass++) {
      let prev = 0;
      let e = tab[b]!;
      while (e !== 0) {
        const p = pageOf(e);
        const u8 = a.u8[p]!;
        const o = byteOf(e);
        const kf = u8[o + 8]! & LONG_KEY;
        if (kf === len || (kf === LONG_KEY && len >= LONG_KEY && a.dv[p]!.getUint32(o + HEADER, true) === len)) {
          if (sameBytes(u8, keyOffset(u8, o), src, off, len)) {
            this.fTab = tab;
            this.fBucket = b;
            this.fPrev = prev;
            return e;
          }
        }
        prev = e;
        e = a.i32[p]![o >>> 2]!;
      }
      const old = this.old;
      if (old === null) return 0;
      b = h & (old.length - 1);
      if (b < this.rehashIdx) return 0;
      tab = old;
    }
    return 0;
  }

  /** Record an access to entry e (as getTouch()). */
  touchAt(e: number, now: number): void {
    const i32 = this.a.i32[pageOf(e)]!;
    const w = wordOf(e) + 1;
    i32[w] = ACCESS.lfu ? accessTouch(i32[w]!, now) : now;
  }

  /** KIND_STR, KIND_NUM or KIND_OBJ: what entry e holds. */
  kindAt(e: number): number {
    return this.a.u8[pageOf(e)]![byteOf(e) + 8]! >>> 6;
  }

  /** The bytes of the page entry e is in (its inline string at valueOffset(e), valueLength(e) long). */
  bytesAt(e: number): Buffer {
    return this.a.u8[pageOf(e)]!;
  }

  valueOffset(e: number): number {
    const p = pageOf(e);
    const o = byteOf(e);
    return keyOffset(this.a.u8[p]!, o) + keyLength(this.a, p, o);
  }

  /** Length of entry e's inline string. */
  valueLength(e: number): number {
    return valueLength(this.a, pageOf(e), byteOf(e));
  }

  /** Entry e's number (KIND_NUM). */
  numberAt(e: number): number {
    return this.a.dv[pageOf(e)]!.getFloat64(this.valueOffset(e), true);
  }

  /**
   * set() of a string kept inline (vlen <= INLINE_MAX), key and value given as bytes: src[koff,
   * koff+klen) and src[voff, voff+vlen), copied straight into the entry. True if the key is new.
   */
  setBytes(src: Buffer, koff: number, klen: number, voff: number, vlen: number, now: number): boolean {
    const e = this.findBytes(src, koff, klen);
    const a = this.a;
    const cls = classOf(entrySize(klen, KIND_STR, vlen));
    if (e !== 0) {
      const p = pageOf(e);
      const o = byteOf(e);
      const u8 = a.u8[p]!;
      const i32 = a.i32[p]!;
      const access = ACCESS.lfu ? i32[(o >>> 2) + 1]! : now;
      const oldCls = this.classAt(p, o);
      if (u8[o + 8]! >>> 6 === KIND_OBJ) a.drop(a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true));
      if (oldCls === cls) {
        this.writeBytes(e, src, koff, klen, voff, vlen, access);
        return false;
      }
      const n = a.alloc(entrySize(klen, KIND_STR, vlen));
      this.writeBytes(n, src, koff, klen, voff, vlen, access);
      a.i32[pageOf(n)]![wordOf(n)] = i32[o >>> 2]!;
      if (this.fPrev === 0) this.fTab[this.fBucket] = n;
      else a.i32[pageOf(this.fPrev)]![wordOf(this.fPrev)] = n;
      a.release(e, oldCls);
      return false;
    }
    const n = a.alloc(entrySize(klen, KIND_STR, vlen));
    this.writeBytes(n, src, koff, klen, voff, vlen, accessNew(now));
    const b = this.fHash & (this.t.length - 1);
    a.i32[pageOf(n)]![wordOf(n)] = this.t[b]!;
    this.t[b] = n;
    this.count++;
    if (this.old === null && this.count > this.t.length) this.resize(this.t.length * 2);
    return true;
  }

  has(key: string): boolean {
    return this.locate(key) !== 0;
  }

  /** Set a value and its access time; true if the key is new. */
  set(key: string, value: Value, now: number): boolean {
    if (this.old !== null) this.step();
    const a = this.a;
    const e = this.locate(key);
    const kind = typeof value === 'number' ? KIND_NUM : typeof value === 'string' && value.length <= INLINE_MAX ? KIND_STR : KIND_OBJ;
    const vlen = kind === KIND_STR ? (value as string).length : 0;
    const cls = classOf(entrySize(key.length, kind, vlen));
    if (e !== 0) {
      const p = pageOf(e);
      const o = byteOf(e);
      const u8 = a.u8[p]!;
      const oldKind = u8[o + 8]! >>> 6;
      const i32 = a.i32[p]!;
      // an overwritten key keeps its access frequency (Redis: dbSetValue under LFU)
      const access = ACCESS.lfu ? i32[(o >>> 2) + 1]! : now;
      if (oldKind === KIND_OBJ && kind === KIND_OBJ) {
        a.objs[a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true)] = value;
        i32[(o >>> 2) + 1] = access;
        return false;
      }
      const oldCls = this.classAt(p, o);
      if (oldKind === KIND_OBJ) a.drop(a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true));
      if (oldCls === cls) {
        this.writeEntry(e, key, kind, value, vlen, access);
        return false;
      }
      const n = a.alloc(entrySize(key.length, kind, vlen));
      this.writeEntry(n, key, kind, value, vlen, access);
      a.i32[pageOf(n)]![wordOf(n)] = i32[o >>> 2]!;
      if (this.fPrev === 0) this.fTab[this.fBucket] = n;
      else a.i32[pageOf(this.fPrev)]![wordOf(this.fPrev)] = n;
      a.release(e, oldCls);
      return false;
    }
    const n = a.alloc(entrySize(key.length, kind, vlen));
    this.writeEntry(n, key, kind, value, vlen, accessNew(now));
    const b = this.fHash & (this.t.length - 1);
    a.i32[pageOf(n)]![wordOf(n)] = this.t[b]!;
    this.t[b] = n;
    this.count++;
    if (this.old === null && this.count > this.t.length) this.resize(this.t.length * 2);
    return true;
  }

  delete(key: string): boolean {
    if (this.old !== null) this.step();
    const e = this.locate(key);
    if (e === 0) return false;
    const a = this.a;
    const i32 = a.i32[pageOf(e)]!;
    const w = wordOf(e);
    const next = i32[w]!;
    if (this.fPrev === 0) this.fTab[this.fBucket] = next;
    else a.i32[pageOf(this.fPrev)]![wordOf(this.fPrev)] = next;
    this.free(e);
    this.count--;
    const len = this.t.length;
    if (this.old === null && len > 4 && this.count < len >>> 3) this.resize(Math.max(4, pow2(this.count * 2)));
    return true;
  }

  /** Free every entry (FLUSHDB / FLUSHALL). */
  clear(): void {
    for (const tab of this.old === null ? [this.t] : [this.old, this.t]) {
      for (let b = tab === this.old ? this.rehashIdx : 0; b < tab.length; b++) {
        let e = tab[b]!;
        while (e !== 0) {
          const next = this.a.i32[pageOf(e)]![wordOf(e)]!;
          this.free(e);
          e = next;
        }
      }
    }
    this.freeBuckets(this.oldAddr, this.old);
    this.freeBuckets(this.tAddr, this.t);
    this.t = new Int32Array(4);
    this.tAddr = 0;
    this.old = null;
    this.oldAddr = 0;
    this.rehashIdx = 0;
    this.count = 0;
  }

  /** Record an access (no-op for an absent key). */
  touch(key: string, now: number): void {
    const e = this.locate(key);
    if (e === 0) return;
    const i32 = this.a.i32[pageOf(e)]!;
    const w = wordOf(e) + 1;
    i32[w] = ACCESS.lfu ? accessTouch(i32[w]!, now) : now;
  }

  /** Set the last access time (seconds, clamped at 0). */
  setAccessTime(key: string, seconds: number): void {
    this.setAccessData(key, Math.max(0, seconds));
  }

  /** Set the raw access word (LFU data under an LFU policy). */
  setAccessData(key: string, data: number): void {
    const e = this.locate(key);
    if (e !== 0) this.a.i32[pageOf(e)]![wordOf(e) + 1] = data;
  }

  /** Last access time in seconds (LFU data under an LFU policy), or -1 for an absent key. */
  accessTime(key: string): number {
    const e = this.locate(key);
    return e === 0 ? -1 : this.a.i32[pageOf(e)]![wordOf(e) + 1]!;
  }

  *keys(): IterableIterator<string> {
    this.iterating++;
    try {
      for (const tab of this.tables()) {
        for (let b = tab === this.old ? this.rehashIdx : 0; b < tab.length; b++) {
          for (let e = tab[b]!; e !== 0; e = this.a.i32[pageOf(e)]![wordOf(e)]!) yield this.keyOf(e);
        }
      }
    } finally {
      this.iterating--;
    }
  }

  /** Visit every entry (no per-entry allocation beyond the key and value strings). */
  forEach(fn: (value: Value, key: string) => void): void {
    this.iterating++;
    try {
      for (const tab of this.tables()) {
        for (let b = tab === this.old ? this.rehashIdx : 0; b < tab.length; b++) {
          for (let e = tab[b]!; e !== 0; e = this.a.i32[pageOf(e)]![wordOf(e)]!) fn(this.valueOf(e), this.keyOf(e));
        }
      }
    } finally {
      this.iterating--;
    }
  }

  /**
   * Visit every entry without making strings of inline ones (a snapshot serialises from here): `fn`
   * gets the page's bytes with the key's offset and length, and either the inline string value's
   * offset and length (`value` undefined) or the value itself (a number or a JS value).
   */
  forEachBytes(fn: (u8: Buffer, ko: number, klen: number, vo: number, vlen: number, value: Value | undefined) => void): void {
    this.iterating++;
    const a = this.a;
    try {
      for (const tab of this.tables()) {
        for (let b = tab === this.old ? this.rehashIdx : 0; b < tab.length; b++) {
          for (let e = tab[b]!; e !== 0; ) {
            const p = pageOf(e);
            const o = byteOf(e);
            const u8 = a.u8[p]!;
            const ko = keyOffset(u8, o);
            const klen = keyLength(a, p, o);
            if (u8[o + 8]! >>> 6 === KIND_STR) fn(u8, ko, klen, ko + klen, valueLength(a, p, o), undefined);
            else fn(u8, ko, klen, 0, 0, this.valueOf(e));
            e = a.i32[p]![wordOf(e)]!;
          }
        }
      }
    } finally {
      this.iterating--;
    }
  }

  *[Symbol.iterator](): IterableIterator<[string, Value]> {
    this.iterating++;
    try {
      for (const tab of this.tables()) {
        for (let b = tab === this.old ? this.rehashIdx : 0; b < tab.length; b++) {
          for (let e = tab[b]!; e !== 0; e = this.a.i32[pageOf(e)]![wordOf(e)]!) yield [this.keyOf(e), this.valueOf(e)];
        }
      }
    } finally {
      this.iterating--;
    }
  }

  /** True while a resize is in progress (tests). */
  get resizing(): boolean {
    return this.old !== null;
  }

  /** Number of buckets of the current table (tests). */
  get buckets(): number {
    return this.t.length;
  }

  private tables(): Int32Array<ArrayBufferLike>[] {
    return this.old === null ? [this.t] : [this.old, this.t];
  }

  private resize(buckets: number): void {
    this.old = this.t;
    this.oldAddr = this.tAddr;
    if (buckets <= SMALL_BUCKETS) {
      this.t = new Int32Array(buckets);
      this.tAddr = 0;
    } else {
      const a = this.a;
      const addr = a.allocRaw(buckets * 4);
      const t = new Int32Array(a.u8[pageOf(addr)]!.buffer, byteOf(addr), buckets);
      t.fill(0);
      this.t = t;
      this.tAddr = addr;
    }
    this.rehashIdx = 0;
  }

  private freeBuckets(addr: number, tab: Int32Array<ArrayBufferLike> | null): void {
    if (addr !== 0) this.a.releaseRaw(addr, classOf(tab!.length * 4));
  }

  /** Move one or two buckets of the old table to the new one (skipping up to 10 empty ones). */
  private step(): void {
    if (this.iterating > 0) return;
    const old = this.old!;
    const a = this.a;
    const mask = this.t.length - 1;
    let moved = 0;
    for (let visits = 0; visits < 12 && moved < 2 && this.rehashIdx < old.length; visits++) {
      let e = old[this.rehashIdx]!;
      old[this.rehashIdx++] = 0;
      if (e === 0) continue;
      moved++;
      while (e !== 0) {
        const p = pageOf(e);
        const i32 = a.i32[p]!;
        const o = byteOf(e);
        const w = o >>> 2;
        const next = i32[w]!;
        const u8 = a.u8[p]!;
        const b = hashBytes(u8, keyOffset(u8, o), keyLength(a, p, o)) & mask;
        i32[w] = this.t[b]!;
        this.t[b] = e;
        e = next;
      }
    }
    if (this.rehashIdx >= old.length) {
      this.freeBuckets(this.oldAddr, old);
      this.old = null;
      this.oldAddr = 0;
      this.rehashIdx = 0;
    }
  }

  /** Size class of the entry at page p, byte o (from its lengths). */
  private classAt(p: number, o: number): number {
    const a = this.a;
    const u8 = a.u8[p]!;
    const kind = u8[o + 8]! >>> 6;
    return classOf(entrySize(keyLength(a, p, o), kind, kind === KIND_STR ? valueLength(a, p, o) : 0));
  }

  private free(e: number): void {
    const a = this.a;
    const p = pageOf(e);
    const o = byteOf(e);
    const u8 = a.u8[p]!;
    if (u8[o + 8]! >>> 6 === KIND_OBJ) a.drop(a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true));
    a.release(e, this.classAt(p, o));
  }

  /** Write everything but the bucket link: access, lengths, key, value. */
  private writeEntry(e: number, key: string, kind: number, value: Value, vlen: number, access: number): void {
    const a = this.a;
    const p = pageOf(e);
    const o = byteOf(e);
    const u8 = a.u8[p]! as Latin1Buffer;
    const dv = a.dv[p]!;
    a.i32[p]![(o >>> 2) + 1] = access;
    const klen = key.length;
    const longKey = klen >= LONG_KEY;
    const longVal = kind === KIND_STR && vlen >= LONG_VAL;
    u8[o + 8] = (kind << 6) | (longKey ? LONG_KEY : klen);
    u8[o + 9] = kind !== KIND_STR ? 0 : longVal ? LONG_VAL : vlen;
    let ko = o + HEADER;
    if (longKey) {
      dv.setUint32(ko, klen, true);
      ko += 4;
    }
    if (longVal) {
      dv.setUint32(ko, vlen, true);
      ko += 4;
    }
    writeLatin1(u8, ko, key);
    const vo = ko + klen;
    if (kind === KIND_STR) writeLatin1(u8, vo, value as string);
    else if (kind === KIND_NUM) dv.setFloat64(vo, value as number, true);
    else dv.setInt32(vo, a.hold(value), true);
  }

  /** writeEntry() of an inline string from bytes: key src[koff, koff+klen), value src[voff, voff+vlen). */
  private writeBytes(e: number, src: Buffer, koff: number, klen: number, voff: number, vlen: number, access: number): void {
    const a = this.a;
    const p = pageOf(e);
    const o = byteOf(e);
    const u8 = a.u8[p]!;
    const dv = a.dv[p]!;
    a.i32[p]![(o >>> 2) + 1] = access;
    const longKey = klen >= LONG_KEY;
    const longVal = vlen >= LONG_VAL;
    u8[o + 8] = (KIND_STR << 6) | (longKey ? LONG_KEY : klen);
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
    copySlice(src, koff, klen, u8, ko);
    copySlice(src, voff, vlen, u8, ko + klen);
  }

  private keyOf(e: number): string {
    const p = pageOf(e);
    const o = byteOf(e);
    const u8 = this.a.u8[p]! as Latin1Buffer;
    const ko = keyOffset(u8, o);
    return u8.latin1Slice(ko, ko + keyLength(this.a, p, o));
  }

  private valueOf(e: number): Value {
    const a = this.a;
    const p = pageOf(e);
    const o = byteOf(e);
    const u8 = a.u8[p]! as Latin1Buffer;
    const kind = u8[o + 8]! >>> 6;
    const vo = keyOffset(u8, o) + keyLength(a, p, o);
    if (kind === KIND_STR) return u8.latin1Slice(vo, vo + valueLength(a, p, o));
    if (kind === KIND_NUM) return a.dv[p]!.getFloat64(vo, true);
    return a.objs[a.dv[p]!.getInt32(vo, true)] as Value;
  }
}

/** Byte offset of the key of the entry at byte o (past the header and its extension). */
function keyOffset(u8: Uint8Array, o: number): number {
  return o + HEADER + ((u8[o + 8]! & LONG_KEY) === LONG_KEY ? 4 : 0) + (u8[o + 9] === LONG_VAL ? 4 : 0);
}

function keyLength(a: Arena, p: number, o: number): number {
  const kf = a.u8[p]![o + 8]! & LONG_KEY;
  return kf === LONG_KEY ? a.dv[p]!.getUint32(o + HEADER, true) : kf;
}

/** Length of an inline string value. */
function valueLength(a: Arena, p: number, o: number): number {
  const u8 = a.u8[p]!;
  const vf = u8[o + 9]!;
  if (vf !== LONG_VAL) return vf;
  return a.dv[p]!.getUint32(o + HEADER + ((u8[o + 8]! & LONG_KEY) === LONG_KEY ? 4 : 0), true);
}

function sameBytes(u8: Uint8Array, at: number, src: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (u8[at + i] !== src[off + i]) return false;
  return true;
}

function sameKey(u8: Uint8Array, off: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (u8[off + i] !== key.charCodeAt(i)) return false;
  return true;
}

function writeLatin1(u8: Latin1Buffer, off: number, s: string): void {
  const n = s.length;
  if (n > 24) u8.latin1Write(s, off, n);
  else for (let i = 0; i < n; i++) u8[off + i] = s.charCodeAt(i);
}

function pow2(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}
