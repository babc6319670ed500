/*
 * Consumer-group commands: XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER, XACK, XPENDING
 * (summary and extended form with IDLE), XCLAIM and XAUTOCLAIM, with redis-server 7.0's argument
 * order, replies, errors and propagation (XCLAIM/XAUTOCLAIM go out as the idempotent XCLAIM ... FORCE
 * JUSTID LASTID form, one per entry, or as XGROUP SETID when only the group's last ID moved).
 */

import {
  CommandError, STREAM_BUSYGROUP, STREAM_COUNT_TOO_HIGH, STREAM_ENTRIESREAD, STREAM_INVALID_END, STREAM_INVALID_START, STREAM_XGROUP_NOKEY,
  SYNTAX, WRONGTYPE, streamNoGroup, streamNoKeyOrGroup, streamXclaimOption, subcommandSyntax,
} from '../../resp/errors.js';
import { NOTIFY_STREAM } from '../../commands/keyspace-events.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { formatId, ID_MAX, StreamGroup, StreamValue, U64, type PendingEntry } from '../values/stream.js';
import { getStream, parseId, parseIntervalId, parseStreamId, prop, propBegin, propEnd, writeEntry } from './stream-args.js';
import { consumerOf, propagateGroupId, propagateXclaim } from './stream-read.js';

const LONG_MAX = (1n << 63n) - 1n;

function xgroup(c: ShardCtx): void {
  const sub = c.args.lower(1);
  let mkstream = false;
  let entriesRead = -1;
  const create = sub === 'create';
  const setid = sub === 'setid';
  for (let i = 5; i < c.argc; ) {
    if (create && c.args.is(i, 'mkstream')) {
      mkstream = true;
      i++;
    } else if ((create || setid) && c.args.is(i, 'entriesread') && i + 1 < c.argc) {
      const n = c.args.int64(i + 1);
      if (n < 0n && n !== -1n) throw new CommandError(STREAM_ENTRIESREAD);
      entriesRead = Number(n);
      i += 2;
    } else throw new CommandError(subcommandSyntax(c.args.str(1), 'xgroup'));
  }
  const key = c.args.str(2);
  const v = c.db.get(key);
  if (v !== undefined && !(v instanceof StreamValue)) throw new CommandError(WRONGTYPE);
  let s = v;
  const name = c.args.str(3);
  let g: StreamGroup | undefined;
  if (!mkstream) {
    if (s === undefined) throw new CommandError(STREAM_XGROUP_NOKEY);
    g = s.group(name);
    if (g === undefined && (setid || sub === 'createconsumer' || sub === 'delconsumer')) throw new CommandError(streamNoGroup(name, key));
  }
  if (create && c.argc >= 5 && c.argc <= 8) {
    const idArg = c.args.str(4);
    const id = idArg === '$' ? (s ? s.lastId : 0n) : parseStreamId(idArg, 0n, true).id;
    if (s === undefined) {
      s = new StreamValue();
      c.db.add(key, s);
    }
    if (s.group(name)) throw new CommandError(STREAM_BUSYGROUP);
    if (!s.groups) s.groups = new Map();
    s.groups.set(name, new StreamGroup(name, id, entriesRead));
    c.db.modified(key);
    c.notify(NOTIFY_STREAM, 'xgroup-create', key);
    c.propagate();
    c.w.ok();
  } else if (setid && (c.argc === 5 || c.argc === 7)) {
    const idArg = c.args.str(4);
    const id = idArg === '$' ? s!.lastId : parseStreamId(idArg, 0n, false).id;
    g!.lastId = id;
    g!.entriesRead = entriesRead;
    c.db.modified(key);
    c.notify(NOTIFY_STREAM, 'xgroup-setid', key);
    c.propagate();
    c.w.ok();
  } else if (sub === 'destroy' && c.argc === 4) {
    if (g) {
      s!.groups!.delete(name);
      c.db.modified(key);
      c.notify(NOTIFY_STREAM, 'xgroup-destroy', key);
      c.propagate();
      c.w.int(1);
      c.ks.hooks.ready(c.db.id, key);
    } else c.w.int(0);
  } else if (sub === 'createconsumer' && c.argc === 5) {
    const [, created] = consumerOf(c, key, g!, c.args.str(4), false);
    if (created) {
      c.db.modified(key);
      c.propagate();
    }
    c.w.int(created ? 1 : 0);
  } else if (sub === 'delconsumer' && c.argc === 5) {
    const cons = g!.consumers.get(c.args.str(4));
    let pending = 0;
    if (cons) {
      pending = cons.pel.size;
      for (const id of cons.pel.keys()) g!.pel.delete(id);
      g!.consumers.delete(cons.name);
      c.db.modified(key);
      c.notify(NOTIFY_STREAM, 'xgroup-delconsumer', key);
      c.propagate();
    }
    c.w.int(pending);
  } else throw new CommandError(subcommandSyntax(c.args.str(1), 'xgroup'));
}

