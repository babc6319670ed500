/*
 * Bitmap commands on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, with
 * redis-server 7.0's replies, errors and propagation. Strings are binary (latin1) JS strings, so a
 * bitmap written here reads back byte for byte through GET / GETRANGE and SETRANGE / APPEND edits are
 * seen by the bit commands. Bit 0 is the most significant bit of byte 0, as in Redis.
 *
 * Writes are propagated as received: every one of them is deterministic (BITOP's result depends only
 * on its sources, BITFIELD's overflow handling only on the stored bits).
 */

import { NOTIFY_GENERIC, NOTIFY_STRING } from '../../commands/keyspace-events.js';
import {
  CommandError,
  SYNTAX,
  WRONGTYPE,
  BIT_OFFSET_INVALID,
  BIT_VALUE_INVALID,
  BITPOS_BIT_INVALID,
  BITOP_NOT_ONE_KEY,
  BITFIELD_TYPE_INVALID,
  BITFIELD_OVERFLOW_INVALID,
  BITFIELD_RO_GET_ONLY,
} from '../../resp/errors.js';
import { parseInt64 } from '../../commands/numbers.js';
import { FLAG_REPLICATED } from '../../ipc/records.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { getString, strOf, clampStringRange } from './util.js';
import { shardCommands } from '../../commands/registry.js';
import { isAggregate } from '../values/types.js';

/** Parse a bit offset (optionally `#n` times `bits` for BITFIELD) as getBitOffsetFromArgument does. */
function bitOffset(c: ShardCtx, i: number, hashBits = 0): number {
  let s = c.args.str(i);
  let mul = 1n;
  if (hashBits > 0 && s.charCodeAt(0) === 35) {
    s = s.slice(1);
    mul = BigInt(hashBits);
  }
  const v = parseInt64(s);
  if (v === null) throw new CommandError(BIT_OFFSET_INVALID);
  const off = v * mul;
  const obey = (c.flags & FLAG_REPLICATED) !== 0;
  if (off < 0n || (!obey && off >> 3n >= BigInt(c.config.protoMaxBulkLen)) || off > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CommandError(BIT_OFFSET_INVALID);
  }
  return Number(off);
}

/** The string at key as a binary string for a read ('' when absent); WRONGTYPE for other types. */
function readBits(c: ShardCtx, key: string): string | undefined {
  const v = getString(c, key);
  return v === undefined ? undefined : strOf(v);
}

/** Store a bitmap's new bytes (keeps the TTL; the value is now a raw string). */
function storeBits(c: ShardCtx, key: string, s: string, existed: boolean): void {
  if (existed) c.db.set(key, s, true);
  else c.db.add(key, s);
  c.db.markRaw(key);
}

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1]!;

/** Number of set bits in s[from..to] (byte indexes, inclusive). */
function popcount(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) n += POP8[s.charCodeAt(i) & 0xff]!;
  return n;
}

/** Parse an optional BYTE|BIT unit argument. */
function unitIsBit(c: ShardCtx, i: number): boolean {
  if (c.args.is(i, 'bit')) return true;
  if (c.args.is(i, 'byte')) return false;
  throw new CommandError(SYNTAX);
}

