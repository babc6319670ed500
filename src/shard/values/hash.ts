/*
 * HashValue: field -> value, both binary strings, in one of redis-server 7.0's two encodings.
 *
 * "listpack" (small hashes): the pairs packed in one byte string, [tag][count][field][value]...,
 * each element its length then its bytes (store/packed.ts). A byte store keeps these bytes inline
 * in the key's entry, off the V8 heap; lookups scan them as Redis scans a listpack. New fields go at
 * the end, deletes close the gap, so HGETALL's order is redis-server's listpack order.
 *
 * "hashtable": two parallel arrays plus a Map from field to array index, which gives O(1) lookup,
 * O(1) random field (HRANDFIELD) and a SCAN cursor that never misses a field present for the whole
 * iteration:
 *
 *   fields: [f0 f1 f2 f3]   vals: [v0 v1 v2 v3]   index: {f0:0, f1:1, ...}
 *
 * Deletion moves the last entry into the hole (O(1)); elements only ever move to lower indexes, so
 * HSCAN walks indexes downwards. Conversion listpack -> hashtable is one way, at the thresholds in
 * limits.ts (hash-max-listpack-entries, hash-max-listpack-value), as in Redis.
 */

import { CompactAggregate, swapRemove } from './types.js';
import { limits } from './limits.js';
import { PackWriter, TAG_HASH, elementIs, elementSize, elementString, packedCount, registerPacked, varSize } from '../../store/packed.js';

const EMPTY = Uint8Array.of(TAG_HASH, 0);
/** Placeholders of a listpack hash's hashtable fields (never written: toTable() replaces them). */
const NONE: string[] = [];
const NO_INDEX = new Map<string, number>();

export class HashValue extends CompactAggregate {
  readonly type = 'hash' as const;
  /** listpack: the packed pairs; null once a hashtable. */
  private lp: Uint8Array | null = EMPTY;
  /** listpack: number of pairs. */
  private n = 0;
  /** listpack: its fields and values as strings (made when asked, dropped on a change). */
  private dec: [string[], string[]] | null = null;
  // hashtable (made by toTable(): a listpack hash, most of them, never needs them)
  private fs: string[] = NONE;
  private vs: string[] = NONE;
  private index: Map<string, number> = NO_INDEX;

  /** Build a hash (RESTORE, RDB load, tests): encoding chosen from the current thresholds. */
  static from(pairs: Iterable<[string, string]>): HashValue {
    const h = new HashValue();
    for (const [f, v] of pairs) h.set(f, v);
    return h;
  }

  /** An empty hash, or a listpack hash on packed bytes (as packed() gave them). */
  constructor(bytes: Uint8Array | null = null) {
    super();
    if (bytes === null) return;
    this.lp = bytes;
    this.n = packedCount(bytes);
  }

  /** A listpack hash on its packed bytes. */
  static fromPacked(bytes: Uint8Array): HashValue {
    return new HashValue(bytes);
  }

  get size(): number {
    return this.lp === null ? this.fs.length : this.n;
  }

  override packed(): Uint8Array | null {
    return this.lp;
  }

  /** The fields in listing order (do not modify; valid until the next change). */
  get fields(): readonly string[] {
    return this.lp === null ? this.fs : this.decoded()[0];
  }

  /** The values, in the order of fields. */
  get vals(): readonly string[] {
    return this.lp === null ? this.vs : this.decoded()[1];
  }

  get(f: string): string | undefined {
    if (this.lp === null) {
      const i = this.index.get(f);
      return i === undefined ? undefined : this.vs[i];
    }
    const at = this.find(f);
    return at < 0 ? undefined : elementString(this.lp, at + elementSize(this.lp, at));
  }

  has(f: string): boolean {
    return this.lp === null ? this.index.has(f) : this.find(f) >= 0;
  }

  /** Set a field; true if it was created. */
  set(f: string, v: string): boolean {
    const max = limits.hashMaxListpackValue;
    if (this.lp !== null && (f.length > max || v.length > max)) this.toTable();
    const u8 = this.lp;
    if (u8 === null) {
      const i = this.index.get(f);
      if (i !== undefined) {
        this.vs[i] = v;
        return false;
      }
      this.index.set(f, this.fs.length);
      this.fs.push(f);
      this.vs.push(v);
      return true;
    }
    const at = this.find(f);
    let w: PackWriter;
    if (at >= 0) {
      const vp = at + elementSize(u8, at);
      const vsize = elementSize(u8, vp);
      if (elementIs(u8, vp, v)) {
        // the same value: nothing to rewrite (a lowered threshold still converts, as any write does)
        if (this.n > limits.hashMaxListpackEntries) this.toTable();
        return false;
      }
      w = new PackWriter(u8.length - vsize + varSize(v.length) + v.length);
      w.copy(u8, 0, vp);
      w.element(v);
      w.copy(u8, vp + vsize, u8.length);
    } else {
      w = new PackWriter(u8.length - varSize(this.n) + varSize(this.n + 1) + varSize(f.length) + f.length + varSize(v.length) + v.length);
      w.byte(TAG_HASH);
      w.varint(this.n + 1);
      w.copy(u8, 1 + varSize(this.n), u8.length);
      w.element(f);
      w.element(v);
      this.n++;
    }
    this.lp = w.done();
    this.dec = null;
    if (this.n > limits.hashMaxListpackEntries) this.toTable();
    else this.changed();
    return at < 0;
  }

  /** Delete a field; true if it existed. */
  delete(f: string): boolean {
    const u8 = this.lp;
    if (u8 !== null) {
      const at = this.find(f);
      if (at < 0) return false;
      const end = at + elementSize(u8, at);
      const w = new PackWriter(u8.length);
      w.byte(TAG_HASH);
      w.varint(this.n - 1);
      w.copy(u8, 1 + varSize(this.n), at);
      w.copy(u8, end + elementSize(u8, end), u8.length);
      this.n--;
      this.lp = w.done();
      this.dec = null;
      this.changed();
      return true;
    }
    return swapRemove(this.index, this.fs, f, this.vs);
  }

  *entries(): IterableIterator<[string, string]> {
    const fs = this.fields;
    const vs = this.vals;
    for (let i = 0; i < fs.length; i++) yield [fs[i]!, vs[i]!];
  }

  /** Byte offset in lp of the element holding field f, or -1. */
  private find(f: string): number {
    const u8 = this.lp!;
    let p = 1 + varSize(this.n);
    for (let i = 0; i < this.n; i++) {
      if (elementIs(u8, p, f)) return p;
      p += elementSize(u8, p);
      p += elementSize(u8, p);
    }
    return -1;
  }

  private decoded(): [string[], string[]] {
    if (this.dec === null) {
      const u8 = this.lp!;
      const fs: string[] = [];
      const vs: string[] = [];
      let p = 1 + varSize(this.n);
      for (let i = 0; i < this.n; i++) {
        fs.push(elementString(u8, p));
        p += elementSize(u8, p);
        vs.push(elementString(u8, p));
        p += elementSize(u8, p);
      }
      this.dec = [fs, vs];
    }
    return this.dec;
  }

  /** listpack -> hashtable, in listpack order. */
  private toTable(): void {
    const [fs, vs] = this.decoded();
    this.fs = fs;
    this.vs = vs;
    this.index = new Map<string, number>();
    for (let i = 0; i < fs.length; i++) this.index.set(fs[i]!, i);
    this.lp = null;
    this.dec = null;
    this.n = 0;
    this.compact = false;
    this.changed();
  }
}

registerPacked(TAG_HASH, HashValue.fromPacked);
