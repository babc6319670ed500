/*
 * Bitmaps: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO against the reference redis-server
 * byte for byte (RESP2 and RESP3, 1 and 4 shards): replies, errors and their order, strings read and
 * written as bytes by both the bit commands and GET / SETRANGE / APPEND; plus BITOP with keys on
 * several shards (replication: test/types-replication.test.ts).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { expectDistinctShards } from './helpers/shards.js';
import { corpus, describeCorpus } from './helpers/corpus.js';

const SCRIPT = `
## SETBIT returns the old bit and grows the string; GETBIT past the end is 0
setbit b 7 1
setbit b 7 1
setbit b 7 0
setbit b 100 1
get b
strlen b
getbit b 100
getbit b 99
getbit b 100000
getbit nokey 5
## SETBIT and GETBIT bit, offset and value errors
setbit b 1 2
setbit b 1 -1
setbit b 1 x
setbit b -1 1
setbit b 4294967296 1
setbit b x 1
getbit b -1
getbit b 4294967296
## GETBIT and SETBIT on an integer-encoded string
set num 255
getbit num 0
getbit num 2
getbit num 3
setbit num 15 1
get num
## SETBIT and GETBIT on a list answer WRONGTYPE
lpush list a
setbit list 1 1
getbit list 1
## bit commands see SETRANGE and APPEND writes
setrange b 0 \xff
getbit b 0
append b zz
getbit b 106
getrange b 12 14
## BITCOUNT with BYTE and BIT ranges
set s foobar
bitcount s
bitcount s 0 0
bitcount s 1 1
bitcount s 1 1 byte
bitcount s 5 30 bit
bitcount s 0 -1 bit
bitcount s -3 -1 bit
bitcount s -1 -3
bitcount s -1 -3 bit
bitcount s 100 200
bitcount s 0 100 bit
## BITCOUNT and BITPOS argument errors, also on missing keys and lists
bitcount s 0
bitcount s 0 1 nibble
bitcount s x 1
bitcount s 0 1 bit extra
bitcount nokey
bitcount nokey 0 1
bitcount nokey x 1
bitcount nokey 0 1 nibble
bitcount nokey 0
bitcount list x 1
bitpos nokey 1 x
bitpos nokey 1 0 1 nibble
bitpos list 1 x
bitcount list
bitcount num
set empty ''
bitcount empty
bitcount empty 0 -1
## BITPOS with BYTE and BIT ranges
set p \xff\xf0\x00
bitpos p 0
bitpos p 1
bitpos p 1 2
bitpos p 0 0 0
bitpos p 0 0 -1
bitpos p 1 1
bitpos p 1 -1
bitpos p 0 0 12 bit
bitpos p 1 7 15 bit
bitpos p 0 2 8 bit
bitpos p 1 12 bit
bitpos p 0 3 3 bit
bitpos p 1 100
bitpos p 0 100
## BITPOS argument errors
bitpos p 2
bitpos p x
bitpos p 1 x
bitpos p 1 0 x
bitpos p 1 0 1 nibble
bitpos p 1 0 1 bit extra
bitpos nokey 0
bitpos nokey 1
bitpos nokey 2
bitpos list 1
## BITPOS for a clear bit in all-ones, all-zeros and empty strings
set ones \xff\xff
bitpos ones 0
bitpos ones 0 0
bitpos ones 0 0 -1
bitpos ones 0 0 15 bit
bitpos ones 0 3 bit
bitpos ones 1 -1 -1
bitpos empty 0
bitpos empty 1
set zeros \x00\x00
bitpos zeros 1
bitpos zeros 0 1
bitpos zeros 1 0 -1 bit
bitpos num 1
## BITOP AND, OR, XOR and NOT, missing sources
set {k}a abc
set {k}b \x0f\xf0
bitop and {k}d {k}a {k}b
get {k}d
bitop or {k}d {k}a {k}b
get {k}d
bitop xor {k}d {k}a {k}b
get {k}d
bitop not {k}d {k}a
get {k}d
bitop AND {k}d {k}a {k}missing
get {k}d
bitop or {k}d {k}missing {k}missing2
exists {k}d
## BITOP errors and WRONGTYPE sources
bitop not {k}d {k}a {k}b
bitop nand {k}d {k}a
bitop and {k}d
set {k}l x
lpush {k}list a
bitop or {k}d {k}a {k}list
bitop or {k}d {k}list
## BITOP replaces the destination and its TTL
expire {k}d 100
set {k}d x
expire {k}d 100
bitop or {k}d {k}a
ttl {k}d
object encoding {k}d
## BITFIELD GET, SET and INCRBY with OVERFLOW WRAP, SAT and FAIL
bitfield f set u8 0 255
bitfield f get u8 0 get i8 0 get u4 4 get i4 4
bitfield f incrby u8 0 1
bitfield f overflow sat incrby u8 0 10 overflow fail incrby u8 0 1 overflow wrap incrby u8 0 2
get f
bitfield f set i8 #1 -100 get i8 #1 incrby i8 #1 -100
bitfield f overflow sat incrby i8 8 -100 get i8 8
bitfield f overflow fail set i8 8 200 get i8 8
bitfield f overflow sat set i8 8 200 set u8 0 -1 get u8 0
bitfield f overflow wrap set u8 0 -1 set i8 #1 200
## BITFIELD 64-bit and u63 fields
bitfield f set i64 0 -1 get i64 0 get u63 0 get u63 1
bitfield f incrby i64 0 9223372036854775807 incrby i64 0 2
bitfield f overflow sat incrby i64 0 9223372036854775807 incrby i64 0 -9223372036854775808 incrby i64 0 -9223372036854775808
bitfield f set u63 1 9223372036854775807 incrby u63 1 1
bitfield f overflow fail incrby u63 1 1
## BITFIELD type, offset and value errors
bitfield f get u64 0
bitfield f get i65 0
bitfield f get u0 0
bitfield f get x8 0
bitfield f get i 0
bitfield f get u8 -1
bitfield f get u8 #-1
bitfield f get u8 x
bitfield f set u8 0 x
bitfield f incrby u8 0 1.5
bitfield f overflow maybe incrby u8 0 1
bitfield f frob u8 0
bitfield f get u8
bitfield f set u8 0
bitfield f overflow
bitfield f
## BITFIELD on missing keys creates them only by writing
bitfield nokey get u8 0 get i16 100
exists nokey
bitfield nokey2 overflow fail incrby u8 0 300
get nokey2
bitfield nokey3 set u1 17 1
get nokey3
## BITFIELD on a list answers WRONGTYPE; on an integer string it reads the digits
bitfield list get u8 0
bitfield list set u8 0 1
bitfield num get u8 0 get u16 8
## BITFIELD_RO reads and refuses writes
bitfield_ro f get u8 0 get i8 #1
bitfield_ro f set u8 0 1
bitfield_ro f incrby u8 0 1 get u8 0
bitfield_ro f overflow sat
bitfield_ro f
bitfield_ro nokey get u8 0
bitfield_ro list get u8 0
## BITFIELD offsets at the 512 MB limit
bitfield bigoff get u8 4294967288
bitfield bigoff get u8 4294967289
bitfield bigoff get u8 #536870911
bitfield bigoff get u8 #536870912
## bit writes leave a raw string
object encoding b
`;

/** Turn \\xHH escapes in a script argument into bytes (latin1). */
function unescape(cmds: string[][]): string[][] {
  return cmds.map((cmd) => cmd.map((a) => a.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))));
}

