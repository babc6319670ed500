/*
 * Sorted-set commands, with redis-server 7.0's replies, errors and propagation:
 *   ZADD (NX XX GT LT CH INCR) ZINCRBY ZREM ZCARD ZCOUNT ZLEXCOUNT ZSCORE ZMSCORE ZRANK ZREVRANK
 *   ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
 *   ZREVRANGEBYLEX ZREVRANGE ZPOPMIN ZPOPMAX ZMPOP BZPOPMIN BZPOPMAX BZMPOP ZRANDMEMBER
 *   ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE
 *   ZDIFFSTORE (WEIGHTS AGGREGATE) ZINTERCARD ZSCAN.
 *
 * Scores are replied with RespWriter.double() (%.17g, inf/-inf; RESP3 doubles). WITHSCORES replies are
 * flat arrays in RESP2 and arrays of [member, score] pairs in RESP3, as Redis does. Pops propagate as
 * ZPOPMIN/ZPOPMAX with an explicit count (deterministic). Blocking pops park with c.block() when every
 * key is empty, unless the context may not block (MULTI, replication stream, coordinated run), where
 * they reply a null array as Redis does.
 */

import { NOTIFY_GENERIC, NOTIFY_ZSET } from '../../commands/keyspace-events.js';
import {
  CommandError, MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_STRING_RANGE, SYNTAX, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, TIMEOUT_OUT_OF_RANGE,
  WRONGTYPE,
} from '../../resp/errors.js';
import { parseDouble } from '../../commands/numbers.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { SetValue } from '../values/set.js';
import { ZSetValue, type LexRange, type ScoreRange, type ZNode } from '../values/zset.js';
import { checkReplyElements, getTyped } from './util.js';
import { LONG_MAX, parseBlockingTimeout, parseCursor, parseMpopArgs, parseScanOptions, positiveLong, rangeLong } from './collection-scan.js';
import { globMatch } from '../../commands/glob.js';
import { formatDouble } from '../../resp/writer.js';
import { declare, shardCommands } from '../../commands/registry.js';

function getZset(c: ShardCtx, key: string, read = true): ZSetValue | undefined {
  return getTyped(c, key, ZSetValue, read);
}

// ---- argument parsing -------------------------------------------------------------------------

/** strtod over the whole string, as zslParseRange uses it (leading blanks, overflow to inf, "" is 0). */
function strtodWhole(s: string): number | null {
  if (s.length === 0) return 0;
  const m = /^[ \t\n\v\f\r]*([+-]?)([\s\S]*)$/.exec(s)!;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!.toLowerCase();
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (/^([0-9]+\.?[0-9]*|\.[0-9]+)(e[+-]?[0-9]+)?$/.test(body)) return sign * Number(body);
  if (body.startsWith('0x')) {
    const v = parseDouble(body);
    return v === null ? null : sign * v;
  }
  return null;
}

function parseScoreRange(c: ShardCtx, minIdx: number, maxIdx: number): ScoreRange {
  const r: ScoreRange = { min: 0, max: 0, minex: false, maxex: false };
  let s = c.args.str(minIdx);
  if (s.charCodeAt(0) === 40) {
    r.minex = true;
    s = s.slice(1);
  }
  let v = strtodWhole(s);
  if (v === null) throw new CommandError(MIN_MAX_NOT_FLOAT);
  r.min = v;
  s = c.args.str(maxIdx);
  if (s.charCodeAt(0) === 40) {
    r.maxex = true;
    s = s.slice(1);
  }
  v = strtodWhole(s);
  if (v === null) throw new CommandError(MIN_MAX_NOT_FLOAT);
  r.max = v;
  return r;
}

function parseLexItem(s: string): [string, boolean, -1 | 0 | 1] {
  const ch = s[0];
  if (ch === '+' && s.length === 1) return ['', true, 1];
  if (ch === '-' && s.length === 1) return ['', true, -1];
  if (ch === '(') return [s.slice(1), true, 0];
  if (ch === '[') return [s.slice(1), false, 0];
  throw new CommandError(MIN_MAX_NOT_STRING_RANGE);
}

