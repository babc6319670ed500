/*
 * List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP (count) LLEN LRANGE LINDEX LSET LREM LTRIM LINSERT
 * LPOS LMOVE RPOPLPUSH LMPOP and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, with redis-server
 * 7.0's replies, errors and propagation (blocking pops propagate as LPOP/RPOP [count], BLMOVE as LMOVE,
 * BRPOPLPUSH as RPOPLPUSH). A blocking command whose keys are all empty parks with c.block(); the shard
 * re-runs it when a key it waits on becomes a list (FIFO per key), or answers null at its timeout.
 * Inside MULTI/EXEC and on the replication stream blocking commands do not block (null at once).
 */

import { NOTIFY_GENERIC, NOTIFY_LIST } from '../../commands/keyspace-events.js';
import { CommandError, NO_SUCH_KEY, OUT_OF_RANGE, SYNTAX, WRONGTYPE, LPOS_RANK_ZERO, wrongArity, COUNT_NEGATIVE, MAXLEN_NEGATIVE } from '../../resp/errors.js';
import { parseInt64 } from '../../commands/numbers.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { ListValue } from '../values/list.js';
import { getTyped, argsBeforeLast, blockOrNull } from './util.js';
import { parseBlockingTimeout, parseMpopArgs, positiveLong } from './collection-scan.js';
import { declare, shardCommands } from '../../commands/registry.js';

const LEFT = 0;
const RIGHT = 1;

function getList(c: ShardCtx, key: string, read = true): ListValue | undefined {
  return getTyped(c, key, ListValue, read);
}

/**
 * A long argument (getLongFromObjectOrReply), clamped into the safe range for index arithmetic.
 * Parsed from the request's bytes (Args.int: no string, no BigInt for the usual small indexes).
 */
function long(c: ShardCtx, i: number): number {
  const v = c.args.int(i);
  return v > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : v < -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : v;
}

function parseWhere(c: ShardCtx, i: number): number {
  if (c.args.is(i, 'left')) return LEFT;
  if (c.args.is(i, 'right')) return RIGHT;
  throw new CommandError(SYNTAX);
}

/** Remove a list key emptied by a pop, or signal its modification; `event`: its keyspace event. */
function afterRemove(c: ShardCtx, key: string, l: ListValue, event: string | null): void {
  if (event !== null) c.notify(NOTIFY_LIST, event, key);
  if (l.size === 0) {
    c.db.delete(key);
    if (event !== null) c.notify(NOTIFY_GENERIC, 'del', key);
  } else c.db.modified(key);
}

// ---- push ---------------------------------------------------------------------------------------

function push(c: ShardCtx, where: number, onlyExisting: boolean): void {
  const key = c.args.str(1);
  const existing = getList(c, key, false);
  if (existing === undefined && onlyExisting) return c.w.int(0);
  const l = existing ?? new ListValue();
  l.batch(() => {
    for (let i = 2; i < c.argc; i++) {
      if (where === LEFT) l.pushLeft(c.args.str(i));
      else l.pushRight(c.args.str(i));
    }
  });
  if (existing === undefined) c.db.add(key, l); // signals clients blocked on key
  else c.db.modified(key);
  c.notify(NOTIFY_LIST, where === LEFT ? 'lpush' : 'rpush', key);
  c.w.int(l.size);
  c.propagate();
}

// ---- pop ----------------------------------------------------------------------------------------

/** Reply with elements [start, start+n) taken from `where` end, removing them. */
function popRange(c: ShardCtx, l: ListValue, where: number, n: number): void {
  c.w.array(n);
  for (let i = 0; i < n; i++) c.w.bulk((where === LEFT ? l.popLeft() : l.popRight())!);
}

function pop(c: ShardCtx, where: number): void {
  if (c.argc > 3) throw new CommandError(wrongArity(c.cmd.name));
  const hasCount = c.argc === 3;
  const count = hasCount ? positiveLong(c, 2) : 0;
  const key = c.args.str(1);
  const l = getList(c, key, false);
  if (l === undefined) {
    if (hasCount) c.w.nullArray();
    else c.w.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    c.w.array(0);
    return;
  }
  if (!hasCount) c.w.bulk((where === LEFT ? l.popLeft() : l.popRight())!);
  else popRange(c, l, where, Math.min(count, l.size));
  afterRemove(c, key, l, where === LEFT ? 'lpop' : 'rpop');
  c.propagate();
}

/**
 * Pop from the first non-empty list of `keys` as LMPOP/BLPOP do. count < 0: BLPOP/BRPOP shape
 * [key, element]; else the [key, [elements]] shape. Returns false when every list is empty/absent.
 */
function popFirst(c: ShardCtx, keys: string[], where: number, count: number): boolean {
  for (const key of keys) {
    const l = getList(c, key, false);
    if (l === undefined || l.size === 0) continue;
    const name = where === LEFT ? 'LPOP' : 'RPOP';
    c.w.array(2);
    c.w.bulk(key);
    if (count < 0) {
      c.w.bulk((where === LEFT ? l.popLeft() : l.popRight())!);
      afterRemove(c, key, l, where === LEFT ? 'lpop' : 'rpop');
      c.propagateCommand([name, key]);
    } else {
      const n = Math.min(count, l.size);
      popRange(c, l, where, n);
      afterRemove(c, key, l, where === LEFT ? 'lpop' : 'rpop');
      c.propagateCommand([name, key, n]);
    }
    return true;
  }
  return false;
}

