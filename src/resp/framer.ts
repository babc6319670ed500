/*
 * RequestFramer: finds complete requests in a client's input bytes, RESP multibulk or inline, without
 * copying them, as redis's processMultibulkBuffer / processInlineBuffer do.
 *
 * For each request it reports where it starts and ends in the input and where every argument is
 * (argStart[i], argLen[i], offsets into the same buffer). It is resumable: when a request is incomplete
 * it remembers how far it got (the arguments already seen, relative to the request's start), so a
 * request arriving in many small reads, or one with a million arguments, is scanned once, not once per
 * read. The caller may move the unparsed bytes (compaction) between calls as long as it passes the new
 * request start.
 *
 * Errors are Redis's protocol errors; after one the connection must reply and close.
 */

import { parseDecimal, parseIntFast } from '../commands/numbers.js';
import * as E from './errors.js';

export const FRAME_NEED_MORE = 0;
export const FRAME_OK = 1;
export const FRAME_ERROR = 2;
/** Empty request ("*0", "*-1", a blank inline line): skip it and parse on. */
export const FRAME_EMPTY = 3;

const PROTO_INLINE_MAX_SIZE = 64 * 1024;
const CR = 13;
const LF = 10;

export class RequestFramer {
  /** Argument positions of the last complete request (absolute offsets into the buffer given). */
  argStart: Int32Array = new Int32Array(64);
  argLen: Int32Array = new Int32Array(64);
  argc = 0;
  /** End offset (exclusive) of the last complete request. */
  end = 0;
  /** True if the last request was inline (its arguments may then be in `inlineArgs`, unquoted). */
  inline = false;
  /** Inline requests with quotes or escapes are unescaped into these strings (latin1). */
  inlineArgs: string[] | null = null;
  /** Error reply text after FRAME_ERROR. */
  error = '';

  // Resumable multibulk state, relative to the request start.
  private expected = 0; // arguments announced by "*N", 0 = header not read yet
  private parsed = 0; // arguments complete
  private resumeAt = 0; // offset after the last complete argument (relative)
  private bulkLen = -1; // length of the bulk being read, -1 = its "$len" line not read yet

  constructor(
    public maxBulkLen = 512 * 1024 * 1024,
    /** When set, multibulk > 10 and bulk > 16384 are refused (requirepass and not authenticated). */
    public unauthenticated = false,
  ) {}

  /** Forget a half-parsed request (after an error or when the connection resets). */
  reset(): void {
    this.expected = 0;
    this.parsed = 0;
    this.resumeAt = 0;
    this.bulkLen = -1;
  }

  /** Bytes still needed to complete the bulk being read, when known (lets callers size buffers). */
  pendingBulkRemaining(start: number, end: number): number {
    if (this.bulkLen < 0) return 0;
    return Math.max(0, start + this.resumeAt + this.bulkLen + 2 - end);
  }

  /** True while a multibulk request has been started but not completed. */
  inProgress(): boolean {
    return this.expected > 0;
  }

