/*
 * Number parsing and formatting with Redis's exact rules (util.c string2ll / string2d / string2ld /
 * ld2string), over binary strings or raw bytes.
 */

/** Parse a decimal int64 as string2ll: optional '-', digits, no leading zeros/spaces/'+'. */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20) return null;
  if (!/^-?(0|[1-9][0-9]*)$/.test(s)) return null;
  if (s === '-0') return null;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return null;
  return v;
}

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/**
 * string2ll over buf[from, to) (optional '-', digits, no leading zero, no '+' or spaces) for values
 * within +/-2^53: the value, or NaN when the bytes are not such an integer or it lies beyond 2^53. The
 * request framer reads its lengths with it; parseIntFast adds the int64 values beyond 2^53.
 */
export function parseDecimal(buf: Uint8Array, from: number, to: number): number {
  if (from >= to || to - from > 20) return NaN;
  let i = from;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
    if (i === to) return NaN;
  }
  // "0" alone; "-0" and leading zeros are not numbers to string2ll
  if (buf[i] === 0x30) return to - i === 1 && !neg ? 0 : NaN;
  let v = 0;
  for (; i < to; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  if (v > Number.MAX_SAFE_INTEGER) return NaN;
  return neg ? -v : v;
}

/**
 * Parse an integer as string2ll, returning a JS number when it is exactly representable, or null.
 * Values outside +/-2^53 that are valid int64 return NaN (callers needing them use parseInt64).
 */
export function parseIntFast(buf: Uint8Array, from: number, to: number): number | null {
  const v = parseDecimal(buf, from, to);
  if (v === v) return v;
  // not an integer, or one beyond 2^53 (16 digits at least): the exact int64 check through bigint
  if (to - from < 16) return null;
  let s = '';
  for (let j = from; j < to; j++) s += String.fromCharCode(buf[j]!);
  return parseInt64(s) === null ? null : NaN;
}

/** string2ll over a binary string, as a number (NaN when valid int64 but not exactly representable). */
export function parseIntString(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 0x2d) {
    neg = true;
    i++;
    if (i === n) return null;
  }
  if (s.charCodeAt(i) === 0x30) return n - i === 1 && !neg ? 0 : null;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  if (v > Number.MAX_SAFE_INTEGER) return parseInt64(s) === null ? null : NaN;
  return neg ? -v : v;
}

const FLOAT_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)$/i;

/**
 * Parse a double as string2d / string2ld: what C's strtod accepts, whole string, no leading space,
 * no NaN, and no overflow/underflow (ERANGE) unless the input is literally inf. Returns null if invalid.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5120) return null;
  if (!FLOAT_RE.test(s)) return null;
  const lower = s.toLowerCase();
  let sign = 1;
  let body = lower;
  if (body[0] === '+' || body[0] === '-') {
    if (body[0] === '-') sign = -1;
    body = body.slice(1);
  }
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  let v: number;
  if (body.startsWith('0x')) v = parseHexFloat(body.slice(2));
  else v = Number(body);
  if (!Number.isFinite(v)) return null; // overflow: ERANGE with HUGE_VAL
  if (v === 0 && /[1-9]/.test(body.replace(/e.*$/, ''))) return null; // underflow to zero: ERANGE
  return sign * v;
}

function parseHexFloat(s: string): number {
  const [mant, exp] = s.split('p') as [string, string | undefined];
  const [ip, fp = ''] = mant.split('.') as [string, string | undefined];
  let v = 0;
  for (const ch of ip) v = v * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of fp) {
    v += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return v * Math.pow(2, exp ? parseInt(exp, 10) : 0);
}

