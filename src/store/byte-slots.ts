/*
 * ByteSlots: the keys of every hash slot of one database (or `n` tables of any other use), as bytes
 * in an Arena outside the V8 heap. Each slot is a table of its own (SCAN's cursor, per-slot snapshots
 * and counts go slot by slot), but no slot is a JS object: a table is 8 words of one Int32Array
 * (`meta`) and its bucket array lives in the arena. 16,384 slots cost 512 kB of ArrayBuffer, not an
 * object and an Int32Array view each on the heap (~200-330 bytes a slot), and a lookup goes slot ->
 * bucket word -> entry with no object between.
 *
 * Index: chained hashing over the key bytes, a bucket array of entry addresses (0 for none), each
 * entry holding the address of the next in its bucket. A table doubles when it holds more keys than
 * buckets and shrinks when under 1/8 full, incrementally as Redis's rehash: a second array, of which
 * each operation on the slot moves a bucket or two; lookups meanwhile look in both. A table with no
 * key has no bucket array. Entries: entry.ts (layout) and entry-io.ts. Small aggregates are inline as
 * packed bytes (store/packed.ts): get() decodes them into a value attached to the entry (its owner is
 * this object and its key), whose changes come back through repack().
 *
 * Iteration (keys, forEach, forEachBytes) walks one slot's buckets, in no particular order. A slot
 * must not be modified during an iteration of it; its resize steps pause meanwhile (a safe iterator).
 */

import { Aggregate, type PackOwner, type Value } from '../shard/values/types.js';
import { ACCESS, accessNew, accessTouch } from '../shard/access.js';
import { Arena, classOf, pageOf, byteOf, wordOf } from './arena.js';
import { copySlice } from '../bytes.js';
import {
  HEADER, KIND_NUM, KIND_OBJ, KIND_STR, LONG_KEY, entrySize, hashBytes, keyLength, keyOffset, pow2, sameBytes,
  valueLength, writeHeader, writeLatin1, type Latin1Buffer,
} from './entry.js';
import { classAt, dropHandle, freeEntry, keyOf, valueOf, writeBytes, writeEntry } from './entry-io.js';
import { kindOf, packedOf } from './entry-value.js';

/** What a store asks of its owner: the slot of a key (for repack) and the size a new table starts at. */
export interface SlotHost {
  slotOf(key: string): number;
  /** Keys a new table is sized for (a load that announced its size), 0 for none. */
  readonly tableHint: number;
}

/** A key given as a string, written as bytes for a lookup (grown as needed). */
let keyBuf = Buffer.allocUnsafeSlow(256) as Latin1Buffer;

// the words of a table in `meta` (stride 8)
const T = 0; // bucket array's arena address (0: no table)
const LEN = 1; // its number of buckets
const COUNT = 2;
const OLD = 3; // the old bucket array during a resize (0: none)
const OLD_LEN = 4;
const REHASH = 5; // next bucket of the old array to move
const ITER = 6; // iterations open
const STRIDE = 8;
const MIN_BUCKETS = 4;

/** The meta of stores never written to: all zeros, shared (a store gets its own on its first table). */
let EMPTY: Int32Array | null = null;

export class ByteSlots implements PackOwner {
  private meta: Int32Array;
  /** False while meta is the shared EMPTY (never written). */
  private owned = false;
  // where the last find() found its entry: the word linking to it (a bucket, or the previous entry's link)
  private fI32: Int32Array = new Int32Array(1);
  private fWord = 0;
  private fHash = 0;

  constructor(
    private readonly a: Arena,
    private readonly n: number,
    private readonly host: SlotHost,
  ) {
    this.meta = this.empty();
  }

  private empty(): Int32Array {
    this.owned = false;
    if (EMPTY === null || this.n * STRIDE > EMPTY.length) EMPTY = new Int32Array(Math.max(this.n, 16384) * STRIDE);
    return EMPTY;
  }

  /** Number of tables. */
  get tables(): number {
    return this.n;
  }

  /** False while no table was ever made (the store's per-table words are the shared zeros). */
  get ownsTables(): boolean {
    return this.owned;
  }

  /** Keys in table s. */
  size(s: number): number {
    return this.meta[s * STRIDE + COUNT]!;
  }