function parseLexRange(c: ShardCtx, minIdx: number, maxIdx: number): LexRange {
  const [min, minex, minKind] = parseLexItem(c.args.str(minIdx));
  const [max, maxex, maxKind] = parseLexItem(c.args.str(maxIdx));
  return { min, max, minex, maxex, minKind, maxKind };
}

/** getTimeoutFromObjectOrReply in seconds: ms, 0 = forever. */
// ---- replies ----------------------------------------------------------------------------------

/** Members (and scores) of nodes: flat in RESP2, [member, score] pairs in RESP3. */
function replyNodes(c: ShardCtx, nodes: readonly ZNode[], withScores: boolean): void {
  const w = c.w;
  const nested = withScores && w.proto === 3;
  w.array(withScores && !nested ? nodes.length * 2 : nodes.length);
  for (const n of nodes) {
    if (nested) w.array(2);
    w.bulk(n.member);
    if (withScores) w.double(n.score);
  }
}

function replyPairs(c: ShardCtx, pairs: readonly [string, number][], withScores: boolean): void {
  const w = c.w;
  const nested = withScores && w.proto === 3;
  w.array(withScores && !nested ? pairs.length * 2 : pairs.length);
  for (const [m, s] of pairs) {
    if (nested) w.array(2);
    w.bulk(m);
    if (withScores) w.double(s);
  }
}

// ---- ZADD -------------------------------------------------------------------------------------

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;
const INCR = 16;
const CH = 32;

function zaddGeneric(c: ShardCtx, flags: number): void {
  let i = 2;
  for (; i < c.argc; i++) {
    if (c.args.is(i, 'nx')) flags |= NX;
    else if (c.args.is(i, 'xx')) flags |= XX;
    else if (c.args.is(i, 'ch')) flags |= CH;
    else if (c.args.is(i, 'incr')) flags |= INCR;
    else if (c.args.is(i, 'gt')) flags |= GT;
    else if (c.args.is(i, 'lt')) flags |= LT;
    else break;
  }
  const elements = c.argc - i;
  if (elements % 2 !== 0 || elements === 0) throw new CommandError(SYNTAX);
  const pairs = elements / 2;
  if (flags & NX && flags & XX) throw new CommandError('ERR XX and NX options at the same time are not compatible');
  if ((flags & GT && flags & NX) || (flags & LT && flags & NX) || (flags & GT && flags & LT)) {
    throw new CommandError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (flags & INCR && pairs > 1) throw new CommandError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = new Array<number>(pairs);
  for (let j = 0; j < pairs; j++) scores[j] = c.args.float(i + j * 2);

  const key = c.args.str(1);
  let z = getZset(c, key, false);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z === undefined && !(flags & XX)) {
    z = new ZSetValue(true);
    c.db.add(key, z);
  }
  if (z !== undefined) {
    for (let j = 0; j < pairs; j++) {
      const member = c.args.str(i + j * 2 + 1);
      let s = scores[j]!;
      const cur = z.score(member);
      if (cur !== undefined) {
        if (flags & NX) continue;
        if (flags & INCR) {
          s += cur;
          if (Number.isNaN(s)) {
            if (added + updated > 0) {
              c.db.modified(key);
              c.notify(NOTIFY_ZSET, 'zincr', key);
              c.propagate();
            }
            throw new CommandError('ERR resulting score is not a number (NaN)');
          }
        }
        if ((flags & LT && s >= cur) || (flags & GT && s <= cur)) continue;
        score = s;
        processed++;
        if (s !== cur) {
          z.set(member, s);
          updated++;
        }
      } else {
        if (flags & XX) continue;
        z.set(member, s);
        score = s;
        added++;
        processed++;
      }
    }
    if (added + updated > 0) {
      c.db.modified(key);
      c.notify(NOTIFY_ZSET, flags & INCR ? 'zincr' : 'zadd', key);
      c.propagate();
    }
  }
  if (flags & INCR) {
    if (processed > 0) c.w.double(score);
    else c.w.nullBulk();
  } else c.w.int(flags & CH ? added + updated : added);
}

