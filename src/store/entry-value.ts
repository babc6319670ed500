/*
 * Which values a byte-store entry (entry.ts) holds inline and how many bytes they take there: numbers,
 * strings up to INLINE_MAX bytes and small aggregates in their packed encoding (packed.ts) are inline;
 * other values are held by handle. ByteTable (byte-table.ts) writes entries by these rules, and MEMORY
 * USAGE and the maxmemory count (entryBytes) measure them by the same rules.
 */

import { Aggregate, type Value } from '../shard/values/types.js';
import { CLASS_SIZE, classOf } from './arena.js';
import { KIND_NUM, KIND_OBJ, KIND_STR, entrySize } from './entry.js';

/** Longest string value kept inline in the entry. */
export const INLINE_MAX = 4096;
/** Index bytes counted per key: one bucket slot (4 bytes) at the table's largest load factor. */
const BUCKET_SHARE = 4;

/** The packed bytes a value is kept as inline (a small aggregate in its compact encoding), or null. */
export function packedOf(value: Value): Uint8Array | null {
  return value instanceof Aggregate ? value.packed() : null;
}

/** The entry kind of a value and the length of its inline bytes (for KIND_STR and packed values). */
export function kindOf(value: Value): number {
  if (typeof value === 'number') return KIND_NUM;
  return typeof value === 'string' && value.length <= INLINE_MAX ? KIND_STR : KIND_OBJ;
}

/** The length of a value's inline bytes in its entry (a string's, a packed value's; 0 otherwise). */
export function inlineLength(kind: number, value: Value): number {
  if (kind === KIND_STR) return (value as string).length;
  if (kind === KIND_NUM) return 0;
  return packedOf(value)?.length ?? 0;
}

/** True for the values kept inline in an entry (numbers, strings up to INLINE_MAX bytes, packed values). */
export function isInline(value: Value): boolean {
  return typeof value === 'number' || (typeof value === 'string' && value.length <= INLINE_MAX) || packedOf(value) !== null;
}

/**
 * Bytes a key with this value takes in the store: its entry's size class and its bucket slot. A value
 * held as a JS object (an aggregate, a long string) adds its own size on the heap beside this.
 */
export function entryBytes(key: string, value: Value): number {
  const kind = kindOf(value);
  return CLASS_SIZE[classOf(entrySize(key.length, kind, inlineLength(kind, value)))]! + BUCKET_SHARE;
}
