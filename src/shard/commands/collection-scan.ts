/*
 * HSCAN / SSCAN / ZSCAN, and argument helpers shared by the hash, set and sorted-set commands.
 *
 * Small encodings (listpack, intset) return everything in one call with cursor 0, as redis-server
 * does. Large ones are arrays where elements only move to lower indexes (see values/*.ts), so the
 * cursor is "the next call scans indexes below this one": it walks downwards from the top, COUNT
 * elements per call, and cannot miss an element present for the whole iteration.
 */

import { CommandError, INVALID_CURSOR, NOT_INTEGER, SYNTAX } from '../../resp/errors.js';
import { globMatch } from '../../commands/glob.js';
import { parseInt64 } from '../../commands/numbers.js';
import type { ShardCtx } from '../context.js';

/** Parse a SCAN cursor as strtoul would accept it (decimal, unsigned 64-bit). */
export function parseCursor(c: ShardCtx, i: number): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(c.args.str(i));
  if (m === null || m[2]!.length > 20 || BigInt(m[2]!) > 18446744073709551615n) throw new CommandError(INVALID_CURSOR);
  // strtoul: a negative cursor wraps around (it then starts past every index)
  return m[1] === '-' && BigInt(m[2]!) !== 0n ? Number.MAX_SAFE_INTEGER : Number(m[2]!);
}

export interface ScanOptions {
  count: number;
  pattern: string | null;
}

/** Parse COUNT / MATCH from argument `from` (TYPE is only for the keyspace SCAN). */
export function parseScanOptions(c: ShardCtx, from: number): ScanOptions {
  let count = 10;
  let pattern: string | null = null;
  for (let i = from; i < c.argc; ) {
    const more = c.argc - i;
    if (c.args.is(i, 'count') && more >= 2) {
      count = c.args.int(i + 1);
      if (count < 1) throw new CommandError(SYNTAX);
      i += 2;
    } else if (c.args.is(i, 'match') && more >= 2) {
      const p = c.args.str(i + 1);
      pattern = p === '*' ? null : p;
      i += 2;
    } else throw new CommandError(SYNTAX);
  }
  return { count, pattern };
}

/**
 * Reply to a collection scan. `n` elements addressed by index; name(i) is what MATCH filters,
 * value(i) (for hashes and sorted sets) follows it. `small`: everything at once, in index order.
 */
export function scanReply(c: ShardCtx, cursor: number, opts: ScanOptions, n: number, small: boolean, name: (i: number) => string, value: ((i: number) => string) | null): void {
  let from: number;
  let to: number;
  let next: number;
  if (small) {
    from = 0;
    to = n;
    next = 0;
  } else {
    const top = cursor === 0 || cursor > n ? n : cursor;
    from = Math.max(0, top - opts.count);
    to = top;
    next = from;
  }
  const out: string[] = [];
  const pat = opts.pattern;
  if (small) {
    for (let i = from; i < to; i++) {
      const k = name(i);
      if (pat !== null && !globMatch(pat, k)) continue;
      out.push(k);
      if (value) out.push(value(i));
    }
  } else {
    for (let i = to - 1; i >= from; i--) {
      const k = name(i);
      if (pat !== null && !globMatch(pat, k)) continue;
      out.push(k);
      if (value) out.push(value(i));
    }
  }
  c.w.array(2);
  c.w.bulk(String(next));
  c.w.bulkArray(out);
}

/**
 * getRangeLongFromObjectOrReply: an integer within [min, max] (exact int64 bounds), else `msg` or the
 * default range message.
 */
export function rangeLong(c: ShardCtx, i: number, min: bigint, max: bigint, msg?: string): number {
  const v = parseInt64(c.args.str(i));
  if (v === null) throw new CommandError(msg ? `ERR ${msg}` : NOT_INTEGER);
  if (v < min || v > max) throw new CommandError(msg ? `ERR ${msg}` : `ERR value is out of range, value must between ${min} and ${max}`);
  return Number(v);
}

export const LONG_MAX = 9223372036854775807n;

/** getPositiveLongFromObjectOrReply. */
export function positiveLong(c: ShardCtx, i: number, msg = 'value is out of range, must be positive'): number {
  return rangeLong(c, i, 0n, LONG_MAX, msg);
}
