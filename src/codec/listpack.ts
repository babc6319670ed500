/*
 * Listpacks as redis-server writes them (in RDB nodes of lists, hashes, sorted sets and streams):
 *
 *   <total bytes u32 LE> <count u16 LE> element ... 0xFF
 *   element = encoding (+ data) + backlen (the encoding's length, 1 to 5 bytes, 7 bits each)
 *
 * The length of a backlen, and one decoder of the elements for every reader (rdb-read.ts wants
 * integers as decimal strings, rdb-stream.ts as bigints).
 */

/** The backlen bytes of an element whose encoding is l bytes long (lpEncodeBacklen's boundaries). */
export function backlen(l: number): number[] {
  if (l <= 127) return [l];
  if (l < 16383) return [l >> 7, (l & 127) | 128];
  if (l < 2097151) return [l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128];
  if (l < 268435455) return [l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128];
  return [Math.floor(l / 2 ** 28), ((l >> 21) & 127) | 128, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128];
}

function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/**
 * The elements of a listpack: strings as latin1 strings, integers through `int` (up to 32 bits) or
 * `int64` (64-bit encodings).
 */
export function listpackValues<T>(lp: Buffer, int: (v: number) => T, int64: (v: bigint) => T): (string | T)[] {
  if (lp.length < 7 || lp.readUInt32LE(0) !== lp.length) throw new Error('listpack: bad header');
  const out: (string | T)[] = [];
  let p = 6;
  for (;;) {
    if (p >= lp.length) throw new Error('listpack: no terminator');
    const e = lp[p]!;
    if (e === 0xff) break;
    let len: number;
    if ((e & 0x80) === 0) {
      out.push(int(e & 0x7f));
      len = 1;
    } else if ((e & 0xc0) === 0x80) {
      const n = e & 0x3f;
      out.push(lp.latin1Slice(p + 1, p + 1 + n));
      len = 1 + n;
    } else if ((e & 0xe0) === 0xc0) {
      let v = ((e & 0x1f) << 8) | lp[p + 1]!;
      if (v >= 1 << 12) v -= 1 << 13;
      out.push(int(v));
      len = 2;
    } else if ((e & 0xf0) === 0xe0) {
      const n = ((e & 0x0f) << 8) | lp[p + 1]!;
      out.push(lp.latin1Slice(p + 2, p + 2 + n));
      len = 2 + n;
    } else if (e === 0xf0) {
      const n = lp.readUInt32LE(p + 1);
      out.push(lp.latin1Slice(p + 5, p + 5 + n));
      len = 5 + n;
    } else if (e === 0xf1) {
      out.push(int(lp.readInt16LE(p + 1)));
      len = 3;
    } else if (e === 0xf2) {
      out.push(int(lp.readIntLE(p + 1, 3)));
      len = 4;
    } else if (e === 0xf3) {
      out.push(int(lp.readInt32LE(p + 1)));
      len = 5;
    } else if (e === 0xf4) {
      out.push(int64(lp.readBigInt64LE(p + 1)));
      len = 9;
    } else throw new Error('listpack: bad entry encoding');
    p += len + backlenSize(len);
  }
  if (p !== lp.length - 1) throw new Error('listpack: trailing bytes');
  return out;
}
