/*
 * Unit tests of the RDB / DUMP codec (src/codec/rdb.ts), without a server: every value type
 * and encoding-relevant shape round-trips through a DUMP payload and through a whole RDB file (with
 * databases and expiry times); string and length encodings at their boundaries; the CRC64 Redis uses;
 * and payloads that are corrupt, from a newer RDB version or followed by stray bytes are refused, as
 * RESTORE refuses them. Interop with redis-server's own payloads: test/dump-interop.test.ts.
 */

import { describe, expect, it } from 'vitest';
import {
  HashValue,
  ListValue,
  RDB_OPCODE,
  RdbWriter,
  SetValue,
  StreamConsumer,
  StreamGroup,
  StreamValue,
  ZSetValue,
  Crc64,
  crc64,
  createDump,
  decodeValue,
  encodeValue,
  parseDump,
  rdbFileEntries,
  rdbHeader,
  writeEntry,
  type Value,
} from './helpers/src.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');

/** A comparable picture of a value: its type and content, in the order the type defines. */
function shape(v: Value): unknown {
  if (typeof v === 'string' || typeof v === 'number') return ['string', String(v)];
  if (v instanceof ListValue) return ['list', v.toArray()];
  if (v instanceof SetValue) return ['set', [...v.members()].sort()];
  if (v instanceof HashValue) return ['hash', [...v.entries()].sort(([a], [b]) => (a < b ? -1 : 1))];
  if (v instanceof ZSetValue) return ['zset', [...v.entries()].map(([m, s]) => [m, Object.is(s, -0) ? '-0' : s])];
  if (v instanceof StreamValue) {
    const groups = v.sortedGroups().map((g) => ({
      name: g.name,
      lastId: g.lastId,
      entriesRead: g.entriesRead,
      pel: g.pending().map((p) => [p.id, p.deliveryTime, p.deliveryCount, p.consumer.name]),
      consumers: g.sortedConsumers().map((c) => [c.name, c.seenTime, c.pel.keys()]),
    }));
    return ['stream', v.range(0n, (1n << 128n) - 1n, 0, false).map((e) => [e.id, e.fv]), v.length, v.lastId, v.maxDeletedId, v.entriesAdded, groups];
  }
  throw new Error('unknown value');
}

const LIMITS = { nodeMaxBytes: 4096, nodeMaxEntries: 100 };

/** A stream with deleted entries, several nodes, two groups, consumers and pending entries. */
function stream(): StreamValue {
  const s = new StreamValue();
  for (let i = 1; i <= 250; i++) s.append((BigInt(1700000000000 + i) << 64n) | BigInt(i % 3), i % 7 === 0 ? ['f', String(i), 'extra', ALL_BYTES.slice(i % 200, (i % 200) + 20)] : ['f', String(i)], LIMITS);
  for (let i = 10; i <= 30; i += 5) s.delete((BigInt(1700000000000 + i) << 64n) | BigInt(i % 3));
  s.maxDeletedId = (BigInt(1700000000000 + 30) << 64n) | 0n;
  s.groups = new Map();
  const g = new StreamGroup('g1', s.lastId, 200);
  const alice = new StreamConsumer('alice', 1700000001000);
  const bob = new StreamConsumer('bob', 1700000002000);
  g.consumers.set('alice', alice).set('bob', bob);
  const ids = s.range(0n, (1n << 128n) - 1n, 6, false).map((e) => e.id);
  ids.forEach((id, i) => {
    const c = i % 2 === 0 ? alice : bob;
    const p = { id, deliveryTime: 1700000000500 + i, deliveryCount: i + 1, consumer: c };
    g.pel.set(id, p);
    c.pel.set(id, p);
  });
  s.groups.set('g1', g);
  s.groups.set('empty', new StreamGroup('empty', 0n, 0));
  return s;
}

