/*
 * Streams in RDB form (type 19, RDB_TYPE_STREAM_LISTPACKS_2, as redis-server 7.0 writes; type 15 read
 * too): the nodes as (16-byte big-endian master ID, listpack) pairs, then the counters, then the
 * consumer groups with their PELs and consumers. The node listpacks are written in redis-server's
 * stream layout, so a redis-server loading them sees the same nodes we keep:
 *
 *   listpack: <total u32 LE> <count u16 LE> elements... 0xFF; element = encoding + backlen
 *   master entry: count | deleted | num-fields | field_1 ... field_N | 0
 *   entry:        flags | ms-delta | seq-delta | [num-fields | field value ...] or [value ...] | lp-count
 *                 (flags: 1 deleted, 2 same fields as the master entry)
 *
 * The reader works on any RDB input with byte()/bytes()/strBuf() (strBuf handles the int and LZF
 * string encodings), so rdb.ts calls in here without this module depending on it.
 */

import { backlen, listpackValues } from './listpack.js';
import { idMs, idOf, idSeq, StreamConsumer, StreamGroup, StreamValue, toI64, type StreamEntry, type StreamNode } from '../shard/values/stream.js';

export const T_STREAM_LISTPACKS = 15;
export const T_STREAM_LISTPACKS_2 = 19;

// ---- writing -------------------------------------------------------------------------------------