function bitcount(c: ShardCtx): void {
  const key = c.args.str(1);
  let start = 0;
  let end = 0;
  let isBit = false;
  // Redis 7.0 looks the key up first: a missing key counts 0 whatever the other arguments are
  const s = readBits(c, key);
  if (s === undefined) {
    c.w.int(0);
    return;
  }
  const ranged = c.argc === 4 || c.argc === 5;
  if (!ranged && c.argc !== 2) throw new CommandError(SYNTAX);
  if (ranged) {
    start = c.args.int(2);
    end = c.args.int(3);
    if (c.argc === 5) isBit = unitIsBit(c, 4);
  }
  const len = s.length;
  let firstMask = 0;
  let lastMask = 0;
  if (ranged) {
    const total = isBit ? len * 8 : len;
    if (start < 0 && end < 0 && start > end) {
      c.w.int(0);
      return;
    }
    [start, end] = clampStringRange(start, end, total);
    if (isBit && start <= end) {
      // bits of the edge bytes that lie outside the range
      firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      lastMask = (1 << (7 - (end & 7))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else {
    end = len - 1;
  }
  if (start > end) {
    c.w.int(0);
    return;
  }
  let n = popcount(s, start, end);
  if (firstMask) n -= POP8[s.charCodeAt(start) & firstMask]!;
  if (lastMask) n -= POP8[s.charCodeAt(end) & lastMask]!;
  c.w.int(n);
}

function bitpos(c: ShardCtx): void {
  const key = c.args.str(1);
  const bit = c.args.int(2);
  if (bit !== 0 && bit !== 1) throw new CommandError(BITPOS_BIT_INVALID);
  const s = readBits(c, key);
  if (s === undefined) {
    c.w.int(bit ? -1 : 0);
    return;
  }
  const len = s.length;
  let startBit: number;
  let endBit: number;
  let endGiven = false;
  if (c.argc >= 4 && c.argc <= 6) {
    let start = c.args.int(3);
    let isBit = false;
    if (c.argc === 6) isBit = unitIsBit(c, 5);
    let end: number;
    if (c.argc >= 5) {
      end = c.args.int(4);
      endGiven = true;
    } else {
      end = isBit ? len * 8 + 7 : len - 1;
    }
    const total = isBit ? len * 8 : len;
    [start, end] = clampStringRange(start, end, total);
    if (start > end) {
      c.w.int(-1);
      return;
    }
    if (isBit) {
      startBit = start;
      endBit = end;
    } else {
      startBit = start * 8;
      endBit = end * 8 + 7;
    }
  } else if (c.argc === 3) {
    if (len === 0) {
      c.w.int(-1);
      return;
    }
    startBit = 0;
    endBit = len * 8 - 1;
  } else {
    throw new CommandError(SYNTAX);
  }
  const pos = findBit(s, startBit, endBit, bit);
  if (pos >= 0) c.w.int(pos);
  else if (bit === 1 || endGiven) c.w.int(-1);
  // looking for a clear bit with no explicit end: the string is taken as padded with zeros
  else c.w.int((Math.floor(endBit / 8) + 1) * 8);
}

/** First bit equal to `bit` in [from, to] (absolute bit positions), or -1. */
function findBit(s: string, from: number, to: number, bit: number): number {
  const skip = bit ? 0 : 0xff; // a byte that cannot contain the bit
  let i = from;
  while (i <= to) {
    const byte = s.charCodeAt(i >> 3);
    if ((i & 7) === 0 && i + 7 <= to && byte === skip) {
      i += 8;
      continue;
    }
    if (((byte >> (7 - (i & 7))) & 1) === bit) return i;
    i++;
  }
  return -1;
}

function bitop(c: ShardCtx): void {
  const a = c.args;
  let op: 'and' | 'or' | 'xor' | 'not';
  if (a.is(1, 'and')) op = 'and';
  else if (a.is(1, 'or')) op = 'or';
  else if (a.is(1, 'xor')) op = 'xor';
  else if (a.is(1, 'not')) op = 'not';
  else throw new CommandError(SYNTAX);
  if (op === 'not' && c.argc !== 4) throw new CommandError(BITOP_NOT_ONE_KEY);
  const dst = a.str(2);
  const srcs: string[] = [];
  let maxlen = 0;
  for (let i = 3; i < c.argc; i++) {
    const v = c.db.read(a.str(i));
    if (v !== undefined && isAggregate(v)) throw new CommandError(WRONGTYPE);
    const s = v === undefined ? '' : strOf(v);
    srcs.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  if (maxlen > 0) {
    const out = Buffer.allocUnsafe(maxlen);
    const first = srcs[0]!;
    for (let j = 0; j < maxlen; j++) {
      let b = j < first.length ? first.charCodeAt(j) : 0;
      if (op === 'not') b = ~b & 0xff;
      for (let k = 1; k < srcs.length; k++) {
        const s = srcs[k]!;
        const x = j < s.length ? s.charCodeAt(j) : 0;
        if (op === 'and') b &= x;
        else if (op === 'or') b |= x;
        else b ^= x;
      }
      out[j] = b;
    }
    c.db.set(dst, out.latin1Slice(0, maxlen));
    c.db.markRaw(dst);
    c.notify(NOTIFY_STRING, 'set', dst);
  } else if (c.db.delete(dst)) {
    c.notify(NOTIFY_GENERIC, 'del', dst);
  }
  c.propagate();
  c.w.int(maxlen);
}

// ---- BITFIELD --------------------------------------------------------------------------------

/** A BITFIELD operation, and what OVERFLOW does. */
const enum FieldOpKind { GET, SET, INCRBY }
const enum Overflow { WRAP, SAT, FAIL }

interface FieldOp {
  op: number;
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: number;
}

function fieldType(c: ShardCtx, i: number): [boolean, number] {
  const s = c.args.str(i);
  const t = s.charCodeAt(0);
  if (t !== 105 && t !== 117) throw new CommandError(BITFIELD_TYPE_INVALID); // 'i' 'u'
  const signed = t === 105;
  const n = parseInt64(s.slice(1));
  if (n === null || n < 1n || (signed && n > 64n) || (!signed && n > 63n)) throw new CommandError(BITFIELD_TYPE_INVALID);
  return [signed, Number(n)];
}

/** Read `bits` bits at bit `offset` of buf as an unsigned value (bits past the end read as 0). */
function getField(buf: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const idx = Math.floor(pos / 8);
    const byte = idx < buf.length ? buf[idx]! : 0;
    v = (v << 1n) | BigInt((byte >> (7 - (pos & 7))) & 1);
  }
  return v;
}

function setField(buf: Uint8Array, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const idx = Math.floor(pos / 8);
    const bitv = Number((u >> BigInt(bits - 1 - i)) & 1n);
    const mask = 1 << (7 - (pos & 7));
    buf[idx] = bitv ? buf[idx]! | mask : buf[idx]! & ~mask;
  }
}

/**
 * value + incr checked against the field's range as checkSignedBitfieldOverflow /
 * checkUnsignedBitfieldOverflow do: [overflowed, result]. The limits they compare with are int64
 * differences that wrap in C (e.g. SET i8 to INT64_MIN saturates to the maximum): computed the same
 * way here. A result past the range is wrapped, saturated, or (FAIL) reported for the caller to skip.
 */
function fieldAdd(signed: boolean, bits: number, value: bigint, incr: bigint, overflow: number): [boolean, bigint] {
  let dir = 0;
  if (signed) {
    const max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
    const min = -max - 1n;
    const maxincr = BigInt.asIntN(64, max - value);
    const minincr = BigInt.asIntN(64, min - value);
    if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) dir = 1;
    else if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) dir = -1;
    if (dir === 0) return [false, value + incr];
    if (overflow === Overflow.SAT) return [true, dir > 0 ? max : min];
    return [true, BigInt.asIntN(bits, value + incr)];
  }
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  if (value > max || (incr > 0n && incr > maxincr)) dir = 1;
  else if (incr < 0n && incr < minincr) dir = -1;
  if (dir === 0) return [false, value + incr];
  if (overflow === Overflow.SAT) return [true, dir > 0 ? max : 0n];
  return [true, BigInt.asUintN(bits, value + incr)];
}

