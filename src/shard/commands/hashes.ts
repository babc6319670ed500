/*
 * Hash commands: HSET HSETNX HMSET HGET HMGET HGETALL HDEL HEXISTS HLEN HKEYS HVALS HSTRLEN HINCRBY
 * HINCRBYFLOAT HRANDFIELD HSCAN, with redis-server 7.0's replies (RESP3 maps, HRANDFIELD's nested
 * pairs), error texts and propagation (HINCRBYFLOAT -> HSET with the result).
 */

import { NOTIFY_HASH } from '../../commands/keyspace-events.js';
import {
  CommandError, HASH_VALUE_NOT_FLOAT, HASH_VALUE_NOT_INTEGER, INCR_NAN_OR_INF, NAN_OR_INF, NOT_FLOAT, OVERFLOW, wrongArity,
} from '../../resp/errors.js';
import { parseInt64, INT64_MAX, INT64_MIN } from '../../commands/numbers.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { addLongDouble, formatLongDoubleHuman, isFiniteLongDouble, longDoubleFromNumber, parseLongDouble } from '../../commands/longdouble.js';
import { HashValue } from '../values/hash.js';
import { checkReplyElements, getTyped, removeMembers, memberLookups } from './util.js';
import { parseCursor, parseScanOptions, parseRandomCount, scanReply, emptyScanReply } from './collection-scan.js';
import { shardCommands } from '../../commands/registry.js';

function getHash(c: ShardCtx, key: string, read = true): HashValue | undefined {
  return getTyped(c, key, HashValue, read);
}

/** The hash at key for writing, created (and added) when missing. */
function hashForWrite(c: ShardCtx, key: string): HashValue {
  let h = getHash(c, key, false);
  if (h === undefined) {
    h = new HashValue();
    c.db.add(key, h);
  }
  return h;
}

function hsetGeneric(c: ShardCtx, name: string): number {
  if (c.argc % 2 === 1) throw new CommandError(wrongArity(name));
  const key = c.args.str(1);
  const h = hashForWrite(c, key);
  let created = 0;
  h.batch(() => {
    for (let i = 2; i < c.argc; i += 2) if (h.set(c.args.str(i), c.args.str(i + 1))) created++;
  });
  c.db.modified(key);
  c.notify(NOTIFY_HASH, 'hset', key);
  c.propagate();
  return created;
}

/** Pick `count` distinct indexes out of [0, size) (count < size). */
function distinctIndexes(count: number, size: number): number[] {
  if (count * 3 > size) {
    const all = Array.from({ length: size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[i]!;
      all[i] = all[j]!;
      all[j] = t;
    }
    return all.slice(0, count);
  }
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(Math.random() * size));
  return [...picked];
}

function hrandfieldWithCount(c: ShardCtx, l: number, withValues: boolean): void {
  const h = getHash(c, c.args.str(1));
  if (h === undefined || l === 0) {
    c.w.array(0);
    return;
  }
  const size = h.size;
  const w = c.w;
  const nested = withValues && w.proto === 3;
  const emit = (i: number): void => {
    if (nested) w.array(2);
    w.bulk(h.fields[i]!);
    if (withValues) w.bulk(h.vals[i]!);
  };
  const count = Math.abs(l);
  if (l < 0 || count === 1) {
    checkReplyElements(c, withValues ? count * 2 : count);
    w.array(withValues && !nested ? count * 2 : count);
    for (let k = 0; k < count; k++) emit(Math.floor(Math.random() * size));
    return;
  }
  const n = Math.min(count, size);
  w.array(withValues && !nested ? n * 2 : n);
  if (count >= size) for (let i = 0; i < size; i++) emit(i);
  else for (const i of distinctIndexes(count, size)) emit(i);
}

const [hget, hmget] = memberLookups(getHash, (c, h, field) => c.w.bulkOrNull(h?.get(field)));