class Out {
  parts: Buffer[] = [];
  raw(b: Buffer): void {
    this.parts.push(b);
  }
  len(n: bigint | number): void {
    const v = BigInt(n);
    if (v < 64n) this.parts.push(Buffer.from([Number(v)]));
    else if (v < 16384n) this.parts.push(Buffer.from([0x40 | Number(v >> 8n), Number(v & 0xffn)]));
    else if (v <= 0xffffffffn) {
      const b = Buffer.alloc(5);
      b[0] = 0x80;
      b.writeUInt32BE(Number(v), 1);
      this.parts.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = 0x81;
      b.writeBigUInt64BE(BigInt.asUintN(64, v), 1);
      this.parts.push(b);
    }
  }
  str(b: Buffer): void {
    this.len(b.length);
    this.parts.push(b);
  }
  ms(t: number): void {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(t));
    this.parts.push(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function idBytes(id: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(idMs(id), 0);
  b.writeBigUInt64BE(idSeq(id), 8);
  return b;
}

const INT_RE = /^(0|-?[1-9][0-9]{0,19})$/;

class ListpackBuilder {
  private parts: Buffer[] = [];
  private size = 0;
  private count = 0;
  private push(enc: Buffer): void {
    const bl = Buffer.from(backlen(enc.length));
    this.parts.push(enc, bl);
    this.size += enc.length + bl.length;
    this.count++;
  }
  int(v: bigint): void {
    let enc: Buffer;
    if (v >= 0n && v <= 127n) enc = Buffer.from([Number(v)]);
    else if (v >= -4096n && v <= 4095n) {
      const u = Number(v < 0n ? (1n << 13n) + v : v);
      enc = Buffer.from([0xc0 | (u >> 8), u & 0xff]);
    } else if (v >= -32768n && v <= 32767n) {
      enc = Buffer.alloc(3);
      enc[0] = 0xf1;
      enc.writeInt16LE(Number(v), 1);
    } else if (v >= -8388608n && v <= 8388607n) {
      enc = Buffer.alloc(4);
      enc[0] = 0xf2;
      enc.writeIntLE(Number(v), 1, 3);
    } else if (v >= -2147483648n && v <= 2147483647n) {
      enc = Buffer.alloc(5);
      enc[0] = 0xf3;
      enc.writeInt32LE(Number(v), 1);
    } else {
      enc = Buffer.alloc(9);
      enc[0] = 0xf4;
      enc.writeBigInt64LE(v, 1);
    }
    this.push(enc);
  }
  str(s: string): void {
    if (s.length <= 20 && INT_RE.test(s)) {
      const v = BigInt(s);
      if (v >= -(1n << 63n) && v < 1n << 63n) return this.int(v);
    }
    const n = s.length;
    let head: Buffer;
    if (n < 64) head = Buffer.from([0x80 | n]);
    else if (n < 4096) head = Buffer.from([0xe0 | (n >> 8), n & 0xff]);
    else {
      head = Buffer.alloc(5);
      head[0] = 0xf0;
      head.writeUInt32LE(n, 1);
    }
    this.push(Buffer.concat([head, Buffer.from(s, 'latin1')]));
  }
  done(): Buffer {
    const head = Buffer.alloc(6);
    const total = 6 + this.size + 1;
    head.writeUInt32LE(total, 0);
    head.writeUInt16LE(Math.min(this.count, 65535), 4);
    return Buffer.concat([head, ...this.parts, Buffer.from([0xff])]);
  }
}

function nodeListpack(n: StreamNode): Buffer {
  const lp = new ListpackBuilder();
  lp.int(BigInt(n.live));
  lp.int(BigInt(n.entries.length - n.live));
  lp.int(BigInt(n.masterFields.length));
  for (const f of n.masterFields) lp.str(f);
  lp.int(0n);
  for (const e of n.entries) {
    const nf = e.fv.length / 2;
    let same = nf === n.masterFields.length;
    for (let i = 0; same && i < nf; i++) if (e.fv[i * 2] !== n.masterFields[i]) same = false;
    lp.int(BigInt((e.deleted ? 1 : 0) | (same ? 2 : 0)));
    lp.int(toI64(idMs(e.id) - idMs(n.master)));
    lp.int(toI64(idSeq(e.id) - idSeq(n.master)));
    if (same) {
      for (let i = 1; i < e.fv.length; i += 2) lp.str(e.fv[i]!);
      lp.int(BigInt(nf + 3));
    } else {
      lp.int(BigInt(nf));
      for (const s of e.fv) lp.str(s);
      lp.int(BigInt(nf * 2 + 4));
    }
  }
  return lp.done();
}

/** The value part of a type-19 stream (after the type byte and key). */
export function encodeStream(s: StreamValue): Buffer {
  const o = new Out();
  o.len(s.nodes.length);
  for (const n of s.nodes) {
    o.str(idBytes(n.master));
    o.str(nodeListpack(n));
  }
  o.len(s.length);
  o.len(idMs(s.lastId));
  o.len(idSeq(s.lastId));
  o.len(idMs(s.firstId));
  o.len(idSeq(s.firstId));
  o.len(idMs(s.maxDeletedId));
  o.len(idSeq(s.maxDeletedId));
  o.len(s.entriesAdded);
  const groups = s.sortedGroups();
  o.len(groups.length);
  for (const g of groups) {
    o.str(Buffer.from(g.name, 'latin1'));
    o.len(idMs(g.lastId));
    o.len(idSeq(g.lastId));
    o.len(BigInt.asUintN(64, BigInt(g.entriesRead)));
    const pel = g.pending();
    o.len(pel.length);
    for (const p of pel) {
      o.raw(idBytes(p.id));
      o.ms(p.deliveryTime);
      o.len(p.deliveryCount);
    }
    const cs = g.sortedConsumers();
    o.len(cs.length);
    for (const c of cs) {
      o.str(Buffer.from(c.name, 'latin1'));
      o.ms(c.seenTime);
      const cp = g.pending(0n, (1n << 128n) - 1n, c);
      o.len(cp.length);
      for (const p of cp) o.raw(idBytes(p.id));
    }
  }
  return o.done();
}

// ---- reading -------------------------------------------------------------------------------------

export interface RdbInput {
  byte(): number;
  bytes(n: number): Buffer;
  strBuf(): Buffer;
}

function len64(r: RdbInput): bigint {
  const first = r.byte();
  const kind = first >> 6;
  if (kind === 0) return BigInt(first & 0x3f);
  if (kind === 1) return BigInt(((first & 0x3f) << 8) | r.byte());
  if (first === 0x80) return BigInt(r.bytes(4).readUInt32BE(0));
  if (first === 0x81) return r.bytes(8).readBigUInt64BE(0);
  throw new Error('rdb: bad length');
}

function lenNum(r: RdbInput): number {
  const v = len64(r);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('rdb: length too large');
  return Number(v);
}

/** Listpack elements as strings (integers as bigints). */
function listpackElements(lp: Buffer): (string | bigint)[] {
  return listpackValues(lp, BigInt, (v) => v);
}

function asInt(v: string | bigint | undefined): bigint {
  if (typeof v === 'bigint') return v;
  throw new Error('stream listpack: integer expected');
}
function asStr(v: string | bigint | undefined): string {
  if (v === undefined) throw new Error('stream listpack: truncated');
  return typeof v === 'bigint' ? v.toString() : v;
}

function readNode(master: bigint, lp: Buffer, s: StreamValue): StreamNode {
  const el = listpackElements(lp);
  let i = 0;
  const live = Number(asInt(el[i++]));
  const deleted = Number(asInt(el[i++]));
  const nmf = Number(asInt(el[i++]));
  const masterFields: string[] = [];
  for (let k = 0; k < nmf; k++) masterFields.push(asStr(el[i++]));
  if (asInt(el[i++]) !== 0n) throw new Error('stream listpack: bad master terminator');
  const entries: StreamEntry[] = [];
  let liveSeen = 0;
  while (i < el.length) {
    const flags = Number(asInt(el[i++]));
    const ms = BigInt.asUintN(64, idMs(master) + asInt(el[i++]));
    const seq = BigInt.asUintN(64, idSeq(master) + asInt(el[i++]));
    const fv: string[] = [];
    if (flags & 2) {
      for (const f of masterFields) fv.push(f, asStr(el[i++]));
    } else {
      const nf = Number(asInt(el[i++]));
      for (let k = 0; k < nf * 2; k++) fv.push(asStr(el[i++]));
    }
    asInt(el[i++]); // lp-count
    const id = idOf(ms, seq);
    if (entries.length > 0 && id <= entries[entries.length - 1]!.id) throw new Error('stream listpack: IDs out of order');
    const del = (flags & 1) !== 0;
    if (!del) liveSeen++;
    entries.push({ id, fv, deleted: del });
  }
  if (liveSeen !== live || entries.length - liveSeen !== deleted || entries.length === 0) throw new Error('stream listpack: bad counts');
  s.length += live;
  // the node size as the listpack we were given
  return { master, masterFields, entries, live, bytes: lp.length };
}

/** Read the value part of a type 15 or 19 stream. */
export function decodeStream(r: RdbInput, type: number): StreamValue {
  const s = new StreamValue();
  const nodes = lenNum(r);
  for (let k = 0; k < nodes; k++) {
    const key = r.strBuf();
    if (key.length !== 16) throw new Error('rdb: bad stream node key');
    const master = idOf(key.readBigUInt64BE(0), key.readBigUInt64BE(8));
    const lp = Buffer.from(r.strBuf());
    const node = readNode(master, lp, s);
    if (s.nodes.length > 0 && master <= s.nodes[s.nodes.length - 1]!.entries.at(-1)!.id) throw new Error('rdb: stream nodes out of order');
    if (node.entries[0]!.id < master) throw new Error('rdb: stream entry before its node');
    s.nodes.push(node);
  }
  const length = lenNum(r);
  if (length !== s.length) throw new Error('rdb: stream length mismatch');
  s.lastId = idOf(len64(r), len64(r));
  const lastNode = s.nodes[s.nodes.length - 1];
  if (lastNode && s.lastId < lastNode.entries.at(-1)!.id) throw new Error('rdb: stream last ID below its entries');
  if (type === T_STREAM_LISTPACKS_2) {
    s.firstId = idOf(len64(r), len64(r));
    s.maxDeletedId = idOf(len64(r), len64(r));
    s.entriesAdded = lenNum(r);
  } else {
    s.firstId = s.edgeId(true);
    if (s.length === 0) s.firstId = 0n;
    s.entriesAdded = s.length;
  }
  const ngroups = lenNum(r);
  for (let k = 0; k < ngroups; k++) {
    const name = r.strBuf().toString('latin1');
    const lastId = idOf(len64(r), len64(r));
    let entriesRead = -1;
    if (type === T_STREAM_LISTPACKS_2) entriesRead = Number(BigInt.asIntN(64, len64(r)));
    else entriesRead = s.estimateDistance(lastId);
    const g = new StreamGroup(name, lastId, entriesRead);
    if (!s.groups) s.groups = new Map();
    if (s.groups.has(name)) throw new Error('rdb: duplicate stream group');
    s.groups.set(name, g);
    const npel = lenNum(r);
    const orphan = new StreamConsumer('', 0);
    for (let j = 0; j < npel; j++) {
      const b = r.bytes(16);
      const id = idOf(b.readBigUInt64BE(0), b.readBigUInt64BE(8));
      const t = Number(r.bytes(8).readBigInt64LE(0));
      const count = lenNum(r);
      g.pel.set(id, { id, deliveryTime: t, deliveryCount: count, consumer: orphan });
    }
    const ncons = lenNum(r);
    for (let j = 0; j < ncons; j++) {
      const cname = r.strBuf().toString('latin1');
      const seen = Number(r.bytes(8).readBigInt64LE(0));
      const c = new StreamConsumer(cname, seen);
      g.consumers.set(cname, c);
      const n = lenNum(r);
      for (let q = 0; q < n; q++) {
        const b = r.bytes(16);
        const id = idOf(b.readBigUInt64BE(0), b.readBigUInt64BE(8));
        const p = g.pel.get(id);
        if (!p || p.consumer !== orphan) throw new Error('rdb: consumer PEL entry not in the group PEL');
        p.consumer = c;
        c.pel.set(id, p);
      }
    }
    for (const p of g.pel.values()) if (p.consumer === orphan) throw new Error('rdb: group PEL entry without a consumer');
  }
  return s;
}
