/*
 * HyperLogLog in Redis's exact byte layout (so an HLL moves between redis-server and shardis by DUMP,
 * RESTORE, replication or GET/SET and counts the same): a 16-byte header, then either 16384 6-bit
 * registers (dense) or a run-length sparse form. Elements are hashed with MurmurHash64A, seed
 * 0xadc83b19; the estimate is Ertl's improved estimator, as in Redis 7.0.
 *
 *   header: | 'H' 'Y' 'L' 'L' | enc | 0 0 0 | card (8 bytes, little endian) |
 *            enc: 0 dense, 1 sparse. card[7] bit 7 set = cached cardinality invalid.
 *   dense:  register i = 6 bits starting at bit 6*i, least significant bits first.
 *   sparse: opcodes  00xxxxxx            ZERO  run of x+1 zero registers (1..64)
 *                    01xxxxxx yyyyyyyy   XZERO run of (x<<8|y)+1 zero registers (1..16384)
 *                    1vvvvvxx            VAL   run of x+1 registers of value v+1 (1..32, 1..4)
 *
 * Every algorithm here (sparse update with opcode split and merge, sparse -> dense promotion,
 * merging) follows the order of operations that determines Redis's bytes; the buffers are plain
 * byte arrays that the command handlers convert from and to binary strings.
 */

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = 63;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * HLL_BITS + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;
const ALPHA_INF = 0.721347520444481703680;

// ---- hashing ---------------------------------------------------------------------------------

const M = 0xc6a4a7935bd1e995n;
const MASK64 = 0xffffffffffffffffn;

/** MurmurHash64A of bytes with Redis's seed (little-endian reads, as on x86), in bigints: the reference. */
export function murmur64a(b: Uint8Array, seed = 0xadc83b19n): bigint {
  const len = b.length;
  let h = (seed ^ ((BigInt(len) * M) & MASK64)) & MASK64;
  const nblocks = len - (len & 7);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < nblocks; i += 8) {
    let k = dv.getBigUint64(i, true);
    k = (k * M) & MASK64;
    k ^= k >> 47n;
    k = (k * M) & MASK64;
    h ^= k;
    h = (h * M) & MASK64;
  }
  const rem = len & 7;
  if (rem > 0) {
    for (let i = rem - 1; i >= 0; i--) h ^= BigInt(b[nblocks + i]!) << BigInt(8 * i);
    h = (h * M) & MASK64;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK64;
  h ^= h >> 47n;
  return h;
}

/** Low and high 32-bit halves of the last murmurHalves() result (no allocation per hash). */
let outLo = 0;
let outHi = 0;
const M_LO = 0x5bd1e995;
const M_HI = 0xc6a4a793;

/** (aHi:aLo * bHi:bLo) mod 2^64 into outLo/outHi, exactly, in 32-bit pieces. */
function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hi = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  outLo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
  outLo >>>= 0;
  outHi = (hi + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
}

