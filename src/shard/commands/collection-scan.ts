/*
 * HSCAN / SSCAN / ZSCAN, and argument helpers shared by the hash, set, sorted-set and list commands
 * (blocking timeouts, the [LZ]MPOP argument tail).
 *
 * Small encodings (listpack, intset) return everything in one call with cursor 0, as redis-server
 * does. Large ones are arrays where elements only move to lower indexes (see values/*.ts), so the
 * cursor is "the next call scans indexes below this one": it walks downwards from the top, COUNT
 * elements per call, and cannot miss an element present for the whole iteration.
 */

import { COUNT_POSITIVE, CommandError, INVALID_CURSOR, NOT_INTEGER, NUMKEYS_POSITIVE, SYNTAX, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, TIMEOUT_OUT_OF_RANGE, VALUE_OUT_OF_RANGE, VALUE_OUT_OF_RANGE_POSITIVE, valueOutOfRangeBetween } from '../../resp/errors.js';
import { globMatch } from '../../commands/glob.js';
import { parseInt64 } from '../../commands/numbers.js';
import type { ShardCtx } from '../context.js';
import { timeoutArgIndex } from '../../commands/table.js';

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

/** HSCAN / SSCAN / ZSCAN of a missing key: cursor 0 and no elements. */
export function emptyScanReply(c: ShardCtx): void {
  c.w.array(2);
  c.w.bulk('0');
  c.w.array(0);
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
 * getRangeLongFromObjectOrReply: an integer within [min, max] (exact int64 bounds), else the error
 * `err` (an errors.ts text) or the default ones.
 */
export function rangeLong(c: ShardCtx, i: number, min: bigint, max: bigint, err?: string): number {
  const v = parseInt64(c.args.str(i));
  if (v === null) throw new CommandError(err ?? NOT_INTEGER);
  if (v < min || v > max) throw new CommandError(err ?? valueOutOfRangeBetween(min, max));
  return Number(v);
}

export const LONG_MAX = 9223372036854775807n;

/**
 * HRANDFIELD key count [WITHVALUES], ZRANDMEMBER key count [WITHSCORES]: the count, and whether
 * `withWord` follows it (then the count must fit a reply of pairs: within ±LONG_MAX/2, as Redis).
 */
export function parseRandomCount(c: ShardCtx, withWord: string): { count: number; pairs: boolean } {
  const count = rangeLong(c, 2, -LONG_MAX, LONG_MAX);
  if (c.argc > 4 || (c.argc === 4 && !c.args.is(3, withWord))) throw new CommandError(SYNTAX);
  const pairs = c.argc === 4;
  if (pairs) {
    const v = c.args.int64(2);
    if (v < -LONG_MAX / 2n || v > LONG_MAX / 2n) throw new CommandError(VALUE_OUT_OF_RANGE);
  }
  return { count, pairs };
}

/** getPositiveLongFromObjectOrReply. */
export function positiveLong(c: ShardCtx, i: number, err = VALUE_OUT_OF_RANGE_POSITIVE): number {
  return rangeLong(c, i, 0n, LONG_MAX, err);
}

/** A blocking command's timeout argument (seconds, decimals allowed; its position from the table) in milliseconds. */
export function parseBlockingTimeout(c: ShardCtx): number {
  const v = c.args.float(timeoutArgIndex(c.cmd, c.argc), TIMEOUT_NOT_FLOAT);
  const ms = Math.ceil(v * 1000);
  if (ms < 0) throw new CommandError(TIMEOUT_NEGATIVE);
  if (!Number.isSafeInteger(ms)) throw new CommandError(TIMEOUT_OUT_OF_RANGE);
  return ms;
}

/**
 * The tail of LMPOP/ZMPOP (and their blocking forms): numkeys key [key ...] <end word> [COUNT count].
 * `ends` are the two accepted end words (LEFT/RIGHT or MIN/MAX); returns the keys, which end word
 * (0 or 1) and the count (1 when not given).
 */
export function parseMpopArgs(c: ShardCtx, numkeysIdx: number, ends: readonly [string, string]): { keys: string[]; end: number; count: number } {
  const numkeys = rangeLong(c, numkeysIdx, 1n, LONG_MAX, NUMKEYS_POSITIVE);
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= c.argc) throw new CommandError(SYNTAX);
  let end: number;
  if (c.args.is(whereIdx, ends[0])) end = 0;
  else if (c.args.is(whereIdx, ends[1])) end = 1;
  else throw new CommandError(SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < c.argc; j++) {
    if (count === -1 && c.args.is(j, 'count') && c.argc - 1 - j > 0) {
      j++;
      count = rangeLong(c, j, 1n, LONG_MAX, COUNT_POSITIVE);
    } else throw new CommandError(SYNTAX);
  }
  const keys: string[] = [];
  for (let i = numkeysIdx + 1; i < whereIdx; i++) keys.push(c.args.str(i));
  return { keys, end, count: count === -1 ? 1 : count };
}