/** Type-check every key first (WRONGTYPE for a non-list before anything is popped, as Redis). */
function checkListKeys(c: ShardCtx, keys: string[]): void {
  for (const key of keys) {
    const v = c.db.get(key);
    if (v !== undefined && !(v instanceof ListValue)) {
      // Redis checks types while scanning keys in order: stop at the first non-empty list
      throw new CommandError(WRONGTYPE);
    }
    if (v instanceof ListValue && v.size > 0) return;
  }
}

function bpop(c: ShardCtx, where: number): void {
  const timeout = parseBlockingTimeout(c);
  const keys = argsBeforeLast(c, 1);
  checkListKeys(c, keys);
  if (popFirst(c, keys, where, -1)) return;
  blockOrNull(c, keys, timeout, true);
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]; BLMPOP timeout numkeys ... */
function mpop(c: ShardCtx, numkeysIdx: number, blocking: boolean): void {
  const timeout = blocking ? parseBlockingTimeout(c) : 0;
  const { keys, end, count } = parseMpopArgs(c, numkeysIdx, ['left', 'right']);
  const where = end === 0 ? LEFT : RIGHT;
  checkListKeys(c, keys);
  if (popFirst(c, keys, where, count)) return;
  if (!blocking) {
    c.w.nullArray();
    return;
  }
  blockOrNull(c, keys, timeout, true);
}

// ---- move ---------------------------------------------------------------------------------------

/** LMOVE core: pop from src's `from` end, push to dst's `to` end; false when src is empty/absent. */
function move(c: ShardCtx, src: string, dst: string, from: number, to: number, propagate: readonly (string | number)[]): boolean {
  const s = getList(c, src, false);
  if (s === undefined || s.size === 0) return false;
  const d = getList(c, dst, false); // WRONGTYPE on a non-list destination before anything moves
  const v = (from === LEFT ? s.popLeft() : s.popRight())!;
  afterRemove(c, src, s, null);
  const srcDeleted = s.size === 0 && src !== dst;
  // src === dst and now empty: afterRemove deleted the key, so the element starts a new list
  if (d !== undefined && !(d === s && s.size === 0)) {
    if (to === LEFT) d.pushLeft(v);
    else d.pushRight(v);
    c.db.modified(dst);
  } else {
    const n = new ListValue();
    n.pushLeft(v);
    c.db.add(dst, n);
  }
  // as Redis: the push on dst, then the pop on src (and its deletion)
  c.notify(NOTIFY_LIST, to === LEFT ? 'lpush' : 'rpush', dst);
  c.notify(NOTIFY_LIST, from === LEFT ? 'lpop' : 'rpop', src);
  if (srcDeleted) c.notify(NOTIFY_GENERIC, 'del', src);
  c.w.bulk(v);
  c.propagateCommand(propagate);
  return true;
}

function lmoveGeneric(c: ShardCtx, from: number, to: number, blocking: boolean, rpoplpush: boolean): void {
  const src = c.args.str(1);
  const dst = c.args.str(2);
  const timeout = blocking ? parseBlockingTimeout(c) : 0;
  const prop = rpoplpush ? ['RPOPLPUSH', src, dst] : ['LMOVE', src, dst, from === LEFT ? 'LEFT' : 'RIGHT', to === LEFT ? 'LEFT' : 'RIGHT'];
  if (move(c, src, dst, from, to, prop)) return;
  if (!blocking) {
    c.w.nullBulk();
    return;
  }
  blockOrNull(c, [src], timeout, false);
}

// ---- reads and edits ----------------------------------------------------------------------------

function lrange(c: ShardCtx): void {
  let start = long(c, 2);
  let end = long(c, 3);
  const l = getList(c, c.args.str(1));
  if (l === undefined) {
    c.w.array(0);
    return;
  }
  const n = l.size;
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) {
    c.w.array(0);
    return;
  }
  if (end >= n) end = n - 1;
  c.w.array(end - start + 1);
  l.writeRange(c.w, start, end);
}

function ltrim(c: ShardCtx): void {
  let start = long(c, 2);
  let end = long(c, 3);
  const key = c.args.str(1);
  const l = getList(c, key, false);
  if (l === undefined) {
    c.w.ok();
    return;
  }
  const n = l.size;
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) l.trim(1, 0);
  else l.trim(start, Math.min(end, n - 1));
  afterRemove(c, key, l, 'ltrim');
  c.w.ok();
  c.propagate();
}

function lindex(c: ShardCtx): void {
  const l = getList(c, c.args.str(1));
  if (l === undefined) {
    c.w.nullBulk();
    return;
  }
  let i = long(c, 2);
  if (i < 0) i += l.size;
  if (i < 0 || i >= l.size) c.w.nullBulk();
  else c.w.bulk(l.at(i));
}

