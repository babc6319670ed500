/*
 * Stream commands without consumer groups: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID, with
 * redis-server 7.0's replies, errors and propagation (XADD's generated ID and approximate trims are
 * propagated in their concrete, deterministic form). XREAD/XREADGROUP are in stream-read.ts, the
 * consumer-group commands in stream-groups.ts, XINFO in stream-info.ts.
 */

import {
  CommandError, NO_SUCH_KEY, STREAM_ENTRIES_ADDED_NEG, STREAM_EXHAUSTED, STREAM_INVALID_END, STREAM_INVALID_START, STREAM_TOO_LARGE,
  STREAM_XADD_ID_SMALL, STREAM_XADD_ZERO_ID, STREAM_XSETID_ENTRIES, STREAM_XSETID_MAXDEL, STREAM_XSETID_SMALL, SYNTAX, wrongArity,
} from '../../resp/errors.js';
import { NOTIFY_STREAM } from '../../commands/keyspace-events.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { ID_MAX, formatId, idMs, idOf, idSeq, StreamValue, U64 } from '../values/stream.js';
import { applyTrim, getStream, parseId, parseIntervalId, parseStreamId, parseTrimArgs, rewriteApproxTrim, streamLimits, writeEntries, TrimStrategy } from './stream-args.js';
import { shardCommands } from '../../commands/registry.js';

function xadd(c: ShardCtx): void {
  const a = parseTrimArgs(c, true);
  const fieldPos = a.idIdx + 1;
  if (c.argc - fieldPos < 2 || (c.argc - fieldPos) % 2 === 1) throw new CommandError(wrongArity('xadd'));
  if (a.id && a.id.seqGiven && a.id.id === 0n) throw new CommandError(STREAM_XADD_ZERO_ID);
  const key = c.args.str(1);
  let s = getStream(c, key, false);
  if (s === undefined && a.nomkstream) {
    c.w.nullBulk();
    return;
  }
  const last = s ? s.lastId : 0n;
  if (last === ID_MAX) throw new CommandError(STREAM_EXHAUSTED);
  let id: bigint;
  if (a.id === null) {
    const now = BigInt(c.now);
    id = now > idMs(last) ? idOf(now, 0n) : last + 1n;
  } else if (!a.id.seqGiven && idMs(a.id.id) === idMs(last)) {
    if (idSeq(last) === U64) throw new CommandError(STREAM_XADD_ID_SMALL);
    id = last + 1n;
  } else id = a.id.id;
  if (id <= last) throw new CommandError(STREAM_XADD_ID_SMALL);
  const fv: string[] = [];
  let tot = 0;
  for (let i = fieldPos; i < c.argc; i++) {
    const v = c.args.str(i);
    tot += v.length;
    fv.push(v);
  }
  if (tot > 0xffffffff) throw new CommandError(STREAM_TOO_LARGE);
  const created = s === undefined;
  if (s === undefined) s = new StreamValue();
  s.append(id, fv, streamLimits(c));
  if (created) c.db.add(key, s);
  const idStr = formatId(id);
  c.w.bulk(idStr);
  c.db.modified(key);
  c.notify(NOTIFY_STREAM, 'xadd', key);
  const argv = c.args.all();
  let rewritten = false;
  if (a.strategy !== TrimStrategy.NONE) {
    if (applyTrim(s, a)) c.notify(NOTIFY_STREAM, 'xtrim', key);
    if (a.approx) {
      rewriteApproxTrim(argv, s, a);
      rewritten = true;
    }
  }
  if (a.id === null || !a.id.seqGiven) {
    argv[a.idIdx] = idStr;
    rewritten = true;
  }
  if (rewritten) c.propagateCommand(argv);
  else c.propagate();
  if (!created) c.ks.hooks.ready(c.db.id, key);
}