  /**
   * Frame one request from buf[start, end). Returns FRAME_OK (argc/argStart/argLen/end set),
   * FRAME_EMPTY (end set), FRAME_NEED_MORE, or FRAME_ERROR (error set).
   */
  frame(buf: Buffer, start: number, end: number): number {
    if (this.expected === 0) {
      if (start >= end) return FRAME_NEED_MORE;
      if (buf[start] !== 0x2a) return this.frameInline(buf, start, end);
      const nl = findCR(buf, start, end);
      if (nl < 0) {
        if (end - start > PROTO_INLINE_MAX_SIZE) return this.fail(E.PROTOCOL_BIG_MBULK);
        return FRAME_NEED_MORE;
      }
      if (nl + 1 >= end) return FRAME_NEED_MORE; // the LF is not here yet
      let n = parseDecimal(buf, start + 1, nl);
      // NaN: not a number, or one beyond 2^53; a negative int64 there is a count <= 0 as any other
      if (n !== n && buf[start + 1] === 0x2d && parseIntFast(buf, start + 1, nl) !== null) n = -1;
      if (!(n <= 0x7fffffff)) return this.fail(E.PROTOCOL_INVALID_MULTIBULK);
      if (n > 10 && this.unauthenticated) return this.fail(E.PROTOCOL_UNAUTH_MBULK);
      if (n <= 0) {
        this.end = nl + 2;
        return FRAME_EMPTY;
      }
      this.expected = n;
      this.parsed = 0;
      this.resumeAt = nl + 2 - start;
      this.bulkLen = -1;
      if (this.argStart.length < Math.min(n, 1 << 20)) this.grow(Math.min(n, 1 << 20));
    }
    let pos = start + this.resumeAt;
    while (this.parsed < this.expected) {
      if (this.bulkLen < 0) {
        if (pos >= end) break;
        const nl = findCR(buf, pos, end);
        if (nl < 0) {
          if (end - pos > PROTO_INLINE_MAX_SIZE) return this.fail(E.PROTOCOL_BIG_BULK);
          break;
        }
        if (nl + 1 >= end) break;
        if (buf[pos] !== 0x24) return this.fail(E.protocolExpectedDollar(String.fromCharCode(buf[pos]!)));
        const len = parseDecimal(buf, pos + 1, nl);
        if (!(len >= 0 && len <= this.maxBulkLen)) return this.fail(E.PROTOCOL_INVALID_BULK); // NaN: not a number
        if (len > 16384 && this.unauthenticated) return this.fail(E.PROTOCOL_UNAUTH_BULK);
        this.bulkLen = len;
        pos = nl + 2;
        this.resumeAt = pos - start;
      }
      if (end - pos < this.bulkLen + 2) break;
      const i = this.parsed;
      if (i >= this.argStart.length) this.grow(i + 1);
      this.argStart[i] = pos - start; // relative until the request completes
      this.argLen[i] = this.bulkLen;
      pos += this.bulkLen + 2;
      this.parsed = i + 1;
      this.resumeAt = pos - start;
      this.bulkLen = -1;
    }
    if (this.parsed < this.expected) return FRAME_NEED_MORE;
    const argc = this.expected;
    const as = this.argStart;
    for (let i = 0; i < argc; i++) as[i] = as[i]! + start;
    this.argc = argc;
    this.end = pos;
    this.inline = false;
    this.inlineArgs = null;
    this.expected = 0;
    this.parsed = 0;
    this.resumeAt = 0;
    return FRAME_OK;
  }

  private grow(n: number): void {
    let size = this.argStart.length;
    while (size < n) size *= 2;
    const s = new Int32Array(size);
    s.set(this.argStart);
    const l = new Int32Array(size);
    l.set(this.argLen);
    this.argStart = s;
    this.argLen = l;
  }

  private fail(msg: string): number {
    this.error = msg;
    this.reset();
    return FRAME_ERROR;
  }

  private frameInline(buf: Buffer, start: number, end: number): number {
    let nl = buf.indexOf(LF, start);
    // Redis looks for the newline with strchr(): a NUL before it hides it (the line never completes)
    if (nl >= 0 && nl < end && buf.subarray(start, nl).indexOf(0) >= 0) nl = -1;
    if (nl < 0 || nl >= end) {
      if (end - start > PROTO_INLINE_MAX_SIZE) return this.fail(E.PROTOCOL_BIG_INLINE);
      return FRAME_NEED_MORE;
    }
    let lineEnd = nl;
    if (lineEnd > start && buf[lineEnd - 1] === CR) lineEnd--;
    this.end = nl + 1;
    const r = splitInline(buf, start, lineEnd, this);
    if (r === null) return this.fail(E.PROTOCOL_UNBALANCED_QUOTES);
    if (this.argc === 0) return FRAME_EMPTY;
    this.inline = true;
    return FRAME_OK;
  }
}

/**
 * The CR ending a "*N" or "$N" line in buf[from, end), or -1. Redis looks for it with strchr(), which
 * stops at a NUL: a NUL before the CR hides it, and the line never completes (until the buffer grows
 * past the 64 KB limit).
 */
