/*
 * Reading RDB for RESTORE, values shipped between shards, and whole files: what redis-server 7.0
 * DUMPs and saves: strings (raw, int, LZF-compressed), LIST_QUICKLIST_2 (listpack and plain nodes),
 * LIST, SET, SET_INTSET, HASH, HASH_LISTPACK, ZSET_2, ZSET (string scores), ZSET_LISTPACK, streams
 * (rdb-stream.ts), and the encodings of Redis < 7: zipmap (9), ziplist lists, sorted sets and hashes
 * (10, 12, 13) and quicklists of ziplists (14).
 */

import { BIG_STRING, toStored, type Value } from '../shard/values/types.js';
import { parseDouble } from '../commands/numbers.js';
import { ListValue } from '../shard/values/list.js';
import { HashValue } from '../shard/values/hash.js';
import { SetValue } from '../shard/values/set.js';
import { ZSetValue } from '../shard/values/zset.js';
import { listpackValues } from './listpack.js';
import { decodeStream, T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2 } from './rdb-stream.js';
import { RDB_VERSION, RDB_OPCODE, crc64, T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, T_ZSET_2, T_HASH_ZIPMAP, T_LIST_ZIPLIST, T_SET_INTSET, T_ZSET_ZIPLIST, T_HASH_ZIPLIST, T_LIST_QUICKLIST, T_HASH_LISTPACK, T_ZSET_LISTPACK, T_LIST_QUICKLIST_2 } from './rdb-format.js';

// ---- LZF decompression (strings Redis stored compressed) ------------------------------------------

export function lzfDecompress(input: Uint8Array, outLen: number): Buffer {
  const out = Buffer.alloc(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    let ctrl = input[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > input.length) throw new Error('lzf: literal overrun');
      for (let k = 0; k < ctrl; k++) out[op++] = input[ip++]!;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) len += input[ip++]!;
      ref -= input[ip++]!;
      len += 2;
      if (op + len > outLen || ref < 0) throw new Error('lzf: back reference overrun');
      for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLen) throw new Error('lzf: short output');
  return out;
}

// ---- reader ---------------------------------------------------------------------------------------

