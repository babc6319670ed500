/*
 * SetValue: a set of binary strings, in one of redis-server 7.0's two encodings.
 *
 * "intset" while every member is an integer (string2ll accepts it) and there are at most
 * set-max-intset-entries of them: the integers sorted ascending in one byte string, [tag][width]
 * then each in `width` bytes (2, 4 or 8, little-endian; widened when a member needs it, never
 * narrowed, as Redis's intset). A byte store keeps these bytes inline in the key's entry
 * (store/packed.ts); membership is a binary search over them; SMEMBERS and SSCAN list them in
 * ascending order, as redis-server does.
 *
 * "hashtable" (one way, past the thresholds): an array of members plus a Map member -> index: O(1)
 * membership, add, remove (the last member moves into the hole) and random member (SPOP,
 * SRANDMEMBER). Members only ever move to lower indexes, so SSCAN walks indexes downwards and never
 * misses a member present for the whole iteration.
 */

import { parseIntString } from '../../commands/numbers.js';
import { CompactAggregate, swapRemove } from './types.js';
import { limits } from './limits.js';
import { TAG_INTSET, registerPacked } from '../../store/packed.js';

type Int = number | bigint;

/** The integer an intset would hold for s, or null (string2ll rejects it). */
function intOf(s: string): Int | null {
  const v = parseIntString(s);
  return v === null ? null : Number.isNaN(v) ? BigInt(s) : v;
}

/** Bytes an intset needs per member to hold v. */
function widthOf(v: Int): number {
  if (typeof v === 'bigint') return 8;
  return v >= -32768 && v <= 32767 ? 2 : v >= -2147483648 && v <= 2147483647 ? 4 : 8;
}

function readInt(u8: Uint8Array, w: number, i: number): Int {
  const p = 2 + i * w;
  if (w === 2) return ((u8[p]! | (u8[p + 1]! << 8)) << 16) >> 16;
  const lo = (u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24)) >>> 0;
  if (w === 4) return lo | 0;
  const hi = u8[p + 4]! | (u8[p + 5]! << 8) | (u8[p + 6]! << 16) | (u8[p + 7]! << 24);
  const n = hi * 4294967296 + lo;
  return Number.isSafeInteger(n) ? n : (BigInt(hi) << 32n) | BigInt(lo);
}

function writeInt(u8: Uint8Array, w: number, i: number, v: Int): void {
  const p = 2 + i * w;
  if (w === 8) {
    const b = BigInt.asUintN(64, BigInt(v));
    const lo = Number(b & 0xffffffffn);
    const hi = Number(b >> 32n);
    for (let k = 0; k < 4; k++) u8[p + k] = (lo >>> (8 * k)) & 255;
    for (let k = 0; k < 4; k++) u8[p + 4 + k] = (hi >>> (8 * k)) & 255;
    return;
  }
  const n = v as number;
  for (let k = 0; k < w; k++) u8[p + k] = (n >> (8 * k)) & 255;
}

/** Placeholders of an intset's hashtable fields (never written: toTable() replaces them). */
const NONE: string[] = [];
const NO_INDEX = new Map<string, number>();

/** The empty intset (packed bytes are never changed in place: a change makes new ones). */
const EMPTY = Uint8Array.of(TAG_INTSET, 2);

export class SetValue extends CompactAggregate {
  readonly type = 'set' as const;
  /** intset: [TAG_INTSET][width][sorted integers]; null once a hashtable. */
  private is: Uint8Array | null = EMPTY;
  /** intset: its members as strings, ascending (made when asked, dropped on a change). */
  private dec: string[] | null = null;
  // hashtable (made by toTable(): an intset never needs them)
  private items: string[] = NONE;
  private index: Map<string, number> = NO_INDEX;

  /** Build a set (RESTORE, RDB load, store commands): encoding chosen from the current thresholds. */
  static from(members: Iterable<string>): SetValue {
    const s = new SetValue();
    for (const m of members) s.add(m);
    return s;
  }

