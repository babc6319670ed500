/*
 * The compact encodings inside RDB values, decoded to their elements as strings (integers in their
 * decimal form): listpacks (Redis 7), ziplists (lists, hashes and sorted sets saved by Redis < 7 and
 * quicklist nodes before 7), zipmaps (hashes saved by Redis < 2.6) and intsets. rdb-read.ts builds
 * the values from these elements.
 */

import { listpackValues } from './listpack.js';

/** Elements of a listpack (strings; integers in their decimal form). */
export function listpackEntries(lp: Buffer): string[] {
  return listpackValues(lp, String, String);
}

/** Elements of a ziplist (Redis < 7 encodings): strings, integers in their decimal form. */
export function ziplistEntries(zl: Buffer): string[] {
  if (zl.length < 11) throw new Error('rdb: bad ziplist');
  const out: string[] = [];
  let p = 10;
  for (;;) {
    if (p >= zl.length) throw new Error('rdb: ziplist overrun');
    if (zl[p] === 0xff) break;
    p += zl[p] === 0xfe ? 5 : 1; // previous entry length
    const enc = zl[p]!;
    const kind = enc >> 6;
    if (kind === 0) {
      const n = enc & 0x3f;
      out.push(zl.latin1Slice(p + 1, p + 1 + n));
      p += 1 + n;
    } else if (kind === 1) {
      const n = ((enc & 0x3f) << 8) | zl[p + 1]!;
      out.push(zl.latin1Slice(p + 2, p + 2 + n));
      p += 2 + n;
    } else if (kind === 2) {
      const n = zl.readUInt32BE(p + 1);
      out.push(zl.latin1Slice(p + 5, p + 5 + n));
      p += 5 + n;
    } else if (enc === 0xc0) {
      out.push(String(zl.readInt16LE(p + 1)));
      p += 3;
    } else if (enc === 0xd0) {
      out.push(String(zl.readInt32LE(p + 1)));
      p += 5;
    } else if (enc === 0xe0) {
      out.push(String(zl.readBigInt64LE(p + 1)));
      p += 9;
    } else if (enc === 0xf0) {
      out.push(String(zl.readIntLE(p + 1, 3)));
      p += 4;
    } else if (enc === 0xfe) {
      out.push(String(zl.readInt8(p + 1)));
      p += 2;
    } else if (enc >= 0xf1 && enc <= 0xfd) {
      out.push(String((enc & 0x0f) - 1));
      p += 1;
    } else throw new Error('rdb: bad ziplist entry');
  }
  return out;
}

/** Field/value pairs of a zipmap (hashes saved by Redis < 2.6). */
export function zipmapEntries(zm: Buffer): string[] {
  const out: string[] = [];
  let p = 1;
  const len = (): number => {
    const b = zm[p]!;
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      const n = zm.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    return -1;
  };
  for (;;) {
    if (p >= zm.length) throw new Error('rdb: zipmap overrun');
    const klen = len();
    if (klen < 0) break;
    out.push(zm.latin1Slice(p, p + klen));
    p += klen;
    const vlen = len();
    if (vlen < 0) throw new Error('rdb: bad zipmap');
    const free = zm[p++]!;
    out.push(zm.latin1Slice(p, p + vlen));
    p += vlen + free;
  }
  return out;
}

/** Members of an intset (2, 4 or 8 bytes each, little-endian) in their decimal form. */
export function intsetEntries(b: Buffer): string[] {
  const enc = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if (8 + enc * n !== b.length) throw new Error('intset: bad length');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = 8 + i * enc;
    if (enc === 2) out.push(String(b.readInt16LE(o)));
    else if (enc === 4) out.push(String(b.readInt32LE(o)));
    else if (enc === 8) out.push(String(b.readBigInt64LE(o)));
    else throw new Error('intset: bad encoding');
  }
  return out;
}
