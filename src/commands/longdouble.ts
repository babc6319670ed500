/*
 * x87 80-bit long double arithmetic for INCRBYFLOAT and HINCRBYFLOAT. redis-server parses both
 * operands with strtold, adds them as long doubles (64-bit mantissa) and prints the sum with
 * "%.17Lf" minus trailing zeros, so `SET f 10.5; INCRBYFLOAT f 0.1` gives "10.6" but
 * `INCRBYFLOAT f 5.0e3` on 5.6 gives "5005.60000000000000009". A JS double cannot reproduce that,
 * so values here are exact binary fractions m * 2^e with BigInt mantissas rounded to 64 bits
 * (round half to even, as the FPU does) and printed exactly.
 */

const MANT_BITS = 64n;
const MANT_MIN = 1n << 63n;
const MANT_LIMIT = 1n << 64n;
/** Largest binary exponent of a finite long double (values below 2^16384). */
const MAX_EXP2 = 16384;
const MIN_EXP2 = -16446;
/** strtold input Redis accepts at most (MAX_LONG_DOUBLE_CHARS). */
const MAX_CHARS = 5 * 1024;

export interface LongDouble {
  /** 'inf' for an infinity (sign in neg). */
  inf: boolean;
  neg: boolean;
  /** Mantissa: 0n for zero, else in [2^63, 2^64). */
  m: bigint;
  /** Binary exponent: the value is m * 2^e. */
  e: number;
}

const ZERO: LongDouble = { inf: false, neg: false, m: 0n, e: 0 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** num/den (both > 0) rounded to a 64-bit mantissa, half to even. */
function roundRatio(neg: boolean, num: bigint, den: bigint, exp2: number): LongDouble {
  let shift = Number(MANT_BITS) - (bitLength(num) - bitLength(den));
  for (;;) {
    const n = shift >= 0 ? num << BigInt(shift) : num;
    const d = shift >= 0 ? den : den << BigInt(-shift);
    let q = n / d;
    if (q >= MANT_LIMIT) {
      shift--;
      continue;
    }
    if (q < MANT_MIN) {
      shift++;
      continue;
    }
    const r2 = (n % d) * 2n;
    if (r2 > d || (r2 === d && (q & 1n) === 1n)) q++;
    let e = exp2 - shift;
    if (q === MANT_LIMIT) {
      q = MANT_MIN;
      e++;
    }
    if (e + 64 > MAX_EXP2) return { inf: true, neg, m: 0n, e: 0 };
    if (e < MIN_EXP2) return { ...ZERO, neg };
    return { inf: false, neg, m: q, e };
  }
}

const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const DEC = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/**
 * Parse as Redis's string2ld does (strtold, whole string, no leading space, no NaN, no overflow).
 * Returns null when Redis would answer "not a valid float".
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_CHARS) return null;
  const lower = s.toLowerCase();
  const sign = lower[0] === '-' ? -1 : lower[0] === '+' ? 1 : 0;
  const body = sign !== 0 ? lower.slice(1) : lower;
  if (body === 'inf' || body === 'infinity') return { inf: true, neg: sign < 0, m: 0n, e: 0 };
  const h = HEX.exec(s);
  if (h) {
    const hexDigits = (h[2] ?? '') + (h[3] ?? '');
    if (hexDigits.length === 0) return null;
    const mant = BigInt('0x' + hexDigits);
    const e2 = (h[4] !== undefined ? Number(h[4]) : 0) - 4 * (h[3] ?? '').length;
    if (mant === 0n) return { ...ZERO, neg: h[1] === '-' };
    const r = roundRatio(h[1] === '-', mant, 1n, e2);
    return r.inf || r.m === 0n ? null : r;
  }
  const m = DEC.exec(s);
  if (!m) return null;
  const neg = m[1] === '-';
  const intPart = m[2] ?? '';
  const frac = m[3] ?? m[4] ?? '';
  let exp10 = m[5] !== undefined ? Number(m[5]) : 0;
  const digits = (intPart + frac).replace(/^0+/, '');
  if (digits.length === 0) return { ...ZERO, neg };
  exp10 -= frac.length;
  // beyond any long double: overflow (ERANGE) or underflow (ERANGE), both refused by Redis
  const mag = digits.length + exp10;
  if (mag > 4933) return null;
  if (mag < -4951) return null;
  const d = BigInt(digits);
  const r = exp10 >= 0 ? roundRatio(neg, d * 10n ** BigInt(exp10), 1n, 0) : roundRatio(neg, d, 10n ** BigInt(-exp10), 0);
  if (r.inf || r.m === 0n) return null;
  return r;
}

/** From a JS double (exact). */
export function longDoubleFromNumber(x: number): LongDouble {
  if (!Number.isFinite(x)) return { inf: true, neg: x < 0, m: 0n, e: 0 };
  if (x === 0) return { ...ZERO, neg: Object.is(x, -0) };
  const neg = x < 0;
  let a = Math.abs(x);
  let e = 0;
  while (!Number.isInteger(a)) {
    a *= 2;
    e--;
  }
  return roundRatio(neg, BigInt(a), 1n, e);
}

/** a + b rounded to a long double. NaN (inf - inf) comes back as null. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.m === 0n) return b.m === 0n ? { ...ZERO, neg: a.neg && b.neg } : b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const av = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const bv = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = av + bv;
  if (sum === 0n) return { ...ZERO };
  return roundRatio(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
}

export function isFiniteLongDouble(x: LongDouble): boolean {
  return !x.inf;
}

/** "%.17Lf" with trailing zeros (and a trailing '.') removed, "-0" as "0": Redis's LD_STR_HUMAN. */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.inf) return x.neg ? '-inf' : 'inf';
  const scale = 10n ** 17n;
  let q: bigint;
  if (x.e >= 0) q = (x.m << BigInt(x.e)) * scale;
  else {
    const num = x.m * scale;
    const den = 1n << BigInt(-x.e);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q++;
  }
  const int = (q / scale).toString();
  const frac = (q % scale).toString().padStart(17, '0').replace(/0+$/, '');
  let s = frac.length > 0 ? `${int}.${frac}` : int;
  if (x.neg && q !== 0n) s = '-' + s;
  return s;
}
