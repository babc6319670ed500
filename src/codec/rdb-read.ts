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
import { intsetEntries, listpackEntries, ziplistEntries, zipmapEntries } from './rdb-compact.js';
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
    const at = this.pos;
    const n = this.lenOrEnc();
    if (n < 0) {
      this.pos = at;
      return this.strBuf().toString('latin1');
    }
    // a plain string: straight from the buffer, no view made for it
    this.need(n);
    const s = this.b.latin1Slice(this.pos, this.pos + n);
    this.pos += n;
    return s;
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

/** n values read one after the other. */
function readN<T>(n: number, read: () => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(read());
  return out;
}

function strPair(a: string, b: string): [string, string] {
  return [a, b];
}

/** A sorted-set member and its score in text form (ziplist and listpack encodings). */
function memberScore(m: string, score: string): [string, number] {
  const d = parseDouble(score);
  if (d === null || Number.isNaN(d)) throw new Error('rdb: bad score');
  return [m, d];
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

/** Decode one value of the given RDB type from `r` (which moves past it). */
export function readValue(r: In, type: number): Value {
  switch (type) {
    case T_STREAM_LISTPACKS:
    case T_STREAM_LISTPACKS_2:
      return decodeStream(r, type);
    case T_STRING: {
      // integer strings get the int encoding, as when SET stores them (OBJECT ENCODING says int)
      const at = r.pos;
      const n = r.lenOrEnc();
      if (n >= 0 && n < BIG_STRING) {
        r.need(n);
        const s = r.b.latin1Slice(r.pos, r.pos + n);
        r.pos += n;
        return toStored(s);
      }
      r.pos = at;
      return stringValue(r.strBuf());
    }
    case T_LIST:
      return ListValue.from(readN(r.len(), () => r.str()));
    case T_LIST_ZIPLIST:
      return ListValue.from(ziplistEntries(r.strBuf()));
    case T_LIST_QUICKLIST: {
      const nodes = r.len();
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) items.push(...ziplistEntries(r.strBuf()));
      return ListValue.from(items);
    }
    case T_HASH_ZIPMAP:
      return HashValue.from(pairs(zipmapEntries(r.strBuf()), strPair));
    case T_HASH_ZIPLIST:
      return HashValue.from(pairs(ziplistEntries(r.strBuf()), strPair));
    case T_ZSET_ZIPLIST:
      return ZSetValue.from(pairs(ziplistEntries(r.strBuf()), memberScore));
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
    case T_SET:
      return SetValue.from(readN(r.len(), () => r.str()));
    case T_SET_INTSET:
      return SetValue.from(intsetEntries(r.strBuf()));
    case T_HASH:
      return HashValue.from(readN(r.len(), () => strPair(r.str(), r.str())));
    case T_HASH_LISTPACK:
      return HashValue.from(pairs(listpackEntries(r.strBuf()), strPair));
    case T_ZSET_2:
    case T_ZSET:
      return ZSetValue.from(
        readN(r.len(), (): [string, number] => {
          const m = r.str();
          const s = type === T_ZSET_2 ? r.double() : r.asciiDouble();
          if (Number.isNaN(s)) throw new Error('rdb: NaN score');
          return [m, s];
        }),
      );
    case T_ZSET_LISTPACK:
      return ZSetValue.from(pairs(listpackEntries(r.strBuf()), memberScore));
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
  let skip: number;
  if (n >= 0) skip = n;
  else {
    const enc = -n - 1;
    if (enc === 0) skip = 1;
    else if (enc === 1) skip = 2;
    else if (enc === 2) skip = 4;
    else if (enc === 3) {
      skip = r.len();
      r.len();
    } else throw new Error('rdb: bad string encoding');
  }
  r.need(skip);
  r.pos += skip;
}

/** Skip one value of the given type (so the main thread can hand raw values to the shards). */
export function skipValue(r: In, type: number): void {
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

/** The stored checksum and where the checksummed bytes end, for a caller that checks it itself. */
export interface DeferredChecksum {
  /** Bytes [0, at) are checksummed. */
  at: number;
  /** The file's CRC64 (0: none, or saved with rdbchecksum no). */
  stored: bigint;
}

/**
 * A walk over a whole RDB file ("REDIS00xx", aux fields, SELECTDB, keys, EOF, CRC64) that stops at
 * each key entry and makes no object for it: next() moves to the next entry and sets where it is in
 * the file (the load's main thread only needs that, the key's slot and the expiry time; the shards
 * decode the entries). Function libraries (FUNCTION2 records) go to `functions` when given. Throws on
 * a malformed file or a bad checksum (a zero checksum means "not computed", as Redis writes with
 * rdbchecksum no), unless `deferred` is given: then the checksum is not computed here (the caller
 * computes it elsewhere, e.g. on a pool thread meanwhile, and compares it with what this fills in).
 * `end.at` is set to where the file ends (an AOF's RDB preamble is followed by commands).
 */
export class RdbScanner {
  /** The aux fields (complete once next() returned false). */
  readonly aux = new Map<string, string>();
  /** The current entry: its database, type (-1 before the first next()), where its type byte is, and where it ends. */
  db = 0;
  type = -1;
  typeAt = 0;
  end = 0;
  /** Its key: bytes [keyAt, keyAt + keyLen) of the file, or keyBuf when the key is int- or LZF-encoded. */
  keyAt = 0;
  keyLen = 0;
  keyBuf: Buffer | null = null;
  /** Where its value's encoding starts. */
  valueAt = 0;
  /** Absolute expiry time in ms, or -1. */
  expireAt = -1;
  /** Keys of the current database as its RESIZEDB says (0: not said). */
  dbSize = 0;
  private readonly r: In;
  private readonly version: number;

  constructor(
    readonly b: Buffer,
    private readonly functions?: string[],
    private readonly endAt?: { at: number },
    private readonly deferred?: DeferredChecksum,
  ) {
    if (b.length < 9 || b.latin1Slice(0, 5) !== 'REDIS') throw new Error('rdb: wrong signature');
    this.version = Number(b.latin1Slice(5, 9));
    if (!(this.version >= 1 && this.version <= RDB_VERSION)) throw new Error(`rdb: can't handle RDB format version ${this.version}`);
    this.r = new In(b);
    this.r.pos = 9;
  }

  /** The current entry's key as a string. */
  key(): string {
    return this.keyBuf !== null ? this.keyBuf.toString('latin1') : this.b.latin1Slice(this.keyAt, this.keyAt + this.keyLen);
  }

  /** Move to the next key entry; false at the end of the file. */
  next(): boolean {
    const r = this.r;
    const b = this.b;
    this.expireAt = -1;
    for (;;) {
      const type = r.byte();
      switch (type) {
        case RDB_OPCODE.AUX: {
          const k = r.str();
          this.aux.set(k, r.str());
          continue;
        }
        case RDB_OPCODE.RESIZEDB:
          this.dbSize = r.len();
          r.len();
          continue;
        case RDB_OPCODE.SELECTDB:
          this.db = r.len();
          this.dbSize = 0;
          continue;
        case RDB_OPCODE.EXPIRETIME_MS:
          r.need(8);
          this.expireAt = Number(b.readBigInt64LE(r.pos));
          r.pos += 8;
          continue;
        case RDB_OPCODE.EXPIRETIME:
          r.need(4);
          this.expireAt = b.readInt32LE(r.pos) * 1000;
          r.pos += 4;
          continue;
        case RDB_OPCODE.FREQ:
          r.byte();
          continue;
        case RDB_OPCODE.IDLE:
          r.len();
          continue;
        case RDB_OPCODE.FUNCTION2: {
          const code = r.str();
          this.functions?.push(code);
          continue;
        }
        case RDB_OPCODE.MODULE_AUX:
          throw new Error('rdb: module data is not supported');
        case RDB_OPCODE.EOF: {
          const version = this.version;
          const deferred = this.deferred;
          if (deferred !== undefined) {
            deferred.at = r.pos;
            deferred.stored = version >= 5 && r.pos + 8 <= b.length ? b.readBigUInt64LE(r.pos) : 0n;
          } else if (version >= 5 && r.pos + 8 <= b.length) {
            const stored = b.readBigUInt64LE(r.pos);
            const computed = stored === 0n ? 0n : crc64(b.subarray(0, r.pos));
            if (stored !== 0n && computed !== stored) throw new Error(`rdb: checksum mismatch: expected: (${computed.toString(16)}) got (${stored.toString(16)})`);
          }
          if (this.endAt !== undefined) this.endAt.at = Math.min(b.length, r.pos + (version >= 5 ? 8 : 0));
          r.pos--; // stay at EOF
          return false;
        }
        default: {
          this.type = type;
          this.typeAt = r.pos - 1;
          const n = r.lenOrEnc();
          if (n >= 0) {
            r.need(n);
            this.keyAt = r.pos;
            this.keyLen = n;
            this.keyBuf = null;
            r.pos += n;
          } else {
            r.pos = this.typeAt + 1;
            this.keyBuf = r.strBuf();
          }
          this.valueAt = r.pos;
          skipValue(r, type);
          this.end = r.pos;
          return true;
        }
      }
    }
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

/** Each key of a whole RDB file with its value still encoded (see RdbScanner); returns the aux fields. */
export function* rdbFileEntries(b: Buffer, functions?: string[], end?: { at: number }, deferred?: DeferredChecksum): Generator<RdbEntry, Map<string, string>> {
  const scan = new RdbScanner(b, functions, end, deferred);
  while (scan.next()) yield { db: scan.db, key: scan.key(), type: scan.type, value: b.subarray(scan.valueAt, scan.end), expireAt: scan.expireAt };
  return scan.aux;
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
