/*
 * The value model. A string value is a binary string (latin1), a number (canonical int64 decimal
 * that a double holds exactly: Redis's "int" encoding) or, from BIG_STRING bytes up, a Buffer of its
 * bytes (a large SET travels and stays as bytes: no JS string of hundreds of MB is ever built). Every
 * other type is an Aggregate subclass, one file each in this folder.
 */

import { parseIntString } from '../../commands/numbers.js';

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

/** Where a packed value lives: its byte-store table, which takes its changes (store/packed.ts). */
export interface PackOwner {
  /** Write v (changed) back to key's entry: as packed bytes, or as the object once v is not packed. */
  repack(key: string, v: Aggregate): void;
}

export abstract class Aggregate {
  abstract readonly type: TypeName;
  /** The table whose entry holds this value's packed bytes (null: the value is the stored object). */
  owner: PackOwner | null = null;
  ownerKey = '';
  /** True for types clients can block on (lists, sorted sets). */
  readonly blockable: boolean = false;
  /** Last size estimate of this value (keyspace byte accounting for maxmemory, mem-estimate.ts). */
  est = 0;
  /** Number of elements (LLEN, HLEN, SCARD, ZCARD). */
  abstract get size(): number;
  /** OBJECT ENCODING as redis-server 7.0 would report it. */
  abstract encoding(): string;

  /** The packed bytes (tag first) a byte store keeps inline for this value, or null (store/packed.ts). */
  packed(): Uint8Array | null {
    return null;
  }

  /**
   * Run `fn`, which changes this value several times (HSET's fields, SADD's members ...), writing it
   * back to its entry once at the end instead of after each change. `fn` must not look the key up.
   */
  batch(fn: () => void): void {
    const owner = this.owner;
    if (owner === null) return fn();
    this.owner = null;
    try {
      fn();
    } finally {
      this.owner = owner;
      owner.repack(this.ownerKey, this);
    }
  }

  /** Write a change back to the entry this value was decoded from (a no-op for a stored object). */
  protected changed(): void {
    if (this.owner !== null) this.owner.repack(this.ownerKey, this);
  }
}

/** OBJECT ENCODING of a hash, set or sorted set in its compact encoding, and in its large one. */
const ENCODINGS = { hash: ['listpack', 'hashtable'], set: ['intset', 'hashtable'], zset: ['listpack', 'skiplist'] } as const;

/**
 * A hash, set or sorted set: kept in a compact encoding (listpack, intset) while small, converted to
 * the large one past the configured limits (a stored sorted-set result may convert back).
 */
export abstract class CompactAggregate extends Aggregate {
  abstract override readonly type: 'hash' | 'set' | 'zset';
  /** In the compact encoding. */
  protected compact = true;

  encoding(): string {
    const names = ENCODINGS[this.type];
    return this.compact ? names[0] : names[1];
  }

  isCompact(): boolean {
    return this.compact;
  }
}

/**
 * Remove `key` from a hashtable-encoded hash or set: `keys` (and `vals`, parallel to it) indexed by
 * `index`; the last element moves into the hole, so elements only move to lower indexes (the SCAN
 * cursors walk downwards). True if it was there.
 */
export function swapRemove(index: Map<string, number>, keys: string[], key: string, vals?: string[]): boolean {
  const i = index.get(key);
  if (i === undefined) return false;
  index.delete(key);
  const last = keys.length - 1;
  if (i !== last) {
    const lk = keys[last]!;
    keys[i] = lk;
    if (vals !== undefined) vals[i] = vals[last]!;
    index.set(lk, i);
  }
  keys.pop();
  vals?.pop();
  return true;
}

/** A string value as stored (a Buffer is never changed in place: writes store a new value). */
export type StrValue = string | number | Buffer;

export type Value = StrValue | Aggregate;

/** String values of at least this many bytes are stored as Buffers. */
export const BIG_STRING = 64 * 1024;

export function isAggregate(v: Value): v is Aggregate {
  return v instanceof Aggregate;
}

export function typeName(v: Value): TypeName {
  return v instanceof Aggregate ? v.type : 'string';
}

/**
 * The value to store for a binary string: a number when it is the canonical decimal form of an
 * integer that a double holds exactly (Redis's int encoding, and much smaller in memory).
 */
export function toStored(s: string): string | number {
  const n = s.length;
  if (n === 0 || n > 16) return s;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return s;
  const v = parseIntString(s);
  return v === null || Number.isNaN(v) ? s : v;
}