function groupFor(c: ShardCtx, key: string, read: boolean): [StreamValue, StreamGroup] | null {
  const s = getStream(c, key, read);
  const g = s?.group(c.args.str(2));
  return s && g ? [s, g] : null;
}

function releasePending(g: StreamGroup, p: PendingEntry): void {
  g.pel.delete(p.id);
  p.consumer.pel.delete(p.id);
}

function xpending(c: ShardCtx): void {
  const justInfo = c.argc === 3;
  if (c.argc !== 3 && (c.argc < 6 || c.argc > 9)) throw new CommandError(SYNTAX);
  let start = 0n;
  let end = ID_MAX;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (c.argc >= 6) {
    let si = 3;
    if (c.args.is(3, 'idle')) {
      minIdle = Number(c.args.int64(4));
      if (c.argc < 8) throw new CommandError(SYNTAX);
      si += 2;
    }
    const n = c.args.int64(si + 2);
    count = n < 0n ? 0 : n > 0x7fffffffn ? 0x7fffffff : Number(n);
    const st = parseIntervalId(c, si, 0n);
    start = st.id;
    if (st.ex) {
      if (start === ID_MAX) throw new CommandError(STREAM_INVALID_START);
      start++;
    }
    const en = parseIntervalId(c, si + 1, U64);
    end = en.id;
    if (en.ex) {
      if (end === 0n) throw new CommandError(STREAM_INVALID_END);
      end--;
    }
    if (si + 3 < c.argc) consumerName = c.args.str(si + 3);
  }
  const key = c.args.str(1);
  const sg = groupFor(c, key, true);
  if (!sg) throw new CommandError(streamNoKeyOrGroup(key, c.args.str(2)));
  const g = sg[1];
  const w = c.w;
  if (justInfo) {
    w.array(4);
    w.int(g.pel.size);
    if (g.pel.size === 0) {
      w.nullBulk();
      w.nullBulk();
      w.nullArray();
      return;
    }
    w.bulk(formatId(g.pel.first()!.id));
    w.bulk(formatId(g.pel.last()!.id));
    const cs = g.sortedConsumers().filter((x) => x.pel.size > 0);
    w.array(cs.length);
    for (const x of cs) {
      w.array(2);
      w.bulk(x.name);
      w.bulk(String(x.pel.size));
    }
    return;
  }
  let cons;
  if (consumerName !== null) {
    cons = g.consumers.get(consumerName);
    if (!cons) {
      w.array(0);
      return;
    }
  }
  const out: PendingEntry[] = [];
  if (count > 0) {
    for (const p of (cons ? cons.pel : g.pel).iterate(start, end)) {
      if (minIdle && c.now - p.deliveryTime < minIdle) continue;
      out.push(p);
      if (out.length >= count) break;
    }
  }
  w.array(out.length);
  for (const p of out) {
    w.array(4);
    w.bulk(formatId(p.id));
    w.bulk(p.consumer.name);
    w.int(Math.max(0, c.now - p.deliveryTime));
    w.int(p.deliveryCount);
  }
}