/** Seeded random BITFIELD, BITCOUNT and BITPOS calls over one string (the same calls on every run). */
function randomCalls(): string[][] {
  // a seeded generator: the same calls on every run
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const cmds: string[][] = [['del', 'fz'], ['set', 'fz', Buffer.from(Array.from({ length: 24 }, () => rnd(256))).toString('latin1')]];
  const types = ['i1', 'u1', 'i5', 'u7', 'i8', 'u8', 'i13', 'u16', 'i31', 'u32', 'i33', 'u48', 'i63', 'u63', 'i64'];
  const values = ['0', '1', '-1', '127', '-128', '255', '65535', '-65536', '9223372036854775807', '-9223372036854775808', '4294967296', '3'];
  const modes = ['WRAP', 'SAT', 'FAIL'];
  for (let i = 0; i < 400; i++) {
    const cmd = ['BITFIELD', 'fz'];
    for (let k = 0, n = 1 + rnd(3); k < n; k++) {
      if (rnd(4) === 0) cmd.push('OVERFLOW', modes[rnd(3)]!);
      const t = types[rnd(types.length)]!;
      const off = rnd(3) === 0 ? `#${rnd(8)}` : String(rnd(200));
      const op = rnd(3);
      if (op === 0) cmd.push('GET', t, off);
      else cmd.push(op === 1 ? 'SET' : 'INCRBY', t, off, values[rnd(values.length)]!);
    }
    cmds.push(cmd);
    if (i % 10 === 0) cmds.push(['get', 'fz']);
    const a = String(rnd(60) - 30);
    const b = String(rnd(300) - 150);
    const unit = ['', 'BYTE', 'BIT'][rnd(3)]!;
    cmds.push(unit ? ['BITCOUNT', 'fz', a, b, unit] : ['BITCOUNT', 'fz', a, b]);
    const bit = String(rnd(2));
    const form = rnd(4);
    if (form === 0) cmds.push(['BITPOS', 'fz', bit]);
    else if (form === 1) cmds.push(['BITPOS', 'fz', bit, a]);
    else if (form === 2) cmds.push(['BITPOS', 'fz', bit, a, b]);
    else cmds.push(['BITPOS', 'fz', bit, a, b, unit || 'BIT']);
  }
  cmds.push(['get', 'fz']);
  return cmds;
}