/** Reads RDB encodings (lengths, strings with their int and LZF forms); FUNCTION RESTORE reads its payload with it. */
export class In {
  pos = 0;
  constructor(readonly b: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new Error('rdb: truncated');
  }
  byte(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const s = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  /** A length, or -(enc+1) for the special string encodings. */
  lenOrEnc(): number {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === 0) return first & 0x3f;
    if (kind === 1) return ((first & 0x3f) << 8) | this.byte();
    if (kind === 3) return -((first & 0x3f) + 1);
    if (first === 0x80) return this.bytes(4).readUInt32BE(0);
    if (first === 0x81) {
      const n = this.bytes(8).readBigUInt64BE(0);
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('rdb: length too large');
      return Number(n);
    }
    throw new Error('rdb: bad length');
  }
  len(): number {
    const n = this.lenOrEnc();
    if (n < 0) throw new Error('rdb: unexpected string encoding');
    return n;
  }
  strBuf(): Buffer {
    const n = this.lenOrEnc();
    if (n >= 0) return this.bytes(n);
    const enc = -n - 1;
    if (enc === 0) return Buffer.from(String(this.bytes(1).readInt8(0)));
    if (enc === 1) return Buffer.from(String(this.bytes(2).readInt16LE(0)));
    if (enc === 2) return Buffer.from(String(this.bytes(4).readInt32LE(0)));
    if (enc === 3) {
      const clen = this.len();
      const ulen = this.len();
      return lzfDecompress(this.bytes(clen), ulen);
    }
    throw new Error('rdb: bad string encoding');
  }
  str(): string {
    return this.strBuf().toString('latin1');
  }
  double(): number {
    return this.bytes(8).readDoubleLE(0);
  }
  /** Old ZSET scores: a length-prefixed ASCII double, 253/254/255 for nan/+inf/-inf. */
  asciiDouble(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    const d = parseDouble(this.bytes(n).toString('latin1'));
    if (d === null) throw new Error('rdb: bad score');
    return d;
  }
}

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
function zipmapEntries(zm: Buffer): string[] {
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

function intsetEntries(b: Buffer): string[] {
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

function pairs<T>(flat: string[], f: (a: string, b: string) => T): T[] {
  if (flat.length % 2 !== 0) throw new Error('rdb: odd pair list');
  const out: T[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(f(flat[i]!, flat[i + 1]!));
  return out;
}

/** A string read from a payload, stored as SET stores it (BIG_STRING bytes and up: a copy of the bytes). */
function stringValue(b: Buffer): Value {
  return b.length >= BIG_STRING ? Buffer.from(b) : toStored(b.latin1Slice());
}

/** Decode one value of the given RDB type from `r`. */
function readValue(r: In, type: number): Value {
  switch (type) {
    case T_STREAM_LISTPACKS:
    case T_STREAM_LISTPACKS_2:
      return decodeStream(r, type);
    case T_STRING:
      // integer strings get the int encoding, as when SET stores them (OBJECT ENCODING says int)
      return stringValue(r.strBuf());
    case T_LIST: {
      const n = r.len();
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(r.str());
      return ListValue.from(items);
    }
    case T_LIST_ZIPLIST:
      return ListValue.from(ziplistEntries(r.strBuf()));
    case T_LIST_QUICKLIST: {
      const nodes = r.len();
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) items.push(...ziplistEntries(r.strBuf()));
      return ListValue.from(items);
    }
    case T_HASH_ZIPMAP:
      return HashValue.from(pairs(zipmapEntries(r.strBuf()), (a, b) => [a, b] as [string, string]));
    case T_HASH_ZIPLIST:
      return HashValue.from(pairs(ziplistEntries(r.strBuf()), (a, b) => [a, b] as [string, string]));
    case T_ZSET_ZIPLIST:
      return ZSetValue.from(
        pairs(ziplistEntries(r.strBuf()), (m, sc) => {
          const d = parseDouble(sc);
          if (d === null || Number.isNaN(d)) throw new Error('rdb: bad score');
          return [m, d] as [string, number];
        }),
      );
    case T_LIST_QUICKLIST_2: {
      const nodes = r.len();
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) {
        const container = r.len();
        const data = r.strBuf();
        if (container === 1) items.push(data.toString('latin1'));
        else if (container === 2) items.push(...listpackEntries(data));
        else throw new Error('rdb: bad quicklist container');
      }
      return ListValue.from(items);
    }
    case T_SET: {
      const n = r.len();
      const m: string[] = [];
      for (let i = 0; i < n; i++) m.push(r.str());
      return SetValue.from(m);
    }
    case T_SET_INTSET:
      return SetValue.from(intsetEntries(r.strBuf()));
    case T_HASH: {
      const n = r.len();
      const p: [string, string][] = [];
      for (let i = 0; i < n; i++) p.push([r.str(), r.str()]);
      return HashValue.from(p);
    }
    case T_HASH_LISTPACK:
      return HashValue.from(pairs(listpackEntries(r.strBuf()), (a, b) => [a, b] as [string, string]));
    case T_ZSET_2:
    case T_ZSET: {
      const n = r.len();
      const p: [string, number][] = [];
      for (let i = 0; i < n; i++) {
        const m = r.str();
        const s = type === T_ZSET_2 ? r.double() : r.asciiDouble();
        if (Number.isNaN(s)) throw new Error('rdb: NaN score');
        p.push([m, s]);
      }
      return ZSetValue.from(p);
    }
    case T_ZSET_LISTPACK:
      return ZSetValue.from(
        pairs(listpackEntries(r.strBuf()), (m, s) => {
          const d = parseDouble(s);
          if (d === null || Number.isNaN(d)) throw new Error('rdb: bad score');
          return [m, d] as [string, number];
        }),
      );
    default:
      throw new Error(`rdb: unsupported value type ${type}`);
  }
}

export type DumpCheck = 'bad-version-or-crc' | 'bad-data';

/** Parse a DUMP payload: the value, or why not (checksum/version first, as RESTORE does). */
export function parseDump(b: Uint8Array): Value | DumpCheck {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length < 10) return 'bad-version-or-crc';
  const version = buf.readUInt16LE(buf.length - 10);
  if (version > RDB_VERSION) return 'bad-version-or-crc';
  const crc = buf.readBigUInt64LE(buf.length - 8);
  if (crc64(buf.subarray(0, buf.length - 8)) !== crc) return 'bad-version-or-crc';
  try {
    const r = new In(buf.subarray(0, buf.length - 10));
    const type = r.byte();
    const v = readValue(r, type);
    if (r.pos !== r.b.length) return 'bad-data';
    return v;
  } catch {
    return 'bad-data';
  }
}

/** Decode a value of RDB type `type` whose encoding is exactly `bytes`. */
export function decodeValue(type: number, bytes: Buffer): Value {
  const r = new In(bytes);
  const v = readValue(r, type);
  if (r.pos !== bytes.length) throw new Error('rdb: trailing bytes after value');
  return v;
}

// ---- whole files --------------------------------------------------------------------------------

/** Skip one string (any encoding) without decoding it. */
function skipStr(r: In): void {
  const n = r.lenOrEnc();
  if (n >= 0) return void r.bytes(n);
  const enc = -n - 1;
  if (enc === 0) r.bytes(1);
  else if (enc === 1) r.bytes(2);
  else if (enc === 2) r.bytes(4);
  else if (enc === 3) {
    const clen = r.len();
    r.len();
    r.bytes(clen);
  } else throw new Error('rdb: bad string encoding');
}

