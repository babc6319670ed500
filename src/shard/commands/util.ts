/*
 * Helpers shared by shard command handlers: typed lookups with WRONGTYPE, string value conversion
 * (binary string <-> int encoding), expire-time parsing with Redis's rules, and index normalisation.
 */

import { NOTIFY_GENERIC } from '../../commands/keyspace-events.js';
import { CommandError, REPLY_TOO_LARGE, WRONGTYPE } from '../../resp/errors.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { BIG_STRING, isAggregate, toStored, type Aggregate, type StrValue, type Value } from '../values/types.js';

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

/**
 * HDEL / SREM / ZREM: remove the members named from argument 2 on from the collection at key (the
 * key goes with the last one), notify `event` (and del when emptied), propagate, and reply with how
 * many were removed.
 */
export function removeMembers(c: ShardCtx, key: string, v: { delete(m: string): boolean; readonly size: number } | undefined, type: number, event: string): void {
  let deleted = 0;
  if (v !== undefined) {
    for (let i = 2; i < c.argc; i++) {
      if (v.delete(c.args.str(i))) {
        deleted++;
        if (v.size === 0) {
          c.db.delete(key);
          break;
        }
      }
    }
    if (deleted > 0) {
      if (v.size > 0) c.db.modified(key);
      c.notify(type, event, key);
      if (v.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
      c.propagate();
    }
  }
  c.w.int(deleted);
}

/**
 * HGET and HMGET, ZSCORE and ZMSCORE: the handlers of a lookup in the collection at argument 1, of one
 * member (argument 2) and of an array of them (arguments 2 on); `reply` writes a member's value, or
 * its null when the collection or the member is missing.
 */
export function memberLookups<C>(collection: (c: ShardCtx, key: string) => C | undefined, reply: (c: ShardCtx, coll: C | undefined, member: string) => void): [ShardHandler, ShardHandler] {
  const one: ShardHandler = (c) => reply(c, collection(c, c.args.str(1)), c.args.str(2));
  const many: ShardHandler = (c) => {
    const coll = collection(c, c.args.str(1));
    c.w.array(c.argc - 2);
    for (let i = 2; i < c.argc; i++) reply(c, coll, c.args.str(i));
  };
  return [one, many];
}

/**
 * SINTERSTORE & co, ZRANGESTORE & co: store the result collection at dst, or delete dst when the
 * result is empty; notify `event` (or del), propagate, reply with the result's size.
 */
export function storeResult(c: ShardCtx, dst: string, result: Value & { readonly size: number }, type: number): void {
  if (result.size > 0) {
    c.db.set(dst, result);
    c.notify(type, c.cmd.name, dst);
    c.propagate();
  } else if (c.db.delete(dst)) {
    c.notify(NOTIFY_GENERIC, 'del', dst);
    c.propagate();
  }
  c.w.int(result.size);
}

/**
 * GETRANGE / BITCOUNT / BITPOS: a [start, end] range over n bytes (or bits), negative positions
 * counting from the end, clamped into [0, n - 1] as Redis does (start > end when it is empty).
 */
export function clampStringRange(start: number, end: number, n: number): [number, number] {
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= n) end = n - 1;
  return [start, end];
}

/** The arguments from `from` up to the last but one (BLPOP key [key ...] timeout: its keys). */
export function argsBeforeLast(c: ShardCtx, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < c.argc - 1; i++) out.push(c.args.str(i));
  return out;
}

/**
 * A blocking pop that found nothing: block on `keys`, or where it must not block (MULTI, scripts,
 * coordinated or replicated requests) reply with the null array (or null bulk: BLMOVE, BRPOPLPUSH).
 */
export function blockOrNull(c: ShardCtx, keys: string[], timeoutMs: number, nullArray = true): void {
  if (c.mustNotBlock()) {
    if (nullArray) c.w.nullArray();
    else c.w.nullBulk();
    return;
  }
  c.block(keys, timeoutMs);
}

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