describe.each([1, 4])('bitmaps with %i shard(s)', (shards) => {
  const s = useServers({ shards, redis: true });

  describeCorpus('bitmaps', corpus(SCRIPT, unescape), s);

  describeCorpus('bitmaps-random', [{ name: 'random BITFIELD, BITCOUNT and BITPOS calls reply and write as redis-server', cmds: randomCalls() }], s, [2]);

  it('bit writes and string writes see the same bytes (binary safe)', async () => {
    const k = `bin${shards}`;
    await s.io.set(k, Buffer.from([0x00, 0x80, 0xff, 0x7f]));
    expect(await s.io.getbit(k, 8)).toBe(1);
    expect(await s.io.setbit(k, 0, 1)).toBe(0);
    expect(await s.io.getBuffer(k)).toEqual(Buffer.from([0x80, 0x80, 0xff, 0x7f]));
    await s.io.setrange(k, 1, Buffer.from([0x01]));
    expect(await s.io.bitpos(k, 1, 1)).toBe(15);
    await s.io.append(k, Buffer.from([0xaa]));
    expect(await s.io.bitcount(k)).toBe(1 + 1 + 8 + 7 + 4);
    expect(await s.io.call('BITFIELD', k, 'GET', 'u8', '#4')).toEqual([0xaa]);
  });

  it('BITFIELD SET/INCRBY and SETBIT on a missing key create it zero-padded', async () => {
    const k = `pad${shards}`;
    expect(await s.io.call('BITFIELD', k, 'SET', 'u4', 20, 15)).toEqual([0]);
    expect(await s.io.getBuffer(k)).toEqual(Buffer.from([0, 0, 0x0f]));
    expect(await s.io.setbit(`${k}b`, 23, 1)).toBe(0);
    expect(await s.io.getBuffer(`${k}b`)).toEqual(Buffer.from([0, 0, 1]));
  });
});

describe('bitmaps across 4 shards', () => {
  const s = useServers({ shards: 4 });

  it('BITOP with destination and sources on different shards', async () => {
    expectDistinctShards(['alpha', 'beta', 'delta'], 4);
    await s.io.set('alpha', Buffer.from([0xf0, 0x0f]));
    await s.io.set('beta', Buffer.from([0x3c]));
    await s.io.set('gamma', Buffer.from([0xff, 0xff, 0x01]));
    expect(await s.io.bitop('AND', 'delta', 'alpha', 'beta', 'gamma')).toBe(3);
    expect(await s.io.getBuffer('delta')).toEqual(Buffer.from([0x30, 0x00, 0x00]));
    expect(await s.io.bitop('OR', 'epsilon', 'alpha', 'beta')).toBe(2);
    expect(await s.io.getBuffer('epsilon')).toEqual(Buffer.from([0xfc, 0x0f]));
    expect(await s.io.bitop('XOR', 'alpha', 'alpha', 'gamma')).toBe(3);
    expect(await s.io.getBuffer('alpha')).toEqual(Buffer.from([0x0f, 0xf0, 0x01]));
    expect(await s.io.bitop('NOT', 'beta', 'gamma')).toBe(3);
    expect(await s.io.getBuffer('beta')).toEqual(Buffer.from([0x00, 0x00, 0xfe]));
    expect(await s.io.bitop('OR', 'gamma', 'nothing', 'nothing2')).toBe(0);
    expect(await s.io.exists('gamma')).toBe(0);
    await s.io.lpush('lst', 'x');
    await expect(s.io.bitop('OR', 'delta', 'alpha', 'lst')).rejects.toThrow(/WRONGTYPE/);
    expect(await s.io.getBuffer('delta')).toEqual(Buffer.from([0x30, 0x00, 0x00]));
  });
});