function xrange(c: ShardCtx, rev: boolean): void {
  const startIdx = rev ? 3 : 2;
  const endIdx = rev ? 2 : 3;
  const st = parseIntervalId(c, startIdx, 0n);
  let start = st.id;
  if (st.ex) {
    if (start === ID_MAX) throw new CommandError(STREAM_INVALID_START);
    start++;
  }
  const en = parseIntervalId(c, endIdx, U64);
  let end = en.id;
  if (en.ex) {
    if (end === 0n) throw new CommandError(STREAM_INVALID_END);
    end--;
  }
  let count = -1;
  for (let j = 4; j < c.argc; j++) {
    if (c.args.is(j, 'count') && c.argc - j - 1 >= 1) {
      const n = c.args.int64(j + 1);
      count = n < 0n ? 0 : n > 0x7fffffffn ? 0x7fffffff : Number(n);
      j++;
    } else throw new CommandError(SYNTAX);
  }
  const s = getStream(c, c.args.str(1));
  if (s === undefined) {
    c.w.array(0);
    return;
  }
  if (count === 0) {
    c.w.nullArray();
    return;
  }
  writeEntries(c.w, s.range(start, end, count < 0 ? 0 : count, rev));
}

export const commands = shardCommands<ShardHandler>({
  xadd,

  xrange(c) {
    xrange(c, false);
  },

  xrevrange(c) {
    xrange(c, true);
  },

  xlen(c) {
    c.w.int(getStream(c, c.args.str(1))?.length ?? 0);
  },

  xdel(c) {
    const key = c.args.str(1);
    const s = getStream(c, key, false);
    if (s === undefined) return c.w.int(0);
    const ids: bigint[] = [];
    for (let i = 2; i < c.argc; i++) ids.push(parseId(c, i, 0n, true));
    let deleted = 0;
    let firstEntry = false;
    for (const id of ids) {
      if (!s.delete(id)) continue;
      if (id === s.firstId) firstEntry = true;
      if (id > s.maxDeletedId) s.maxDeletedId = id;
      deleted++;
    }
    if (deleted) {
      if (s.length === 0) s.firstId = 0n;
      else if (firstEntry) s.firstId = s.edgeId(true);
      c.db.modified(key);
      c.notify(NOTIFY_STREAM, 'xdel', key);
      c.propagate();
    }
    c.w.int(deleted);
  },

  xtrim(c) {
    const a = parseTrimArgs(c, false);
    const key = c.args.str(1);
    const s = getStream(c, key, false);
    if (s === undefined) {
      c.w.int(0);
      return;
    }
    const deleted = applyTrim(s, a);
    if (deleted) {
      c.notify(NOTIFY_STREAM, 'xtrim', key);
      if (a.approx) {
        const argv = c.args.all();
        rewriteApproxTrim(argv, s, a);
        c.propagateCommand(argv);
      } else c.propagate();
      c.db.modified(key);
    }
    c.w.int(deleted);
  },

  xsetid(c) {
    const id = parseId(c, 2, 0n, true);
    let entriesAdded = -1;
    let maxDel = 0n;
    for (let i = 3; i < c.argc; i += 2) {
      const more = c.argc - 1 - i;
      if (c.args.is(i, 'entriesadded') && more) {
        const n = c.args.int64(i + 1);
        if (n < 0n) throw new CommandError(STREAM_ENTRIES_ADDED_NEG);
        entriesAdded = Number(n);
      } else if (c.args.is(i, 'maxdeletedid') && more) {
        maxDel = parseStreamId(c.args.str(i + 1), 0n, true).id;
        if (id < maxDel) throw new CommandError(STREAM_XSETID_MAXDEL);
      } else throw new CommandError(SYNTAX);
    }
    const key = c.args.str(1);
    const s = getStream(c, key, false);
    if (s === undefined) throw new CommandError(NO_SUCH_KEY);
    if (s.length > 0) {
      if (id < s.edgeId(false)) throw new CommandError(STREAM_XSETID_SMALL);
      if (entriesAdded !== -1 && s.length > entriesAdded) throw new CommandError(STREAM_XSETID_ENTRIES);
    }
    s.lastId = id;
    if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
    if (maxDel !== 0n) s.maxDeletedId = maxDel;
    c.db.modified(key);
    c.notify(NOTIFY_STREAM, 'xsetid', key);
    c.propagate();
    c.w.ok();
  },
});
