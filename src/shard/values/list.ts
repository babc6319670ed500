/*
 * ListValue: a double-ended queue of binary strings. OBJECT ENCODING says "quicklist" whatever its
 * size, as redis-server 7.0 does; inside it is one of two forms:
 *
 * Packed, while the list would fit one quicklist node (list-max-listpack-size: a byte limit when
 * negative, -2 = 8 kB; a count when positive): [tag][count] then each element (its length, its
 * bytes), which a byte store keeps inline in the key's entry (store/packed.ts). Pushes and pops
 * build the new bytes from the old (as a listpack moves its bytes), reads scan them. Past the limit
 * the list becomes the array below, one way.
 *
 * A growable circular array: O(1) push/pop at both ends and O(1) index (LINDEX, LSET, LRANGE
 * start), O(n) insert/remove in the middle (as a quicklist is).
 *
 *   items: [ . . . e0 e1 e2 . . . ]     head = index of e0, length = count
 *                  ^head                physical index of element i = (head + i) & (capacity - 1)
 */

import { Aggregate } from './types.js';
import { limits } from './limits.js';
import type { RespWriter } from '../../resp/writer.js';
import { PackWriter, TAG_LIST, elementSize, elementString, packedCount, readVar, registerPacked, varSize } from '../../store/packed.js';

/** True if a packed list of `bytes` bytes and `count` elements fits one quicklist node. */
function fitsNode(bytes: number, count: number): boolean {
  const fill = limits.listMaxListpackSize;
  if (fill >= 0) return count <= Math.max(1, fill) && bytes <= 8192;
  return bytes <= 4096 << Math.min(4, -fill - 1);
}

/** Bytes an element of length n takes packed. */
function packedSize(n: number): number {
  return varSize(n) + n;
}

export class ListValue extends Aggregate {
  readonly type = 'list' as const;
  override readonly blockable = true;
  /** Packed: the elements' bytes; null as an array. */
  private lp: Uint8Array | null = EMPTY;
  private items: (string | undefined)[] = [];
  private head = 0;
  /** Number of elements (in either form). */
  private count = 0;
  private mask = 0;
  /** offsetOf()'s last answer: element memoI of memoLp is at memoP. */
  private memoLp: Uint8Array | null = null;
  private memoI = 0;
  private memoP = 0;

  static from(elements: readonly string[]): ListValue {
    const l = new ListValue();
    let bytes = 2;
    for (const e of elements) bytes += packedSize(e.length);
    if (fitsNode(bytes, elements.length)) l.lp = pack(elements);
    else l.becomeArray(elements);
    l.count = elements.length;
    return l;
  }

  /** A packed list on its bytes (as packed() gave them). */
  static fromPacked(bytes: Uint8Array): ListValue {
    const l = new ListValue();
    l.lp = bytes;
    l.count = packedCount(bytes);
    return l;
  }

  get size(): number {
    return this.count;
  }

  override packed(): Uint8Array | null {
    return this.lp;
  }

  /** Offset of the first element in lp. */
  private start(): number {
    return 1 + varSize(this.count);
  }

  /**
   * Offset in lp of element i: a scan from the start, or from the element found last when i is at or
   * past it (LRANGE, LINDEX loops and LPOS walk forwards: linear, not quadratic).
   */
  private offsetOf(i: number): number {
    const lp = this.lp!;
    let k = 0;
    let p = this.start();
    if (lp === this.memoLp && i >= this.memoI) {
      k = this.memoI;
      p = this.memoP;
    }
    for (; k < i; k++) p += elementSize(lp, p);
    this.memoLp = lp;
    this.memoI = i;
    this.memoP = p;
    return p;
  }

  /** A push on the packed form: v before (left) or after the elements. */
  private packPush(v: string, left: boolean): void {
    const lp = this.lp!;
    if (!fitsNode(lp.length + packedSize(v.length) + 1, this.count + 1)) {
      this.becomeArray(this.range(0, this.count - 1));
      if (left) this.pushLeft(v);
      else this.pushRight(v);
      this.changed();
      return;
    }
    const w = new PackWriter(lp.length + v.length + 8);
    w.byte(TAG_LIST);
    w.varint(this.count + 1);
    if (left) w.element(v);
    w.copy(lp, this.start(), lp.length);
    if (!left) w.element(v);
    this.lp = w.done();
    this.count++;
    this.changed();
  }

  /** Remove the packed element at offset p of lp (whose index is i). */
  private packRemove(p: number): string {
    const lp = this.lp!;
    const v = elementString(lp, p);
    const w = new PackWriter(lp.length);
    w.byte(TAG_LIST);
    w.varint(this.count - 1);
    w.copy(lp, this.start(), p);
    w.copy(lp, p + elementSize(lp, p), lp.length);
    this.lp = w.done();
    this.count--;
    this.changed();
    return v;
  }

  /** Become the array form holding `elements`. */
  private becomeArray(elements: readonly string[]): void {
    this.lp = null;
    this.items = new Array<string | undefined>(8);
    this.mask = 7;
    this.head = 0;
    this.count = 0;
    for (const e of elements) this.pushRight(e);
  }