  /** Address of the key's entry in table s (0 if absent), recording where it was found (the key as bytes: find()). */
  private locate(s: number, key: string): number {
    const n = key.length;
    if (n > keyBuf.length) keyBuf = Buffer.allocUnsafeSlow(pow2(n)) as Latin1Buffer;
    writeLatin1(keyBuf, 0, key);
    return this.find(s, keyBuf, 0, n);
  }

  get(s: number, key: string): Value | undefined {
    if (this.meta[s * STRIDE + OLD] !== 0) this.step(s);
    const e = this.locate(s, key);
    return e === 0 ? undefined : valueOf(this.a, this, e, key);
  }

  /** get() that also records the access, in one lookup. */
  getTouch(s: number, key: string, now: number): Value | undefined {
    if (this.meta[s * STRIDE + OLD] !== 0) this.step(s);
    const e = this.locate(s, key);
    if (e === 0) return undefined;
    this.touchAt(e, now);
    return valueOf(this.a, this, e, key);
  }

  /**
   * The entry of a key given as bytes, src[off, off+len), in table s (0 if absent): a lookup straight
   * from the request's bytes, no JS string made. Its value is read with kindAt(), bytesAt()/
   * valueOffset()/valueLength() (an inline string) or numberAt().
   */
  findBytes(s: number, src: Uint8Array, off: number, len: number): number {
    if (this.meta[s * STRIDE + OLD] !== 0) this.step(s);
    return this.find(s, src, off, len);
  }