// ---- ranges -----------------------------------------------------------------------------------

/** Nodes with ranks [start, end] (already clamped), in order or reversed. */
function nodesByRank(z: ZSetValue, start: number, end: number, rev: boolean): ZNode[] {
  const out: ZNode[] = [];
  const n = z.size;
  let x: ZNode | null = rev ? z.at(n - 1 - start) : z.at(start);
  for (let k = start; k <= end && x; k++) {
    out.push(x);
    x = rev ? x.backward : x.next[0] ?? null;
  }
  return out;
}

function sanitizeRank(start: number, end: number, n: number): [number, number] | null {
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return null;
  if (end >= n) end = n - 1;
  return [start, end];
}

/** Nodes in a score range with LIMIT offset/count (count < 0: all). */
function nodesByScore(z: ZSetValue, r: ScoreRange, offset: number, limit: number, rev: boolean): ZNode[] {
  const out: ZNode[] = [];
  if (offset < 0 || (offset > 0 && offset >= z.size)) return out;
  const list = z.list;
  let x = rev ? list.lastInScore(r) : list.firstInScore(r);
  if (x && offset > 0) {
    const rank = list.rank(x.score, x.member);
    const target = rev ? rank - offset : rank + offset;
    x = target >= 1 && target <= z.size ? list.byRank(target) : null;
  }
  while (x && limit !== 0) {
    if (rev ? !(r.minex ? x.score > r.min : x.score >= r.min) : !(r.maxex ? x.score < r.max : x.score <= r.max)) break;
    out.push(x);
    limit--;
    x = rev ? x.backward : x.next[0] ?? null;
  }
  return out;
}

function lexGteMin(m: string, r: LexRange): boolean {
  if (r.minKind !== 0) return r.minKind < 0;
  return r.minex ? m > r.min : m >= r.min;
}
function lexLteMax(m: string, r: LexRange): boolean {
  if (r.maxKind !== 0) return r.maxKind > 0;
  return r.maxex ? m < r.max : m <= r.max;
}

function nodesByLex(z: ZSetValue, r: LexRange, offset: number, limit: number, rev: boolean): ZNode[] {
  const out: ZNode[] = [];
  if (offset < 0 || (offset > 0 && offset >= z.size)) return out;
  const list = z.list;
  let x = rev ? list.lastInLex(r) : list.firstInLex(r);
  if (x && offset > 0) {
    const rank = list.rank(x.score, x.member);
    const target = rev ? rank - offset : rank + offset;
    x = target >= 1 && target <= z.size ? list.byRank(target) : null;
  }
  while (x && limit !== 0) {
    if (rev ? !lexGteMin(x.member, r) : !lexLteMax(x.member, r)) break;
    out.push(x);
    limit--;
    x = rev ? x.backward : x.next[0] ?? null;
  }
  return out;
}

const BY_AUTO = 0;
const BY_RANK = 1;
const BY_SCORE = 2;
const BY_LEX = 3;

/**
 * ZRANGE and friends (zrangeGenericCommand): `at` is the source key's index; `by` / `rev` are fixed
 * by the legacy commands (null: options decide). Store: the destination key name.
 */
