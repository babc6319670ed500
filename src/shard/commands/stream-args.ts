/*
 * Shared pieces of the stream commands: stream ID parsing with redis-server's rules (string2ull,
 * "-"/"+", "<ms>-*", "(" exclusive intervals), the XADD/XTRIM trimming options, the stream lookup with
 * WRONGTYPE, and the reply shape of stream entries ([id, [field, value, ...]]).
 */

import { CommandError, STREAM_INVALID_ID, STREAM_LIMIT_NEGATIVE, STREAM_LIMIT_NO_APPROX, STREAM_LIMIT_NO_STRATEGY, STREAM_MAXLEN_MINID, STREAM_MAXLEN_NEGATIVE, STREAM_XTRIM_NO_STRATEGY, SYNTAX } from '../../resp/errors.js';
import { FLAG_IN_MULTI, FLAG_REPLICATED } from '../../ipc/records.js';
import type { RespWriter } from '../../resp/writer.js';
import type { ShardCtx } from '../context.js';
import { formatId, ID_MAX, idOf, StreamValue, U64, type StreamEntry } from '../values/stream.js';
import { getTyped } from './util.js';

export function getStream(c: ShardCtx, key: string, read = true): StreamValue | undefined {
  return getTyped(c, key, StreamValue, read);
}

/** The stream limits from the shard configuration. */
export function streamLimits(c: ShardCtx): { nodeMaxBytes: number; nodeMaxEntries: number } {
  return { nodeMaxBytes: c.config.streamNodeMaxBytes, nodeMaxEntries: c.config.streamNodeMaxEntries };
}

const SPACE = /^[ \t\n\v\f\r]*/;

/** string2ull: a canonical int64 >= 0, or what strtoull accepts (spaces, sign, leading zeros). */
function string2ull(s: string): bigint | null {
  if (/^(0|-?[1-9][0-9]*)$/.test(s)) {
    const v = BigInt(s);
    if (v >= -(1n << 63n) && v < 1n << 63n) return v < 0n ? null : v;
  }
  const rest = s.slice(SPACE.exec(s)![0].length);
  const m = /^([+-]?)([0-9]+)$/.exec(rest);
  if (!m) return null;
  const v = BigInt(m[2]!);
  if (v > U64) return null;
  return m[1] === '-' ? (U64 + 1n - v) & U64 : v;
}

