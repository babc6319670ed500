/*
 * HashValue: field -> value, both binary strings. Stored as two parallel arrays plus a Map from field
 * to array index, which gives O(1) lookup, O(1) random field (HRANDFIELD) and a SCAN cursor that never
 * misses a field present for the whole iteration:
 *
 *   fields: [f0 f1 f2 f3]   vals: [v0 v1 v2 v3]   index: {f0:0, f1:1, ...}
 *
 * "listpack" encoding (small hashes): deletion keeps insertion order (splice), so HGETALL matches
 * redis-server's listpack order exactly. "hashtable" encoding: deletion moves the last entry into the
 * hole (O(1)); elements only ever move to lower indexes, so HSCAN walks indexes downwards.
 * Conversion listpack -> hashtable is one way, at the thresholds in limits.ts, as in Redis.
 */

import { CompactAggregate } from './types.js';
import { limits } from './limits.js';

export class HashValue extends CompactAggregate {
  readonly type = 'hash' as const;
  fields: string[] = [];
  vals: string[] = [];
  readonly index = new Map<string, number>();

  /** Build a hash (RESTORE, RDB load, tests): encoding chosen from the current thresholds. */
  static from(pairs: Iterable<[string, string]>): HashValue {
    const h = new HashValue();
    for (const [f, v] of pairs) h.set(f, v);
    return h;
  }

  get size(): number {
    return this.fields.length;
  }



  /** Convert to hashtable if a string of length `len` would not fit the listpack limits. */
  checkLength(len: number): void {
    if (this.compact && len > limits.hashMaxListpackValue) this.compact = false;
  }

  get(f: string): string | undefined {
    const i = this.index.get(f);
    return i === undefined ? undefined : this.vals[i];
  }

  has(f: string): boolean {
    return this.index.has(f);
  }

  /** Set a field; true if it was created. */
  set(f: string, v: string): boolean {
    if (this.compact && (f.length > limits.hashMaxListpackValue || v.length > limits.hashMaxListpackValue)) this.compact = false;
    const i = this.index.get(f);
    if (i !== undefined) {
      this.vals[i] = v;
      return false;
    }
    this.index.set(f, this.fields.length);
    this.fields.push(f);
    this.vals.push(v);
    if (this.compact && this.fields.length > limits.hashMaxListpackEntries) this.compact = false;
    return true;
  }

  /** Delete a field; true if it existed. */
  delete(f: string): boolean {
    const i = this.index.get(f);
    if (i === undefined) return false;
    this.index.delete(f);
    const last = this.fields.length - 1;
    if (this.compact) {
      this.fields.splice(i, 1);
      this.vals.splice(i, 1);
      for (let j = i; j < last; j++) this.index.set(this.fields[j]!, j);
    } else {
      if (i !== last) {
        const lf = this.fields[last]!;
        this.fields[i] = lf;
        this.vals[i] = this.vals[last]!;
        this.index.set(lf, i);
      }
      this.fields.pop();
      this.vals.pop();
    }
    return true;
  }

  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.fields.length; i++) yield [this.fields[i]!, this.vals[i]!];
  }
}