const INT64_MAX = (1n << 63n) - 1n;

function bitfieldGeneric(c: ShardCtx, readonlyCmd: boolean): void {
  const a = c.args;
  const ops: FieldOp[] = [];
  let overflow = Overflow.WRAP;
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < c.argc; j++) {
    const rem = c.argc - j - 1;
    let op: number;
    if (a.is(j, 'get') && rem >= 2) op = FieldOpKind.GET;
    else if (a.is(j, 'set') && rem >= 3) op = FieldOpKind.SET;
    else if (a.is(j, 'incrby') && rem >= 3) op = FieldOpKind.INCRBY;
    else if (a.is(j, 'overflow') && rem >= 1) {
      j++;
      if (a.is(j, 'wrap')) overflow = Overflow.WRAP;
      else if (a.is(j, 'sat')) overflow = Overflow.SAT;
      else if (a.is(j, 'fail')) overflow = Overflow.FAIL;
      else throw new CommandError(BITFIELD_OVERFLOW_INVALID);
      continue;
    } else throw new CommandError(SYNTAX);
    const [signed, bits] = fieldType(c, j + 1);
    const offset = bitOffset(c, j + 2, bits);
    let value = 0n;
    if (op !== FieldOpKind.GET) {
      readonly = false;
      if (highest < offset + bits - 1) highest = offset + bits - 1;
      value = a.int64(j + 3);
    }
    ops.push({ op, signed, bits, offset, value, overflow });
    j += op === FieldOpKind.GET ? 2 : 3;
  }
  const key = a.str(1);
  let cur: string | undefined;
  let buf: Buffer;
  let grew = false;
  if (readonly) {
    cur = readBits(c, key);
    buf = Buffer.from(cur ?? '', 'latin1');
  } else {
    if (readonlyCmd) throw new CommandError(BITFIELD_RO_GET_ONLY);
    const v = getString(c, key, false);
    cur = v === undefined ? undefined : strOf(v);
    const need = Math.floor(highest / 8) + 1;
    const len = cur === undefined ? 0 : cur.length;
    buf = Buffer.alloc(Math.max(need, len));
    if (cur !== undefined) buf.latin1Write(cur, 0, len);
    grew = buf.length > len || cur === undefined;
  }
  c.w.array(ops.length);
  let changes = 0;
  for (const o of ops) {
    if (o.op === FieldOpKind.GET) {
      const u = getField(buf, o.offset, o.bits);
      c.w.bigint(o.signed ? BigInt.asIntN(o.bits, u) : u);
      continue;
    }
    const raw = getField(buf, o.offset, o.bits);
    const old = o.signed ? BigInt.asIntN(o.bits, raw) : raw;
    let failed: boolean;
    let next: bigint;
    let ret: bigint;
    if (o.op === FieldOpKind.INCRBY) {
      [failed, next] = fieldAdd(o.signed, o.bits, old, o.value, o.overflow);
      ret = next;
    } else {
      // SET: the new value as the field type sees it (an unsigned field takes the int64 as uint64)
      const v = o.signed ? o.value : BigInt.asUintN(64, o.value);
      [failed, next] = fieldAdd(o.signed, o.bits, v, 0n, o.overflow);
      ret = old;
    }
    if (failed && o.overflow === Overflow.FAIL) {
      c.w.nullBulk();
      continue;
    }
    c.w.bigint(ret);
    setField(buf, o.offset, o.bits, next);
    // a write counts (and the command is propagated) when it changed a value or made the string
    if (grew || old !== next) changes++;
  }
  if (!readonly) {
    // the key is created (or grown) even when every write failed, as Redis does
    const s = buf.latin1Slice(0, buf.length);
    if (s !== cur) storeBits(c, key, s, cur !== undefined);
  }
  if (changes > 0) {
    c.notify(NOTIFY_STRING, 'setbit', key);
    c.propagate();
  }
}

