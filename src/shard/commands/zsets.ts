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
 *
 * Range parsing and the range commands' core are in zset-range.ts; ZUNION & co in zset-setops.ts.
 */

import { NOTIFY_GENERIC, NOTIFY_ZSET } from '../../commands/keyspace-events.js';
import { CommandError, SYNTAX, WRONGTYPE, ZADD_GT_LT_NX, ZADD_INCR_PAIR, ZADD_XX_NX, ZSCORE_NAN } from '../../resp/errors.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { ZSetValue, type ZNode } from '../values/zset.js';
import { checkReplyElements, removeMembers, memberLookups, argsBeforeLast, blockOrNull } from './util.js';
import { parseBlockingTimeout, parseCursor, parseMpopArgs, parseScanOptions, positiveLong, parseRandomCount, emptyScanReply } from './collection-scan.js';
import { globMatch } from '../../commands/glob.js';
import { formatDouble } from '../../resp/writer.js';
import { declare, shardCommands } from '../../commands/registry.js';
import { getZset, parseScoreRange, parseLexRange, replyNodes, BY_AUTO, BY_RANK, BY_SCORE, BY_LEX, zrangeGeneric, zremrange, iterNodes } from './zset-range.js';
import { SetOp, zsetOp } from './zset-setops.js';

// ---- ZADD -------------------------------------------------------------------------------------

/** ZADD's options, as bits. */
const enum ZaddOpt { NX = 1, XX = 2, GT = 4, LT = 8, INCR = 16, CH = 32 }

/** Elements of a range, from its first node to its last (found by first and last); 0 without a set. */
function countInRange(z: ZSetValue | undefined, first: (list: ZSetValue['list']) => ZNode | null, last: (list: ZSetValue['list']) => ZNode | null): number {
  if (z === undefined) return 0;
  const f = first(z.list);
  if (!f) return 0;
  const l = last(z.list)!;
  return z.list.rank(l.score, l.member) - z.list.rank(f.score, f.member) + 1;
}

function zaddGeneric(c: ShardCtx, flags: number): void {
  let i = 2;
  for (; i < c.argc; i++) {
    if (c.args.is(i, 'nx')) flags |= ZaddOpt.NX;
    else if (c.args.is(i, 'xx')) flags |= ZaddOpt.XX;
    else if (c.args.is(i, 'ch')) flags |= ZaddOpt.CH;
    else if (c.args.is(i, 'incr')) flags |= ZaddOpt.INCR;
    else if (c.args.is(i, 'gt')) flags |= ZaddOpt.GT;
    else if (c.args.is(i, 'lt')) flags |= ZaddOpt.LT;
    else break;
  }
  const elements = c.argc - i;
  if (elements % 2 !== 0 || elements === 0) throw new CommandError(SYNTAX);
  const pairs = elements / 2;
  if (flags & ZaddOpt.NX && flags & ZaddOpt.XX) throw new CommandError(ZADD_XX_NX);
  if ((flags & ZaddOpt.GT && flags & ZaddOpt.NX) || (flags & ZaddOpt.LT && flags & ZaddOpt.NX) || (flags & ZaddOpt.GT && flags & ZaddOpt.LT)) {
    throw new CommandError(ZADD_GT_LT_NX);
  }
  if (flags & ZaddOpt.INCR && pairs > 1) throw new CommandError(ZADD_INCR_PAIR);
  const scores: number[] = new Array<number>(pairs);
  for (let j = 0; j < pairs; j++) scores[j] = c.args.float(i + j * 2);

  const key = c.args.str(1);
  let z = getZset(c, key, false);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z === undefined && !(flags & ZaddOpt.XX)) {
    z = new ZSetValue(true);
    c.db.add(key, z);
  }
  if (z !== undefined) {
    const zs = z;
    zs.batch(() => {
      for (let j = 0; j < pairs; j++) {
        const member = c.args.str(i + j * 2 + 1);
        let s = scores[j]!;
        const cur = zs.score(member);
        if (cur !== undefined) {
          if (flags & ZaddOpt.NX) continue;
          if (flags & ZaddOpt.INCR) {
            s += cur;
            if (Number.isNaN(s)) {
              if (added + updated > 0) {
                c.db.modified(key);
                c.notify(NOTIFY_ZSET, 'zincr', key);
                c.propagate();
              }
              throw new CommandError(ZSCORE_NAN);
            }
          }
          if ((flags & ZaddOpt.LT && s >= cur) || (flags & ZaddOpt.GT && s <= cur)) continue;
          score = s;
          processed++;
          if (s !== cur) {
            zs.set(member, s);
            updated++;
          }
        } else {
          if (flags & ZaddOpt.XX) continue;
          zs.set(member, s);
          score = s;
          added++;
          processed++;
        }
      }
    });
    if (added + updated > 0) {
      c.db.modified(key);
      c.notify(NOTIFY_ZSET, flags & ZaddOpt.INCR ? 'zincr' : 'zadd', key);
      c.propagate();
    }
  }
  if (flags & ZaddOpt.INCR) {
    if (processed > 0) c.w.double(score);
    else c.w.nullBulk();
  } else c.w.int(flags & ZaddOpt.CH ? added + updated : added);
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
  blockOrNull(c, keys, timeoutMs);
}