/** Every type, with the shapes whose encodings differ (int strings, intsets, big hashes, odd scores). */
const VALUES: [string, () => Value][] = [
  ['a binary string holding every byte', () => ALL_BYTES],
  ['an empty string', () => ''],
  ['a string of 16384 bytes (32-bit length)', () => 'x'.repeat(16384)],
  ['an integer value', () => -9007199254740991],
  ['a list with empty and binary elements', () => ListValue.from(['', 'a', ALL_BYTES, '12', '-1'])],
  ['a list of 1000 elements', () => ListValue.from(Array.from({ length: 1000 }, (_, i) => `e${i}`))],
  ['an integer set', () => SetValue.from(['3', '-7', '100000', '-2147483649'])],
  ['a set of strings', () => SetValue.from(['a', '', ALL_BYTES, '1'])],
  ['a small hash', () => HashValue.from([['f', 'v'], ['', ''], ['bin', ALL_BYTES]])],
  ['a hash of 600 fields', () => HashValue.from(Array.from({ length: 600 }, (_, i) => [`f${i}`, String(i)] as [string, string]))],
  ['a sorted set with infinite, negative-zero, tiny and huge scores', () => ZSetValue.from([['inf', Infinity], ['ninf', -Infinity], ['nz', -0], ['tiny', 5e-324], ['huge', 1.7976931348623157e308], ['frac', 0.1], ['', 3]])],
  ['a sorted set of 300 members', () => ZSetValue.from(Array.from({ length: 300 }, (_, i) => [`m${i}`, i / 7] as [string, number]))],
  ['a stream with deletions, groups, consumers and pending entries', stream],
];

describe('DUMP payloads', () => {
  it.each(VALUES)('%s round-trips through createDump and parseDump', (_, make) => {
    const v = make();
    const back = parseDump(createDump(v));
    expect(typeof back === 'string' && back.startsWith('bad-') ? back : shape(back as Value)).toEqual(shape(v));
  });

  it.each(VALUES)('%s round-trips through encodeValue and decodeValue', (_, make) => {
    const v = make();
    const body = encodeValue(v);
    expect(shape(decodeValue(body[0]!, body.subarray(1)))).toEqual(shape(v));
  });

  it('integer strings in the 32-bit range use the int encodings; other digit strings stay strings', () => {
    const enc = (s: string): Buffer => encodeValue(s).subarray(1);
    expect(enc('-128')).toEqual(Buffer.from([0xc0, 0x80]));
    expect(enc('127')).toEqual(Buffer.from([0xc0, 0x7f]));
    expect(enc('-32768')).toEqual(Buffer.from([0xc1, 0x00, 0x80]));
    expect(enc('2147483647')).toEqual(Buffer.from([0xc2, 0xff, 0xff, 0xff, 0x7f]));
    expect(enc('2147483648')[0]).toBe(10); // a 10-byte string
    expect(enc('007')).toEqual(Buffer.from([3, 0x30, 0x30, 0x37]));
    expect(enc('-0')).toEqual(Buffer.from([2, 0x2d, 0x30]));
    for (const s of ['-128', '127', '-32768', '2147483647', '2147483648', '007', '-0']) expect(String(parseDump(createDump(s)))).toBe(s);
  });

  it('strings written from bytes (a snapshot of the byte store) are encoded as the same strings written from text', () => {
    const cases = ['', '0', '-0', '00', '007', '-', '-128', '127', '128', '-32768', '32767', '-2147483648', '2147483647', '2147483648', '-2147483649', '12345678901', '1e3', ' 1', '1 ', 'key:1', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(20000)];
    for (const s of cases) {
      const text = new RdbWriter();
      text.str(s);
      const bytes = new RdbWriter();
      const page = Buffer.from(`ab${s}cd`, 'latin1');
      bytes.strBytes(page, 2, s.length);
      expect(bytes.buf.subarray(0, bytes.n), JSON.stringify(s.slice(0, 20))).toEqual(text.buf.subarray(0, text.n));
    }
  });

  it('lengths use the 6-bit, 14-bit and 32-bit forms at their boundaries', () => {
    const head = (n: number): number[] => [...encodeValue('y'.repeat(n)).subarray(1, 6)];
    expect(head(63)[0]).toBe(63);
    expect(head(64).slice(0, 2)).toEqual([0x40, 64]);
    expect(head(16383).slice(0, 2)).toEqual([0x7f, 0xff]);
    expect(head(16384)).toEqual([0x80, 0, 0, 0x40, 0]);
  });

  it('the checksum is Redis CRC-64 (Jones): crc64("123456789") = 0xe9c6d914c4b8d9ca', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });

  it('the checksum of bytes fed in pieces of any length (8 bytes at a time and the rest) is that of the whole', () => {
    // the reference: Redis's crc64 bit by bit (reflected Jones polynomial)
    const bitwise = (b: Uint8Array): bigint => {
      let c = 0n;
      for (const x of b) {
        c ^= BigInt(x);
        for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0x95ac9329ac4bc9b5n : c >> 1n;
      }
      return c;
    };
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));
    expect(crc64(data)).toBe(bitwise(data));
    for (const cuts of [[1], [7, 8], [3, 11, 500, 999], [8, 16, 24], [999]]) {
      const c = new Crc64();
      let at = 0;
      for (const to of [...cuts, data.length]) {
        c.update(data.subarray(at, to));
        at = to;
      }
      expect(c.value()).toBe(bitwise(data));
    }
  });

  it('a payload with a flipped byte, a newer RDB version or a short tail is refused before decoding', () => {
    const good = createDump(ListValue.from(['a', 'b']));
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x01;
      expect(parseDump(bad), `byte ${i} flipped`).toBe('bad-version-or-crc');
    }
    const newer = Buffer.from(good);
    newer.writeUInt16LE(11, newer.length - 10);
    newer.writeBigUInt64LE(crc64(newer.subarray(0, newer.length - 8)), newer.length - 8);
    expect(parseDump(newer)).toBe('bad-version-or-crc');
    expect(parseDump(good.subarray(0, 9))).toBe('bad-version-or-crc');
  });

  it('a payload whose value is followed by stray bytes (checksum correct) is bad data', () => {
    const body = Buffer.concat([encodeValue('abc'), Buffer.from([0x00])]);
    const tail = Buffer.alloc(10);
    tail.writeUInt16LE(10, 0);
    const head = Buffer.concat([body, tail.subarray(0, 2)]);
    tail.writeBigUInt64LE(crc64(head), 2);
    expect(parseDump(Buffer.concat([body, tail]))).toBe('bad-data');
  });
});