function xclaim(c: ShardCtx): void {
  const key = c.args.str(1);
  const sg = groupFor(c, key, true);
  if (!sg) throw new CommandError(streamNoKeyOrGroup(key, c.args.str(2)));
  const [s, g] = sg;
  let minIdle = Number(c.args.int64(4, 'ERR Invalid min-idle-time argument for XCLAIM'));
  if (minIdle < 0) minIdle = 0;
  const ids: bigint[] = [];
  let j = 5;
  for (; j < c.argc; j++) {
    try {
      ids.push(parseStreamId(c.args.str(j), 0n, true).id);
    } catch {
      break;
    }
  }
  const lastIdArg = j - 1;
  const now = c.now;
  let lastId = 0n;
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  for (; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.args.is(j, 'force')) force = true;
    else if (c.args.is(j, 'justid')) justId = true;
    else if (c.args.is(j, 'idle') && more) {
      j++;
      deliveryTime = now - Number(c.args.int64(j, 'ERR Invalid IDLE option argument for XCLAIM'));
    } else if (c.args.is(j, 'time') && more) {
      j++;
      deliveryTime = Number(c.args.int64(j, 'ERR Invalid TIME option argument for XCLAIM'));
    } else if (c.args.is(j, 'retrycount') && more) {
      j++;
      retryCount = Number(c.args.int64(j, 'ERR Invalid RETRYCOUNT option argument for XCLAIM'));
    } else if (c.args.is(j, 'lastid') && more) {
      j++;
      lastId = parseId(c, j, 0n, true);
    } else throw new CommandError(streamXclaimOption(c.args.str(j)));
  }
  const mark = propBegin(c);
  let propagateLast = false;
  if (lastId > g.lastId) {
    g.lastId = lastId;
    propagateLast = true;
  }
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else deliveryTime = now;
  const name = c.args.str(3);
  let cons = undefined as ReturnType<typeof consumerOf>[0] | undefined;
  const w = c.w;
  // the reply length is known only at the end: collect, then write
  const replies: (() => void)[] = [];
  for (let k = 5; k <= lastIdArg; k++) {
    const id = ids[k - 5]!;
    let p = g.pel.get(id);
    const e = s.get(id);
    if (e === undefined) {
      if (p) {
        prop(c, xclaimProp(key, g, c.args.str(k), p));
        propagateLast = false;
        releasePending(g, p);
      }
      continue;
    }
    let fresh = false;
    if (force && !p) {
      p = { id, deliveryTime: now, deliveryCount: 1, consumer: null as unknown as PendingEntry['consumer'] };
      g.pel.set(id, p);
      fresh = true;
    }
    if (!p) continue;
    if (!fresh && minIdle && now - p.deliveryTime < minIdle) continue;
    if (!cons) cons = consumerOf(c, key, g, name)[0];
    if (p.consumer !== cons && !fresh) p.consumer.pel.delete(id);
    p.deliveryTime = deliveryTime;
    if (retryCount >= 0) p.deliveryCount = retryCount;
    else if (!justId) p.deliveryCount++;
    if (p.consumer !== cons) {
      cons.pel.set(id, p);
      p.consumer = cons;
    }
    if (justId) replies.push(() => w.bulk(formatId(id)));
    else replies.push(() => writeEntry(w, e));
    prop(c, xclaimProp(key, g, c.args.str(k), p));
    propagateLast = false;
  }
  if (propagateLast) propagateGroupId(c, key, g);
  if (c.p.len > mark || replies.length > 0) c.db.modified(key);
  propEnd(c, mark);
  w.array(replies.length);
  for (const r of replies) r();
}

