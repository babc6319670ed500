/*
 * String commands: GET SET (EX PX EXAT PXAT NX XX KEEPTTL GET) SETNX SETEX PSETEX GETSET GETDEL GETEX
 * MGET MSET MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE SUBSTR LCS,
 * with redis-server 7.0's replies, errors and propagation (relative expiry -> PXAT / PEXPIREAT,
 * INCRBYFLOAT -> SET ... KEEPTTL).
 */

import { NOTIFY_GENERIC, NOTIFY_STRING } from '../../commands/keyspace-events.js';
import { CommandError, SYNTAX, NOT_INTEGER, OVERFLOW, DECR_OVERFLOW, NOT_FLOAT, INCR_NAN_OR_INF, OFFSET_OUT_OF_RANGE, STRING_TOO_LONG, wrongArity, LCS_LEN_AND_IDX, LCS_STRINGS_ONLY, LCS_TOO_LARGE } from '../../resp/errors.js';
import { parseInt64, parseIntString, INT64_MAX, INT64_MIN } from '../../commands/numbers.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { addLongDouble, formatLongDoubleHuman, isFiniteLongDouble, longDoubleFromNumber, parseLongDouble } from '../../commands/longdouble.js';

const ZERO_LD = longDoubleFromNumber(0);
import { FLAG_REPLICATED } from '../../ipc/records.js';
import { UNIT_MS, UNIT_SECONDS, bytesOf, getString, strLen, strOf, valueArg, clampStringRange } from './util.js';
import { BIG_STRING, isAggregate, toStored, type StrValue } from '../values/types.js';
import { expireArgToAbsolute } from './expire-arg.js';
import { KIND_NUM } from '../../store/byte-table.js';
import { X, declare, shardCommands } from '../../commands/registry.js';

/** SET's options (and GETEX's), as bits. */
const enum SetOpt { NX = 1, XX = 2, GET = 4, KEEPTTL = 8, EX = 16, PX = 32, EXAT = 64, PXAT = 128, PERSIST = 256 }
const ANY_EXPIRE = SetOpt.EX | SetOpt.PX | SetOpt.EXAT | SetOpt.PXAT;

/** Parse SET / GETEX options as parseExtendedStringArgumentsOrReply does. Returns [flags, expireArgIndex]. */
function parseSetOptions(c: ShardCtx, from: number, isSet: boolean): [number, number] {
  let flags = 0;
  let expireArg = -1;
  const a = c.args;
  for (let j = from; j < c.argc; j++) {
    const hasNext = j < c.argc - 1;
    if (isSet && a.is(j, 'nx') && !(flags & SetOpt.XX)) flags |= SetOpt.NX;
    else if (isSet && a.is(j, 'xx') && !(flags & SetOpt.NX)) flags |= SetOpt.XX;
    else if (isSet && a.is(j, 'get')) flags |= SetOpt.GET;
    else if (isSet && a.is(j, 'keepttl') && !(flags & (SetOpt.PERSIST | ANY_EXPIRE))) flags |= SetOpt.KEEPTTL;
    else if (!isSet && a.is(j, 'persist') && !(flags & (ANY_EXPIRE | SetOpt.KEEPTTL))) flags |= SetOpt.PERSIST;
    else if (a.is(j, 'ex') && !(flags & (SetOpt.KEEPTTL | SetOpt.PERSIST | SetOpt.EXAT | SetOpt.PX | SetOpt.PXAT)) && hasNext) {
      flags |= SetOpt.EX;
      expireArg = ++j;
    } else if (a.is(j, 'px') && !(flags & (SetOpt.KEEPTTL | SetOpt.PERSIST | SetOpt.EX | SetOpt.EXAT | SetOpt.PXAT)) && hasNext) {
      flags |= SetOpt.PX;
      expireArg = ++j;
    } else if (a.is(j, 'exat') && !(flags & (SetOpt.KEEPTTL | SetOpt.PERSIST | SetOpt.EX | SetOpt.PX | SetOpt.PXAT)) && hasNext) {
      flags |= SetOpt.EXAT;
      expireArg = ++j;
    } else if (a.is(j, 'pxat') && !(flags & (SetOpt.KEEPTTL | SetOpt.PERSIST | SetOpt.EX | SetOpt.EXAT | SetOpt.PX)) && hasNext) {
      flags |= SetOpt.PXAT;
      expireArg = ++j;
    } else throw new CommandError(SYNTAX);
  }
  return [flags, expireArg];
}

