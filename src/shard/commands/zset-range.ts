/*
 * Sorted sets: argument parsing (score and lex ranges), replies, and the range commands' core
 * (ZRANGE and its forms, ZRANGESTORE, ZREMRANGEBY*), for zsets.ts and zset-setops.ts.
 */

import { NOTIFY_GENERIC, NOTIFY_ZSET } from '../../commands/keyspace-events.js';
import { CommandError, MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_STRING_RANGE, SYNTAX, ZRANGE_LIMIT, ZRANGE_WITHSCORES_BYLEX } from '../../resp/errors.js';
import { parseDouble } from '../../commands/numbers.js';
import type { ShardCtx } from '../context.js';
import { lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, ZSetValue, type LexRange, type ScoreRange, type ZNode } from '../values/zset.js';
import { clampRange, getTyped, storeResult } from './util.js';

export function getZset(c: ShardCtx, key: string, read = true): ZSetValue | undefined {
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

export function parseScoreRange(c: ShardCtx, minIdx: number, maxIdx: number): ScoreRange {
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

export function parseLexRange(c: ShardCtx, minIdx: number, maxIdx: number): LexRange {
  const [min, minex, minKind] = parseLexItem(c.args.str(minIdx));
  const [max, maxex, maxKind] = parseLexItem(c.args.str(maxIdx));
  return { min, max, minex, maxex, minKind, maxKind };
}

/** getTimeoutFromObjectOrReply in seconds: ms, 0 = forever. */
// ---- replies ----------------------------------------------------------------------------------

/** Members (and scores) of nodes: flat in RESP2, [member, score] pairs in RESP3. */
export function replyNodes(c: ShardCtx, nodes: readonly ZNode[], withScores: boolean): void {
  const w = c.w;
  const nested = withScores && w.proto === 3;
  w.array(withScores && !nested ? nodes.length * 2 : nodes.length);
  for (const n of nodes) {
    if (nested) w.array(2);
    w.bulk(n.member);
    if (withScores) w.double(n.score);
  }
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

/**
 * Nodes of a range with LIMIT offset/count (count < 0: all): from the range's first node (its last
 * with rev), found by `first`, while `inside` holds (the range's far bound).
 */
function nodesInRange(
  z: ZSetValue,
  first: (list: ZSetValue['list']) => ZNode | null,
  inside: (x: ZNode) => boolean,
  offset: number,
  limit: number,
  rev: boolean,
): ZNode[] {
  const out: ZNode[] = [];
  if (offset < 0 || (offset > 0 && offset >= z.size)) return out;
  const list = z.list;
  let x = first(list);
  if (x && offset > 0) {
    const rank = list.rank(x.score, x.member);
    const target = rev ? rank - offset : rank + offset;
    x = target >= 1 && target <= z.size ? list.byRank(target) : null;
  }
  while (x && limit !== 0) {
    if (!inside(x)) break;
    out.push(x);
    limit--;
    x = rev ? x.backward : x.next[0] ?? null;
  }
  return out;
}

/** Nodes in a score range with LIMIT offset/count (count < 0: all). */
function nodesByScore(z: ZSetValue, r: ScoreRange, offset: number, limit: number, rev: boolean): ZNode[] {
  return rev
    ? nodesInRange(z, (l) => l.lastInScore(r), (x) => scoreGteMin(x.score, r), offset, limit, true)
    : nodesInRange(z, (l) => l.firstInScore(r), (x) => scoreLteMax(x.score, r), offset, limit, false);
}

function nodesByLex(z: ZSetValue, r: LexRange, offset: number, limit: number, rev: boolean): ZNode[] {
  return rev
    ? nodesInRange(z, (l) => l.lastInLex(r), (x) => lexGteMin(x.member, r), offset, limit, true)
    : nodesInRange(z, (l) => l.firstInLex(r), (x) => lexLteMax(x.member, r), offset, limit, false);
}

export const BY_AUTO = 0;
export const BY_RANK = 1;
export const BY_SCORE = 2;
export const BY_LEX = 3;

/**
 * ZRANGE and friends (zrangeGenericCommand): `at` is the source key's index; `by` / `rev` are fixed
 * by the legacy commands (null: options decide). Store: the destination key name.
 */
export function zrangeGeneric(c: ShardCtx, at: number, by: number, rev: boolean | null, store: string | null): void {
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
    throw new CommandError(ZRANGE_LIMIT);
  }
  if (withScores && by === BY_LEX) throw new CommandError(ZRANGE_WITHSCORES_BYLEX);
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
      const r = clampRange(start, end, z.size);
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
export function storeZset(c: ShardCtx, dst: string, z: ZSetValue): void {
  storeResult(c, dst, z, NOTIFY_ZSET);
}

// ---- removal by range -------------------------------------------------------------------------

export function zremrange(c: ShardCtx, by: number): void {
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
  if (z === undefined) return c.w.int(0);
  let nodes: ZNode[] = [];
  if (by === BY_RANK) {
    const r = clampRange(start, end, z.size);
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

/** The nodes of a sorted set in order. */
export function* iterNodes(z: ZSetValue): IterableIterator<ZNode> {
  for (let x = z.first(); x; x = x.next[0] ?? null) yield x;
}
