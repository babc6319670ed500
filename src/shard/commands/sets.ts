/*
 * Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SINTERCARD
 * SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, with redis-server 7.0's replies (RESP3 sets
 * where Redis uses them, arrays where it does not), errors, and propagation (SPOP -> SREM, or DEL when
 * it takes everything). Multi-key commands run on one shard; the coordinator ships the other keys in.
 */

import { NOTIFY_GENERIC, NOTIFY_SET } from '../../commands/keyspace-events.js';
import { CommandError, SYNTAX, NUMKEYS_GT_ARGS, WRONGTYPE, LIMIT_NEGATIVE, NUMKEYS_POSITIVE } from '../../resp/errors.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { SetValue } from '../values/set.js';
import { checkReplyElements, getTyped, removeMembers, storeResult } from './util.js';
import { LONG_MAX, parseCursor, parseScanOptions, positiveLong, rangeLong, scanReply, emptyScanReply } from './collection-scan.js';
import { shardCommands } from '../../commands/registry.js';

function getSet(c: ShardCtx, key: string, read = true): SetValue | undefined {
  return getTyped(c, key, SetValue, read);
}

function replySet(c: ShardCtx, members: readonly string[]): void {
  c.w.set(members.length);
  for (let i = 0; i < members.length; i++) c.w.bulk(members[i]!);
}

/** Look up every key of a multi-key set command (missing keys are undefined); WRONGTYPE first. */
function lookupSets(c: ShardCtx, from: number, to: number): (SetValue | undefined)[] {
  const sets: (SetValue | undefined)[] = [];
  for (let i = from; i < to; i++) sets.push(getSet(c, c.args.str(i)));
  return sets;
}

