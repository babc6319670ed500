/*
 * ListValue: a double-ended queue of binary strings on a growable circular array: O(1) push/pop at
 * both ends and O(1) index (LINDEX, LSET, LRANGE start), O(n) insert/remove in the middle (as a
 * quicklist is).
 *
 *   items: [ . . . e0 e1 e2 . . . ]     head = index of e0, length = count
 *                  ^head                physical index of element i = (head + i) & (capacity - 1)
 */

import { Aggregate } from './types.js';

export class ListValue extends Aggregate {
  readonly type = 'list' as const;
  override readonly blockable = true;
  private items: (string | undefined)[];
  private head = 0;
  private count = 0;
  private mask: number;

  constructor(capacity = 8) {
    super();
    let c = 8;
    while (c < capacity) c *= 2;
    this.items = new Array<string | undefined>(c);
    this.mask = c - 1;
  }

  static from(elements: readonly string[]): ListValue {
    const l = new ListValue(elements.length);
    for (const e of elements) l.pushRight(e);
    return l;
  }

  get size(): number {
    return this.count;
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
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = v;
    this.count++;
  }

  pushRight(v: string): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & this.mask] = v;
    this.count++;
  }

  popLeft(): string | undefined {
    if (this.count === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.shrinkIfSparse();
    return v;
  }

  popRight(): string | undefined {
    if (this.count === 0) return undefined;
    const i = (this.head + this.count - 1) & this.mask;
    const v = this.items[i];
    this.items[i] = undefined;
    this.count--;
    this.shrinkIfSparse();
    return v;
  }

  /** Element at index i (0-based from the left, 0 <= i < size). */
  at(i: number): string {
    return this.items[(this.head + i) & this.mask]!;
  }

  setAt(i: number, v: string): void {
    this.items[(this.head + i) & this.mask] = v;
  }

  /** Elements [start, end] inclusive, already clamped by the caller. */
  range(start: number, end: number): string[] {
    const out: string[] = [];
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

  /** Replace the whole content. */
  reset(elements: readonly string[]): void {
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