function expireFromFlags(c: ShardCtx, flags: number, arg: number, cmd: string): number {
  const unit = flags & (SetOpt.EX | SetOpt.EXAT) ? UNIT_SECONDS : UNIT_MS;
  return expireArgToAbsolute(c, arg, unit, (flags & (SetOpt.EX | SetOpt.PX)) !== 0, cmd);
}

/** The generic SET: used by SET, SETNX, SETEX, PSETEX, GETSET. */
function setGeneric(c: ShardCtx, key: string, valueIndex: number, flags: number, expireAt: number, okReply: 'ok' | 'one'): void {
  const db = c.db;
  let old: StrValue | undefined;
  if (flags & SetOpt.GET) {
    old = getString(c, key);
  }
  const found = flags & SetOpt.GET ? old !== undefined : db.get(key) !== undefined;
  if ((flags & SetOpt.NX && found) || (flags & SetOpt.XX && !found)) {
    if (flags & SetOpt.GET) {
      if (old === undefined) c.w.nullBulk();
      else c.w.bulkValue(old);
    } else if (okReply === 'one') c.w.int(0);
    else c.w.nullBulk();
    return;
  }
  const value = valueArg(c, valueIndex);
  db.set(key, value, (flags & SetOpt.KEEPTTL) !== 0);
  c.notify(NOTIFY_STRING, 'set', key);
  if (expireAt > 0) {
    db.setExpire(key, expireAt);
    c.notify(NOTIFY_GENERIC, 'expire', key);
    c.propagateCommand(['SET', key, c.args.bytes(valueIndex), 'PXAT', expireAt]);
  } else if (flags & SetOpt.GET) {
    // propagate without GET
    const parts: Buffer[] = [];
    for (let j = 0; j < c.argc; j++) if (!(j >= 3 && c.args.is(j, 'get'))) parts.push(c.args.bytes(j));
    c.propagateCommand(parts);
  } else {
    c.propagate();
  }
  if (flags & SetOpt.GET) {
    if (old === undefined) c.w.nullBulk();
    else c.w.bulkValue(old);
  } else if (okReply === 'one') c.w.int(1);
  else c.w.ok();
}

function incrBy(c: ShardCtx, key: string, incr: bigint | number): void {
  const db = c.db;
  const v = getString(c, key, false);
  let cur: number | bigint = 0;
  if (v !== undefined) {
    if (typeof v === 'number') cur = v;
    else if (typeof v !== 'string') throw new CommandError(NOT_INTEGER); // bytes: BIG_STRING long
    else {
      const n = parseIntString(v);
      if (n === null) throw new CommandError(NOT_INTEGER);
      cur = Number.isNaN(n) ? parseInt64(v)! : n;
    }
  }
  let result: number | bigint;
  if (typeof cur === 'number' && typeof incr === 'number') {
    result = cur + incr;
    if (!Number.isSafeInteger(result)) result = BigInt(cur) + BigInt(incr);
  } else {
    result = BigInt(cur) + BigInt(incr);
  }
  if (typeof result === 'bigint') {
    if (result > INT64_MAX || result < INT64_MIN) throw new CommandError(OVERFLOW);
    if (result <= BigInt(Number.MAX_SAFE_INTEGER) && result >= -BigInt(Number.MAX_SAFE_INTEGER)) result = Number(result);
  }
  if (typeof result === 'number') {
    if (v === undefined) db.add(key, result);
    else db.set(key, result, true);
    c.w.int(result);
  } else {
    const s = result.toString();
    if (v === undefined) db.add(key, s);
    else db.set(key, s, true);
    c.w.bigint(result);
  }
  c.notify(NOTIFY_STRING, 'incrby', key);
  c.propagate();
}

