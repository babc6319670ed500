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
 * Entries: see entry.ts for the layout.
 * A 14-byte key with a 32-byte value takes 56 bytes (Redis 7 by jemalloc's size classes: a 24-byte
 * dictEntry, the key's sds in 24, an embstr object holding the value in 56: 104, before its index).
 * Strings up to INLINE_MAX bytes are inline; so are small aggregates in their compact encoding (a
 * listpack hash or sorted set, an intset, a one-node list), as packed bytes (store/packed.ts): get() decodes them into a value
 * attached to the entry, whose changes come back through repack(). Longer strings and aggregates in
 * their large encodings stay JS values, by handle.
 *
 * Iteration (keys, forEach, the iterator) walks the buckets; order is not insertion order, which no
 * caller needs: SCAN's cursor is a slot number and it returns whole slots. The table must not be
 * modified during an iteration; resize steps pause while one is open (Redis's safe iterator).
 */

import { Aggregate, type Value } from '../shard/values/types.js';
import { ACCESS, accessNew, accessTouch } from '../shard/access.js';
import { Arena, classOf, pageOf, byteOf, wordOf } from './arena.js';
import { copySlice } from '../bytes.js';
import {
  HEADER, KIND_NUM, KIND_OBJ, KIND_STR, LONG_KEY, entrySize, hashBytes, keyLength, keyOffset, pow2, sameBytes,
  valueLength, writeHeader, writeLatin1, type Latin1Buffer,
} from './entry.js';
import { unpack } from './packed.js';
import { kindOf, packedOf } from './entry-value.js';

export { KIND_NUM, KIND_OBJ, KIND_STR } from './entry.js';
export { INLINE_MAX, entryBytes, isInline } from './entry-value.js';

/** A key given as a string, written as bytes for a lookup (grown as needed). */
let keyBuf = Buffer.allocUnsafeSlow(256) as Latin1Buffer;

/** Bucket arrays up to this many buckets are small typed arrays on the heap; larger ones live in the arena. */
const SMALL_BUCKETS = 16;

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

  /** Address of the key's entry (0 if absent), recording where it was found (the key as bytes: find()). */
  private locate(key: string): number {
    const n = key.length;
    if (n > keyBuf.length) keyBuf = Buffer.allocUnsafeSlow(pow2(n)) as Latin1Buffer;
    writeLatin1(keyBuf, 0, key);
    return this.find(keyBuf, 0, n);
  }

  get(key: string): Value | undefined {
    if (this.old !== null) this.step();
    const e = this.locate(key);
    return e === 0 ? undefined : this.valueOf(e, key);
  }

  /** get() that also records the access, in one lookup. */
  getTouch(key: string, now: number): Value | undefined {
    if (this.old !== null) this.step();
    const e = this.locate(key);
    if (e === 0) return undefined;
    const i32 = this.a.i32[pageOf(e)]!;
    const w = wordOf(e) + 1;
    i32[w] = ACCESS.lfu ? accessTouch(i32[w]!, now) : now;
    return this.valueOf(e, key);
  }

  /**
   * The entry of a key given as bytes, src[off, off+len) (0 if absent): a lookup straight from the
   * request's bytes, no JS string made. Its value is read with kindAt(), bytesAt()/valueOffset()/
   * valueLength() (an inline string) or numberAt().
   */
  findBytes(src: Uint8Array, off: number, len: number): number {
    if (this.old !== null) this.step();
    return this.find(src, off, len);
  }

  /** The entry of the key src[off, off+len) (0 if absent), recording where it was found. */
  private find(src: Uint8Array, off: number, len: number): number {
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

  /** Overwrite entry e's number in place (a KIND_NUM entry: the size does not change). */
  setNumberAt(e: number, n: number): void {
    this.a.dv[pageOf(e)]!.setFloat64(this.valueOffset(e), n, true);
  }

  /**
   * Add a key given as bytes, src[off, off+len), holding the number n; the key must be absent (after
   * findBytes() returned 0, with no change to the table since).
   */
  addNumberBytes(src: Uint8Array, off: number, len: number, n: number, now: number): void {
    const a = this.a;
    const e = a.alloc(entrySize(len, KIND_NUM, 0));
    const p = pageOf(e);
    const ko = writeHeader(a, p, byteOf(e), KIND_NUM, len, 0, accessNew(now));
    copySlice(src, off, len, a.u8[p]!, ko);
    a.dv[p]!.setFloat64(ko + len, n, true);
    this.link(e);
  }

  /** Drop the arena's last decoded value if it is one of this table's (its entry may change). */
  private forget(): void {
    this.a.remember(this, null, null);
  }

  /** Put new entry n in the place of e (where the last lookup found it) and free e, of class cls. */
  private swapIn(e: number, n: number, cls: number): void {
    const a = this.a;
    a.i32[pageOf(n)]![wordOf(n)] = a.i32[pageOf(e)]![wordOf(e)]!;
    if (this.fPrev === 0) this.fTab[this.fBucket] = n;
    else a.i32[pageOf(this.fPrev)]![wordOf(this.fPrev)] = n;
    a.release(e, cls);
  }

  /** Put new entry e at the head of its bucket (fHash: its key's hash, from the lookup before). */
  private link(e: number): void {
    const b = this.fHash & (this.t.length - 1);
    this.a.i32[pageOf(e)]![wordOf(e)] = this.t[b]!;
    this.t[b] = e;
    this.count++;
    if (this.old === null && this.count > this.t.length) this.resize(this.t.length * 2);
  }

  /**
   * set() of a string kept inline (vlen <= INLINE_MAX), key and value given as bytes: src[koff,
   * koff+klen) and src[voff, voff+vlen), copied straight into the entry. True if the key is new.
   */
  setBytes(src: Buffer, koff: number, klen: number, voff: number, vlen: number, now: number): boolean {
    this.forget();
    const e = this.findBytes(src, koff, klen);
    const a = this.a;
    const cls = classOf(entrySize(klen, KIND_STR, vlen));
    if (e !== 0) {
      const p = pageOf(e);
      const o = byteOf(e);
      const access = ACCESS.lfu ? a.i32[p]![(o >>> 2) + 1]! : now;
      const oldCls = this.classAt(p, o);
      this.dropHandle(p, o);
      if (oldCls === cls) {
        this.writeBytes(e, src, koff, klen, voff, vlen, access);
        return false;
      }
      const n = a.alloc(entrySize(klen, KIND_STR, vlen));
      this.writeBytes(n, src, koff, klen, voff, vlen, access);
      this.swapIn(e, n, oldCls);
      return false;
    }
    const n = a.alloc(entrySize(klen, KIND_STR, vlen));
    this.writeBytes(n, src, koff, klen, voff, vlen, accessNew(now));
    this.link(n);
    return true;
  }

  has(key: string): boolean {
    return this.locate(key) !== 0;
  }

  /** Set a value and its access time; true if the key is new. */
  set(key: string, value: Value, now: number): boolean {
    return this.put(key, value, now, false);
  }

  /** PackOwner: a value decoded from key's entry changed; store it again, keeping the access data. */
  repack(key: string, v: Aggregate): void {
    this.put(key, v, 0, true);
  }

  private put(key: string, value: Value, now: number, keepAccess: boolean): boolean {
    if (this.old !== null) this.step();
    const a = this.a;
    const e = this.locate(key);
    const kind = kindOf(value);
    const packed = kind === KIND_OBJ ? packedOf(value) : null;
    const vlen = kind === KIND_STR ? (value as string).length : packed !== null ? packed.length : 0;
    if (value instanceof Aggregate) {
      // a packed value follows its latest entry (and get() gives it back); a stored object is its own
      value.owner = packed === null ? null : this;
      value.ownerKey = packed === null ? '' : key;
      if (packed !== null) this.a.remember(this, key, value);
      else this.forget();
    } else this.forget();
    const cls = classOf(entrySize(key.length, kind, vlen));
    if (e !== 0) {
      const p = pageOf(e);
      const o = byteOf(e);
      const u8 = a.u8[p]!;
      const i32 = a.i32[p]!;
      // an overwritten key keeps its access frequency (Redis: dbSetValue under LFU)
      const access = keepAccess || ACCESS.lfu ? i32[(o >>> 2) + 1]! : now;
      if (u8[o + 8]! >>> 6 === KIND_OBJ && u8[o + 9] === 0 && kind === KIND_OBJ && packed === null) {
        a.objs[a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true)] = value;
        i32[(o >>> 2) + 1] = access;
        return false;
      }
      const oldCls = this.classAt(p, o);
      this.dropHandle(p, o);
      if (oldCls === cls) {
        this.writeEntry(e, key, kind, value, vlen, packed, access);
        return false;
      }
      const n = a.alloc(entrySize(key.length, kind, vlen));
      this.writeEntry(n, key, kind, value, vlen, packed, access);
      this.swapIn(e, n, oldCls);
      return false;
    }
    const n = a.alloc(entrySize(key.length, kind, vlen));
    this.writeEntry(n, key, kind, value, vlen, packed, accessNew(now));
    this.link(n);
    return true;
  }

  delete(key: string): boolean {
    if (this.old !== null) this.step();
    this.forget();
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
    this.forget();
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
    this.fTab = this.t;
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

  /** Visit every entry's address (resize steps pause meanwhile: Redis's safe iterator). */
  private walk(fn: (e: number) => void): void {
    this.iterating++;
    try {
      for (const tab of this.tables()) {
        for (let b = tab === this.old ? this.rehashIdx : 0; b < tab.length; b++) {
          for (let e = tab[b]!; e !== 0; e = this.a.i32[pageOf(e)]![wordOf(e)]!) fn(e);
        }
      }
    } finally {
      this.iterating--;
    }
  }

  /** The keys (collected first: a slot's table is small, and may then change while they are used). */
  *keys(): IterableIterator<string> {
    const out: string[] = [];
    this.walk((e) => out.push(this.keyOf(e)));
    yield* out;
  }

  /** Visit every entry (no per-entry allocation beyond the key and value strings). */
  forEach(fn: (value: Value, key: string) => void): void {
    this.walk((e) => {
      const k = this.keyOf(e);
      fn(this.valueOf(e, k), k);
    });
  }

  /**
   * Visit every entry without making strings of inline ones (a snapshot serialises from here): `fn`
   * gets the page's bytes with the key's offset and length, and either the inline string value's
   * offset and length (`value` undefined) or the value itself (a number or a JS value).
   */
  forEachBytes(fn: (u8: Buffer, ko: number, klen: number, vo: number, vlen: number, value: Value | undefined) => void): void {
    const a = this.a;
    this.walk((e) => {
      const p = pageOf(e);
      const o = byteOf(e);
      const u8 = a.u8[p]! as Latin1Buffer;
      const ko = keyOffset(u8, o);
      const klen = keyLength(a, p, o);
      if (u8[o + 8]! >>> 6 === KIND_STR) fn(u8, ko, klen, ko + klen, valueLength(a, p, o), undefined);
      else fn(u8, ko, klen, 0, 0, this.valueOf(e, u8.latin1Slice(ko, ko + klen)));
    });
  }

  *[Symbol.iterator](): IterableIterator<[string, Value]> {
    const out: [string, Value][] = [];
    this.forEach((v, k) => out.push([k, v]));
    yield* out;
  }

  /** True while a resize is in progress (tests). */
  get resizing(): boolean {
    return this.old !== null;
  }

  /** Number of buckets of the current table (tests). */
  get buckets(): number {
    return this.t.length;
  }

  /**
   * Finish a resize in progress at once (Redis's active rehashing, in idle time: a table whose slot
   * sees no more operations would keep both bucket arrays): true if there was one. Not during an
   * iteration.
   */
  finishResize(): boolean {
    if (this.old === null || this.iterating > 0) return false;
    while (this.old !== null) this.step();
    return true;
  }

  /**
   * Size an empty table for `keys` keys at once (a load that knows how many are coming: RDB's
   * RESIZEDB), instead of doubling from 4 buckets with an incremental rehash each time.
   */
  reserve(keys: number): void {
    if (this.count !== 0 || this.old !== null || keys <= this.t.length) return;
    let n = this.t.length;
    while (n < keys && n < 1 << 24) n *= 2;
    this.resize(n);
    this.freeBuckets(this.oldAddr, this.old); // the empty table it replaced
    this.old = null;
    this.oldAddr = 0;
    this.fTab = this.t;
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
      this.fTab = this.t; // not the old array: it would keep it (and its buffer) alive
    }
  }

  /** Size class of the entry at page p, byte o (from its lengths). */
  private classAt(p: number, o: number): number {
    const a = this.a;
    const u8 = a.u8[p]!;
    return classOf(entrySize(keyLength(a, p, o), u8[o + 8]! >>> 6, valueLength(a, p, o)));
  }

  private free(e: number): void {
    const a = this.a;
    const p = pageOf(e);
    const o = byteOf(e);
    this.dropHandle(p, o);
    a.release(e, this.classAt(p, o));
  }

  /** Let go of the JS value the entry at page p, byte o holds by handle, if it does. */
  private dropHandle(p: number, o: number): void {
    const a = this.a;
    const u8 = a.u8[p]!;
    if (u8[o + 8]! >>> 6 === KIND_OBJ && u8[o + 9] === 0) a.drop(a.dv[p]!.getInt32(keyOffset(u8, o) + keyLength(a, p, o), true));
  }

  /** Write everything but the bucket link: access, lengths, key, value. */
  private writeEntry(e: number, key: string, kind: number, value: Value, vlen: number, packed: Uint8Array | null, access: number): void {
    const a = this.a;
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
  private writeBytes(e: number, src: Buffer, koff: number, klen: number, voff: number, vlen: number, access: number): void {
    const a = this.a;
    const p = pageOf(e);
    const u8 = a.u8[p]!;
    const ko = writeHeader(a, p, byteOf(e), KIND_STR, klen, vlen, access);
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

  /** Entry e's value (key: its key, to which a packed value's decoding is attached). */
  private valueOf(e: number, key: string): Value {
    const a = this.a;
    const p = pageOf(e);
    const o = byteOf(e);
    const u8 = a.u8[p]! as Latin1Buffer;
    const kind = u8[o + 8]! >>> 6;
    const vo = keyOffset(u8, o) + keyLength(a, p, o);
    if (kind === KIND_STR) return u8.latin1Slice(vo, vo + valueLength(a, p, o));
    if (kind === KIND_NUM) return a.dv[p]!.getFloat64(vo, true);
    const vlen = valueLength(a, p, o);
    if (vlen === 0) return a.objs[a.dv[p]!.getInt32(vo, true)] as Value;
    const c = a.recalled(this, key);
    if (c !== null) return c;
    const v = unpack(u8, vo, vlen);
    v.owner = this;
    v.ownerKey = key;
    a.remember(this, key, v);
    return v;
  }
}
