/*
 * SetValue: a set of binary strings, as an array of members plus a Map member -> index: O(1)
 * membership, add, remove (the last member moves into the hole) and random member (SPOP,
 * SRANDMEMBER). Members only ever move to lower indexes, so SSCAN walks indexes downwards and never
 * misses a member present for the whole iteration.
 *
 * Encoding as redis-server 7.0: "intset" while every member is an integer (string2ll) and there are at
 * most set-max-intset-entries of them, else "hashtable" (one way). An intset lists its members in
 * ascending numeric order (SMEMBERS, SSCAN), so members() sorts lazily while intset-encoded.
 */

import { parseIntString } from '../../commands/numbers.js';
import { CompactAggregate } from './types.js';
import { limits } from './limits.js';

/** True if s is an integer Redis would store in an intset (string2ll accepts it). */
export function isIntsetMember(s: string): boolean {
  return s.length <= 20 && parseIntString(s) !== null;
}

function numericCompare(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (x !== y || (Number.isSafeInteger(x) && Number.isSafeInteger(y))) return x - y;
  const bx = BigInt(a);
  const by = BigInt(b);
  return bx < by ? -1 : bx > by ? 1 : 0;
}

export class SetValue extends CompactAggregate {
  readonly type = 'set' as const;
  items: string[] = [];
  readonly index = new Map<string, number>();
  private sorted = true;

  /** Build a set (RESTORE, RDB load, store commands): encoding chosen from the current thresholds. */
  static from(members: Iterable<string>): SetValue {
    const s = new SetValue();
    for (const m of members) s.add(m);
    return s;
  }

  get size(): number {
    return this.items.length;
  }



  has(m: string): boolean {
    return this.index.has(m);
  }

  /** Add a member; true if it was new. */
  add(m: string): boolean {
    if (this.index.has(m)) return false;
    if (this.compact && !isIntsetMember(m)) this.compact = false;
    this.index.set(m, this.items.length);
    this.items.push(m);
    if (this.compact) {
      if (this.items.length > limits.setMaxIntsetEntries) this.compact = false;
      else this.sorted = false;
    }
    return true;
  }

  /** Remove a member; true if it existed. */
  delete(m: string): boolean {
    const i = this.index.get(m);
    if (i === undefined) return false;
    this.index.delete(m);
    const last = this.items.length - 1;
    if (i !== last) {
      const lm = this.items[last]!;
      this.items[i] = lm;
      this.index.set(lm, i);
      this.sorted = false;
    }
    this.items.pop();
    return true;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.items[Math.floor(Math.random() * this.items.length)]!;
  }

  /** Put an intset's members in ascending order (as redis-server lists them). */
  private sortIfIntset(): void {
    if (!this.compact || this.sorted) return;
    this.items.sort(numericCompare);
    for (let i = 0; i < this.items.length; i++) this.index.set(this.items[i]!, i);
    this.sorted = true;
  }

  /** The members array in listing order (do not modify; valid until the next change). */
  list(): readonly string[] {
    this.sortIfIntset();
    return this.items;
  }

  *members(): IterableIterator<string> {
    const items = this.list();
    for (let i = 0; i < items.length; i++) yield items[i]!;
  }
}