function incrByArg(c: ShardCtx, i: number, negate: boolean): bigint | number {
  const s = c.args.str(i);
  const n = parseIntString(s);
  if (n === null) throw new CommandError(NOT_INTEGER);
  if (Number.isNaN(n)) {
    const b = parseInt64(s)!;
    if (negate) {
      if (b === INT64_MIN) throw new CommandError(DECR_OVERFLOW);
      return -b;
    }
    return b;
  }
  return negate ? -n : n;
}

function getGeneric(c: ShardCtx, key: string): void {
  const v = getString(c, key);
  if (v === undefined) c.w.nullBulk();
  else c.bulkValue(v);
}

function getrange(c: ShardCtx): void {
  let start = c.args.int(2);
  let end = c.args.int(3);
  const v = getString(c, c.args.str(1));
  if (v === undefined) {
    c.w.bulk('');
    return;
  }
  const n = strLen(v);
  if (start < 0 && end < 0 && start > end) {
    c.w.bulk('');
    return;
  }
  [start, end] = clampStringRange(start, end, n);
  if (start > end || n === 0) c.w.bulk('');
  else if (typeof v === 'object') c.w.bulkBytes(v.subarray(start, end + 1));
  else c.w.bulk(strOf(v).slice(start, end + 1));
}

function checkStringLength(c: ShardCtx, size: number, append: number): void {
  if (c.flags & FLAG_REPLICATED) return; // must obey the master
  if (size + append > c.config.protoMaxBulkLen) throw new CommandError(STRING_TOO_LONG);
}


