/*
 * Args: a request's arguments read in place from the bytes they arrived in (a ring record, or a
 * connection's input buffer), through typed accessors with Redis's parse rules and error texts.
 * Handlers "parse, then apply": read everything through Args first, then touch the keyspace.
 *
 * Strings returned are binary strings (latin1: one char per byte). Byte views (bytes()) are only valid
 * while the command runs: the memory is reused afterwards.
 */

import { CommandError, NOT_INTEGER, NOT_FLOAT, SYNTAX } from '../resp/errors.js';
import { parseDouble, parseInt64, parseIntFast } from './numbers.js';

export class Args {
  buf: Buffer = Buffer.alloc(0);
  start: Int32Array = new Int32Array(64);
  len: Int32Array = new Int32Array(64);
  argc = 0;
  /** Unescaped inline arguments, when the request came inline with quotes. */
  inline: string[] | null = null;
  /**
   * True when buf belongs to this request alone (a large request assembled from ring chunks) and is
   * never reused: a large argument may then be kept as a view of it instead of copied (ownedBytes).
   */
  owned = false;

  /** Point at a framed request (positions are absolute offsets in buf). */
  set(buf: Buffer, start: Int32Array, len: Int32Array, argc: number, inline: string[] | null = null): void {
    this.buf = buf;
    this.start = start;
    this.len = len;
    this.argc = argc;
    this.inline = inline;
    this.owned = false;
  }

  /** Argument i as a binary string. */
  str(i: number): string {
    if (this.inline) return this.inline[i]!;
    const s = this.start[i]!;
    return this.buf.latin1Slice(s, s + this.len[i]!);
  }

  /** Argument i lower-cased (for option names and subcommands). */
  lower(i: number): string {
    return this.str(i).toLowerCase();
  }

  /** Argument i's bytes, valid only while the command runs. */
  bytes(i: number): Buffer {
    if (this.inline) return Buffer.from(this.inline[i]!, 'latin1');
    const s = this.start[i]!;
    return this.buf.subarray(s, s + this.len[i]!);
  }

  /** Argument i's bytes for keeping after the command: a view when buf is owned, else a copy. */
  ownedBytes(i: number): Buffer {
    const b = this.bytes(i);
    return this.owned && !this.inline ? b : Buffer.from(b);
  }

  length(i: number): number {
    return this.inline ? this.inline[i]!.length : this.len[i]!;
  }

  /**
   * Case-insensitive comparison of argument i with a lower-case ASCII word, without allocating, as
   * Redis's strcasecmp() sees it: the argument ends at its
   * first NUL byte, so "NX\0junk" is the option NX.
   */
  is(i: number, word: string): boolean {
    if (i >= this.argc) return false; // no such argument (an inline request has no stale one either)
    if (this.inline) {
      const s = this.inline[i]!;
      const z = s.indexOf('\0');
      return (z < 0 ? s : s.slice(0, z)).toLowerCase() === word;
    }
    const w = word.length;
    const b = this.buf;
    let p = this.start[i]!;
    const n = this.len[i]!;
    if (n !== w && (n < w || b[p + w] !== 0)) return false;
    for (let j = 0; j < w; j++, p++) {
      const c = b[p]!;
      if ((c >= 65 && c <= 90 ? c + 32 : c) !== word.charCodeAt(j)) return false;
    }
    return true;
  }

  /** Argument i as an integer (string2ll), or CommandError(err). Values beyond 2^53 are refused too. */
  int(i: number, err: string = NOT_INTEGER): number {
    let v: number | null;
    if (this.inline) {
      const s = this.inline[i]!;
      const b = parseInt64(s);
      v = b === null ? null : Number(b);
      if (b !== null && (b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER))) v = NaN;
    } else {
      const s = this.start[i]!;
      v = parseIntFast(this.buf, s, s + this.len[i]!);
    }
    if (v === null || Number.isNaN(v)) {
      if (v !== null) return this.bigAsNumber(i, err);
      throw new CommandError(err);
    }
    return v;
  }

  /** An int64 beyond 2^53: returned as the nearest double (callers that need exactness use int64()). */
  private bigAsNumber(i: number, err: string): number {
    const b = parseInt64(this.str(i));
    if (b === null) throw new CommandError(err);
    return Number(b);
  }

  /** Argument i as an exact int64. */
  int64(i: number, err: string = NOT_INTEGER): bigint {
    const b = parseInt64(this.str(i));
    if (b === null) throw new CommandError(err);
    return b;
  }

  /** Argument i as a double (string2d), or CommandError(err). */
  float(i: number, err: string = NOT_FLOAT): number {
    const v = parseDouble(this.str(i));
    if (v === null) throw new CommandError(err);
    return v;
  }

  /** Throws a syntax error unless every argument has been consumed. */
  end(next: number): void {
    if (next !== this.argc) throw new CommandError(SYNTAX);
  }

  /** Every argument as a binary string (for error messages and inline debugging). */
  all(from = 0): string[] {
    const out: string[] = [];
    for (let i = from; i < this.argc; i++) out.push(this.str(i));
    return out;
  }
}
