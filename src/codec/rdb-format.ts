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

const CRC_LO = new Uint32Array(256);
const CRC_HI = new Uint32Array(256);
(() => {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 reflected
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC_LO[i] = Number(c & 0xffffffffn);
    CRC_HI[i] = Number(c >> 32n);
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
    for (let i = 0; i < bytes.length; i++) {
      const idx = (lo ^ bytes[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ CRC_LO[idx]!;
      hi = (hi >>> 8) ^ CRC_HI[idx]!;
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