function lcs(c: ShardCtx): void {
  const va = c.db.read(c.args.str(1));
  const vb = c.db.read(c.args.str(2));
  if ((va !== undefined && isAggregate(va)) || (vb !== undefined && isAggregate(vb))) throw new CommandError(LCS_STRINGS_ONLY);
  const a = va === undefined ? '' : strOf(va);
  const b = vb === undefined ? '' : strOf(vb);
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < c.argc; j++) {
    if (c.args.is(j, 'idx')) getidx = true;
    else if (c.args.is(j, 'len')) getlen = true;
    else if (c.args.is(j, 'withmatchlen')) withmatchlen = true;
    else if (c.args.is(j, 'minmatchlen') && j + 1 < c.argc) {
      minmatchlen = c.args.int(j + 1);
      if (minmatchlen < 0) minmatchlen = 0;
      j++;
    } else throw new CommandError(SYNTAX);
  }
  if (getlen && getidx) throw new CommandError(LCS_LEN_AND_IDX);
  const alen = a.length;
  const blen = b.length;
  if ((alen + 1) * (blen + 1) * 4 > c.config.protoMaxBulkLen) {
    throw new CommandError(LCS_TOO_LARGE);
  }
  const w1 = blen + 1;
  const t = new Uint32Array((alen + 1) * w1);
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) t[i * w1 + j] = t[(i - 1) * w1 + j - 1]! + 1;
      else {
        const l1 = t[(i - 1) * w1 + j]!;
        const l2 = t[i * w1 + j - 1]!;
        t[i * w1 + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = t[alen * w1 + blen]!;
  if (getlen) {
    c.w.int(total);
    return;
  }
  const result: string[] = new Array<string>(total);
  let idx = total;
  const ranges: [number, number, number, number, number][] = [];
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      result[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = t[(i - 1) * w1 + j]!;
      const l2 = t[i * w1 + j - 1]!;
      if (l1 > l2) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    const matchLen = aEnd - aStart + 1;
    if (emit) {
      if (minmatchlen === 0 || matchLen >= minmatchlen) ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = alen;
    }
  }
  if (getidx) {
    c.w.map(2);
    c.w.bulk('matches');
    c.w.array(ranges.length);
    for (const [as, ae, bs, be, ml] of ranges) {
      c.w.array(withmatchlen ? 3 : 2);
      c.w.array(2);
      c.w.int(as);
      c.w.int(ae);
      c.w.array(2);
      c.w.int(bs);
      c.w.int(be);
      if (withmatchlen) c.w.int(ml);
    }
    c.w.bulk('len');
    c.w.int(total);
  } else {
    c.w.bulk(result.join(''));
  }
}

export const commands = shardCommands<ShardHandler>({
  get(c) {
    const a = c.args;
    // straight from the request's bytes when the store can answer so (no JS string for the key or value)
    const e = a.strings === null ? c.db.readBytes(a.buf, a.start[1]!, a.len[1]!) : -1;
    if (e < 0) getGeneric(c, a.str(1));
    else if (e === 0) c.w.nullBulk();
    else {
      const t = c.db.found!;
      if (t.kindAt(e) === KIND_NUM) c.w.bulkValue(t.numberAt(e));
      else c.w.bulkSlice(t.bytesAt(e), t.valueOffset(e), t.valueLength(e));
    }
  },

  set(c) {
    const a = c.args;
    // SET key value with no options, from the request's bytes when the store can take it so
    if (c.argc === 3 && a.strings === null && (c.config.notifyFlags & NOTIFY_STRING) === 0 && c.db.writeBytes(a.buf, a.start[1]!, a.len[1]!, a.start[2]!, a.len[2]!)) {
      c.propagate();
      c.w.ok();
      return;
    }
    const [flags, expireArg] = parseSetOptions(c, 3, true);
    const expireAt = expireArg > 0 ? expireFromFlags(c, flags, expireArg, 'set') : 0;
    setGeneric(c, c.args.str(1), 2, flags, expireAt, 'ok');
  },

  setnx(c) {
    setGeneric(c, c.args.str(1), 2, SetOpt.NX, 0, 'one');
  },

  setex(c) {
    const at = expireArgToAbsolute(c, 2, UNIT_SECONDS, true, 'setex');
    setGeneric(c, c.args.str(1), 3, 0, at, 'ok');
  },

  psetex(c) {
    const at = expireArgToAbsolute(c, 2, UNIT_MS, true, 'psetex');
    setGeneric(c, c.args.str(1), 3, 0, at, 'ok');
  },

  getset(c) {
    const key = c.args.str(1);
    const old = getString(c, key);
    c.db.set(key, valueArg(c, 2));
    c.notify(NOTIFY_STRING, 'set', key);
    if (old === undefined) c.w.nullBulk();
    else c.w.bulkValue(old);
    c.propagate();
  },

  getdel(c) {
    const key = c.args.str(1);
    const v = getString(c, key);
    if (v === undefined) {
      c.w.nullBulk();
      return;
    }
    c.w.bulkValue(v);
    c.db.delete(key);
    c.notify(NOTIFY_GENERIC, 'del', key);
    c.propagateCommand(['DEL', key]);
  },

  getex(c) {
    const key = c.args.str(1);
    const [flags, expireArg] = parseSetOptions(c, 2, false);
    const v = getString(c, key);
    if (v === undefined) {
      c.w.nullBulk();
      return;
    }
    const at = expireArg > 0 ? expireFromFlags(c, flags, expireArg, 'getex') : 0;
    c.w.bulkValue(v);
    if (flags & (SetOpt.EXAT | SetOpt.PXAT) && at <= c.now) {
      c.db.delete(key);
      c.notify(NOTIFY_GENERIC, 'del', key);
      c.propagateCommand(['DEL', key]);
    } else if (at > 0) {
      c.db.setExpire(key, at);
      c.notify(NOTIFY_GENERIC, 'expire', key);
      c.propagateCommand(['PEXPIREAT', key, at]);
    } else if (flags & SetOpt.PERSIST) {
      if (c.db.persist(key)) {
        c.notify(NOTIFY_GENERIC, 'persist', key);
        c.propagateCommand(['PERSIST', key]);
      }
    }
  },

  mget: declare((c) => {
    const n = c.argc - 1;
    c.w.array(n);
    for (let i = 1; i <= n; i++) {
      const v = c.db.read(c.args.str(i));
      if (v === undefined || isAggregate(v)) c.w.nullBulk();
      else c.w.bulkValue(v);
    }
  }, { x: X.SPLIT }),

  mset: declare((c) => {
    if (c.argc % 2 === 0) throw new CommandError(wrongArity('mset'));
    for (let i = 1; i < c.argc; i += 2) {
      c.db.set(c.args.str(i), valueArg(c, i + 1));
      c.notify(NOTIFY_STRING, 'set', c.args.str(i));
    }
    c.propagate();
    c.w.ok();
  }, { x: X.SPLIT }),

  msetnx(c) {
    if (c.argc % 2 === 0) throw new CommandError(wrongArity('msetnx'));
    for (let i = 1; i < c.argc; i += 2) {
      if (c.db.get(c.args.str(i)) !== undefined) {
        c.w.int(0);
        return;
      }
    }
    for (let i = 1; i < c.argc; i += 2) {
      c.db.set(c.args.str(i), valueArg(c, i + 1));
      c.notify(NOTIFY_STRING, 'set', c.args.str(i));
    }
    c.propagate();
    c.w.int(1);
  },

  incr(c) {
    incrBy(c, c.args.str(1), 1);
  },

  decr(c) {
    incrBy(c, c.args.str(1), -1);
  },

  incrby(c) {
    incrBy(c, c.args.str(1), incrByArg(c, 2, false));
  },

  decrby(c) {
    incrBy(c, c.args.str(1), incrByArg(c, 2, true));
  },

  incrbyfloat(c) {
    const key = c.args.str(1);
    const v = getString(c, key, false);
    let cur = ZERO_LD;
    if (v !== undefined) {
      const d = typeof v === 'number' ? longDoubleFromNumber(v) : typeof v === 'string' ? parseLongDouble(v) : null;
      if (d === null) throw new CommandError(NOT_FLOAT);
      cur = d;
    }
    const incr = parseLongDouble(c.args.str(2));
    if (incr === null) throw new CommandError(NOT_FLOAT);
    const result = addLongDouble(cur, incr);
    if (result === null || !isFiniteLongDouble(result)) throw new CommandError(INCR_NAN_OR_INF);
    const s = formatLongDoubleHuman(result);
    if (v === undefined) c.db.add(key, toStored(s));
    else c.db.set(key, toStored(s), true);
    c.notify(NOTIFY_STRING, 'incrbyfloat', key);
    c.w.bulk(s);
    c.propagateCommand(['SET', key, s, 'KEEPTTL']);
  },

  append(c) {
    const key = c.args.str(1);
    const addLen = c.args.length(2);
    const v = getString(c, key, false);
    let len: number;
    if (v === undefined) {
      c.db.add(key, valueArg(c, 2));
      len = addLen;
    } else {
      const curLen = strLen(v);
      checkStringLength(c, curLen, addLen);
      // bytes stay bytes (and a large append makes bytes); small strings grow as JS strings (ropes)
      const next = typeof v === 'object' || addLen >= BIG_STRING ? Buffer.concat([bytesOf(v), c.args.bytes(2)]) : strOf(v) + c.args.str(2);
      c.db.set(key, next, true);
      c.db.markRaw(key);
      len = next.length;
    }
    c.notify(NOTIFY_STRING, 'append', key);
    c.w.int(len);
    c.propagate();
  },

  strlen(c) {
    const v = getString(c, c.args.str(1));
    c.w.int(v === undefined ? 0 : strLen(v));
  },

  getrange,
  substr: getrange,

  setrange(c) {
    const key = c.args.str(1);
    const offset = c.args.int(2);
    if (offset < 0) throw new CommandError(OFFSET_OUT_OF_RANGE);
    const vlen = c.args.length(3);
    const v = getString(c, key, false);
    const curLen = v === undefined ? 0 : strLen(v);
    if (vlen === 0) {
      c.w.int(curLen);
      return;
    }
    checkStringLength(c, offset, vlen);
    const size = Math.max(curLen, offset + vlen);
    let next: string | Buffer;
    if ((v !== undefined && typeof v === 'object') || size >= BIG_STRING) {
      // a large value: a new Buffer (stored Buffers are never changed in place)
      next = Buffer.alloc(size);
      if (v !== undefined) bytesOf(v).copy(next, 0);
      c.args.bytes(3).copy(next, offset);
    } else {
      const cur = v === undefined ? '' : strOf(v);
      const value = c.args.str(3);
      const padded = cur.length < offset ? cur + '\0'.repeat(offset - cur.length) : cur;
      next = padded.slice(0, offset) + value + padded.slice(offset + value.length);
    }
    if (v === undefined) c.db.add(key, next);
    else c.db.set(key, next, true);
    c.db.markRaw(key);
    c.notify(NOTIFY_STRING, 'setrange', key);
    c.w.int(next.length);
    c.propagate();
  },

  lcs,
});
