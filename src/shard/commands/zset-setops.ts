/*
 * Sorted sets: ZUNION ZINTER ZDIFF and their STORE forms (WEIGHTS AGGREGATE), ZINTERCARD; sets count
 * as sorted sets with score 1, as in Redis.
 */

import { CommandError, SYNTAX, WRONGTYPE, WEIGHT_NOT_FLOAT, zsetNeedsKeys, LIMIT_NEGATIVE } from '../../resp/errors.js';
import type { ShardCtx } from '../context.js';
import { SetValue } from '../values/set.js';
import { ZSetValue } from '../values/zset.js';
import { positiveLong } from './collection-scan.js';
import { replyNodes, storeZset, iterNodes } from './zset-range.js';

// ---- union / inter / diff ---------------------------------------------------------------------

/** ZUNION/ZINTER/ZDIFF (and their STORE forms, ZINTERCARD), and AGGREGATE's ways to combine scores. */
export const enum SetOp { UNION, INTER, DIFF }
const enum ScoreAggregate { SUM, MIN, MAX }

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
  if (agg === ScoreAggregate.SUM) {
    const r = a + b;
    return Number.isNaN(r) ? 0 : r;
  }
  if (agg === ScoreAggregate.MIN) return b < a ? b : a;
  return b > a ? b : a;
}

export function zsetOp(c: ShardCtx, dst: string | null, numkeysIdx: number, op: number, cardOnly: boolean): void {
  const setnum = c.args.int(numkeysIdx);
  if (setnum < 1) throw new CommandError(zsetNeedsKeys(c.cmd.name));
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
  let agg = ScoreAggregate.SUM;
  let withScores = false;
  let limit = 0;
  while (j < c.argc) {
    const remaining = c.argc - j;
    if (op !== SetOp.DIFF && !cardOnly && remaining >= setnum + 1 && c.args.is(j, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) srcs[i]!.weight = c.args.float(j, WEIGHT_NOT_FLOAT);
    } else if (op !== SetOp.DIFF && !cardOnly && remaining >= 2 && c.args.is(j, 'aggregate')) {
      j++;
      if (c.args.is(j, 'sum')) agg = ScoreAggregate.SUM;
      else if (c.args.is(j, 'min')) agg = ScoreAggregate.MIN;
      else if (c.args.is(j, 'max')) agg = ScoreAggregate.MAX;
      else throw new CommandError(SYNTAX);
      j++;
    } else if (remaining >= 1 && dst === null && !cardOnly && c.args.is(j, 'withscores')) {
      j++;
      withScores = true;
    } else if (cardOnly && remaining >= 2 && c.args.is(j, 'limit')) {
      j++;
      limit = positiveLong(c, j, LIMIT_NEGATIVE);
      j++;
    } else throw new CommandError(SYNTAX);
  }
  if (op !== SetOp.DIFF) srcs.sort((a, b) => srcSize(a) - srcSize(b));

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === SetOp.INTER) {
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
  } else if (op === SetOp.UNION) {
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
