/*
 * Expiry times of the keys that have one, per hash slot (the `expires` table beside a database's
 * keys, as Redis keeps a second dict of the keys with a TTL): key -> absolute time in ms since the
 * epoch.
 *
 * On the byte store (the default) a ByteExpiries: a ByteSlots in the keyspace's arena whose entries
 * hold the time as a float64 number, so 1M keys with a TTL cost arena entries (a 14-byte key: the
 * 32-byte class and a bucket slot), not 1M JS strings and Map entries on the shard's heap, and the
 * byte paths of GET/SET/INCR look the time up from the request's key bytes (atBytes). On the heap
 * store (`keyspace-store heap`) a HeapExpiries: a Map per slot. Both have the same small API
 * (Expiries), every method taking the slot.
 *
 * No slot's table may be changed while forEachAt() walks it: callers collect the keys to remove first.
 */

import { SLOTS } from '../router/slot.js';
import { Arena } from './arena.js';
import { ByteSlots, type SlotHost } from './byte-slots.js';
import { entryBytes } from './entry-value.js';
import { MAP_ENTRY } from '../shard/mem-estimate.js';

export interface Expiries {
  /** False until a first key (and after clear()): no per-slot memory of its own. */
  readonly ownsTables: boolean;
  /** Keys of slot s with an expiry time. */
  size(s: number): number;
  /** The key's expiry time, or undefined when it has none. */
  get(s: number, key: string): number | undefined;
  has(s: number, key: string): boolean;
  /** Set the key's expiry time; true if it had none. */
  setTime(s: number, key: string, at: number): boolean;
  delete(s: number, key: string): boolean;
  /** Free everything. */
  clear(): void;
  keys(s: number): IterableIterator<string>;
  /** Visit every key of slot s with its time; the slot's table must not change meanwhile. */
  forEachAt(s: number, fn: (at: number, key: string) => void): void;
  /** Bytes one key's expiry time counts for in maxmemory's accounting. */
  cost(key: string): number;
  /** Finish the tables' resizes in progress (idle time). */
  finishResizes(): void;
}

/** A Map entry and a boxed double, as the heap store's estimates count them. */
const HEAP_EXPIRE_ENTRY = MAP_ENTRY + 16;

const NONE: ReadonlyMap<string, number> = new Map();

export class HeapExpiries implements Expiries {
  /** Per slot: its Map; an empty array until the first key. */
  private t: (Map<string, number> | undefined)[] = [];

  get ownsTables(): boolean {
    return this.t.length > 0;
  }

  size(s: number): number {
    return this.t[s]?.size ?? 0;
  }

  get(s: number, key: string): number | undefined {
    return this.t[s]?.get(key);
  }

  has(s: number, key: string): boolean {
    return this.t[s]?.has(key) ?? false;
  }

  setTime(s: number, key: string, at: number): boolean {
    if (this.t.length === 0) this.t = new Array<Map<string, number> | undefined>(SLOTS);
    const m = (this.t[s] ??= new Map());
    const fresh = !m.has(key);
    m.set(key, at);
    return fresh;
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

  keys(s: number): IterableIterator<string> {
    return (this.t[s] ?? NONE).keys();
  }

  forEachAt(s: number, fn: (at: number, key: string) => void): void {
    this.t[s]?.forEach(fn);
  }

  cost(): number {
    return HEAP_EXPIRE_ENTRY;
  }

  finishResizes(): void {}
}

export class ByteExpiries extends ByteSlots implements Expiries {
  constructor(arena: Arena, host: SlotHost) {
    super(arena, SLOTS, host);
  }

  override get(s: number, key: string): number | undefined {
    return super.get(s, key) as number | undefined;
  }

  setTime(s: number, key: string, at: number): boolean {
    return this.set(s, key, at, 0);
  }

  /** The expiry time of a key given as bytes, src[off, off+len), in slot s, or -1 when it has none. */
  atBytes(s: number, src: Uint8Array, off: number, len: number): number {
    const e = this.findBytes(s, src, off, len);
    return e === 0 ? -1 : this.numberAt(e);
  }

  forEachAt(s: number, fn: (at: number, key: string) => void): void {
    this.forEach(s, (at, key) => fn(at as number, key));
  }

  cost(key: string): number {
    return entryBytes(key, 0);
  }
}