/** MurmurHash64A with Redis's seed in 32-bit arithmetic; the result in outLo/outHi. */
function murmurHalves(b: Uint8Array): void {
  const len = b.length;
  mul64(len >>> 0, Math.floor(len / 0x100000000), M_LO, M_HI);
  let hLo = (outLo ^ 0xadc83b19) >>> 0;
  let hHi = outHi;
  const nblocks = len - (len & 7);
  for (let i = 0; i < nblocks; i += 8) {
    let kLo = (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
    let kHi = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
    mul64(kLo, kHi, M_LO, M_HI);
    kLo = (outLo ^ (outHi >>> 15)) >>> 0;
    kHi = outHi;
    mul64(kLo, kHi, M_LO, M_HI);
    hLo = (hLo ^ outLo) >>> 0;
    hHi = (hHi ^ outHi) >>> 0;
    mul64(hLo, hHi, M_LO, M_HI);
    hLo = outLo;
    hHi = outHi;
  }
  const rem = len & 7;
  if (rem > 0) {
    for (let i = rem - 1; i >= 0; i--) {
      const v = b[nblocks + i]!;
      if (i >= 4) hHi = (hHi ^ (v << (8 * (i - 4)))) >>> 0;
      else hLo = (hLo ^ (v << (8 * i))) >>> 0;
    }
    mul64(hLo, hHi, M_LO, M_HI);
    hLo = outLo;
    hHi = outHi;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  mul64(hLo, hHi, M_LO, M_HI);
  hLo = (outLo ^ (outHi >>> 15)) >>> 0;
  outLo = hLo;
}

/** MurmurHash64A of bytes with Redis's seed, as a bigint (tests, PFSELFTEST). */
export function murmur64(b: Uint8Array): bigint {
  murmurHalves(b);
  return (BigInt(outHi) << 32n) | BigInt(outLo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** [register index, run length of the pattern 000..1] of an element. */
export function patLen(ele: Uint8Array): [number, number] {
  murmurHalves(ele);
  const index = outLo & HLL_P_MASK;
  // trailing zeros of hash >> 14, with bit 50 of it forced (at most 50 zeros), plus one
  const low = outLo >>> HLL_P;
  let count: number;
  if (low !== 0) count = ctz32(low) + 1;
  else if (outHi !== 0) count = 32 - HLL_P + ctz32(outHi) + 1;
  else count = HLL_Q + 1;
  return [index, count];
}

// ---- the object --------------------------------------------------------------------------------

/** An HLL value being worked on: its bytes (header included) and used length. */
export class Hll {
  constructor(
    public buf: Uint8Array,
    public len: number,
  ) {}

  static fromString(s: string): Hll {
    const b = Buffer.from(s, 'latin1');
    return new Hll(b, b.length);
  }

  /** An empty sparse HLL: one XZERO opcode covering every register; cached cardinality 0. */
  static create(): Hll {
    const b = new Uint8Array(HLL_HDR_SIZE + 2 + 16);
    b.set([0x48, 0x59, 0x4c, 0x4c], 0);
    b[4] = HLL_SPARSE;
    const l = HLL_REGISTERS - 1;
    b[HLL_HDR_SIZE] = (l >> 8) | 0x40;
    b[HLL_HDR_SIZE + 1] = l & 0xff;
    return new Hll(b, HLL_HDR_SIZE + 2);
  }

  toString(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len).latin1Slice(0, this.len);
  }

  get encoding(): number {
    return this.buf[4]!;
  }

  invalidateCache(): void {
    this.buf[15]! |= 0x80;
  }

  validCache(): boolean {
    return (this.buf[15]! & 0x80) === 0;
  }

  cachedCard(): bigint {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.buf[8 + i]!);
    return v;
  }

  setCachedCard(card: number): void {
    let v = BigInt(card);
    for (let i = 0; i < 8; i++) {
      this.buf[8 + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** Make room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.len + n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Convert a sparse HLL to dense; false if the sparse form is corrupt. */
  toDense(): boolean {
    if (this.encoding === HLL_DENSE) return true;
    const d = new Uint8Array(HLL_DENSE_SIZE + 1); // +1: the byte after the last register (sds's NUL)
    d.set(this.buf.subarray(0, HLL_HDR_SIZE));
    d[4] = HLL_DENSE;
    const covered = sparseRuns(this.buf, this.len, (idx, n, val) => {
      if (val > 0) for (let k = 0; k < n; k++) denseSet(d, HLL_HDR_SIZE, idx + k, val);
    });
    if (!covered) return false;
    this.buf = d;
    this.len = HLL_DENSE_SIZE;
    return true;
  }

  /**
   * Set register `index` to `count` if larger: 1 if changed, 0 if not, -1 if the HLL is corrupt.
   * A sparse HLL is promoted to dense when the value or the size no longer fits the sparse form.
   */
  set(index: number, count: number, sparseMaxBytes: number): number {
    if (this.encoding === HLL_DENSE) return denseSetMax(this.buf, HLL_HDR_SIZE, index, count);
    return this.sparseSet(index, count, sparseMaxBytes);
  }

  add(ele: Uint8Array, sparseMaxBytes: number): number {
    const [index, count] = patLen(ele);
    return this.set(index, count, sparseMaxBytes);
  }

  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return denseSetMax(this.buf, HLL_HDR_SIZE, index, count);
  }

  private sparseSet(index: number, count: number, sparseMaxBytes: number): number {
    if (count > VAL_MAX_VALUE) return this.promote(index, count);
    const b = this.buf;
    const sparse = HLL_HDR_SIZE;
    let end = this.len;
    // step 1: find the opcode covering the register
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p]!;
      let oplen = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if (op & 0x80) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p]!;
    const isXzero = (op & 0xc0) === 0x40;
    const isZero = (op & 0xc0) === 0;
    const isVal = (op & 0x80) !== 0;
    let next = isXzero ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | b[p + 1]!) + 1 : (op & 3) + 1;
    // step 2: the trivial cases
    let updated = false;
    if (isVal) {
      const old = ((op >> 2) & 0x1f) + 1;
      if (old >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        updated = true;
      }
    }
    if (!updated && isZero && runlen === 1) {
      b[p] = valOp(count, 1);
      updated = true;
    }
    if (!updated) {
      // general case: split the opcode into up to three (at most 5 bytes)
      const seq: number[] = [];
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) pushZeros(seq, index - first);
        seq.push(valOp(count, 1));
        if (index !== last) pushZeros(seq, last - index);
      } else {
        const cur = ((op >> 2) & 0x1f) + 1;
        if (index !== first) seq.push(valOp(cur, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(cur, last - index));
      }
      // step 3: put the new sequence in place of the old opcode
      const oldlen = isXzero ? 2 : 1;
      const delta = seq.length - oldlen;
      if (delta > 0 && this.len + delta > sparseMaxBytes) return this.promote(index, count);
      this.reserve(Math.max(delta, 0));
      const bb = this.buf;
      if (delta !== 0 && next >= 0) bb.copyWithin(next + delta, next, end);
      this.len += delta;
      bb.set(seq, p);
      end += delta;
    }
    // step 4: merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from prev
    const bb = this.buf;
    p = prev >= 0 ? prev : sparse;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const o = bb[p]!;
      if ((o & 0xc0) === 0x40) {
        p += 2;
        continue;
      } else if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && bb[p + 1]! & 0x80) {
        const v1 = ((o >> 2) & 0x1f) + 1;
        const o2 = bb[p + 1]!;
        const v2 = ((o2 >> 2) & 0x1f) + 1;
        if (v1 === v2) {
          const len = (o & 3) + 1 + (o2 & 3) + 1;
          if (len <= VAL_MAX_LEN) {
            bb[p + 1] = valOp(v1, len);
            bb.copyWithin(p, p + 1, end);
            this.len--;
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }
}

function valOp(val: number, len: number): number {
  return (((val - 1) << 2) | (len - 1)) | 0x80;
}

function pushZeros(seq: number[], len: number): void {
  if (len > ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >> 8) | 0x40, l & 0xff);
  } else seq.push(len - 1);
}

