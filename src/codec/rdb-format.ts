/*
 * RDB format constants shared by the reader and the writer (RDB version 10, as redis-server 7.0):
 * value type bytes, opcodes, and the CRC64 (Jones) that checks DUMP payloads and files.
 */

export const RDB_VERSION = 10;

export const T_STRING = 0;
export const T_LIST = 1;
export const T_SET = 2;
export const T_ZSET = 3;
export const T_HASH = 4;
export const T_ZSET_2 = 5;
export const T_HASH_ZIPMAP = 9;
export const T_LIST_ZIPLIST = 10;
export const T_SET_INTSET = 11;
export const T_ZSET_ZIPLIST = 12;
export const T_HASH_ZIPLIST = 13;
export const T_LIST_QUICKLIST = 14;
export const T_HASH_LISTPACK = 16;
export const T_ZSET_LISTPACK = 17;
export const T_LIST_QUICKLIST_2 = 18;

/** RDB opcodes of a whole file (rdb.h). */
export const RDB_OPCODE = { FUNCTION2: 0xf5, MODULE_AUX: 0xf7, IDLE: 0xf8, FREQ: 0xf9, AUX: 0xfa, RESIZEDB: 0xfb, EXPIRETIME_MS: 0xfc, EXPIRETIME: 0xfd, SELECTDB: 0xfe, EOF: 0xff } as const;

// ---- CRC64 (Jones polynomial, reflected in and out, as Redis's crc64.c) ---------------------------
// The 64-bit table is kept as two 32-bit halves so the inner loop stays in small integers.

// Slice-by-8 (as Redis's crcspeed): table k advances the CRC over a byte followed by k zero bytes, so
// eight bytes take eight lookups per half instead of eight dependent steps. CRC_LO/HI[k * 256 + i].
const CRC_LO = new Uint32Array(8 * 256);
const CRC_HI = new Uint32Array(8 * 256);
(() => {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 reflected
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC_LO[i] = Number(c & 0xffffffffn);
    CRC_HI[i] = Number(c >> 32n);
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const pl = CRC_LO[(k - 1) * 256 + i]!;
      const ph = CRC_HI[(k - 1) * 256 + i]!;
      const idx = pl & 0xff;
      CRC_LO[k * 256 + i] = (((pl >>> 8) | (ph << 24)) ^ CRC_LO[idx]!) >>> 0;
      CRC_HI[k * 256 + i] = ((ph >>> 8) ^ CRC_HI[idx]!) >>> 0;
    }
  }
})();

/** An incremental CRC64 (for whole RDB files, fed chunk by chunk). */
export class Crc64 {
  /** The state, as two 32-bit halves (so a running CRC can be handed to another thread). */
  lo = 0;
  hi = 0;
  update(bytes: Uint8Array): void {
    let lo = this.lo;
    let hi = this.hi;
    const n = bytes.length;
    const L = CRC_LO;
    const H = CRC_HI;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const a = lo ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      const b = hi ^ (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24));
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = L[i7]! ^ L[i6]! ^ L[i5]! ^ L[i4]! ^ L[i3]! ^ L[i2]! ^ L[i1]! ^ L[i0]!;
      hi = H[i7]! ^ H[i6]! ^ H[i5]! ^ H[i4]! ^ H[i3]! ^ H[i2]! ^ H[i1]! ^ H[i0]!;
    }
    for (; i < n; i++) {
      const idx = (lo ^ bytes[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L[idx]!;
      hi = (hi >>> 8) ^ H[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }
  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

/** CRC64 of `bytes`. */
export function crc64(bytes: Uint8Array): bigint {
  const c = new Crc64();
  c.update(bytes);
  return c.value();
}

