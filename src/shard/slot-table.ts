/*
 * SlotTable: the keys of one hash slot of one database, with their values and last-access times.
 *
 * A Map from key to a row, and the rows in one array: the value and, next to it, the last access time
 * (whole seconds, Redis's LRU clock resolution), so a lookup that touches the key stays on one cache
 * line. A second Map<string, number> for access times measured 78 bytes a key more resident memory
 * with 1M keys (`npm run bench:memory`); this layout measured about 30. Rows freed by deletes are
 * reused. Iteration follows the Map: insertion order, which SCAN relies on. Under an LFU maxmemory
 * policy the access slot holds LFU data instead of a time (access.ts).
 *
 * This is the heap store (`keyspace-store heap`); the default keeps keys as bytes outside the V8 heap
 * (src/store/byte-table.ts, the same API).
 */

import type { Value } from './values/types.js';
import { ACCESS, accessNew, accessTouch } from './access.js';
import type { ByteSlots, ByteTable } from '../store/byte-table.js';
import { SLOTS } from '../router/slot.js';

/** A single table in either store. */
export type SlotTable = HeapSlotTable | ByteTable;

/** A database's keys, one table per hash slot, in either store (every method takes the slot). */
export type SlotStore = HeapSlots | ByteSlots;

/**
 * The heap store's tables of a database: a HeapSlotTable per slot that holds keys (made on a slot's
 * first key, dropped when it empties), with ByteSlots's slot-indexed API.
 */
export class HeapSlots {
  /** Per slot: its table; an empty array until the first key. */
  private t: (HeapSlotTable | undefined)[] = [];

  /** False until a first key (and after clear()): no per-slot array. */
  get ownsTables(): boolean {
    return this.t.length > 0;
  }

  size(s: number): number {
    return this.t[s]?.size ?? 0;
  }

  get(s: number, key: string): Value | undefined {
    return this.t[s]?.get(key);
  }

  getTouch(s: number, key: string, now: number): Value | undefined {
    return this.t[s]?.getTouch(key, now);
  }

  has(s: number, key: string): boolean {
    return this.t[s]?.has(key) ?? false;
  }

  set(s: number, key: string, value: Value, now: number): boolean {
    if (this.t.length === 0) this.t = new Array<HeapSlotTable | undefined>(SLOTS);
    return (this.t[s] ??= new HeapSlotTable()).set(key, value, now);
  }

  delete(s: number, key: string): boolean {
    const m = this.t[s];
    if (m === undefined || !m.delete(key)) return false;
    if (m.size === 0) this.t[s] = undefined;
    return true;
  }

  clear(): void {
    this.t = [];
  }

  touch(s: number, key: string, now: number): void {
    this.t[s]?.touch(key, now);
  }

  setAccessTime(s: number, key: string, seconds: number): void {
    this.t[s]?.setAccessTime(key, seconds);
  }

  setAccessData(s: number, key: string, data: number): void {
    this.t[s]?.setAccessData(key, data);
  }

  accessTime(s: number, key: string): number {
    return this.t[s]?.accessTime(key) ?? -1;
  }

  keys(s: number): IterableIterator<string> {
    return (this.t[s] ?? NONE).keys();
  }

  forEach(s: number, fn: (value: Value, key: string) => void): void {
    this.t[s]?.forEach(fn);
  }

  entries(s: number): IterableIterator<[string, Value]> {
    return (this.t[s] ?? NONE)[Symbol.iterator]();
  }

  finishResizes(): void {}
}

export class HeapSlotTable {
  private readonly index = new Map<string, number>();
  /** Row r: value at 2r, last access (seconds) at 2r + 1, side by side so one cache line holds both. */
  private rows: (Value | undefined)[] = [];
  private free: number[] = [];

  get size(): number {
    return this.index.size;
  }

  get(key: string): Value | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.rows[i];
  }

  /** get() that also records the access, in one lookup. */
  getTouch(key: string, now: number): Value | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    this.rows[i + 1] = ACCESS.lfu ? accessTouch(this.rows[i + 1] as number, now) : now;
    return this.rows[i];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Set a value and its access time; true if the key is new. */
  set(key: string, value: Value, now: number): boolean {
    let i = this.index.get(key);
    if (i !== undefined) {
      this.rows[i] = value;
      // an overwritten key keeps its access frequency (Redis: dbSetValue under LFU)
      if (!ACCESS.lfu) this.rows[i + 1] = now;
      return false;
    }
    const a = ACCESS.lfu ? accessNew(now) : now;
    if (this.free.length > 0) {
      i = this.free.pop()!;
      this.rows[i] = value;
      this.rows[i + 1] = a;
    } else {
      i = this.rows.length;
      this.rows.push(value, a);
    }
    this.index.set(key, i);
    return true;
  }

  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.index.delete(key);
    if (i === this.rows.length - 2) this.rows.length = i;
    else {
      this.rows[i] = undefined;
      this.free.push(i);
    }
    return true;
  }

  /** Remove every key. */
  clear(): void {
    this.index.clear();
    this.rows = [];
    this.free = [];
  }

  /** Record an access (no-op for an absent key). */
  touch(key: string, now: number): void {
    const i = this.index.get(key);
    if (i !== undefined) this.rows[i + 1] = ACCESS.lfu ? accessTouch(this.rows[i + 1] as number, now) : now;
  }

  /** Set the last access time (seconds, clamped at 0). */
  setAccessTime(key: string, seconds: number): void {
    this.setAccessData(key, Math.max(0, seconds));
  }

  /** Set the raw access slot (LFU data under an LFU policy). */
  setAccessData(key: string, data: number): void {
    const i = this.index.get(key);
    if (i !== undefined) this.rows[i + 1] = data;
  }

  /** Last access time in seconds (LFU data under an LFU policy), or -1 for an absent key. */
  accessTime(key: string): number {
    const i = this.index.get(key);
    return i === undefined ? -1 : (this.rows[i + 1] as number);
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  /** Visit every entry in insertion order (no per-entry allocation, unlike the iterator). */
  forEach(fn: (value: Value, key: string) => void): void {
    const rows = this.rows;
    this.index.forEach((i, k) => fn(rows[i]!, k));
  }

  *[Symbol.iterator](): IterableIterator<[string, Value]> {
    for (const [k, i] of this.index) yield [k, this.rows[i]!];
  }
}

const NONE = new HeapSlotTable();