function zrangeGeneric(c: ShardCtx, at: number, by: number, rev: boolean | null, store: string | null): void {
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let hasLimit = false;
  for (let j = at + 3; j < c.argc; j++) {
    const left = c.argc - j - 1;
    if (store === null && c.args.is(j, 'withscores')) withScores = true;
    else if (c.args.is(j, 'limit') && left >= 2) {
      offset = c.args.int(j + 1);
      limit = c.args.int(j + 2);
      hasLimit = true;
      j += 2;
    } else if (rev === null && c.args.is(j, 'rev')) rev = true;
    else if (by === BY_AUTO && c.args.is(j, 'bylex')) by = BY_LEX;
    else if (by === BY_AUTO && c.args.is(j, 'byscore')) by = BY_SCORE;
    else throw new CommandError(SYNTAX);
  }
  if (rev === null) rev = false;
  if (by === BY_AUTO) by = BY_RANK;
  if (hasLimit && limit !== -1 && by === BY_RANK) {
    throw new CommandError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && by === BY_LEX) throw new CommandError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  let minIdx = at + 1;
  let maxIdx = at + 2;
  if (rev && by !== BY_RANK) {
    minIdx = at + 2;
    maxIdx = at + 1;
  }
  let start = 0;
  let end = 0;
  let sr: ScoreRange | null = null;
  let lr: LexRange | null = null;
  if (by === BY_RANK) {
    start = c.args.int(minIdx);
    end = c.args.int(maxIdx);
  } else if (by === BY_SCORE) sr = parseScoreRange(c, minIdx, maxIdx);
  else lr = parseLexRange(c, minIdx, maxIdx);

  const z = getZset(c, c.args.str(at));
  let nodes: ZNode[] = [];
  if (z !== undefined) {
    if (by === BY_RANK) {
      const r = sanitizeRank(start, end, z.size);
      if (r) nodes = nodesByRank(z, r[0], r[1], rev);
    } else if (by === BY_SCORE) nodes = nodesByScore(z, sr!, offset, limit, rev);
    else nodes = nodesByLex(z, lr!, offset, limit, rev);
  }
  if (store === null) {
    replyNodes(c, nodes, withScores);
    return;
  }
  const dst = new ZSetValue(true);
  for (const n of nodes) dst.set(n.member, n.score);
  storeZset(c, store, dst);
}

/** Store a result at dst (or delete dst when empty); replies with its size. */
function storeZset(c: ShardCtx, dst: string, z: ZSetValue): void {
  if (z.size > 0) {
    c.db.set(dst, z);
    c.notify(NOTIFY_ZSET, c.cmd.name, dst);
    c.propagate();
  } else if (c.db.delete(dst)) {
    c.notify(NOTIFY_GENERIC, 'del', dst);
    c.propagate();
  }
  c.w.int(z.size);
}

// ---- pops -------------------------------------------------------------------------------------

/**
 * Pop up to `count` from the first non-empty key of keys (genericZpopCommand). Replies as Redis:
 * emitKey adds the key name; nested gives [member, score] pairs; nilWhenEmpty a null array.
 * Returns the key popped from (propagated as ZPOPMIN/ZPOPMAX key count), or null.
 */