function xclaimProp(key: string, g: StreamGroup, idArg: string, p: PendingEntry): string[] {
  return ['XCLAIM', key, g.name, p.consumer.name, '0', idArg, 'TIME', String(p.deliveryTime), 'RETRYCOUNT', String(p.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', formatId(g.lastId)];
}

function xautoclaim(c: ShardCtx): void {
  let minIdle = Number(c.args.int64(4, 'ERR Invalid min-idle-time argument for XAUTOCLAIM'));
  if (minIdle < 0) minIdle = 0;
  const st = parseIntervalId(c, 5, 0n);
  let start = st.id;
  if (st.ex) {
    if (start === ID_MAX) throw new CommandError(STREAM_INVALID_START);
    start++;
  }
  let count = 100;
  let justId = false;
  const maxCount = LONG_MAX / 16n;
  for (let j = 6; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.args.is(j, 'count') && more) {
      const n = c.args.int64(j + 1, 'ERR COUNT must be > 0');
      if (n < 1n || n > maxCount) throw new CommandError('ERR COUNT must be > 0');
      if (n > 100000000n) throw new CommandError(STREAM_COUNT_TOO_HIGH);
      count = Number(n);
      j++;
    } else if (c.args.is(j, 'justid')) justId = true;
    else throw new CommandError(SYNTAX);
  }
  const key = c.args.str(1);
  const sg = groupFor(c, key, true);
  if (!sg) throw new CommandError(streamNoKeyOrGroup(key, c.args.str(2)));
  const [s, g] = sg;
  const name = c.args.str(3);
  const now = c.now;
  let attempts = count * 10;
  const pel = g.pending(start);
  const claimed: (() => void)[] = [];
  const deleted: bigint[] = [];
  let cons = undefined as ReturnType<typeof consumerOf>[0] | undefined;
  const mark = propBegin(c);
  let i = 0;
  for (; attempts-- > 0 && count > 0 && i < pel.length; i++) {
    const p = pel[i]!;
    const e = s.get(p.id);
    if (e === undefined) {
      prop(c, xclaimProp(key, g, formatId(p.id), p));
      releasePending(g, p);
      deleted.push(p.id);
      count--;
      continue;
    }
    if (minIdle && now - p.deliveryTime < minIdle) continue;
    if (!cons) cons = consumerOf(c, key, g, name)[0];
    if (p.consumer !== cons) p.consumer.pel.delete(p.id);
    p.deliveryTime = now;
    if (!justId) p.deliveryCount++;
    if (p.consumer !== cons) {
      cons.pel.set(p.id, p);
      p.consumer = cons;
    }
    if (justId) claimed.push(() => c.w.bulk(formatId(p.id)));
    else claimed.push(() => writeEntry(c.w, e));
    count--;
    prop(c, xclaimProp(key, g, formatId(p.id), p));
  }
  const next = i < pel.length ? pel[i]!.id : 0n;
  if (claimed.length || deleted.length || cons) c.db.modified(key);
  propEnd(c, mark);
  const w = c.w;
  w.array(3);
  w.bulk(formatId(next));
  w.array(claimed.length);
  for (const r of claimed) r();
  w.array(deleted.length);
  for (const id of deleted) w.bulk(formatId(id));
}

export const handlers: Record<string, ShardHandler> = {
  'xgroup|create': xgroup,
  'xgroup|setid': xgroup,
  'xgroup|destroy': xgroup,
  'xgroup|createconsumer': xgroup,
  'xgroup|delconsumer': xgroup,

  xack(c) {
    const key = c.args.str(1);
    const sg = groupFor(c, key, true);
    if (!sg) {
      c.w.int(0);
      return;
    }
    const g = sg[1];
    const ids: bigint[] = [];
    for (let j = 3; j < c.argc; j++) ids.push(parseId(c, j, 0n, true));
    let acked = 0;
    for (const id of ids) {
      const p = g.pel.get(id);
      if (!p) continue;
      releasePending(g, p);
      acked++;
    }
    if (acked) {
      c.db.modified(key);
      c.propagate();
    }
    c.w.int(acked);
  },

  xpending,
  xclaim,
  xautoclaim,
};