  /** The entry of the key src[off, off+len) in table s (0 if absent), recording where it was found. */
  private find(s: number, src: Uint8Array, off: number, len: number): number {
    const h = hashBytes(src, off, len);
    this.fHash = h;
    const m = this.meta;
    const base = s * STRIDE;
    let addr = m[base + T]!;
    if (addr === 0) return 0;
    const a = this.a;
    let b = h & (m[base + LEN]! - 1);
    for (let pass = 0; pass < 2; pass++) {
      let li32 = a.i32[pageOf(addr)]!;
      let lw = wordOf(addr) + b;
      let e = li32[lw]!;
      while (e !== 0) {
        const p = pageOf(e);
        const u8 = a.u8[p]!;
        const o = byteOf(e);
        const kf = u8[o + 8]! & LONG_KEY;
        if (kf === len || (kf === LONG_KEY && len >= LONG_KEY && a.dv[p]!.getUint32(o + HEADER, true) === len)) {
          if (sameBytes(u8, keyOffset(u8, o), src, off, len)) {
            this.fI32 = li32;
            this.fWord = lw;
            return e;
          }
        }
        li32 = a.i32[p]!;
        lw = o >>> 2;
        e = li32[lw]!;
      }
      addr = m[base + OLD]!;
      if (addr === 0) return 0;
      b = h & (m[base + OLD_LEN]! - 1);
      if (b < m[base + REHASH]!) return 0;
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
   * Add a key given as bytes, src[off, off+len), holding the number n, to table s; the key must be
   * absent (after findBytes() returned 0, with no change to the store since).
   */
  addNumberBytes(s: number, src: Uint8Array, off: number, len: number, n: number, now: number): void {
    const a = this.a;
    const e = a.alloc(entrySize(len, KIND_NUM, 0));
    const p = pageOf(e);
    const ko = writeHeader(a, p, byteOf(e), KIND_NUM, len, 0, accessNew(now));
    copySlice(src, off, len, a.u8[p]!, ko);
    a.dv[p]!.setFloat64(ko + len, n, true);
    this.link(s, e);
  }

  /** Drop the arena's last decoded value if it is one of this store's (its entry may change). */
  private forget(): void {
    this.a.remember(this, null, null);
  }

  /** Put new entry n in the place of e (where the last lookup found it) and free e, of class cls. */
  private swapIn(e: number, n: number, cls: number): void {
    const a = this.a;
    a.i32[pageOf(n)]![wordOf(n)] = a.i32[pageOf(e)]![wordOf(e)]!;
    this.fI32[this.fWord] = n;
    a.release(e, cls);
  }

  /** Put new entry e at the head of its bucket in table s (fHash: its key's hash, from the lookup before). */
  private link(s: number, e: number): void {
    const m = this.meta;
    const base = s * STRIDE;
    if (m[base + T] === 0) this.create(s);
    const meta = this.meta;
    const len = meta[base + LEN]!;
    const t = meta[base + T]!;
    const bi32 = this.a.i32[pageOf(t)]!;
    const w = wordOf(t) + (this.fHash & (len - 1));
    this.a.i32[pageOf(e)]![wordOf(e)] = bi32[w]!;
    bi32[w] = e;
    const count = ++meta[base + COUNT]!;
    if (meta[base + OLD] === 0 && count > len) this.resize(s, len * 2);
  }

  /** Give empty table s its first bucket array (sized by the host's hint). */
  private create(s: number, keys = this.host.tableHint): void {
    if (!this.owned) {
      this.meta = new Int32Array(this.n * STRIDE);
      this.owned = true;
    }
    let n = MIN_BUCKETS;
    while (n < keys && n < 1 << 24) n *= 2;
    const base = s * STRIDE;
    this.meta[base + T] = this.newBuckets(n);
    this.meta[base + LEN] = n;
  }

  /**
   * Size empty table s for `keys` keys at once (a load that knows how many are coming: RDB's
   * RESIZEDB), instead of doubling from 4 buckets with an incremental rehash each time.
   */
  reserve(s: number, keys: number): void {
    const base = s * STRIDE;
    if (this.meta[base + COUNT] !== 0 || keys <= this.meta[base + LEN]!) return;
    if (this.meta[base + T] !== 0) this.drop(s);
    this.create(s, keys);
  }

  /**
   * set() of a string kept inline (vlen <= INLINE_MAX) in table s, key and value given as bytes:
   * src[koff, koff+klen) and src[voff, voff+vlen), copied straight into the entry. True if the key is new.
   */
  setBytes(s: number, src: Buffer, koff: number, klen: number, voff: number, vlen: number, now: number): boolean {
    this.forget();
    const e = this.findBytes(s, src, koff, klen);
    const a = this.a;
    const cls = classOf(entrySize(klen, KIND_STR, vlen));
    if (e !== 0) {
      const p = pageOf(e);
      const o = byteOf(e);
      const access = ACCESS.lfu ? a.i32[p]![(o >>> 2) + 1]! : now;
      const oldCls = classAt(a, p, o);
      dropHandle(a, p, o);
      if (oldCls === cls) {
        writeBytes(a, e, src, koff, klen, voff, vlen, access);
        return false;
      }
      const n = a.alloc(entrySize(klen, KIND_STR, vlen));
      writeBytes(a, n, src, koff, klen, voff, vlen, access);
      this.swapIn(e, n, oldCls);
      return false;
    }
    const n = a.alloc(entrySize(klen, KIND_STR, vlen));
    writeBytes(a, n, src, koff, klen, voff, vlen, accessNew(now));
    this.link(s, n);
    return true;
  }

  has(s: number, key: string): boolean {
    return this.locate(s, key) !== 0;
  }

  /** Set a value and its access time in table s; true if the key is new. */
  set(s: number, key: string, value: Value, now: number): boolean {
    return this.put(s, key, value, now, false);
  }

  /** PackOwner: a value decoded from key's entry changed; store it again, keeping the access data. */
  repack(key: string, v: Aggregate): void {
    this.put(this.n === 1 ? 0 : this.host.slotOf(key), key, v, 0, true);
  }

  private put(s: number, key: string, value: Value, now: number, keepAccess: boolean): boolean {
    if (this.meta[s * STRIDE + OLD] !== 0) this.step(s);
    const a = this.a;
    const e = this.locate(s, key);
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
      const oldCls = classAt(a, p, o);
      dropHandle(a, p, o);
      if (oldCls === cls) {
        writeEntry(a, e, key, kind, value, vlen, packed, access);
        return false;
      }
      const n = a.alloc(entrySize(key.length, kind, vlen));
      writeEntry(a, n, key, kind, value, vlen, packed, access);
      this.swapIn(e, n, oldCls);
      return false;
    }
    const n = a.alloc(entrySize(key.length, kind, vlen));
    writeEntry(a, n, key, kind, value, vlen, packed, accessNew(now));
    this.link(s, n);
    return true;
  }

  /** Delete a key of table s; true if it was there. A table left empty gives its bucket arrays back. */
  delete(s: number, key: string): boolean {
    const base = s * STRIDE;
    if (this.meta[base + OLD] !== 0) this.step(s);
    this.forget();
    const e = this.locate(s, key);
    if (e === 0) return false;
    const a = this.a;
    this.fI32[this.fWord] = a.i32[pageOf(e)]![wordOf(e)]!;
    freeEntry(this.a, e);
    const m = this.meta;
    const count = --m[base + COUNT]!;
    const len = m[base + LEN]!;
    if (count === 0 && m[base + ITER] === 0) this.drop(s);
    else if (m[base + OLD] === 0 && len > MIN_BUCKETS && count < len >>> 3) this.resize(s, Math.max(MIN_BUCKETS, pow2(count * 2)));
    return true;
  }

  /** Free table s's bucket arrays (it holds no entry). */
  private drop(s: number): void {
    const m = this.meta;
    const base = s * STRIDE;
    this.freeBuckets(m[base + OLD]!, m[base + OLD_LEN]!);
    this.freeBuckets(m[base + T]!, m[base + LEN]!);
    m.fill(0, base, base + STRIDE);
  }

  /** Free every entry of every table (FLUSHDB / FLUSHALL). */
  clear(): void {
    this.forget();
    const m = this.meta;
    if (!this.owned) return;
    for (let s = 0; s < this.n; s++) {
      if (m[s * STRIDE + T] === 0) continue;
      this.walk(s, (e) => freeEntry(this.a, e));
      this.drop(s);
    }
    this.meta = this.empty();
    this.fI32 = new Int32Array(1);
  }

  /** Record an access (no-op for an absent key). */
  touch(s: number, key: string, now: number): void {
    const e = this.locate(s, key);
    if (e !== 0) this.touchAt(e, now);
  }

  /** Set the last access time (seconds, clamped at 0). */
  setAccessTime(s: number, key: string, seconds: number): void {
    this.setAccessData(s, key, Math.max(0, seconds));
  }

  /** Set the raw access word (LFU data under an LFU policy). */
  setAccessData(s: number, key: string, data: number): void {
    const e = this.locate(s, key);
    if (e !== 0) this.a.i32[pageOf(e)]![wordOf(e) + 1] = data;
  }

  /** Last access time in seconds (LFU data under an LFU policy), or -1 for an absent key. */
  accessTime(s: number, key: string): number {
    const e = this.locate(s, key);
    return e === 0 ? -1 : this.a.i32[pageOf(e)]![wordOf(e) + 1]!;
  }

  /**
   * Visit every entry address of table s (its resize steps pause meanwhile: Redis's safe iterator).
   * The caller may free the entry it is given, nothing else.
   */
  private walk(s: number, fn: (e: number) => void): void {
    const m = this.meta;
    const base = s * STRIDE;
    if (m[base + T] === 0) return;
    const i32 = this.a.i32;
    m[base + ITER]!++;
    try {
      for (let pass = 0; pass < 2; pass++) {
        const addr = m[base + (pass === 0 ? OLD : T)]!;
        if (addr === 0) continue;
        const bt = i32[pageOf(addr)]!;
        const w0 = wordOf(addr);
        const len = m[base + (pass === 0 ? OLD_LEN : LEN)]!;
        for (let b = pass === 0 ? m[base + REHASH]! : 0; b < len; b++) {
          for (let e = bt[w0 + b]!; e !== 0; ) {
            const next = i32[pageOf(e)]![wordOf(e)]!; // read first: fn may free e (clear())
            fn(e);
            e = next;
          }
        }
      }
    } finally {
      m[base + ITER]!--;
    }
  }

  /** The keys of table s (collected first: a slot's table is small, and may then change while they are used). */
  *keys(s: number): IterableIterator<string> {
    const out: string[] = [];
    this.walk(s, (e) => out.push(keyOf(this.a, e)));
    yield* out;
  }

  /** Visit every entry of table s (no per-entry allocation beyond the key and value strings). */
  forEach(s: number, fn: (value: Value, key: string) => void): void {
    this.walk(s, (e) => {
      const k = keyOf(this.a, e);
      fn(valueOf(this.a, this, e, k), k);
    });
  }

  /** The entries of table s (collected first). */
  *entries(s: number): IterableIterator<[string, Value]> {
    const out: [string, Value][] = [];
    this.forEach(s, (v, k) => out.push([k, v]));
    yield* out;
  }

  /**
   * Visit every entry of table s without making strings of inline ones (a snapshot serialises from
   * here): `fn` gets the page's bytes with the key's offset and length, and either the inline string
   * value's offset and length (`value` undefined) or the value itself (a number or a JS value).
   */
  forEachBytes(s: number, fn: (u8: Buffer, ko: number, klen: number, vo: number, vlen: number, value: Value | undefined) => void): void {
    const a = this.a;
    this.walk(s, (e) => {
      const p = pageOf(e);
      const o = byteOf(e);
      const u8 = a.u8[p]! as Latin1Buffer;
      const ko = keyOffset(u8, o);
      const klen = keyLength(a, p, o);
      if (u8[o + 8]! >>> 6 === KIND_STR) fn(u8, ko, klen, ko + klen, valueLength(a, p, o), undefined);
      else fn(u8, ko, klen, 0, 0, valueOf(this.a, this, e, u8.latin1Slice(ko, ko + klen)));
    });
  }

  /** True while table s is being resized. */
  resizing(s: number): boolean {
    return this.meta[s * STRIDE + OLD] !== 0;
  }

  /** Number of buckets of table s (0: no table). */
  buckets(s: number): number {
    return this.meta[s * STRIDE + LEN]!;
  }

  /**
   * Finish table s's resize in progress at once (Redis's active rehashing, in idle time: a slot that
   * sees no more operations would keep both bucket arrays): true if there was one. Not during an
   * iteration of it.
   */
  finishResize(s: number): boolean {
    const m = this.meta;
    const base = s * STRIDE;
    if (m[base + OLD] === 0 || m[base + ITER] !== 0) return false;
    while (m[base + OLD] !== 0) this.step(s);
    return true;
  }

  /** finishResize() of every table. */
  finishResizes(): void {
    const m = this.meta;
    if (!this.owned) return;
    for (let s = 0; s < this.n; s++) if (m[s * STRIDE + OLD] !== 0) this.finishResize(s);
  }

  /** A new bucket array of n buckets in the arena, cleared; its address. */
  private newBuckets(n: number): number {
    const a = this.a;
    const addr = a.allocRaw(n * 4);
    const w = wordOf(addr);
    a.i32[pageOf(addr)]!.fill(0, w, w + n);
    return addr;
  }

  private resize(s: number, buckets: number): void {
    const m = this.meta;
    const base = s * STRIDE;
    m[base + OLD] = m[base + T]!;
    m[base + OLD_LEN] = m[base + LEN]!;
    m[base + T] = this.newBuckets(buckets);
    m[base + LEN] = buckets;
    m[base + REHASH] = 0;
  }

  private freeBuckets(addr: number, n: number): void {
    if (addr !== 0) this.a.releaseRaw(addr, classOf(n * 4));
  }

  /** Move one or two buckets of table s's old array to the new one (skipping up to 10 empty ones). */
  private step(s: number): void {
    const m = this.meta;
    const base = s * STRIDE;
    if (m[base + ITER] !== 0) return;
    const a = this.a;
    const oldAddr = m[base + OLD]!;
    const oldLen = m[base + OLD_LEN]!;
    const ot = a.i32[pageOf(oldAddr)]!;
    const ow = wordOf(oldAddr);
    const t = m[base + T]!;
    const nt = a.i32[pageOf(t)]!;
    const nw = wordOf(t);
    const mask = m[base + LEN]! - 1;
    let idx = m[base + REHASH]!;
    let moved = 0;
    for (let visits = 0; visits < 12 && moved < 2 && idx < oldLen; visits++) {
      let e = ot[ow + idx]!;
      ot[ow + idx++] = 0;
      if (e === 0) continue;
      moved++;
      while (e !== 0) {
        const p = pageOf(e);
        const i32 = a.i32[p]!;
        const o = byteOf(e);
        const w = o >>> 2;
        const next = i32[w]!;
        const u8 = a.u8[p]!;
        const b = nw + (hashBytes(u8, keyOffset(u8, o), keyLength(a, p, o)) & mask);
        i32[w] = nt[b]!;
        nt[b] = e;
        e = next;
      }
    }
    m[base + REHASH] = idx;
    if (idx >= oldLen) {
      this.freeBuckets(oldAddr, oldLen);
      m[base + OLD] = 0;
      m[base + OLD_LEN] = 0;
      m[base + REHASH] = 0;
    }
  }
}