function zpop(c: ShardCtx, keys: string[], max: boolean, emitKey: boolean, count: number, nested: boolean, nilWhenEmpty: boolean): string | null {
  let z: ZSetValue | undefined;
  let key = '';
  for (const k of keys) {
    const v = c.db.get(k);
    if (v === undefined) continue;
    if (!(v instanceof ZSetValue)) throw new CommandError(WRONGTYPE);
    z = v;
    key = k;
    break;
  }
  const w = c.w;
  if (z === undefined) {
    if (nilWhenEmpty) w.nullArray();
    else w.array(0);
    return null;
  }
  if (count === 0) {
    w.array(0);
    return null;
  }
  const n = Math.min(count, z.size);
  if (!nested && !emitKey) w.array(n * 2);
  else if (nested && !emitKey) w.array(n);
  else if (!nested && emitKey) {
    w.array(n * 2 + 1);
    w.bulk(key);
  } else {
    w.array(2);
    w.bulk(key);
    w.array(n);
  }
  for (let k = 0; k < n; k++) {
    const node = max ? z.last()! : z.first()!;
    z.delete(node.member);
    if (nested) w.array(2);
    w.bulk(node.member);
    w.double(node.score);
  }
  if (z.size === 0) c.db.delete(key);
  else c.db.modified(key);
  c.notify(NOTIFY_ZSET, max ? 'zpopmax' : 'zpopmin', key);
  if (z.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
  c.propagateCommand([max ? 'ZPOPMAX' : 'ZPOPMIN', key, n]);
  return key;
}

function zpopMinMax(c: ShardCtx, max: boolean): void {
  if (c.argc > 3) throw new CommandError(SYNTAX);
  let count = -1;
  if (c.argc === 3) count = positiveLong(c, 2);
  const nested = c.w.proto === 3 && count !== -1;
  zpop(c, [c.args.str(1)], max, false, count === -1 ? 1 : count, nested, false);
}

/** True if any of the keys holds a non-empty sorted set (WRONGTYPE for another type). */
function anyReady(c: ShardCtx, keys: string[]): boolean {
  for (const k of keys) {
    const v = c.db.get(k);
    if (v === undefined) continue;
    if (!(v instanceof ZSetValue)) throw new CommandError(WRONGTYPE);
    if (v.size > 0) return true;
  }
  return false;
}

function blockingPop(c: ShardCtx, keys: string[], max: boolean, timeoutMs: number, count: number, nested: boolean): void {
  if (anyReady(c, keys)) {
    zpop(c, keys, max, true, count, nested, true);
    return;
  }
  if (c.mayNotBlock()) {
    c.w.nullArray();
    return;
  }
  c.block(keys, timeoutMs);
}

function bzpopMinMax(c: ShardCtx, max: boolean): void {
  const timeout = parseBlockingTimeout(c);
  const keys: string[] = [];
  for (let i = 1; i < c.argc - 1; i++) keys.push(c.args.str(i));
  blockingPop(c, keys, max, timeout, 1, false);
}

function zmpopGeneric(c: ShardCtx, numkeysIdx: number, blocking: boolean): void {
  const { keys, end, count } = parseMpopArgs(c, numkeysIdx, ['min', 'max']);
  const max = end === 1;
  if (blocking) blockingPop(c, keys, max, parseBlockingTimeout(c), count, true);
  else zpop(c, keys, max, true, count, true, true);
}

// ---- random -----------------------------------------------------------------------------------

function zrandmember(c: ShardCtx): void {
  if (c.argc >= 3) {
    const l = rangeLong(c, 2, -LONG_MAX, LONG_MAX);
    if (c.argc > 4 || (c.argc === 4 && !c.args.is(3, 'withscores'))) throw new CommandError(SYNTAX);
    const withScores = c.argc === 4;
    if (withScores) {
      const v = c.args.int64(2);
      if (v < -LONG_MAX / 2n || v > LONG_MAX / 2n) throw new CommandError('ERR value is out of range');
    }
    const z = getZset(c, c.args.str(1));
    if (z === undefined || l === 0) {
      c.w.array(0);
      return;
    }
    const count = Math.abs(l);
    const size = z.size;
    if (l < 0 || count === 1) {
      checkReplyElements(c, withScores ? count * 2 : count);
      const picks: ZNode[] = [];
      for (let k = 0; k < count; k++) picks.push(z.random());
      replyNodes(c, picks, withScores);
      return;
    }
    if (count >= size) {
      replyNodes(c, [...iterNodes(z)], withScores);
      return;
    }
    const picked = new Set<ZNode>();
    while (picked.size < count) picked.add(z.random());
    replyNodes(c, [...picked], withScores);
    return;
  }
  const z = getZset(c, c.args.str(1));
  if (z === undefined) c.w.nullBulk();
  else c.w.bulk(z.random().member);
}

function* iterNodes(z: ZSetValue): IterableIterator<ZNode> {
  for (let x = z.first(); x; x = x.next[0] ?? null) yield x;
}

// ---- removal by range -------------------------------------------------------------------------

function zremrange(c: ShardCtx, by: number): void {
  let start = 0;
  let end = 0;
  let sr: ScoreRange | null = null;
  let lr: LexRange | null = null;
  if (by === BY_RANK) {
    start = c.args.int(2);
    end = c.args.int(3);
  } else if (by === BY_SCORE) sr = parseScoreRange(c, 2, 3);
  else lr = parseLexRange(c, 2, 3);
  const key = c.args.str(1);
  const z = getZset(c, key, false);
  if (z === undefined) {
    c.w.int(0);
    return;
  }
  let nodes: ZNode[] = [];
  if (by === BY_RANK) {
    const r = sanitizeRank(start, end, z.size);
    if (r) nodes = nodesByRank(z, r[0], r[1], false);
  } else if (by === BY_SCORE) nodes = nodesByScore(z, sr!, 0, -1, false);
  else nodes = nodesByLex(z, lr!, 0, -1, false);
  for (const n of nodes) z.delete(n.member);
  if (nodes.length > 0) {
    if (z.size === 0) c.db.delete(key);
    else c.db.modified(key);
    c.notify(NOTIFY_ZSET, by === BY_RANK ? 'zremrangebyrank' : by === BY_SCORE ? 'zrembyscore' : 'zremrangebylex', key);
    if (z.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
    c.propagate();
  }
  c.w.int(nodes.length);
}

// ---- union / inter / diff ---------------------------------------------------------------------

const OP_UNION = 0;
const OP_INTER = 1;
const OP_DIFF = 2;
const AGG_SUM = 0;
const AGG_MIN = 1;
const AGG_MAX = 2;

/** An input of ZUNION & co: a sorted set, or a set (every score 1), or missing (empty). */
interface Src {
  z: ZSetValue | null;
  s: SetValue | null;
  weight: number;
}

function srcSize(s: Src): number {
  return s.z ? s.z.size : s.s ? s.s.size : 0;
}
function srcScore(s: Src, m: string): number | undefined {
  if (s.z) return s.z.score(m);
  if (s.s) return s.s.has(m) ? 1 : undefined;
  return undefined;
}
function srcEach(s: Src, f: (m: string, score: number) => void): void {
  if (s.z) for (let x = s.z.first(); x; x = x.next[0] ?? null) f(x.member, x.score);
  else if (s.s) for (const m of s.s.list()) f(m, 1);
}

function aggregate(agg: number, a: number, b: number): number {
  if (agg === AGG_SUM) {
    const r = a + b;
    return Number.isNaN(r) ? 0 : r;
  }
  if (agg === AGG_MIN) return b < a ? b : a;
  return b > a ? b : a;
}

function zsetOp(c: ShardCtx, dst: string | null, numkeysIdx: number, op: number, cardOnly: boolean): void {
  const setnum = c.args.int(numkeysIdx);
  if (setnum < 1) throw new CommandError(`ERR at least 1 input key is needed for '${c.cmd.name}' command`);
  if (setnum > c.argc - (numkeysIdx + 1)) throw new CommandError(SYNTAX);
  const srcs: Src[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = c.db.read(c.args.str(j));
    if (v === undefined) srcs.push({ z: null, s: null, weight: 1 });
    else if (v instanceof ZSetValue) srcs.push({ z: v, s: null, weight: 1 });
    else if (v instanceof SetValue) srcs.push({ z: null, s: v, weight: 1 });
    else throw new CommandError(WRONGTYPE);
  }
  let agg = AGG_SUM;
  let withScores = false;
  let limit = 0;
  while (j < c.argc) {
    const remaining = c.argc - j;
    if (op !== OP_DIFF && !cardOnly && remaining >= setnum + 1 && c.args.is(j, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) srcs[i]!.weight = c.args.float(j, 'ERR weight value is not a float');
    } else if (op !== OP_DIFF && !cardOnly && remaining >= 2 && c.args.is(j, 'aggregate')) {
      j++;
      if (c.args.is(j, 'sum')) agg = AGG_SUM;
      else if (c.args.is(j, 'min')) agg = AGG_MIN;
      else if (c.args.is(j, 'max')) agg = AGG_MAX;
      else throw new CommandError(SYNTAX);
      j++;
    } else if (remaining >= 1 && dst === null && !cardOnly && c.args.is(j, 'withscores')) {
      j++;
      withScores = true;
    } else if (cardOnly && remaining >= 2 && c.args.is(j, 'limit')) {
      j++;
      limit = positiveLong(c, j, "LIMIT can't be negative");
      j++;
    } else throw new CommandError(SYNTAX);
  }
  if (op !== OP_DIFF) srcs.sort((a, b) => srcSize(a) - srcSize(b));

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === OP_INTER) {
    const first = srcs[0]!;
    if (srcSize(first) > 0) {
      const it: [string, number][] = [];
      srcEach(first, (m, s) => it.push([m, s]));
      for (const [m, s0] of it) {
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < srcs.length; k++) {
          const o = srcs[k]!;
          const v = (o.z !== null && o.z === first.z) || (o.s !== null && o.s === first.s) ? s0 : srcScore(o, m);
          if (v === undefined) break;
          score = aggregate(agg, score, v * o.weight);
        }
        if (k === srcs.length) {
          if (cardOnly) {
            cardinality++;
            if (limit && cardinality >= limit) break;
          } else result.set(m, score);
        }
      }
    }
  } else if (op === OP_UNION) {
    for (const src of srcs) {
      srcEach(src, (m, s0) => {
        let score = src.weight * s0;
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? score : aggregate(agg, cur, score));
      });
    }
  } else {
    const first = srcs[0]!;
    srcEach(first, (m, s0) => {
      for (let k = 1; k < srcs.length; k++) if (srcScore(srcs[k]!, m) !== undefined) return;
      result.set(m, s0);
    });
  }

  if (cardOnly) {
    c.w.int(cardinality);
    return;
  }
  const out = new ZSetValue(false);
  let maxlen = 0;
  for (const [m, s] of result) {
    out.set(m, s);
    if (m.length > maxlen) maxlen = m.length;
  }
  if (dst !== null) {
    out.convertToListpackIfNeeded(maxlen);
    storeZset(c, dst, out);
    return;
  }
  replyNodes(c, [...iterNodes(out)], withScores);
}