describe('RDB files', () => {
  /** A file as the server writes one: header, then per database SELECTDB and its keys, EOF, CRC64. */
  function file(dbs: [number, [string, Value, number][]][], checksum = true): Buffer {
    const w = new RdbWriter();
    w.raw(rdbHeader('7.0.15', { replid: 'a'.repeat(40), offset: 1234, streamDb: 0 }, false));
    for (const [db, entries] of dbs) {
      w.byte(RDB_OPCODE.SELECTDB);
      w.len(db);
      for (const [k, v, at] of entries) writeEntry(w, k, v, at);
    }
    w.byte(RDB_OPCODE.EOF);
    const body = w.done();
    const sum = Buffer.alloc(8);
    if (checksum) sum.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, sum]);
  }

  it('every type round-trips through a whole file, with databases, keys and expiry times', () => {
    const entries: [number, [string, Value, number][]][] = [
      [0, VALUES.slice(0, 7).map(([name, make], i) => [`k${i} ${name}`, make(), i % 2 === 0 ? -1 : 1800000000000 + i])],
      [9, VALUES.slice(7).map(([name, make], i) => [`k${i} ${name}`, make(), i % 3 === 0 ? 1800000000123 : -1])],
    ];
    const got: unknown[] = [];
    const it = rdbFileEntries(file(entries));
    let r = it.next();
    while (!r.done) {
      const e = r.value;
      got.push([e.db, e.key, e.expireAt, shape(decodeValue(e.type, e.value))]);
      r = it.next();
    }
    expect(got).toEqual(entries.flatMap(([db, es]) => es.map(([k, v, at]) => [db, k, at, shape(v)])));
    // the generator returns the aux fields
    expect(r.value.get('repl-id')).toBe('a'.repeat(40));
    expect(r.value.get('repl-offset')).toBe('1234');
    expect(r.value.get('redis-ver')).toBe('7.0.15');
  });

  it('a file with a wrong checksum is refused; a zero checksum means none was computed', () => {
    const f = file([[0, [['k', 'v', -1]]]]);
    f[f.length - 1]! ^= 0xff;
    expect(() => [...rdbFileEntries(f)]).toThrow();
    expect([...rdbFileEntries(file([[0, [['k', 'v', -1]]]], false))].map((e) => e.key)).toEqual(['k']);
  });

  it('a file with a wrong signature or a newer version is refused', () => {
    const f = file([[0, []]]);
    expect(() => [...rdbFileEntries(Buffer.concat([Buffer.from('RADIS'), f.subarray(5)]))]).toThrow('rdb: wrong signature');
    expect(() => [...rdbFileEntries(Buffer.concat([Buffer.from('REDIS0011'), f.subarray(9)]))]).toThrow("rdb: can't handle RDB format version 11");
  });
});
