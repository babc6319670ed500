/*
 * Expiry times of one hash slot's keys that have one (the `expires` table beside a database's slot
 * table, as Redis keeps a second dict of the keys with a TTL): key -> absolute time in ms since the
 * epoch.
 *
 * On the byte store (the default) a ByteExpiries: a ByteTable in the keyspace's arena whose entries
 * hold the time as a float64 number, so 1M keys with a TTL cost arena entries (a 14-byte key: the
 * 32-byte class and a bucket slot), not 1M JS strings and Map entries on the shard's heap, and the
 * byte paths of GET/SET/INCR look the time up from the request's key bytes (atBytes). On the heap
 * store (`keyspace-store heap`) a HeapExpiries: a Map. Both have the same small API (Expiries).
 *
 * Neither table may be changed while forEachAt() walks it: callers collect the keys to remove first.
 */

import { Arena } from './arena.js';
import { ByteTable, entryBytes } from './byte-table.js';
import { MAP_ENTRY } from '../shard/mem-estimate.js';

export interface Expiries {
  readonly size: number;
  /** The key's expiry time, or undefined when it has none. */
  get(key: string): number | undefined;
  has(key: string): boolean;
  /** Set the key's expiry time; true if it had none. */
  setTime(key: string, at: number): boolean;
  delete(key: string): boolean;
  /** Free everything (the table is then dropped). */
  clear(): void;
  keys(): IterableIterator<string>;
  /** Visit every key with its time; the table must not change meanwhile. */
  forEachAt(fn: (at: number, key: string) => void): void;
  /** Bytes one key's expiry time counts for in maxmemory's accounting. */
  cost(key: string): number;
}

/** A Map entry and a boxed double, as the heap store's estimates count them. */
const HEAP_EXPIRE_ENTRY = MAP_ENTRY + 16;

export class HeapExpiries extends Map<string, number> implements Expiries {
  setTime(key: string, at: number): boolean {
    const fresh = !this.has(key);
    this.set(key, at);
    return fresh;
  }

  forEachAt(fn: (at: number, key: string) => void): void {
    for (const [key, at] of this) fn(at, key);
  }

  cost(): number {
    return HEAP_EXPIRE_ENTRY;
  }
}

export class ByteExpiries extends ByteTable implements Expiries {
  constructor(arena: Arena) {
    super(arena);
  }

  override get(key: string): number | undefined {
    return super.get(key) as number | undefined;
  }

  setTime(key: string, at: number): boolean {
    return this.set(key, at, 0);
  }

  /** The expiry time of a key given as bytes, src[off, off+len), or -1 when it has none. */
  atBytes(src: Uint8Array, off: number, len: number): number {
    const e = this.findBytes(src, off, len);
    return e === 0 ? -1 : this.numberAt(e);
  }

  forEachAt(fn: (at: number, key: string) => void): void {
    this.forEach((at, key) => fn(at as number, key));
  }

  cost(key: string): number {
    return entryBytes(key, 0);
  }
}