function bzpopMinMax(c: ShardCtx, max: boolean): void {
  const timeout = parseBlockingTimeout(c);
  const keys = argsBeforeLast(c, 1);
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
    const { count: l, pairs: withScores } = parseRandomCount(c, 'withscores');
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

// ---- handlers ---------------------------------------------------------------------------------

const [zscore, zmscore] = memberLookups(getZset, (c, z, member) => c.w.doubleOrNull(z?.score(member)));

export const commands = shardCommands<ShardHandler>({
  zadd(c) {
    zaddGeneric(c, 0);
  },

  zincrby(c) {
    zaddGeneric(c, ZaddOpt.INCR);
  },

  zrem(c) {
    const key = c.args.str(1);
    removeMembers(c, key, getZset(c, key, false), NOTIFY_ZSET, 'zrem');
  },

  zcard(c) {
    c.w.int(getZset(c, c.args.str(1))?.size ?? 0);
  },

  zcount(c) {
    const r = parseScoreRange(c, 2, 3);
    c.w.int(countInRange(getZset(c, c.args.str(1)), (l) => l.firstInScore(r), (l) => l.lastInScore(r)));
  },

  zlexcount(c) {
    const r = parseLexRange(c, 2, 3);
    c.w.int(countInRange(getZset(c, c.args.str(1)), (l) => l.firstInLex(r), (l) => l.lastInLex(r)));
  },

  zscore,
  zmscore,

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
    zsetOp(c, null, 1, SetOp.UNION, false);
  },

  zinter(c) {
    zsetOp(c, null, 1, SetOp.INTER, false);
  },

  zdiff(c) {
    zsetOp(c, null, 1, SetOp.DIFF, false);
  },

  zunionstore(c) {
    zsetOp(c, c.args.str(1), 2, SetOp.UNION, false);
  },

  zinterstore(c) {
    zsetOp(c, c.args.str(1), 2, SetOp.INTER, false);
  },

  zdiffstore(c) {
    zsetOp(c, c.args.str(1), 2, SetOp.DIFF, false);
  },

  zintercard(c) {
    zsetOp(c, null, 1, SetOp.INTER, true);
  },

  zscan(c) {
    const cursor = parseCursor(c, 2);
    const z = getZset(c, c.args.str(1));
    if (z === undefined) return emptyScanReply(c);
    const opts = parseScanOptions(c, 3);
    const out: string[] = [];
    let next = 0;
    const pat = opts.pattern;
    const add = (n: ZNode): void => {
      if (pat !== null && !globMatch(pat, n.member)) return;
      out.push(n.member, formatDouble(n.score));
    };
    if (z.isCompact()) {
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