export const commands = shardCommands<ShardHandler>({
  hset(c) {
    c.w.int(hsetGeneric(c, 'hset'));
  },

  hmset(c) {
    hsetGeneric(c, 'hmset');
    c.w.ok();
  },

  hsetnx(c) {
    const key = c.args.str(1);
    const field = c.args.str(2);
    const h = getHash(c, key, false);
    if (h !== undefined && h.has(field)) {
      c.w.int(0);
      return;
    }
    hashForWrite(c, key).set(field, c.args.str(3));
    c.db.modified(key);
    c.notify(NOTIFY_HASH, 'hset', key);
    c.propagate();
    c.w.int(1);
  },

  hget,
  hmget,

  hgetall(c) {
    const h = getHash(c, c.args.str(1));
    const n = h === undefined ? 0 : h.size;
    c.w.map(n);
    for (let i = 0; i < n; i++) {
      c.w.bulk(h!.fields[i]!);
      c.w.bulk(h!.vals[i]!);
    }
  },

  hkeys(c) {
    const h = getHash(c, c.args.str(1));
    c.w.bulkArray(h === undefined ? [] : h.fields);
  },

  hvals(c) {
    const h = getHash(c, c.args.str(1));
    c.w.bulkArray(h === undefined ? [] : h.vals);
  },

  hdel(c) {
    const key = c.args.str(1);
    removeMembers(c, key, getHash(c, key, false), NOTIFY_HASH, 'hdel');
  },

  hexists(c) {
    const h = getHash(c, c.args.str(1));
    c.w.int(h !== undefined && h.has(c.args.str(2)) ? 1 : 0);
  },

  hlen(c) {
    c.w.int(getHash(c, c.args.str(1))?.size ?? 0);
  },

  hstrlen(c) {
    c.w.int(getHash(c, c.args.str(1))?.get(c.args.str(2))?.length ?? 0);
  },

  hincrby(c) {
    const key = c.args.str(1);
    const field = c.args.str(2);
    const incr = c.args.int64(3);
    const h = getHash(c, key, false);
    const cur = h?.get(field);
    let value = 0n;
    if (cur !== undefined) {
      const p = parseInt64(cur);
      if (p === null) throw new CommandError(HASH_VALUE_NOT_INTEGER);
      value = p;
    }
    const result = value + incr;
    if (result > INT64_MAX || result < INT64_MIN) throw new CommandError(OVERFLOW);
    const s = result.toString();
    hashForWrite(c, key).set(field, s);
    c.db.modified(key);
    c.notify(NOTIFY_HASH, 'hincrby', key);
    c.propagate();
    if (result <= BigInt(Number.MAX_SAFE_INTEGER) && result >= -BigInt(Number.MAX_SAFE_INTEGER)) c.w.int(Number(result));
    else c.w.bigint(result);
  },

  hincrbyfloat(c) {
    const key = c.args.str(1);
    const field = c.args.str(2);
    const incr = parseLongDouble(c.args.str(3));
    if (incr === null) throw new CommandError(NOT_FLOAT);
    if (!isFiniteLongDouble(incr)) throw new CommandError(NAN_OR_INF);
    const h = getHash(c, key, false);
    const cur = h?.get(field);
    let value = longDoubleFromNumber(0);
    if (cur !== undefined) {
      const p = parseLongDouble(cur);
      if (p === null) throw new CommandError(HASH_VALUE_NOT_FLOAT);
      value = p;
    }
    const result = addLongDouble(value, incr);
    if (result === null || !isFiniteLongDouble(result)) throw new CommandError(INCR_NAN_OR_INF);
    const s = formatLongDoubleHuman(result);
    hashForWrite(c, key).set(field, s);
    c.db.modified(key);
    c.notify(NOTIFY_HASH, 'hincrbyfloat', key);
    c.w.bulk(s);
    c.propagateCommand(['HSET', key, field, s]);
  },

  hrandfield(c) {
    if (c.argc >= 3) {
      const { count, pairs } = parseRandomCount(c, 'withvalues');
      hrandfieldWithCount(c, count, pairs);
      return;
    }
    const h = getHash(c, c.args.str(1));
    if (h === undefined) c.w.nullBulk();
    else c.w.bulk(h.fields[Math.floor(Math.random() * h.size)]!);
  },

  hscan(c) {
    const cursor = parseCursor(c, 2);
    const h = getHash(c, c.args.str(1));
    if (h === undefined) return emptyScanReply(c);
    const opts = parseScanOptions(c, 3);
    scanReply(c, cursor, opts, h.size, h.isCompact(), (i) => h.fields[i]!, (i) => h.vals[i]!);
  },
});
