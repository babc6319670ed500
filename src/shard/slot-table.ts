/*
 * SlotTable: the keys of one hash slot of one database, with their values and last-access times.
 *
 * A Map from key to a row number, and the rows in parallel arrays: values in a plain array, access
 * times (whole seconds, Redis's LRU clock resolution) in a Uint32Array. Against a Map<string, Value>
 * plus a second Map for access times this costs 4 bytes a key instead of a second hash entry (about
 * 80 bytes a key of resident memory measured with 1M keys, `npm run bench:memory`). Rows freed by
 * deletes are reused. Iteration follows the Map: insertion order, which SCAN relies on.
 */

import type { Value } from './values/types.js';

export class SlotTable {
  private readonly index = new Map<string, number>();
  private vals: (Value | undefined)[] = [];
  private at = new Uint32Array(8);
  private free: number[] = [];

  get size(): number {
    return this.index.size;
  }

  get(key: string): Value | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.vals[i];
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Set a value and its access time; true if the key is new. */
  set(key: string, value: Value, now: number): boolean {
    let i = this.index.get(key);
    if (i !== undefined) {
      this.vals[i] = value;
      this.at[i] = now;
      return false;
    }
    i = this.free.length > 0 ? this.free.pop()! : this.vals.length;
    if (i === this.vals.length) this.vals.push(value);
    else this.vals[i] = value;
    if (i >= this.at.length) {
      const grown = new Uint32Array(this.at.length * 2);
      grown.set(this.at);
      this.at = grown;
    }
    this.at[i] = now;
    this.index.set(key, i);
    return true;
  }

  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.index.delete(key);
    this.vals[i] = undefined;
    if (i === this.vals.length - 1) this.vals.length = i;
    else this.free.push(i);
    return true;
  }

  /** Record an access (no-op for an absent key). */
  touch(key: string, now: number): void {
    const i = this.index.get(key);
    if (i !== undefined) this.at[i] = now;
  }

  /** Set the last access time (seconds, clamped at 0). */
  setAccessTime(key: string, seconds: number): void {
    const i = this.index.get(key);
    if (i !== undefined) this.at[i] = Math.max(0, seconds);
  }

  /** Last access time in seconds, or -1 for an absent key. */
  accessTime(key: string): number {
    const i = this.index.get(key);
    return i === undefined ? -1 : this.at[i]!;
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  *[Symbol.iterator](): IterableIterator<[string, Value]> {
    for (const [k, i] of this.index) yield [k, this.vals[i]!];
  }
}