  encoding(): string {
    return 'quicklist';
  }

  private grow(): void {
    const old = this.items;
    const cap = old.length * 2;
    const next = new Array<string | undefined>(cap);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = cap - 1;
  }

  private shrinkIfSparse(): void {
    const cap = this.items.length;
    if (cap > 64 && this.count < cap / 4) {
      const next = new Array<string | undefined>(cap / 2);
      for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) & this.mask];
      this.items = next;
      this.head = 0;
      this.mask = cap / 2 - 1;
    }
  }

  pushLeft(v: string): void {
    if (this.lp !== null) return this.packPush(v, true);
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = v;
    this.count++;
  }

  pushRight(v: string): void {
    if (this.lp !== null) return this.packPush(v, false);
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & this.mask] = v;
    this.count++;
  }

  popLeft(): string | undefined {
    if (this.count === 0) return undefined;
    if (this.lp !== null) return this.packRemove(this.start());
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.shrinkIfSparse();
    return v;
  }

  popRight(): string | undefined {
    if (this.count === 0) return undefined;
    if (this.lp !== null) return this.packRemove(this.offsetOf(this.count - 1));
    const i = (this.head + this.count - 1) & this.mask;
    const v = this.items[i];
    this.items[i] = undefined;
    this.count--;
    this.shrinkIfSparse();
    return v;
  }

  /** Element at index i (0-based from the left, 0 <= i < size). */
  at(i: number): string {
    if (this.lp !== null) return elementString(this.lp, this.offsetOf(i));
    return this.items[(this.head + i) & this.mask]!;
  }

  setAt(i: number, v: string): void {
    if (this.lp !== null) {
      const all = this.toArray();
      all[i] = v;
      return this.reset(all);
    }
    this.items[(this.head + i) & this.mask] = v;
  }

  /**
   * LRANGE's elements [start, end] (clamped by the caller) as bulk strings: packed, written from the
   * bytes with no JS string made; as an array, straight from the items (no at() per element).
   */
  writeRange(w: RespWriter, start: number, end: number): void {
    const lp = this.lp;
    if (lp === null) {
      const items = this.items;
      const mask = this.mask;
      for (let i = this.head + start, last = this.head + end; i <= last; i++) w.bulk(items[i & mask]!);
      return;
    }
    let p = this.offsetOf(start);
    for (let i = start; i <= end; i++) {
      const n = readVar(lp, p);
      const at = p + varSize(n);
      w.bulkSlice(lp, at, n);
      p = at + n;
    }
  }

  /** Elements [start, end] inclusive, already clamped by the caller. */
  range(start: number, end: number): string[] {
    const out: string[] = [];
    const lp = this.lp;
    if (lp !== null) {
      let p = this.offsetOf(start);
      for (let i = start; i <= end; i++) {
        out.push(elementString(lp, p));
        p += elementSize(lp, p);
      }
      return out;
    }
    for (let i = start; i <= end; i++) out.push(this.items[(this.head + i) & this.mask]!);
    return out;
  }

  /** Insert v before index i (0 <= i <= size). */
  insertAt(i: number, v: string): void {
    if (i === 0) return this.pushLeft(v);
    if (i === this.count) return this.pushRight(v);
    const all = this.range(0, this.count - 1);
    all.splice(i, 0, v);
    this.reset(all);
  }

  /** Remove the element at index i. */
  removeAt(i: number): void {
    if (i === 0) {
      this.popLeft();
      return;
    }
    if (i === this.count - 1) {
      this.popRight();
      return;
    }
    const all = this.range(0, this.count - 1);
    all.splice(i, 1);
    this.reset(all);
  }

  /** Replace the whole content (a packed list stays packed when it still fits a node). */
  reset(elements: readonly string[]): void {
    if (this.lp !== null) {
      let bytes = 2;
      for (const e of elements) bytes += packedSize(e.length);
      if (fitsNode(bytes, elements.length)) {
        this.lp = pack(elements);
        this.count = elements.length;
      } else this.becomeArray(elements);
      this.changed();
      return;
    }
    let c = 8;
    while (c < elements.length) c *= 2;
    this.items = new Array<string | undefined>(c);
    this.mask = c - 1;
    this.head = 0;
    this.count = 0;
    for (const e of elements) this.pushRight(e);
  }

  /** Keep only [start, end] inclusive (clamped by the caller; start > end empties the list). */
  trim(start: number, end: number): void {
    if (start > end || start >= this.count) {
      this.reset([]);
      return;
    }
    this.reset(this.range(start, end));
  }

  toArray(): string[] {
    return this.count === 0 ? [] : this.range(0, this.count - 1);
  }
}

const EMPTY = Uint8Array.of(TAG_LIST, 0);

/** The packed form of a list of these elements. */
function pack(elements: readonly string[]): Uint8Array {
  const w = new PackWriter(16 + elements.length * 8);
  w.byte(TAG_LIST);
  w.varint(elements.length);
  for (const e of elements) w.element(e);
  return w.done();
}

registerPacked(TAG_LIST, ListValue.fromPacked);
