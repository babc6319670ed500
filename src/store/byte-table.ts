/*
 * ByteTable: the keys of one hash slot of one database, stored as bytes in an Arena (outside the V8
 * heap), with the same API as the heap SlotTable (src/shard/slot-table.ts).
 *
 * Index: chained hashing over the key bytes, an Int32Array of bucket heads (entry addresses, 0 for
 * none), each entry holding the address of the next in its bucket. The table doubles when it holds
 * more keys than buckets and shrinks when under 1/8 full; resizing is incremental, as Redis's rehash:
 * a second table, and each operation moves a bucket or two of the old one, so no operation pays for
 * the whole slot. Lookups during a resize look in both tables.
 *
 * Entry layout (8-byte aligned; words are Int32):
 *   word 0  next entry in the bucket (free-list link once freed)
 *   word 1  access data: last access in seconds, or LFU data (access.ts)
 *   word 2  key length (low 16 bits; 0xffff: the length is in word 4) | kind << 16 | size class << 24
 *   word 3  value: byte length (inline string), or handle (JS value in arena.objs)
 *   then the key bytes, then the value bytes (inline string: latin1; number: float64 little-endian)
 * Strings up to INLINE_MAX bytes are inline; longer strings and aggregates stay JS values, by handle
 * (compact encodings of small aggregates in the arena are a later stage).
 *
 * Iteration (keys, forEach, the iterator) walks the buckets; order is not insertion order, which no
 * caller needs: SCAN's cursor is a slot number and it returns whole slots. The table must not be
 * modified during an iteration; resize steps pause while one is open (Redis's safe iterator).
 */

import type { Value } from '../shard/values/types.js';
import { ACCESS, accessNew, accessTouch } from '../shard/access.js';
import { Arena, classOf, pageOf, byteOf, wordOf } from './arena.js';

/** Longest string value kept inline in the entry. */
export const INLINE_MAX = 4096;