function lset(c: ShardCtx): void {
  const key = c.args.str(1);
  const l = getList(c, key, false);
  if (l === undefined) throw new CommandError(NO_SUCH_KEY);
  let i = long(c, 2);
  if (i < 0) i += l.size;
  if (i < 0 || i >= l.size) throw new CommandError(OUT_OF_RANGE);
  l.setAt(i, c.args.str(3));
  c.db.modified(key);
  c.notify(NOTIFY_LIST, 'lset', key);
  c.w.ok();
  c.propagate();
}

function lrem(c: ShardCtx): void {
  const key = c.args.str(1);
  const toRemove = long(c, 2);
  const el = c.args.str(3);
  const l = getList(c, key, false);
  if (l === undefined) {
    c.w.int(0);
    return;
  }
  const all = l.toArray();
  let removed = 0;
  const keep: string[] = [];
  if (toRemove >= 0) {
    for (const e of all) {
      if (e === el && (toRemove === 0 || removed < toRemove)) removed++;
      else keep.push(e);
    }
  } else {
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i]!;
      if (e === el && removed < -toRemove) removed++;
      else keep.push(e);
    }
    keep.reverse();
  }
  if (removed > 0) {
    l.reset(keep);
    afterRemove(c, key, l, 'lrem');
    c.propagate();
  }
  c.w.int(removed);
}

function linsert(c: ShardCtx): void {
  let after: boolean;
  if (c.args.is(2, 'after')) after = true;
  else if (c.args.is(2, 'before')) after = false;
  else throw new CommandError(SYNTAX);
  const key = c.args.str(1);
  const l = getList(c, key, false);
  if (l === undefined) {
    c.w.int(0);
    return;
  }
  const pivot = c.args.str(3);
  for (let i = 0; i < l.size; i++) {
    if (l.at(i) === pivot) {
      l.insertAt(after ? i + 1 : i, c.args.str(4));
      c.db.modified(key);
      c.notify(NOTIFY_LIST, 'linsert', key);
      c.w.int(l.size);
      c.propagate();
      return;
    }
  }
  c.w.int(-1);
}

function lpos(c: ShardCtx): void {
  const el = c.args.str(2);
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.args.is(j, 'rank') && more) {
      rank = long(c, ++j);
      // Redis negates a negative rank in a long long: LLONG_MIN stays negative, so every match reaches
      // it and LPOS answers the first match from the tail, as RANK -1 does
      if (parseInt64(c.args.str(j)) === -9223372036854775808n) rank = -1;
      if (rank === 0) {
        throw new CommandError(LPOS_RANK_ZERO);
      }
    } else if (c.args.is(j, 'count') && more) {
      count = positiveLong(c, ++j, COUNT_NEGATIVE);
    } else if (c.args.is(j, 'maxlen') && more) {
      maxlen = positiveLong(c, ++j, MAXLEN_NEGATIVE);
    } else throw new CommandError(SYNTAX);
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const l = getList(c, c.args.str(1));
  if (l === undefined) {
    if (count !== -1) c.w.array(0);
    else c.w.nullBulk();
    return;
  }
  const n = l.size;
  const found: number[] = [];
  let matches = 0;
  for (let scanned = 0; scanned < n && (maxlen === 0 || scanned < maxlen); scanned++) {
    const idx = fromTail ? n - 1 - scanned : scanned;
    if (l.at(idx) !== el) continue;
    matches++;
    if (matches < rank) continue;
    found.push(idx);
    if (count === -1) break;
    if (count !== 0 && found.length >= count) break;
  }
  if (count !== -1) {
    c.w.array(found.length);
    for (const i of found) c.w.int(i);
  } else if (found.length > 0) c.w.int(found[0]!);
  else c.w.nullBulk();
}

export const commands = shardCommands<ShardHandler>({
  lpush: (c) => push(c, LEFT, false),
  rpush: (c) => push(c, RIGHT, false),
  lpushx: (c) => push(c, LEFT, true),
  rpushx: (c) => push(c, RIGHT, true),
  lpop: (c) => pop(c, LEFT),
  rpop: (c) => pop(c, RIGHT),
  llen(c) {
    c.w.int(getList(c, c.args.str(1))?.size ?? 0);
  },
  lrange,
  ltrim,
  lindex,
  lset,
  lrem,
  linsert,
  lpos,
  lmove: (c) => lmoveGeneric(c, parseWhere(c, 3), parseWhere(c, 4), false, false),
  rpoplpush: (c) => lmoveGeneric(c, RIGHT, LEFT, false, true),
  blmove: declare((c) => lmoveGeneric(c, parseWhere(c, 3), parseWhere(c, 4), true, false), { timeoutArg: 5 }),
  brpoplpush: declare((c) => lmoveGeneric(c, RIGHT, LEFT, true, true), { timeoutArg: 3 }),
  lmpop: (c) => mpop(c, 1, false),
  blmpop: declare((c) => mpop(c, 2, true), { timeoutArg: 1 }),
  blpop: declare((c) => bpop(c, LEFT), { timeoutArg: -1 }),
  brpop: declare((c) => bpop(c, RIGHT), { timeoutArg: -1 }),
});