export const commands = shardCommands<ShardHandler>({
  setbit(c) {
    const key = c.args.str(1);
    const offset = bitOffset(c, 2);
    const on = c.args.int(3, BIT_VALUE_INVALID);
    if (on !== 0 && on !== 1) throw new CommandError(BIT_VALUE_INVALID);
    const v = getString(c, key, false);
    const cur = v === undefined ? undefined : strOf(v);
    const byte = Math.floor(offset / 8);
    const len = cur === undefined ? 0 : cur.length;
    let s = cur ?? '';
    if (len < byte + 1) s += '\0'.repeat(byte + 1 - len);
    const bv = s.charCodeAt(byte);
    const mask = 1 << (7 - (offset & 7));
    const old = bv & mask ? 1 : 0;
    if (s.length !== len || old !== on) {
      const nb = on ? bv | mask : bv & ~mask;
      s = s.slice(0, byte) + String.fromCharCode(nb) + s.slice(byte + 1);
      storeBits(c, key, s, cur !== undefined);
      c.notify(NOTIFY_STRING, 'setbit', key);
      c.propagate();
    }
    c.w.int(old);
  },

  getbit(c) {
    const offset = bitOffset(c, 2);
    const s = readBits(c, c.args.str(1));
    const byte = Math.floor(offset / 8);
    if (s === undefined || byte >= s.length) {
      c.w.int(0);
      return;
    }
    c.w.int((s.charCodeAt(byte) >> (7 - (offset & 7))) & 1);
  },

  bitcount,
  bitpos,
  bitop,

  bitfield(c) {
    bitfieldGeneric(c, false);
  },

  bitfield_ro(c) {
    bitfieldGeneric(c, true);
  },
});