function findCR(buf: Buffer, from: number, end: number): number {
  // the lines framed here are a few bytes ("*3", "$16"): looked at byte by byte, no native call
  const near = Math.min(end, from + 24);
  for (let i = from; i < near; i++) {
    const c = buf[i]!;
    if (c === CR) return i;
    if (c === 0) return -1;
  }
  if (near === end) return -1;
  const nl = buf.indexOf(CR, near);
  if (nl < 0 || nl >= end) return -1;
  for (let i = near; i < nl; i++) if (buf[i] === 0) return -1;
  return nl;
}

/** C's isspace(): blanks skipped before an argument and required after a closing quote. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** What ends an unquoted argument in sdssplitargs: space, tab, CR, LF (not \v or \f). */
function endsToken(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Split an inline line into arguments with redis's sdssplitargs rules: spaces separate, "double quotes"
 * with \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' with only \' escaped, and a closing quote
 * must be followed by a space or the end; \v and \f are skipped before an argument but do not end
 * one. Plain arguments are recorded as positions; any quoted
 * argument makes the whole request use `inlineArgs` strings. Returns null on unbalanced quotes.
 */
export function splitInline(buf: Uint8Array, from: number, to: number, out: RequestFramer): string[] | null {
  const args: string[] = [];
  let plain = true;
  let i = from;
  let argc = 0;
  while (true) {
    while (i < to && isSpace(buf[i]!)) i++;
    if (i >= to) break;
    let inq = false;
    let insq = false;
    let cur = '';
    const argBegin = i;
    let quotedArg = false;
    let done = false;
    while (!done) {
      if (inq) {
        if (i >= to) return null;
        const c = buf[i]!;
        if (c === 0x5c && i + 3 < to && buf[i + 1] === 0x78 && hexVal(buf[i + 2]!) >= 0 && hexVal(buf[i + 3]!) >= 0) {
          cur += String.fromCharCode(hexVal(buf[i + 2]!) * 16 + hexVal(buf[i + 3]!));
          i += 3;
        } else if (c === 0x5c && i + 1 < to) {
          i++;
          const e = buf[i]!;
          cur += e === 0x6e ? '\n' : e === 0x72 ? '\r' : e === 0x74 ? '\t' : e === 0x62 ? '\b' : e === 0x61 ? '\x07' : String.fromCharCode(e);
        } else if (c === 0x22) {
          if (i + 1 < to && !isSpace(buf[i + 1]!)) return null;
          done = true;
        } else {
          cur += String.fromCharCode(c);
        }
      } else if (insq) {
        if (i >= to) return null;
        const c = buf[i]!;
        if (c === 0x5c && i + 1 < to && buf[i + 1] === 0x27) {
          i++;
          cur += "'";
        } else if (c === 0x27) {
          if (i + 1 < to && !isSpace(buf[i + 1]!)) return null;
          done = true;
        } else {
          cur += String.fromCharCode(c);
        }
      } else {
        if (i >= to) {
          done = true;
          break;
        }
        const c = buf[i]!;
        if (endsToken(c)) {
          done = true;
          break;
        } else if (c === 0x22) {
          inq = true;
          quotedArg = true;
        } else if (c === 0x27) {
          insq = true;
          quotedArg = true;
        } else {
          cur += String.fromCharCode(c);
        }
      }
      if (i < to) i++;
    }
    if (quotedArg) plain = false;
    if (argc >= out.argStart.length) {
      const s = new Int32Array(out.argStart.length * 2);
      s.set(out.argStart);
      const l = new Int32Array(out.argLen.length * 2);
      l.set(out.argLen);
      out.argStart = s;
      out.argLen = l;
    }
    out.argStart[argc] = argBegin;
    out.argLen[argc] = cur.length;
    args.push(cur);
    argc++;
  }
  out.argc = argc;
  out.inlineArgs = plain ? null : args;
  return args;
}