  /** An intset on its packed bytes (as packed() gave them). */
  static fromPacked(bytes: Uint8Array): SetValue {
    const s = new SetValue();
    s.is = bytes;
    return s;
  }

  get size(): number {
    const is = this.is;
    return is === null ? this.items.length : (is.length - 2) / is[1]!;
  }

  override packed(): Uint8Array | null {
    return this.is;
  }

  has(m: string): boolean {
    if (this.is === null) return this.index.has(m);
    const v = intOf(m);
    return v !== null && this.search(v) >= 0;
  }

  /** Add a member; true if it was new. */
  add(m: string): boolean {
    const is = this.is;
    const v = is === null ? null : intOf(m);
    if (is !== null && v !== null) {
      const at = this.search(v);
      if (at >= 0) return false;
      this.insert(-at - 1, v);
      if (this.size > limits.setMaxIntsetEntries) this.toTable();
      else this.changed();
      return true;
    }
    if (is !== null) this.toTable();
    if (this.index.has(m)) return false;
    this.index.set(m, this.items.length);
    this.items.push(m);
    return true;
  }

  /** Remove a member; true if it existed. */
  delete(m: string): boolean {
    const is = this.is;
    if (is !== null) {
      const v = intOf(m);
      const at = v === null ? -1 : this.search(v);
      if (at < 0) return false;
      const w = is[1]!;
      const out = new Uint8Array(is.length - w);
      out.set(is.subarray(0, 2 + at * w));
      out.set(is.subarray(2 + (at + 1) * w), 2 + at * w);
      this.is = out;
      this.dec = null;
      this.changed();
      return true;
    }
    return swapRemove(this.index, this.items, m);
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    const is = this.is;
    if (is === null) return this.items[Math.floor(Math.random() * this.items.length)]!;
    return String(readInt(is, is[1]!, Math.floor(Math.random() * this.size)));
  }

  /** The members in listing order (do not modify; valid until the next change). */
  list(): readonly string[] {
    const is = this.is;
    if (is === null) return this.items;
    if (this.dec === null) {
      const w = is[1]!;
      const n = this.size;
      const out: string[] = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = String(readInt(is, w, i));
      this.dec = out;
    }
    return this.dec;
  }

  *members(): IterableIterator<string> {
    const items = this.list();
    for (let i = 0; i < items.length; i++) yield items[i]!;
  }

  /** Index of v in the intset, or -(insertion point) - 1. */
  private search(v: Int): number {
    const is = this.is!;
    const w = is[1]!;
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const x = readInt(is, w, mid);
      if (x < v) lo = mid + 1;
      else if (x > v) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  /** Put v at index i of the intset, widening it when v needs more bytes. */
  private insert(i: number, v: Int): void {
    const is = this.is!;
    const w = is[1]!;
    const n = this.size;
    const nw = Math.max(w, widthOf(v));
    const out = new Uint8Array(2 + (n + 1) * nw);
    out[0] = TAG_INTSET;
    out[1] = nw;
    if (nw === w) {
      out.set(is.subarray(2, 2 + i * w), 2);
      out.set(is.subarray(2 + i * w), 2 + (i + 1) * w);
    } else {
      for (let k = 0; k < n; k++) writeInt(out, nw, k < i ? k : k + 1, readInt(is, w, k));
    }
    writeInt(out, nw, i, v);
    this.is = out;
    this.dec = null;
  }

  /** intset -> hashtable, members in ascending order. */
  private toTable(): void {
    const items = this.list().slice();
    this.items = items;
    this.index = new Map<string, number>();
    for (let i = 0; i < items.length; i++) this.index.set(items[i]!, i);
    this.is = null;
    this.dec = null;
    this.compact = false;
    this.changed();
  }
}

registerPacked(TAG_INTSET, SetValue.fromPacked);
