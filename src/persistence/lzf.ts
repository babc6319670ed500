/*
 * LZF compression in the format liblzf writes and Redis stores compressed strings in (RDB string
 * encoding 3). Decompression lives with the RDB reader (codec/rdb-read.ts: lzfDecompress).
 *
 * The stream is a sequence of
 *   literal run:    000LLLLL <L+1 bytes>                       (1..32 literal bytes)
 *   short back ref: LLLooooo oooooooo                          (L = length-2, 1..6; o = distance-1)
 *   long back ref:  111ooooo LLLLLLLL oooooooo                 (length-2 = 7 + L)
 * A back reference reaches at most 8192 bytes back and copies 3..264 bytes. Matches are found through
 * a hash table of the positions of 3-byte sequences, as liblzf does.
 */

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;

/**
 * Positions of 3-byte sequences by hash, as `base + position`: an entry below the current call's base
 * was left by an earlier call and means "none" (so no call clears the 64 kB table; liblzf leaves its
 * table uninitialised and checks each reference the same way).
 */
const table = new Int32Array(HSIZE);
/** The base of the next call's positions (entries of 0 were never set). */
let nextBase = 1;

/**
 * Compress `input` into at most `maxOut` bytes. Returns the compressed bytes, or null when they would
 * not fit (Redis then stores the string as it is).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  if (maxOut <= 0) return null;
  const out = Buffer.allocUnsafe(maxOut + 3);
  const n = lzfCompressInto(input, 0, input.length, maxOut, out);
  return n < 0 ? null : out.subarray(0, n);
}

/**
 * lzfCompress of input[start, start + n) into `out` (at least maxOut + 3 bytes), without allocating:
 * returns the compressed length, or -1 when it would not fit in maxOut bytes.
 */
export function lzfCompressInto(input: Uint8Array, start: number, n: number, maxOut: number, out: Uint8Array): number {
  if (n < 4 || maxOut <= 0) return -1;
  if (nextBase > 0x7fffffff - n) {
    table.fill(0);
    nextBase = 1;
  }
  // table entries of this call are position + base (positions are absolute in input)
  const base = nextBase - start;
  nextBase += n;
  const end = start + n;
  let op = 1; // out[litStart] is the control byte of the current literal run
  let litStart = 0;
  let lit = 0;
  let ip = start;
  const emitLiteral = (): boolean => {
    // close the current run (lit >= 1) and open a new one
    out[litStart] = lit - 1;
    litStart = op++;
    lit = 0;
    return op <= maxOut;
  };
  while (ip < end - 2) {
    const h = Math.imul((input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!, 0x9e3779b1) >>> (32 - HLOG);
    const ref = table[h]! - base; // below start: none in this call
    table[h] = ip + base;
    const off = ip - ref - 1;
    if (ref >= start && off < MAX_OFF && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 3;
      const maxLen = Math.min(MAX_REF, end - ip);
      while (len < maxLen && input[ref + len] === input[ip + len]) len++;
      // close the pending literal run (or drop its unused control byte)
      if (lit > 0) {
        out[litStart] = lit - 1;
      } else op--;
      if (op + 3 > maxOut) return -1;
      const l = len - 2;
      if (l < 7) out[op++] = (l << 5) | (off >> 8);
      else {
        out[op++] = (7 << 5) | (off >> 8);
        out[op++] = l - 7;
      }
      out[op++] = off & 0xff;
      litStart = op++;
      lit = 0;
      if (op > maxOut) return -1;
      // index the positions inside the match so later data can refer to them
      const to = ip + len;
      for (let p = ip + 1; p < to && p < end - 2; p++) {
        table[Math.imul((input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!, 0x9e3779b1) >>> (32 - HLOG)] = p + base;
      }
      ip = to;
      continue;
    }
    if (op >= maxOut) return -1;
    out[op++] = input[ip++]!;
    if (++lit === MAX_LIT && !emitLiteral()) return -1;
  }
  while (ip < end) {
    if (op >= maxOut) return -1;
    out[op++] = input[ip++]!;
    if (++lit === MAX_LIT && !emitLiteral()) return -1;
  }
  if (lit > 0) out[litStart] = lit - 1;
  else op--; // an empty run at the end: drop its control byte
  if (op > maxOut) return -1;
  return op;
}