export function denseGet(b: Uint8Array, base: number, reg: number): number {
  const bit = reg * HLL_BITS;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  const b0 = b[byte]!;
  const b1 = b[byte + 1] ?? 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSet(b: Uint8Array, base: number, reg: number, val: number): void {
  const bit = reg * HLL_BITS;
  const byte = base + (bit >> 3);
  const fb = bit & 7;
  b[byte] = (b[byte]! & ~(HLL_REGISTER_MAX << fb)) | ((val << fb) & 0xff);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(HLL_REGISTER_MAX >> (8 - fb))) | (val >> (8 - fb));
}

function denseSetMax(b: Uint8Array, base: number, reg: number, count: number): number {
  if (count > denseGet(b, base, reg)) {
    denseSet(b, base, reg, count);
    return 1;
  }
  return 0;
}

/** Merge an HLL's registers into max[] (max[i] = MAX(max[i], reg i)); false if corrupt. */
export function hllMerge(max: Uint8Array, h: Hll): boolean {
  const b = h.buf;
  if (h.encoding === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(b, HLL_HDR_SIZE, i);
      if (v > max[i]!) max[i] = v;
    }
    return true;
  }
  return sparseRuns(b, h.len, (idx, n, val) => {
    if (val > 0) for (let k = idx; k < idx + n; k++) if (val > max[k]!) max[k] = val;
  });
}

/** Register histogram of an HLL; null when a sparse form does not cover exactly every register. */
function histogram(h: Hll): number[] | null {
  const histo = new Array<number>(64).fill(0);
  const b = h.buf;
  if (h.encoding === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) histo[denseGet(b, HLL_HDR_SIZE, i)]!++;
    return histo;
  }
  const covered = sparseRuns(b, h.len, (_idx, n, val) => {
    histo[val]! += n;
  });
  return covered ? histo : null;
}

/**
 * Walk a sparse HLL's opcodes: `run(first register, count, value)` for each run (value 0 for ZERO
 * and XZERO). False, and no further runs, when they would pass the last register; true when they
 * cover exactly every register (anything else is a corrupt HLL).
 */
function sparseRuns(b: Uint8Array, len: number, run: (idx: number, n: number, value: number) => void): boolean {
  let idx = 0;
  let p = HLL_HDR_SIZE;
  while (p < len) {
    const op = b[p]!;
    let n: number;
    let value = 0;
    if ((op & 0xc0) === 0) {
      n = (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      n = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
      p += 2;
    } else {
      n = (op & 3) + 1;
      value = ((op >> 2) & 0x1f) + 1;
      p++;
    }
    if (idx + n > HLL_REGISTERS) return false;
    run(idx, n, value);
    idx += n;
  }
  return idx === HLL_REGISTERS;
}

/** Histogram of raw registers (one byte each: the union of several HLLs). */
export function rawHistogram(max: Uint8Array): number[] {
  const histo = new Array<number>(64).fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]! & 63]!++;
  return histo;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The cardinality estimate from a register histogram. */
export function estimate(histo: number[]): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

/** The cardinality of an HLL, or null when it is corrupt. */
export function hllCount(h: Hll): number | null {
  const histo = histogram(h);
  return histo === null ? null : estimate(histo);
}

/**
 * Whether a string is an HLL the commands accept (isHLLObjectOrReply): the magic, a known encoding,
 * and the exact size when dense.
 */
export function isHll(s: string): boolean {
  if (s.length < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 0x48 || s.charCodeAt(1) !== 0x59 || s.charCodeAt(2) !== 0x4c || s.charCodeAt(3) !== 0x4c) return false;
  const enc = s.charCodeAt(4);
  if (enc > HLL_SPARSE) return false;
  return !(enc === HLL_DENSE && s.length !== HLL_DENSE_SIZE);
}
