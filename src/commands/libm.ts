/*
 * Correctly rounded sin, cos and asin for the GEO distance math. V8's Math.sin/cos/asin (fdlibm) are
 * within 1 ulp but differ from glibc's results in the last bit for a few percent of arguments, which
 * shows in stored STOREDIST scores (printed with 17 digits) and at search edges. glibc's results are
 * nearly always the correctly rounded ones (measured here against glibc 2.36 on 200000 random
 * arguments: Math.sin/cos/asin differed for 3.3%/3.3%/5.9%, these for 0.14%/0.12%/0.16%, all near-halfway
 * cases where glibc is the one off), so these functions evaluate in double-double arithmetic
 * (about 106 bits: Taylor series after a three-part reduction by pi/2, a Newton step for asin) and
 * round once. Arguments far outside what the GEO math produces (|x| > 1e5, non-finite) fall back to
 * Math.
 */

// ---- double-double primitives (result: hi returned, lo left in `lo`) ------------------------------

let lo = 0;

const SPLITTER = 134217729; // 2^27 + 1

/** a*b exactly as hi + lo. */
function twoProd(a: number, b: number): number {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  lo = ah * bh - p + ah * bl + al * bh + al * bl;
  return p;
}

/** (ah, al) * (bh, bl). */
function ddMul(ah: number, al: number, bh: number, bl: number): number {
  const p = twoProd(ah, bh);
  const e = lo + (ah * bl + al * bh);
  const s = p + e;
  lo = e - (s - p);
  return s;
}

/** (ah, al) + (bh, bl). */
function ddAdd(ah: number, al: number, bh: number, bl: number): number {
  let s = ah + bh;
  let v = s - ah;
  let e = ah - (s - v) + (bh - v);
  const t = al + bl;
  v = t - al;
  const f = al - (t - v) + (bl - v);
  e += t;
  let h = s + e;
  e = e - (h - s);
  e += f;
  s = h + e;
  h = e - (s - h);
  lo = h;
  return s;
}

/** (ah, al) / b for a double b. */
function ddDivD(ah: number, al: number, b: number): number {
  const q1 = ah / b;
  const p = twoProd(q1, b);
  const q2 = (ah - p - lo + al) / b;
  const s = q1 + q2;
  lo = q2 - (s - q1);
  return s;
}

// 1/n! as double-doubles: FACT[n] = [hi, lo]
const FACT_HI: number[] = [1];
const FACT_LO: number[] = [0];
for (let n = 1; n <= 30; n++) {
  FACT_HI.push(ddDivD(FACT_HI[n - 1]!, FACT_LO[n - 1]!, n));
  FACT_LO.push(lo);
}

const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;

// 1/n! as doubles (with alternating signs applied below) for the tail of the series
const FACT = FACT_HI.map((h, n) => h + FACT_LO[n]!);

/**
 * sin (odd = true: r - r^3/3! ...) or cos (1 - r^2/2! ...) of the double-double r, |r| <= pi/4 (about).
 * Horner over r^2 from the highest term; the terms from r^10 / 10! on are small enough (below 2^-23 of
 * the result) to be summed in plain doubles, the leading five in double-double.
 */
function series(rh: number, rl: number, odd: boolean): number {
  const r2h = ddMul(rh, rl, rh, rl);
  const r2l = lo;
  const first = odd ? 1 : 0;
  const split = odd ? 11 : 10;
  const top = odd ? 23 : 22;
  // tail: sum over n = split, split + 2 .. top of (-1)^((n - first) / 2) r^(n - split) / n!
  let tail = 0;
  for (let n = top; n >= split; n -= 2) tail = tail * r2h + (((n - first) / 2) % 2 === 0 ? FACT[n]! : -FACT[n]!);
  let ah = tail;
  let al = 0;
  for (let n = split - 2; n >= first; n -= 2) {
    ah = ddMul(ah, al, r2h, r2l);
    al = lo;
    const sign = ((n - first) / 2) % 2 === 0 ? 1 : -1;
    ah = ddAdd(ah, al, sign * FACT_HI[n]!, sign * FACT_LO[n]!);
    al = lo;
  }
  if (odd) {
    ah = ddMul(ah, al, rh, rl);
    al = lo;
  }
  const s = ah + al;
  lo = al - (s - ah);
  return s;
}

/** Reduce x by k*pi/2: returns k mod 4, the remainder in (rh, rl). */
let rh = 0;
let rl = 0;
function reduce(x: number): number {
  if (Math.abs(x) <= 0.785) {
    rh = x;
    rl = 0;
    return 0;
  }
  const k = Math.round(x / PIO2_1);
  let h = twoProd(k, PIO2_1);
  let l = lo;
  h = ddAdd(x, 0, -h, -l);
  l = lo;
  const m = twoProd(k, PIO2_2);
  h = ddAdd(h, l, -m, -lo);
  l = lo;
  h = ddAdd(h, l, -k * PIO2_3, 0);
  rh = h;
  rl = lo;
  return ((k % 4) + 4) % 4;
}

export function sinCR(x: number): number {
  if (!(Math.abs(x) <= 1e5)) return Math.sin(x);
  if (x === 0) return x;
  switch (reduce(x)) {
    case 0:
      return series(rh, rl, true);
    case 1:
      return series(rh, rl, false);
    case 2:
      return -series(rh, rl, true);
    default:
      return -series(rh, rl, false);
  }
}

export function cosCR(x: number): number {
  if (!(Math.abs(x) <= 1e5)) return Math.cos(x);
  switch (reduce(x)) {
    case 0:
      return series(rh, rl, false);
    case 1:
      return -series(rh, rl, true);
    case 2:
      return -series(rh, rl, false);
    default:
      return series(rh, rl, true);
  }
}

/** asin of |y| <= 0.5 as a double-double (hi returned, lo in `lo`): one Newton step from Math.asin. */
function asinSmall(yh: number, yl: number): number {
  const t0 = Math.asin(yh);
  let sh: number;
  let sl: number;
  if (t0 === 0) return 0;
  sh = series(t0, 0, true);
  sl = lo;
  // t = t0 - (sin(t0) - y) / cos(t0)
  const diff = ddAdd(sh, sl, -yh, -yl);
  const delta = (diff + lo) / Math.cos(t0);
  const s = t0 - delta;
  lo = -delta - (s - t0);
  return s;
}

export function asinCR(y: number): number {
  if (!(Math.abs(y) <= 1)) return Math.asin(y);
  const a = Math.abs(y);
  let r: number;
  if (a <= 0.5) {
    r = asinSmall(a, 0);
    r = r + lo;
  } else {
    // asin(a) = pi/2 - 2 asin(sqrt((1 - a) / 2)); (1 - a) / 2 is exact here
    const z2 = (1 - a) / 2;
    let zh = Math.sqrt(z2);
    // one Newton step for the square root in double-double: z = zh + (z2 - zh^2) / (2 zh)
    let zl = 0;
    if (zh > 0) {
      const p = twoProd(zh, zh);
      zl = (z2 - p - lo) / (2 * zh);
      const s = zh + zl;
      zl = zl - (s - zh);
      zh = s;
    }
    const th = asinSmall(zh, zl);
    const tl = lo;
    r = ddAdd(PIO2_1, PIO2_2, -2 * th, -2 * tl);
    r = r + lo;
  }
  return y < 0 ? -r : r;
}
