/*
 * XREAD and XREADGROUP (with BLOCK): argument parsing in redis-server's order, serving what is there
 * now, delivery into consumer groups (PEL entries, last-delivered ID and entries-read), history reads
 * of a consumer's PEL, and parking the request on its keys when nothing can be served. A parked
 * request keeps its arguments with "$" replaced by the stream's last ID at the time it blocked, so a
 * re-run after XADD sees exactly what redis-server would serve.
 *
 * Propagation as redis-server: each entry delivered into a PEL goes out as XCLAIM ... FORCE JUSTID
 * LASTID, a NOACK delivery as XGROUP SETID ... ENTRIESREAD (and XGROUP CREATECONSUMER for a new
 * consumer); XREAD propagates nothing.
 */

import {
  CommandError, STREAM_BLOCKED_GROUP_GONE, STREAM_DOLLAR_GROUP, STREAM_GROUP_XREAD, STREAM_GT_XREAD, STREAM_MISSING_GROUP, STREAM_NOACK_XREAD, STREAM_UNBALANCED, SYNTAX,
  TIMEOUT_NEGATIVE, TIMEOUT_NOT_INTEGER, streamNoGroupRead, WRONGTYPE,
} from '../../resp/errors.js';
import { NOTIFY_STREAM } from '../../commands/keyspace-events.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { formatId, ID_MAX, StreamConsumer, StreamValue, type PendingEntry, type StreamGroup } from '../values/stream.js';
import { parseStreamId, prop, propBegin, propEnd, writeEntry } from './stream-args.js';
import { shardCommands } from '../../commands/registry.js';

const BLOCKED_DEFAULT_COUNT = '1000';

/** Look up (refreshing its seen time) or create a consumer (an xgroup-createconsumer event, as Redis). Returns [consumer, created]. */
export function consumerOf(c: ShardCtx, key: string, g: StreamGroup, name: string, refresh = true): [StreamConsumer, boolean] {
  let cons = g.consumers.get(name);
  if (cons) {
    if (refresh) cons.seenTime = c.now;
    return [cons, false];
  }
  cons = new StreamConsumer(name, c.now);
  g.consumers.set(name, cons);
  c.notify(NOTIFY_STREAM, 'xgroup-createconsumer', key);
  return [cons, true];
}

