/*
 * ByteTable: one table of keys stored as bytes in an Arena, with the same API as the heap SlotTable
 * (src/shard/slot-table.ts): a ByteSlots (byte-slots.ts, where the index, the entries and resizing
 * are described) of a single table. A keyspace keeps one ByteSlots of 16,384 tables per database
 * instead; this form is for code and tests that want a single table.
 */

import type { Aggregate, Value } from '../shard/values/types.js';
import type { Arena } from './arena.js';
import { ByteSlots, type SlotHost } from './byte-slots.js';

export { KIND_NUM, KIND_OBJ, KIND_STR } from './entry.js';
export { INLINE_MAX, entryBytes, isInline } from './entry-value.js';
export { ByteSlots, type SlotHost } from './byte-slots.js';

const SINGLE: SlotHost = { slotOf: () => 0, tableHint: 0 };

export class ByteTable {
  private readonly s: ByteSlots;

  constructor(a: Arena) {
    this.s = new ByteSlots(a, 1, SINGLE);
  }

  get size(): number {
    return this.s.size(0);
  }

  get(key: string): Value | undefined {
    return this.s.get(0, key);
  }

  getTouch(key: string, now: number): Value | undefined {
    return this.s.getTouch(0, key, now);
  }

  findBytes(src: Uint8Array, off: number, len: number): number {
    return this.s.findBytes(0, src, off, len);
  }

  touchAt(e: number, now: number): void {
    this.s.touchAt(e, now);
  }

  kindAt(e: number): number {
    return this.s.kindAt(e);
  }

  bytesAt(e: number): Buffer {
    return this.s.bytesAt(e);
  }

  valueOffset(e: number): number {
    return this.s.valueOffset(e);
  }

  valueLength(e: number): number {
    return this.s.valueLength(e);
  }

  numberAt(e: number): number {
    return this.s.numberAt(e);
  }

  setNumberAt(e: number, n: number): void {
    this.s.setNumberAt(e, n);
  }

  addNumberBytes(src: Uint8Array, off: number, len: number, n: number, now: number): void {
    this.s.addNumberBytes(0, src, off, len, n, now);
  }

  setBytes(src: Buffer, koff: number, klen: number, voff: number, vlen: number, now: number): boolean {
    return this.s.setBytes(0, src, koff, klen, voff, vlen, now);
  }

  has(key: string): boolean {
    return this.s.has(0, key);
  }

  set(key: string, value: Value, now: number): boolean {
    return this.s.set(0, key, value, now);
  }

  repack(key: string, v: Aggregate): void {
    this.s.repack(key, v);
  }

  delete(key: string): boolean {
    return this.s.delete(0, key);
  }

  clear(): void {
    this.s.clear();
  }

  touch(key: string, now: number): void {
    this.s.touch(0, key, now);
  }

  setAccessTime(key: string, seconds: number): void {
    this.s.setAccessTime(0, key, seconds);
  }

  setAccessData(key: string, data: number): void {
    this.s.setAccessData(0, key, data);
  }

  accessTime(key: string): number {
    return this.s.accessTime(0, key);
  }

  keys(): IterableIterator<string> {
    return this.s.keys(0);
  }

  forEach(fn: (value: Value, key: string) => void): void {
    this.s.forEach(0, fn);
  }

  forEachBytes(fn: (u8: Buffer, ko: number, klen: number, vo: number, vlen: number, value: Value | undefined) => void): void {
    this.s.forEachBytes(0, fn);
  }

  [Symbol.iterator](): IterableIterator<[string, Value]> {
    return this.s.entries(0);
  }

  /** True while a resize is in progress (tests). */
  get resizing(): boolean {
    return this.s.resizing(0);
  }

  /** Number of buckets (tests; 0 for a table that holds no key). */
  get buckets(): number {
    return this.s.buckets(0);
  }

  /** Size the empty table for `keys` keys at once (ByteSlots.reserve). */
  reserve(keys: number): void {
    this.s.reserve(0, keys);
  }

  finishResize(): boolean {
    return this.s.finishResize(0);
  }
}