// ---- handlers ---------------------------------------------------------------------------------

export const commands = shardCommands<ShardHandler>({
  zadd(c) {
    zaddGeneric(c, 0);
  },

  zincrby(c) {
    zaddGeneric(c, INCR);
  },

  zrem(c) {
    const key = c.args.str(1);
    const z = getZset(c, key, false);
    let deleted = 0;
    if (z !== undefined) {
      for (let i = 2; i < c.argc; i++) {
        if (z.delete(c.args.str(i))) deleted++;
        if (z.size === 0) {
          c.db.delete(key);
          break;
        }
      }
      if (deleted > 0) {
        if (z.size > 0) c.db.modified(key);
        c.notify(NOTIFY_ZSET, 'zrem', key);
        if (z.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
        c.propagate();
      }
    }
    c.w.int(deleted);
  },

  zcard(c) {
    c.w.int(getZset(c, c.args.str(1))?.size ?? 0);
  },

  zcount(c) {
    const r = parseScoreRange(c, 2, 3);
    const z = getZset(c, c.args.str(1));
    let n = 0;
    if (z !== undefined) {
      const f = z.list.firstInScore(r);
      if (f) {
        const l = z.list.lastInScore(r)!;
        n = z.list.rank(l.score, l.member) - z.list.rank(f.score, f.member) + 1;
      }
    }
    c.w.int(n);
  },

  zlexcount(c) {
    const r = parseLexRange(c, 2, 3);
    const z = getZset(c, c.args.str(1));
    let n = 0;
    if (z !== undefined) {
      const f = z.list.firstInLex(r);
      if (f) {
        const l = z.list.lastInLex(r)!;
        n = z.list.rank(l.score, l.member) - z.list.rank(f.score, f.member) + 1;
      }
    }
    c.w.int(n);
  },

  zscore(c) {
    const s = getZset(c, c.args.str(1))?.score(c.args.str(2));
    if (s === undefined) c.w.nullBulk();
    else c.w.double(s);
  },

  zmscore(c) {
    const z = getZset(c, c.args.str(1));
    c.w.array(c.argc - 2);
    for (let i = 2; i < c.argc; i++) {
      const s = z?.score(c.args.str(i));
      if (s === undefined) c.w.nullBulk();
      else c.w.double(s);
    }
  },

  zrank(c) {
    const z = getZset(c, c.args.str(1));
    const r = z === undefined ? -1 : z.rank(c.args.str(2));
    if (r < 0) c.w.nullBulk();
    else c.w.int(r);
  },

  zrevrank(c) {
    const z = getZset(c, c.args.str(1));
    const r = z === undefined ? -1 : z.rank(c.args.str(2));
    if (r < 0) c.w.nullBulk();
    else c.w.int(z!.size - 1 - r);
  },

  zrange(c) {
    zrangeGeneric(c, 1, BY_AUTO, null, null);
  },

  zrangestore(c) {
    zrangeGeneric(c, 2, BY_AUTO, null, c.args.str(1));
  },

  zrevrange(c) {
    zrangeGeneric(c, 1, BY_RANK, true, null);
  },

  zrangebyscore(c) {
    zrangeGeneric(c, 1, BY_SCORE, false, null);
  },

  zrevrangebyscore(c) {
    zrangeGeneric(c, 1, BY_SCORE, true, null);
  },

  zrangebylex(c) {
    zrangeGeneric(c, 1, BY_LEX, false, null);
  },

  zrevrangebylex(c) {
    zrangeGeneric(c, 1, BY_LEX, true, null);
  },

  zpopmin(c) {
    zpopMinMax(c, false);
  },

  zpopmax(c) {
    zpopMinMax(c, true);
  },

  zmpop(c) {
    zmpopGeneric(c, 1, false);
  },

  bzpopmin: declare((c) => {
    bzpopMinMax(c, false);
  }, { timeoutArg: -1 }),

  bzpopmax: declare((c) => {
    bzpopMinMax(c, true);
  }, { timeoutArg: -1 }),

  bzmpop: declare((c) => {
    zmpopGeneric(c, 2, true);
  }, { timeoutArg: 1 }),

  zrandmember,

  zremrangebyrank(c) {
    zremrange(c, BY_RANK);
  },

  zremrangebyscore(c) {
    zremrange(c, BY_SCORE);
  },

  zremrangebylex(c) {
    zremrange(c, BY_LEX);
  },

  zunion(c) {
    zsetOp(c, null, 1, OP_UNION, false);
  },

  zinter(c) {
    zsetOp(c, null, 1, OP_INTER, false);
  },

  zdiff(c) {
    zsetOp(c, null, 1, OP_DIFF, false);
  },

  zunionstore(c) {
    zsetOp(c, c.args.str(1), 2, OP_UNION, false);
  },

  zinterstore(c) {
    zsetOp(c, c.args.str(1), 2, OP_INTER, false);
  },

  zdiffstore(c) {
    zsetOp(c, c.args.str(1), 2, OP_DIFF, false);
  },

  zintercard(c) {
    zsetOp(c, null, 1, OP_INTER, true);
  },

  zscan(c) {
    const cursor = parseCursor(c, 2);
    const z = getZset(c, c.args.str(1));
    if (z === undefined) {
      c.w.array(2);
      c.w.bulk('0');
      c.w.array(0);
      return;
    }
    const opts = parseScanOptions(c, 3);
    const out: string[] = [];
    let next = 0;
    const pat = opts.pattern;
    const add = (n: ZNode): void => {
      if (pat !== null && !globMatch(pat, n.member)) return;
      out.push(n.member, formatDouble(n.score));
    };
    if (z.isListpack()) {
      for (const n of iterNodes(z)) add(n);
    } else {
      const size = z.size;
      const top = cursor === 0 || cursor > size ? size : cursor;
      const from = Math.max(0, top - opts.count);
      for (let i = top - 1; i >= from; i--) add(z.nodes[i]!);
      next = from;
    }
    c.w.array(2);
    c.w.bulk(String(next));
    c.w.bulkArray(out);
  },
});