/** Propagate an entry's delivery as redis-server's idempotent XCLAIM. */
export function propagateXclaim(c: ShardCtx, key: string, g: StreamGroup, id: bigint, p: PendingEntry): void {
  prop(c, ['XCLAIM', key, g.name, p.consumer.name, '0', formatId(id), 'TIME', String(p.deliveryTime), 'RETRYCOUNT', String(p.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', formatId(g.lastId)]);
}

export function propagateGroupId(c: ShardCtx, key: string, g: StreamGroup): void {
  prop(c, ['XGROUP', 'SETID', key, g.name, formatId(g.lastId), 'ENTRIESREAD', String(g.entriesRead)]);
}

/** Deliver new entries after g.lastId to a consumer (the ">" read). */
function deliverNew(c: ShardCtx, key: string, s: StreamValue, g: StreamGroup, cons: StreamConsumer, count: number, noack: boolean): void {
  const es = s.range(g.lastId + 1n, ID_MAX, count, false);
  let propagateLast = false;
  c.w.array(es.length);
  for (const e of es) {
    if (e.id > g.lastId) {
      if (g.entriesRead !== -1 && !s.rangeHasTombstones(e.id, ID_MAX)) g.entriesRead++;
      else if (s.entriesAdded) g.entriesRead = s.estimateDistance(e.id);
      g.lastId = e.id;
      if (noack) propagateLast = true;
    }
    writeEntry(c.w, e);
    if (!noack) {
      let p = g.pel.get(e.id);
      if (p) {
        p.consumer.pel.delete(e.id);
        p.consumer = cons;
        p.deliveryTime = c.now;
        p.deliveryCount = 1;
      } else {
        p = { id: e.id, deliveryTime: c.now, deliveryCount: 1, consumer: cons };
        g.pel.set(e.id, p);
      }
      cons.pel.set(e.id, p);
      propagateXclaim(c, key, g, e.id, p);
    }
  }
  if (propagateLast) propagateGroupId(c, key, g);
}

/** Serve a consumer's own pending entries with IDs >= start (history read). */
function deliverHistory(c: ShardCtx, s: StreamValue, cons: StreamConsumer, start: bigint, count: number): void {
  const ps: PendingEntry[] = [];
  for (const p of cons.pel.iterate(start, ID_MAX)) {
    if (count && ps.length >= count) break;
    ps.push(p);
  }
  c.w.array(ps.length);
  for (const p of ps) {
    const e = s.get(p.id);
    if (e === undefined) {
      c.w.array(2);
      c.w.bulk(formatId(p.id));
      c.w.nullArray();
    } else {
      p.deliveryTime = c.now;
      p.deliveryCount++;
      writeEntry(c.w, e);
    }
  }
}

function xread(c: ShardCtx, group: boolean): void {
  let timeout = -1;
  let count = 0;
  let countIdx = -1;
  let streamsArg = 0;
  let nstreams = 0;
  let groupName: string | null = null;
  let consumerName = '';
  let noack = false;
  for (let i = 1; i < c.argc; i++) {
    const more = c.argc - i - 1;
    if (c.args.is(i, 'block') && more) {
      i++;
      const t = c.args.int64(i, TIMEOUT_NOT_INTEGER);
      if (t < 0n) throw new CommandError(TIMEOUT_NEGATIVE);
      timeout = t > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(t);
    } else if (c.args.is(i, 'count') && more) {
      i++;
      const n = c.args.int64(i);
      count = n < 0n ? 0 : n > 0x7fffffffn ? 0x7fffffff : Number(n);
      countIdx = i;
    } else if (c.args.is(i, 'streams') && more) {
      streamsArg = i + 1;
      nstreams = c.argc - streamsArg;
      if (nstreams % 2 !== 0) throw new CommandError(STREAM_UNBALANCED);
      nstreams /= 2;
      break;
    } else if (c.args.is(i, 'group') && more >= 2) {
      if (!group) throw new CommandError(STREAM_GROUP_XREAD);
      groupName = c.args.str(i + 1);
      consumerName = c.args.str(i + 2);
      i += 2;
    } else if (c.args.is(i, 'noack')) {
      if (!group) throw new CommandError(STREAM_NOACK_XREAD);
      noack = true;
    } else throw new CommandError(SYNTAX);
  }
  if (streamsArg === 0) throw new CommandError(SYNTAX);
  if (group && groupName === null) throw new CommandError(STREAM_MISSING_GROUP);

  const keys: string[] = [];
  const ids: bigint[] = [];
  const groups: (StreamGroup | undefined)[] = [];
  const dollar: boolean[] = [];
  for (let k = 0; k < nstreams; k++) {
    const key = c.args.str(streamsArg + k);
    keys.push(key);
    const v = c.db.read(key);
    if (v !== undefined && !(v instanceof StreamValue)) throw new CommandError(WRONGTYPE);
    const s = v;
    let g: StreamGroup | undefined;
    if (groupName !== null) {
      g = s?.group(groupName);
      if (g === undefined) throw new CommandError(c.serving ? STREAM_BLOCKED_GROUP_GONE : streamNoGroupRead(key, groupName));
    }
    groups.push(g);
    const arg = c.args.str(streamsArg + nstreams + k);
    dollar.push(false);
    if (arg === '$') {
      if (group) throw new CommandError(STREAM_DOLLAR_GROUP);
      ids.push(s ? s.lastId : 0n);
      dollar[k] = true;
    } else if (arg === '>') {
      if (!group) throw new CommandError(STREAM_GT_XREAD);
      ids.push(ID_MAX);
    } else ids.push(parseStreamId(arg, 0n, true).id);
  }

  // serve synchronously what can be served
  const served: number[] = [];
  const streams: (StreamValue | undefined)[] = [];
  for (let k = 0; k < nstreams; k++) {
    const v = c.db.read(keys[k]!, false) as StreamValue | undefined;
    streams.push(v);
    if (v === undefined) continue;
    const g = groups[k];
    if (g) {
      if (ids[k] !== ID_MAX) served.push(k);
      else if (v.length && v.edgeId(false) > g.lastId) served.push(k);
    } else if (v.length && v.edgeId(false) > ids[k]!) served.push(k);
  }
  if (served.length > 0) {
    const w = c.w;
    const mark = propBegin(c);
    if (w.proto === 3) w.map(served.length);
    else w.array(served.length);
    for (const k of served) {
      const key = keys[k]!;
      const s = streams[k]!;
      if (w.proto === 2) w.array(2);
      w.bulk(key);
      const g = groups[k];
      if (g) {
        const [cons, created] = consumerOf(c, key, g, consumerName);
        if (created && noack) prop(c, ['XGROUP', 'CREATECONSUMER', key, g.name, consumerName]);
        if (ids[k] !== ID_MAX) deliverHistory(c, s, cons, ids[k]! + 1n, count);
        else deliverNew(c, key, s, g, cons, count, noack);
        c.db.modified(key);
      } else {
        const start = ids[k]! + 1n;
        const es = start > ID_MAX ? [] : s.range(start, ID_MAX, count, false);
        w.array(es.length);
        for (const e of es) writeEntry(w, e);
      }
    }
    propEnd(c, mark);
    return;
  }
  if (timeout === -1 || c.mustNotBlock()) {
    c.w.nullArray();
    return;
  }
  // park with "$" resolved and the blocked default COUNT
  const argv = c.args.all();
  for (let k = 0; k < nstreams; k++) if (dollar[k]) argv[streamsArg + nstreams + k] = formatId(ids[k]!);
  if (countIdx > 0 && count === 0) argv[countIdx] = BLOCKED_DEFAULT_COUNT;
  else if (countIdx < 0) argv.splice(streamsArg - 1, 0, 'COUNT', BLOCKED_DEFAULT_COUNT);
  c.block(keys, timeout, argv);
}

export const commands = shardCommands<ShardHandler>({
  xread(c) {
    xread(c, false);
  },
  xreadgroup(c) {
    xread(c, true);
  },
});
