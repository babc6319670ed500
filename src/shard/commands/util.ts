/*
 * Helpers shared by shard command handlers: typed lookups with WRONGTYPE, string value conversion
 * (binary string <-> int encoding), expire-time parsing with Redis's rules, and index normalisation.
 */

import { CommandError, REPLY_TOO_LARGE, WRONGTYPE, invalidExpireTime } from '../../resp/errors.js';
import { parseIntString } from '../../commands/numbers.js';
import type { ShardCtx } from '../context.js';
import { BIG_STRING, isAggregate, type Aggregate, type StrValue, type Value } from '../values/types.js';

/** A string value as a binary string (a large value stored as bytes is converted: avoid on hot paths). */
export function strOf(v: StrValue): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.latin1Slice();
}

/** A string value's bytes (a view of a stored Buffer: do not change it). */
export function bytesOf(v: StrValue): Buffer {
  return typeof v === 'object' ? v : Buffer.from(strOf(v), 'latin1');
}

/** Byte length of a string value. */
export function strLen(v: StrValue): number {
  return typeof v === 'number' ? String(v).length : v.length;
}

/**
 * Argument i as a string value to store: from BIG_STRING bytes up its bytes (kept as a view of the
 * request when the request's memory is its own), else a binary string or an int-encoded number.
 */
export function valueArg(c: ShardCtx, i: number): StrValue {
  if (c.args.length(i) >= BIG_STRING) return c.args.ownedBytes(i);
  return toStored(c.args.str(i));
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

/** Look a key up expecting a string; throws WRONGTYPE for other types. */
export function getString(c: ShardCtx, key: string, read = true): StrValue | undefined {
  const v = read ? c.db.read(key) : c.db.get(key);
  if (v === undefined || !isAggregate(v)) return v;
  throw new CommandError(WRONGTYPE);
}

/** Look a key up expecting an aggregate of class `cls`; throws WRONGTYPE otherwise. */
export function getTyped<T extends Aggregate>(c: ShardCtx, key: string, cls: abstract new (...a: never[]) => T, read = true): T | undefined {
  const v: Value | undefined = read ? c.db.read(key) : c.db.get(key);
  if (v === undefined) return undefined;
  if (v instanceof cls) return v;
  throw new CommandError(WRONGTYPE);
}

export const UNIT_SECONDS = 0;
export const UNIT_MS = 1;

/** Normalise a [start, end] range over n elements as LRANGE/ZRANGE do; null when empty. */
export function clampRange(start: number, end: number, n: number): [number, number] | null {
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return null;
  if (end >= n) end = n - 1;
  return [start, end];
}

/** Fewest bytes one bulk string takes in a reply ("$0\r\n\r\n"). */
export const MIN_BULK_BYTES = 6;

/**
 * Refuse, before building anything, a reply of `elements` bulk strings that could not fit the reply
 * size limit even if every one were empty (HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a huge negative
 * count): the command fails at once instead of occupying the shard while the reply grows.
 */
export function checkReplyElements(c: ShardCtx, elements: number): void {
  if (elements * MIN_BULK_BYTES > c.config.replyMaxBytes) throw new CommandError(REPLY_TOO_LARGE);
}