/** Skip one value of the given type (so the main thread can hand raw values to the shards). */
function skipValue(r: In, type: number): void {
  switch (type) {
    case T_STREAM_LISTPACKS:
    case T_STREAM_LISTPACKS_2:
      decodeStream(r, type);
      return;
    case T_STRING:
    case 9: // zipmap
    case 10: // list ziplist
    case T_SET_INTSET:
    case 12: // zset ziplist
    case 13: // hash ziplist
    case T_HASH_LISTPACK:
    case T_ZSET_LISTPACK:
      return skipStr(r);
    case T_LIST:
    case T_SET:
    case 14: {
      // 14: quicklist of ziplists
      const n = r.len();
      for (let i = 0; i < n; i++) skipStr(r);
      return;
    }
    case T_HASH: {
      const n = r.len();
      for (let i = 0; i < 2 * n; i++) skipStr(r);
      return;
    }
    case T_ZSET: {
      const n = r.len();
      for (let i = 0; i < n; i++) {
        skipStr(r);
        const l = r.byte();
        if (l < 253) r.bytes(l);
      }
      return;
    }
    case T_ZSET_2: {
      const n = r.len();
      for (let i = 0; i < n; i++) {
        skipStr(r);
        r.bytes(8);
      }
      return;
    }
    case T_LIST_QUICKLIST_2: {
      const n = r.len();
      for (let i = 0; i < n; i++) {
        r.len();
        skipStr(r);
      }
      return;
    }
    default:
      throw new Error(`rdb: unsupported value type ${type}`);
  }
}

export interface RdbEntry {
  db: number;
  key: string;
  type: number;
  /** The value's encoding (decode with decodeValue). */
  value: Buffer;
  /** Absolute expiry time in ms, or -1. */
  expireAt: number;
}

/**
 * Walk a whole RDB file ("REDIS00xx", aux fields, SELECTDB, keys, EOF, CRC64): yields each key with
 * its value still encoded; returns the aux fields. Function libraries (FUNCTION2 records) go to
 * `functions` when given. Throws on a malformed file or a bad checksum (a zero checksum means "not
 * computed", as Redis writes with rdbchecksum no). `end.at` is set to where the file ends (an AOF's
 * RDB preamble is followed by commands).
 */
export function* rdbFileEntries(b: Buffer, functions?: string[], end?: { at: number }): Generator<RdbEntry, Map<string, string>> {
  if (b.length < 9 || b.latin1Slice(0, 5) !== 'REDIS') throw new Error('rdb: wrong signature');
  const version = Number(b.latin1Slice(5, 9));
  if (!(version >= 1 && version <= RDB_VERSION)) throw new Error(`rdb: can't handle RDB format version ${version}`);
  const r = new In(b);
  r.pos = 9;
  const aux = new Map<string, string>();
  let db = 0;
  let expireAt = -1;
  for (;;) {
    const type = r.byte();
    switch (type) {
      case RDB_OPCODE.AUX: {
        const k = r.str();
        aux.set(k, r.str());
        continue;
      }
      case RDB_OPCODE.RESIZEDB:
        r.len();
        r.len();
        continue;
      case RDB_OPCODE.SELECTDB:
        db = r.len();
        continue;
      case RDB_OPCODE.EXPIRETIME_MS:
        expireAt = Number(r.bytes(8).readBigInt64LE(0));
        continue;
      case RDB_OPCODE.EXPIRETIME:
        expireAt = r.bytes(4).readInt32LE(0) * 1000;
        continue;
      case RDB_OPCODE.FREQ:
        r.byte();
        continue;
      case RDB_OPCODE.IDLE:
        r.len();
        continue;
      case RDB_OPCODE.FUNCTION2: {
        const code = r.str();
        functions?.push(code);
        continue;
      }
      case RDB_OPCODE.MODULE_AUX:
        throw new Error('rdb: module data is not supported');
      case RDB_OPCODE.EOF: {
        if (version >= 5 && r.pos + 8 <= b.length) {
          const stored = b.readBigUInt64LE(r.pos);
          const computed = stored === 0n ? 0n : crc64(b.subarray(0, r.pos));
          if (stored !== 0n && computed !== stored) throw new Error(`rdb: checksum mismatch: expected: (${computed.toString(16)}) got (${stored.toString(16)})`);
        }
        if (end !== undefined) end.at = Math.min(b.length, r.pos + (version >= 5 ? 8 : 0));
        return aux;
      }
      default: {
        const key = r.str();
        const start = r.pos;
        skipValue(r, type);
        yield { db, key, type, value: b.subarray(start, r.pos), expireAt };
        expireAt = -1;
      }
    }
  }
}

/** The aux fields at the head of an RDB file (before its first database), without reading further. */
export function rdbHeadAux(b: Buffer): Map<string, string> {
  const aux = new Map<string, string>();
  if (b.length < 9 || b.latin1Slice(0, 5) !== 'REDIS') return aux;
  const r = new In(b);
  r.pos = 9;
  try {
    while (r.pos < b.length && b[r.pos] === RDB_OPCODE.AUX) {
      r.pos++;
      const k = r.str();
      aux.set(k, r.str());
    }
  } catch {
    /* a truncated head: what was read */
  }
  return aux;
}