const KIND_STR = 0;
const KIND_NUM = 1;
const KIND_OBJ = 2;
const LONG_KEY = 0xffff;
const HEADER = 16;

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
    let tab = this.t;
    let b = h & (tab.length - 1);
    for (let pass = 0; pass < 2; pass++) {
      let prev = 0;
      let e = tab[b]!;
      while (e !== 0) {
        const p = pageOf(e);
        const w = wordOf(e);
        const i32 = a.i32[p]!;
        const meta = i32[w + 2]!;
        let klen = meta & 0xffff;
        let ko = byteOf(e) + HEADER;
        if (klen === LONG_KEY) {
          klen = i32[w + 4]!;
          ko += 4;
        }
        if (klen === key.length && sameKey(a.u8[p]!, ko, key)) {
          this.fTab = tab;
          this.fBucket = b;
          this.fPrev = prev;
          return e;
        }
        prev = e;
        e = i32[w]!;
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

  has(key: string): boolean {
    return this.locate(key) !== 0;
  }

  /** Set a value and its access time; true if the key is new. */
  set(key: string, value: Value, now: number): boolean {
    if (this.old !== null) this.step();
    const a = this.a;
    const e = this.locate(key);
    const kind = typeof value === 'number' ? KIND_NUM : typeof value === 'string' && value.length <= INLINE_MAX ? KIND_STR : KIND_OBJ;
    const vbytes = kind === KIND_STR ? (value as string).length : kind === KIND_NUM ? 8 : 0;
    const klen = key.length;
    const kbytes = klen >= LONG_KEY ? klen + 4 : klen;
    const need = HEADER + kbytes + vbytes;
    const cls = classOf(need);
    if (e !== 0) {
      const i32 = a.i32[pageOf(e)]!;
      const w = wordOf(e);
      const meta = i32[w + 2]!;
      const oldKind = (meta >>> 16) & 0xff;
      // an overwritten key keeps its access frequency (Redis: dbSetValue under LFU)
      const access = ACCESS.lfu ? i32[w + 1]! : now;
      if (oldKind === KIND_OBJ && kind === KIND_OBJ) {
        a.objs[i32[w + 3]!] = value;
        i32[w + 1] = access;
        return false;
      }
      if (oldKind === KIND_OBJ) a.drop(i32[w + 3]!);
      if (meta >>> 24 === cls) {
        i32[w + 1] = access;
        this.writeValue(e, kbytes, kind, value, meta & 0xffff);
        return false;
      }
      const n = a.alloc(need);
      this.writeEntry(n, key, kbytes, cls, kind, value, access);
      const next = i32[w]!;
      a.i32[pageOf(n)]![wordOf(n)] = next;
      if (this.fPrev === 0) this.fTab[this.fBucket] = n;
      else a.i32[pageOf(this.fPrev)]![wordOf(this.fPrev)] = n;
      a.release(e, meta >>> 24);
      return false;
    }
    const n = a.alloc(need);
    this.writeEntry(n, key, kbytes, cls, kind, value, accessNew(now));
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
    this.t = new Int32Array(4);
    this.old = null;
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
            const i32 = a.i32[p]!;
            const w = wordOf(e);
            const meta = i32[w + 2]!;
            let klen = meta & 0xffff;
            let ko = byteOf(e) + HEADER;
            if (klen === LONG_KEY) {
              klen = i32[w + 4]!;
              ko += 4;
            }
            if (((meta >>> 16) & 0xff) === KIND_STR) fn(a.u8[p]!, ko, klen, ko + klen, i32[w + 3]!, undefined);
            else fn(a.u8[p]!, ko, klen, 0, 0, this.valueOf(e));
            e = i32[w]!;
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
    this.t = new Int32Array(buckets);
    this.rehashIdx = 0;
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
        const w = wordOf(e);
        const next = i32[w]!;
        let klen = i32[w + 2]! & 0xffff;
        let ko = byteOf(e) + HEADER;
        if (klen === LONG_KEY) {
          klen = i32[w + 4]!;
          ko += 4;
        }
        const b = hashBytes(a.u8[p]!, ko, klen) & mask;
        i32[w] = this.t[b]!;
        this.t[b] = e;
        e = next;
      }
    }
    if (this.rehashIdx >= old.length) {
      this.old = null;
      this.rehashIdx = 0;
    }
  }

  private free(e: number): void {
    const meta = this.a.i32[pageOf(e)]![wordOf(e) + 2]!;
    if (((meta >>> 16) & 0xff) === KIND_OBJ) this.a.drop(this.a.i32[pageOf(e)]![wordOf(e) + 3]!);
    this.a.release(e, meta >>> 24);
  }

  private writeEntry(e: number, key: string, kbytes: number, cls: number, kind: number, value: Value, access: number): void {
    const p = pageOf(e);
    const i32 = this.a.i32[p]!;
    const w = wordOf(e);
    const klen = key.length;
    const kfield = klen >= LONG_KEY ? LONG_KEY : klen;
    i32[w + 1] = access;
    i32[w + 2] = kfield | (cls << 24);
    let ko = byteOf(e) + HEADER;
    if (kfield === LONG_KEY) {
      i32[w + 4] = klen;
      ko += 4;
    }
    writeLatin1(this.a.u8[p]! as Latin1Buffer, ko, key);
    this.writeValue(e, kbytes, kind, value, kfield);
  }

  /** Write the value part and the kind (the key and class are in place). */
  private writeValue(e: number, kbytes: number, kind: number, value: Value, kfield: number): void {
    const a = this.a;
    const p = pageOf(e);
    const i32 = a.i32[p]!;
    const w = wordOf(e);
    i32[w + 2] = (i32[w + 2]! & 0xff00ffff) | (kind << 16) | (kfield & 0xffff);
    const vo = byteOf(e) + HEADER + kbytes;
    if (kind === KIND_STR) {
      const s = value as string;
      i32[w + 3] = s.length;
      writeLatin1(a.u8[p]! as Latin1Buffer, vo, s);
    } else if (kind === KIND_NUM) a.dv[p]!.setFloat64(vo, value as number, true);
    else i32[w + 3] = a.hold(value);
  }

  private keyOf(e: number): string {
    const p = pageOf(e);
    const i32 = this.a.i32[p]!;
    const w = wordOf(e);
    let klen = i32[w + 2]! & 0xffff;
    let ko = byteOf(e) + HEADER;
    if (klen === LONG_KEY) {
      klen = i32[w + 4]!;
      ko += 4;
    }
    return (this.a.u8[p]! as Latin1Buffer).latin1Slice(ko, ko + klen);
  }

  private valueOf(e: number): Value {
    const a = this.a;
    const p = pageOf(e);
    const i32 = a.i32[p]!;
    const w = wordOf(e);
    const meta = i32[w + 2]!;
    const kind = (meta >>> 16) & 0xff;
    if (kind === KIND_OBJ) return a.objs[i32[w + 3]!] as Value;
    const kf = meta & 0xffff;
    const vo = byteOf(e) + HEADER + (kf === LONG_KEY ? i32[w + 4]! + 4 : kf);
    if (kind === KIND_NUM) return a.dv[p]!.getFloat64(vo, true);
    return (a.u8[p]! as Latin1Buffer).latin1Slice(vo, vo + i32[w + 3]!);
  }
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