export interface ParsedId {
  id: bigint;
  /** false for "<ms>-*" */
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply: "-" / "+" (unless strict), "<ms>", "<ms>-<seq>", and "<ms>-*" when
 * allowStar. missingSeq fills a bare "<ms>".
 */
export function parseStreamId(s: string, missingSeq: bigint, strict: boolean, allowStar = false): ParsedId {
  if (s.length > 127) throw new CommandError(STREAM_INVALID_ID);
  if (s === '-' || s === '+') {
    if (strict) throw new CommandError(STREAM_INVALID_ID);
    return { id: s === '-' ? 0n : ID_MAX, seqGiven: true };
  }
  const dash = s.indexOf('-');
  const msPart = dash >= 0 ? s.slice(0, dash) : s;
  const ms = string2ull(msPart);
  if (ms === null) throw new CommandError(STREAM_INVALID_ID);
  if (dash < 0) return { id: idOf(ms, missingSeq), seqGiven: true };
  const seqPart = s.slice(dash + 1);
  if (allowStar && seqPart === '*') return { id: idOf(ms, 0n), seqGiven: false };
  const seq = string2ull(seqPart);
  if (seq === null) throw new CommandError(STREAM_INVALID_ID);
  return { id: idOf(ms, seq), seqGiven: true };
}

export function parseId(c: ShardCtx, i: number, missingSeq = 0n, strict = false): bigint {
  return parseStreamId(c.args.str(i), missingSeq, strict).id;
}

/** A range bound with the "(" exclusive prefix; returns the id and whether it was exclusive. */
export function parseIntervalId(c: ShardCtx, i: number, missingSeq: bigint): { id: bigint; ex: boolean } {
  const s = c.args.str(i);
  if (s.length > 1 && s[0] === '(') return { id: parseStreamId(s.slice(1), missingSeq, true).id, ex: true };
  return { id: parseStreamId(s, missingSeq, false).id, ex: false };
}

/** XADD / XTRIM: how the stream is trimmed. */
export const enum TrimStrategy { NONE, MAXLEN, MINID }

export interface TrimArgs {
  strategy: TrimStrategy;
  approx: boolean;
  maxlen: number;
  minid: bigint;
  limit: number;
  /** index of the threshold argument (the ~/= is just before it when given) */
  argIdx: number;
  nomkstream: boolean;
  /** XADD: index of the ID argument */
  idIdx: number;
  id: ParsedId | null;
}

/** streamParseAddOrTrimArgsOrReply. */
export function parseTrimArgs(c: ShardCtx, xadd: boolean): TrimArgs {
  const a: TrimArgs = { strategy: TrimStrategy.NONE, approx: false, maxlen: 0, minid: 0n, limit: 0, argIdx: 0, nomkstream: false, idIdx: -1, id: null };
  let limitGiven = false;
  let i = 2;
  for (; i < c.argc; i++) {
    const more = c.argc - 1 - i;
    const opt = c.args.str(i);
    if (xadd && opt === '*') break;
    const lo = opt.toLowerCase();
    if ((lo === 'maxlen' || lo === 'minid') && more) {
      if (a.strategy !== TrimStrategy.NONE) throw new CommandError(STREAM_MAXLEN_MINID);
      a.approx = false;
      const next = c.args.str(i + 1);
      if (more >= 2 && next === '~') {
        a.approx = true;
        i++;
      } else if (more >= 2 && next === '=') i++;
      if (lo === 'maxlen') {
        const n = c.args.int64(i + 1);
        if (n < 0n) throw new CommandError(STREAM_MAXLEN_NEGATIVE);
        a.maxlen = Number(n);
        a.strategy = TrimStrategy.MAXLEN;
      } else {
        a.minid = parseStreamId(c.args.str(i + 1), 0n, true).id;
        a.strategy = TrimStrategy.MINID;
      }
      i++;
      a.argIdx = i;
    } else if (lo === 'limit' && more) {
      const n = c.args.int64(i + 1);
      if (n < 0n) throw new CommandError(STREAM_LIMIT_NEGATIVE);
      a.limit = Number(n);
      limitGiven = true;
      i++;
    } else if (xadd && lo === 'nomkstream') {
      a.nomkstream = true;
    } else if (xadd) {
      a.id = parseStreamId(opt, 0n, true, true);
      break;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  a.idIdx = i;
  if (a.limit && a.strategy === TrimStrategy.NONE) throw new CommandError(STREAM_LIMIT_NO_STRATEGY);
  if (!xadd && a.strategy === TrimStrategy.NONE) throw new CommandError(STREAM_XTRIM_NO_STRATEGY);
  if (c.flags & FLAG_REPLICATED) {
    a.limit = 0;
  } else if (limitGiven) {
    if (!a.approx) throw new CommandError(STREAM_LIMIT_NO_APPROX);
  } else if (a.approx) {
    a.limit = 100 * c.config.streamNodeMaxEntries;
    if (a.limit <= 0) a.limit = 10000;
    if (a.limit > 1000000) a.limit = 1000000;
  } else {
    a.limit = 0;
  }
  return a;
}

/** Run the trim of parsed args on s; returns the number of entries removed. */
export function applyTrim(s: StreamValue, a: TrimArgs): number {
  if (a.strategy === TrimStrategy.NONE) return 0;
  return s.trim(a.strategy === TrimStrategy.MAXLEN, a.maxlen, a.minid, a.approx, a.limit);
}

/** The request's arguments with an approximate trim rewritten to its exact result ("=" and the threshold). */
export function rewriteApproxTrim(argv: string[], s: StreamValue, a: TrimArgs): void {
  argv[a.argIdx - 1] = '=';
  argv[a.argIdx] = a.strategy === TrimStrategy.MAXLEN ? String(s.length) : formatId(firstOrEmpty(s));
}

/** streamGetEdgeID(first, tombstones included): the first entry of the first node, ID_MAX when empty. */
function firstOrEmpty(s: StreamValue): bigint {
  const n = s.nodes[0];
  return n ? n.entries[0]!.id : ID_MAX;
}

/** One entry as [id, [field, value, ...]]. */
export function writeEntry(w: RespWriter, e: StreamEntry): void {
  w.array(2);
  w.bulk(formatId(e.id));
  w.array(e.fv.length);
  for (const s of e.fv) w.bulk(s);
}

export function writeEntries(w: RespWriter, es: StreamEntry[]): void {
  w.array(es.length);
  for (const e of es) writeEntry(w, e);
}

// ---- propagation of several commands from one (XREADGROUP, XCLAIM, XAUTOCLAIM) ---------------------

let propCount = 0;

/** Propagate one command of a handler that may propagate several (see propBegin/propEnd). */
export function prop(c: ShardCtx, parts: string[]): void {
  c.propagateCommand(parts);
  propCount++;
}

export function propBegin(c: ShardCtx): number {
  propCount = 0;
  return c.p.len;
}

/** Several commands propagated by one are wrapped in MULTI/EXEC, as redis-server 7.0 does. */
export function propEnd(c: ShardCtx, start: number): void {
  if (propCount > 1 && !(c.flags & (FLAG_IN_MULTI | FLAG_REPLICATED))) {
    const body = Buffer.from(c.p.buf.subarray(start, c.p.len));
    c.p.len = start;
    c.p.command(['MULTI']);
    c.p.raw(body);
    c.p.command(['EXEC']);
  }
  propCount = 0;
}