/** Intersection in the smallest set's order; stops at `limit` members (0 = none). */
function intersect(sets: (SetValue | undefined)[], limit: number): string[] {
  const out: string[] = [];
  if (sets.length === 0 || sets.some((s) => s === undefined)) return out;
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const first = sorted[0]!;
  const items = first.list();
  outer: for (let i = 0; i < items.length; i++) {
    const m = items[i]!;
    for (let j = 1; j < sorted.length; j++) if (sorted[j] !== first && !sorted[j]!.has(m)) continue outer;
    out.push(m);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

function union(sets: (SetValue | undefined)[]): SetValue {
  const dst = new SetValue();
  for (const s of sets) if (s) for (const m of s.list()) dst.add(m);
  return dst;
}

function diff(sets: (SetValue | undefined)[]): SetValue {
  const dst = new SetValue();
  const first = sets[0];
  if (first === undefined) return dst;
  for (let j = 1; j < sets.length; j++) if (sets[j] === first) return dst;
  for (const m of first.list()) {
    let found = false;
    for (let j = 1; j < sets.length; j++) {
      if (sets[j]?.has(m)) {
        found = true;
        break;
      }
    }
    if (!found) dst.add(m);
  }
  return dst;
}

/** Store a result set at dst (or delete dst when empty); replies with its size. */
function storeSet(c: ShardCtx, dst: string, result: SetValue): void {
  storeResult(c, dst, result, NOTIFY_SET);
}

export const commands = shardCommands<ShardHandler>({
  sadd(c) {
    const key = c.args.str(1);
    let s = getSet(c, key, false);
    if (s === undefined) {
      s = new SetValue();
      c.db.add(key, s);
    }
    let added = 0;
    s.batch(() => {
      for (let i = 2; i < c.argc; i++) if (s.add(c.args.str(i))) added++;
    });
    if (added > 0) {
      c.db.modified(key);
      c.notify(NOTIFY_SET, 'sadd', key);
      c.propagate();
    }
    c.w.int(added);
  },

  srem(c) {
    const key = c.args.str(1);
    removeMembers(c, key, getSet(c, key, false), NOTIFY_SET, 'srem');
  },

  smove(c) {
    const src = c.args.str(1);
    const dst = c.args.str(2);
    const member = c.args.str(3);
    const s = c.db.get(src);
    const d = c.db.get(dst);
    if (s === undefined) {
      c.w.int(0);
      return;
    }
    if (!(s instanceof SetValue) || (d !== undefined && !(d instanceof SetValue))) throw new CommandError(WRONGTYPE);
    const ss = s;
    if (src === dst) {
      c.w.int(ss.has(member) ? 1 : 0);
      return;
    }
    if (!ss.delete(member)) {
      c.w.int(0);
      return;
    }
    if (ss.size === 0) c.db.delete(src);
    else c.db.modified(src);
    c.notify(NOTIFY_SET, 'srem', src);
    if (ss.size === 0) c.notify(NOTIFY_GENERIC, 'del', src);
    let ds = d as SetValue | undefined;
    if (ds === undefined) {
      ds = new SetValue();
      c.db.add(dst, ds);
    }
    // as Redis: the destination is touched (WATCH, notifications) only when the member was added
    if (ds.add(member)) {
      c.db.modified(dst);
      c.notify(NOTIFY_SET, 'sadd', dst);
    }
    c.propagate();
    c.w.int(1);
  },

  smembers(c) {
    const s = getSet(c, c.args.str(1));
    replySet(c, s === undefined ? [] : s.list());
  },

  sismember(c) {
    const s = getSet(c, c.args.str(1));
    c.w.int(s !== undefined && s.has(c.args.str(2)) ? 1 : 0);
  },

  smismember(c) {
    const s = getSet(c, c.args.str(1));
    c.w.array(c.argc - 2);
    for (let i = 2; i < c.argc; i++) c.w.int(s !== undefined && s.has(c.args.str(i)) ? 1 : 0);
  },

  scard(c) {
    c.w.int(getSet(c, c.args.str(1))?.size ?? 0);
  },

  spop(c) {
    const key = c.args.str(1);
    if (c.argc > 3) throw new CommandError(SYNTAX);
    if (c.argc === 3) {
      const count = positiveLong(c, 2);
      const s = getSet(c, key, false);
      if (s === undefined || count === 0) {
        c.w.set(0);
        return;
      }
      if (count >= s.size) {
        replySet(c, s.list());
        c.db.delete(key);
        c.notify(NOTIFY_SET, 'spop', key);
        c.notify(NOTIFY_GENERIC, 'del', key);
        c.propagateCommand(['DEL', key]);
        return;
      }
      const popped: string[] = [];
      const remaining = s.size - count;
      if (remaining * 5 > count) {
        for (let k = 0; k < count; k++) {
          const m = s.random();
          s.delete(m);
          popped.push(m);
        }
        c.db.modified(key);
      } else {
        // few remain: move them to a new set (whose encoding is chosen afresh, as Redis does)
        const keep = new SetValue();
        for (let k = 0; k < remaining; k++) {
          const m = s.random();
          s.delete(m);
          keep.add(m);
        }
        popped.push(...s.list());
        c.db.replace(key, keep);
      }
      replySet(c, popped);
      c.notify(NOTIFY_SET, 'spop', key);
      c.propagateCommand(['SREM', key, ...popped]);
      return;
    }
    const s = getSet(c, key, false);
    if (s === undefined) {
      c.w.nullBulk();
      return;
    }
    const m = s.random();
    s.delete(m);
    if (s.size === 0) c.db.delete(key);
    else c.db.modified(key);
    c.notify(NOTIFY_SET, 'spop', key);
    if (s.size === 0) c.notify(NOTIFY_GENERIC, 'del', key);
    c.propagateCommand(['SREM', key, m]);
    c.w.bulk(m);
  },

  srandmember(c) {
    if (c.argc > 3) throw new CommandError(SYNTAX);
    if (c.argc === 3) {
      const l = rangeLong(c, 2, -LONG_MAX, LONG_MAX);
      const s = getSet(c, c.args.str(1));
      if (s === undefined || l === 0) {
        c.w.array(0);
        return;
      }
      const items = s.list();
      if (l < 0) {
        const n = -l;
        checkReplyElements(c, n);
        c.w.array(n);
        for (let k = 0; k < n; k++) c.w.bulk(s.random());
        return;
      }
      if (l >= s.size) {
        c.w.bulkArray(items);
        return;
      }
      const picked = new Set<string>();
      if (l * 3 > s.size) {
        const copy = items.slice();
        for (let i = 0; i < l; i++) {
          const j = i + Math.floor(Math.random() * (copy.length - i));
          const t = copy[i]!;
          copy[i] = copy[j]!;
          copy[j] = t;
          picked.add(copy[i]!);
        }
      } else while (picked.size < l) picked.add(s.random());
      c.w.bulkArray([...picked]);
      return;
    }
    const s = getSet(c, c.args.str(1));
    if (s === undefined) c.w.nullBulk();
    else c.w.bulk(s.random());
  },

  sinter(c) {
    replySet(c, intersect(lookupSets(c, 1, c.argc), 0));
  },

  sintercard(c) {
    const numkeys = rangeLong(c, 1, 1n, LONG_MAX, NUMKEYS_POSITIVE);
    if (numkeys > c.argc - 2) throw new CommandError(NUMKEYS_GT_ARGS);
    let limit = 0;
    for (let j = 2 + numkeys; j < c.argc; j++) {
      if (c.args.is(j, 'limit') && c.argc - 1 - j > 0) {
        j++;
        limit = positiveLong(c, j, LIMIT_NEGATIVE);
      } else throw new CommandError(SYNTAX);
    }
    c.w.int(intersect(lookupSets(c, 2, 2 + numkeys), limit).length);
  },

  sinterstore(c) {
    const sets = lookupSets(c, 2, c.argc);
    storeSet(c, c.args.str(1), SetValue.from(intersect(sets, 0)));
  },

  sunion(c) {
    replySet(c, union(lookupSets(c, 1, c.argc)).list());
  },

  sunionstore(c) {
    storeSet(c, c.args.str(1), union(lookupSets(c, 2, c.argc)));
  },

  sdiff(c) {
    replySet(c, diff(lookupSets(c, 1, c.argc)).list());
  },

  sdiffstore(c) {
    storeSet(c, c.args.str(1), diff(lookupSets(c, 2, c.argc)));
  },

  sscan(c) {
    const cursor = parseCursor(c, 2);
    const s = getSet(c, c.args.str(1));
    if (s === undefined) return emptyScanReply(c);
    const opts = parseScanOptions(c, 3);
    const items = s.list();
    scanReply(c, cursor, opts, items.length, s.isCompact(), (i) => items[i]!, null);
  },
});
