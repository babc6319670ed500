/*
 * Arena: memory for keyspace entries outside the V8 heap, in 1 MB pages of ArrayBuffers (V8's heap
 * limit does not count them, and the garbage collector never walks their contents).
 *
 * Shared pages are cut from chunks of CHUNK_PAGES pages, 33 MB: past glibc's largest mmap threshold
 * (32 MB), so every chunk is a mapping of its own and its pages stay out of the thread's malloc arena.
 * A 1 MB page allocated alone lands in that arena once any mmapped block of 1 MB or more was freed
 * (glibc then raises its threshold), between the shorter-lived blocks of V8's compiler and of
 * requests, whose holes stayed resident: about 5 MB at 1M keys (MALLOC_MMAP_THRESHOLD_=131072, which
 * keeps pages mapped alone, measured 149-150 against 155 MB). A chunk's pages not handed out yet are
 * untouched, so not resident (calloc of a fresh mapping writes nothing); `arenaSlack` counts them so
 * that used_memory and maxmemory leave them out of the external memory V8 reports.
 *
 * An entry is addressed by a 31-bit integer: page << 17 | (offset / 8). Allocation is by size class
 * (8-byte steps up to 512 bytes, then steps of about 12.5% up to a quarter page), each class with a
 * free list threaded through the freed entries' first word, so space freed by deletes is reused by
 * later inserts of similar size. A class with an empty list splits the smallest larger free block
 * before it takes fresh space (the rest goes to the lists of the classes it holds): the bucket arrays
 * tables grow out of (16 to 128 bytes each, of every slot: ~4 MB at 1M keys) are otherwise of no
 * class entries use, and would stay unused. Entries larger than a quarter page get a page of their own, dropped
 * (returned to the system) when they are freed. The tail of a page too short for the next entry goes
 * to the free list of the largest class it holds.
 *
 * Tables keep their bucket arrays here too once they outgrow 16 buckets (allocRaw: not counted as
 * entries), as Int32Array views of the page: no ArrayBuffer and no malloc'd backing store per table.
 *
 * JS values that stay on the heap (aggregates, long strings) are referenced from entries by a handle:
 * an index into `objs`, with a free list of indexes.
 */

import type { Aggregate, PackOwner } from '../shard/values/types.js';

export const PAGE_BITS = 20;
export const PAGE = 1 << PAGE_BITS;
/** Largest entry allocated from shared pages (bytes); larger ones get a page of their own. */
export const MAX_SMALL = PAGE >>> 2;
/** Size class of entries with a page of their own. */
export const HUGE = 255;
const OFF_BITS = PAGE_BITS - 3;
const OFF_MASK = (1 << OFF_BITS) - 1;
const MAX_PAGES = 1 << (31 - OFF_BITS);

/** Size of each class, in bytes. */
export const CLASS_SIZE: number[] = [];
for (let s = 16; s <= 512; s += 8) CLASS_SIZE.push(s);
for (let s = 512; s < MAX_SMALL; ) {
  s = Math.min(MAX_SMALL, (Math.ceil((s * 1.125) / 8) * 8) | 0);
  CLASS_SIZE.push(s);
}

/** The smallest class holding n bytes (HUGE past MAX_SMALL). */
export function classOf(n: number): number {
  if (n <= 512) return n <= 16 ? 0 : ((n + 7) >>> 3) - 2;
  if (n > MAX_SMALL) return HUGE;
  let lo = 63;
  let hi = CLASS_SIZE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (CLASS_SIZE[mid]! >= n) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Shared pages per chunk (33 MB: past glibc's 32 MB largest mmap threshold). */
export const CHUNK_PAGES = 33;

/** Bytes of this thread's arena chunks not handed out as pages (not resident; not in used_memory). */
export const arenaSlack = { bytes: 0 };

export class Arena {
  /** Per page: byte view (a Buffer, for latin1 reads and writes), word view, DataView; null once dropped. */
  u8: (Buffer | null)[] = [];
  i32: (Int32Array | null)[] = [];
  dv: (DataView | null)[] = [];
  /** Free-list head per class (0: empty). */
  private free = new Int32Array(CLASS_SIZE.length);
  /** One bit per class whose free list is not empty. */
  private nonEmpty = new Int32Array((CLASS_SIZE.length + 31) >>> 5);
  private freePages: number[] = [];
  /** Bump pointer: page and byte offset of the next fresh allocation. */
  private page = -1;
  private off = PAGE;
  /** Live entries and the bytes their classes take. */
  live = 0;
  usedBytes = 0;
  /** The part of usedBytes that entries take (the rest: tables' bucket arrays). */
  entryBytes = 0;
  /** Bytes of pages held (shared and own pages). */
  pageBytes = 0;
  /** The chunk shared pages are cut from, and how many of its pages are handed out. */
  private chunk: ArrayBuffer | null = null;
  private chunkUsed = CHUNK_PAGES;

  /** JS values referenced from entries. */
  objs: unknown[] = [];
  private freeObjs: number[] = [];

  /**
   * The value last decoded from a packed entry (or last stored as one), with its table and key: one
   * per arena, so a command that looks a key up several times decodes it once and no more than one
   * decoded value stays on the heap.
   */
  private cTable: unknown = null;
  private cKey: string | null = null;
  private cVal: Aggregate | null = null;

  /** Remember v as key's decoded value in table (key null: forget table's, if it is the one kept). */
  remember(table: unknown, key: string | null, v: Aggregate | null): void {
    if (key === null && this.cTable !== table) return;
    this.cTable = key === null ? null : table;
    this.cKey = key;
    this.cVal = v;
  }

  /** The decoded value remembered for key in table, if it still belongs to that entry. */
  recalled(table: PackOwner, key: string): Aggregate | null {
    const c = this.cVal;
    return c !== null && this.cTable === table && this.cKey === key && c.owner === table && c.ownerKey === key ? c : null;
  }

  /** Allocate n bytes for an entry; returns the address. The contents are not cleared. */
  alloc(n: number): number {
    this.live++;
    const before = this.usedBytes;
    const a = this.allocRaw(n);
    this.entryBytes += this.usedBytes - before;
    return a;
  }

  /** Allocate n bytes that are not an entry (not counted in `live`: a table's bucket array). */
  allocRaw(n: number): number {
    const cls = classOf(n);
    if (cls === HUGE) {
      const size = (n + 7) & ~7;
      this.usedBytes += size;
      return this.newPage(size) << OFF_BITS;
    }
    const size = CLASS_SIZE[cls]!;
    this.usedBytes += size;
    if (this.free[cls] !== 0) return this.pop(cls);
    // a larger free block, split (a rest under 16 bytes, one 8-byte step, is lost)
    const big = this.largerFree(cls + 1);
    if (big >= 0) {
      const a = this.pop(big);
      this.giveBack(a + (size >>> 3), CLASS_SIZE[big]! - size);
      return a;
    }
    if (this.off + size > PAGE) {
      this.retireTail();
      this.page = this.newPage(PAGE);
      // address 0 means "none": page 0 starts at offset 8
      this.off = this.page === 0 ? 8 : 0;
    }
    const a = (this.page << OFF_BITS) | (this.off >>> 3);
    this.off += size;
    return a;
  }

  /** Free an entry of class cls (as classOf(its allocation size)). */
  release(a: number, cls: number): void {
    this.live--;
    const before = this.usedBytes;
    this.releaseRaw(a, cls);
    this.entryBytes -= before - this.usedBytes;
  }

  /** Free what allocRaw() gave, of class cls. */
  releaseRaw(a: number, cls: number): void {
    const p = a >>> OFF_BITS;
    if (cls === HUGE) {
      const size = this.u8[p]!.length;
      this.usedBytes -= size;
      this.pageBytes -= size;
      this.u8[p] = null;
      this.i32[p] = null;
      this.dv[p] = null;
      this.freePages.push(p);
      return;
    }
    this.usedBytes -= CLASS_SIZE[cls]!;
    this.push(cls, a);
  }

  /** Put block a on class cls's free list. */
  private push(cls: number, a: number): void {
    this.i32[a >>> OFF_BITS]![(a & OFF_MASK) << 1] = this.free[cls]!;
    this.free[cls] = a;
    this.nonEmpty[cls >>> 5]! |= 1 << (cls & 31);
  }

  /** Take the first block of class cls's free list (not empty). */
  private pop(cls: number): number {
    const head = this.free[cls]!;
    const next = this.i32[head >>> OFF_BITS]![(head & OFF_MASK) << 1]!;
    this.free[cls] = next;
    if (next === 0) this.nonEmpty[cls >>> 5]! &= ~(1 << (cls & 31));
    return head;
  }

  /** The smallest class from `from` up with a free block, or -1. */
  private largerFree(from: number): number {
    const words = this.nonEmpty;
    for (let w = from >>> 5; w < words.length; w++) {
      let bits = words[w]!;
      if (w === from >>> 5) bits &= -1 << (from & 31);
      if (bits !== 0) return (w << 5) + 31 - Math.clz32(bits & -bits);
    }
    return -1;
  }

  /** Give the free range of `bytes` at address a (within one page) to the lists of the largest classes it holds. */
  private giveBack(a: number, bytes: number): void {
    while (bytes >= 16) {
      let cls = classOf(bytes);
      if (CLASS_SIZE[cls]! > bytes) cls--;
      this.push(cls, a);
      a += CLASS_SIZE[cls]! >>> 3;
      bytes -= CLASS_SIZE[cls]!;
    }
  }

  /** Drop every page (only when no entry is live: after FLUSHALL). */
  reset(): void {
    if (this.live !== 0) throw new Error('arena reset with live entries');
    this.u8 = [];
    this.i32 = [];
    this.dv = [];
    this.free.fill(0);
    this.nonEmpty.fill(0);
    this.freePages = [];
    this.page = -1;
    this.off = PAGE;
    this.usedBytes = 0;
    this.entryBytes = 0;
    this.pageBytes = 0;
    if (this.chunk !== null) arenaSlack.bytes -= (CHUNK_PAGES - this.chunkUsed) * PAGE;
    this.chunk = null;
    this.chunkUsed = CHUNK_PAGES;
    this.objs = [];
    this.freeObjs = [];
    this.cTable = null;
    this.cKey = null;
    this.cVal = null;
  }

  /** Store a JS value; returns its handle. */
  hold(v: unknown): number {
    if (this.freeObjs.length > 0) {
      const h = this.freeObjs.pop()!;
      this.objs[h] = v;
      return h;
    }
    this.objs.push(v);
    return this.objs.length - 1;
  }

  drop(h: number): void {
    this.objs[h] = undefined;
    this.freeObjs.push(h);
  }

  private newPage(size: number): number {
    const p = this.freePages.length > 0 ? this.freePages.pop()! : this.u8.length;
    if (p >= MAX_PAGES) throw new Error('keyspace arena full');
    let ab: ArrayBuffer;
    let off = 0;
    if (size === PAGE) {
      // a shared page: the next one of the chunk (a new chunk when it is used up)
      if (this.chunkUsed === CHUNK_PAGES) {
        this.chunk = new ArrayBuffer(CHUNK_PAGES * PAGE);
        this.chunkUsed = 0;
        arenaSlack.bytes += CHUNK_PAGES * PAGE;
      }
      ab = this.chunk!;
      off = this.chunkUsed++ * PAGE;
      arenaSlack.bytes -= PAGE;
    } else ab = new ArrayBuffer(size);
    this.u8[p] = Buffer.from(ab, off, size);
    this.i32[p] = new Int32Array(ab, off, size >>> 2);
    this.dv[p] = new DataView(ab, off, size);
    this.pageBytes += size;
    return p;
  }

  /** Give the unused tail of the bump page to the free list of the largest class it holds. */
  private retireTail(): void {
    if (this.page < 0) return;
    this.giveBack((this.page << OFF_BITS) | (this.off >>> 3), PAGE - this.off);
    this.off = PAGE;
  }
}

/** Page of an address. */
export function pageOf(a: number): number {
  return a >>> OFF_BITS;
}

/** Byte offset of an address within its page. */
export function byteOf(a: number): number {
  return (a & OFF_MASK) << 3;
}

/** Word (Int32) index of an address within its page. */
export function wordOf(a: number): number {
  return (a & OFF_MASK) << 1;
}
