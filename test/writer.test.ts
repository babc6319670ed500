/*
 * RespWriter unit tests: integer headers written digit by digit (every length boundary, the switch to
 * String() past 2^30, negatives, 64-bit wrap) and strings copied by the short-string loop or by
 * latin1Write, every byte value round-tripping.
 */

import { describe, expect, it } from 'vitest';
import { RespWriter } from './helpers/src.js';

const out = (f: (w: RespWriter) => void, proto: 2 | 3 = 2): string => {
  const w = new RespWriter(8);
  w.proto = proto;
  f(w);
  return w.buf.subarray(0, w.len).toString('latin1');
};

describe('RespWriter', () => {
  it('writes integers exactly as their decimal form', () => {
    const cases = [0, 5, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 123456789, 2 ** 30 - 1, 2 ** 30, 2 ** 31, 2 ** 53 - 1, -1, -10, -(2 ** 40)];
    for (const n of cases) {
      expect(out((w) => w.int(n))).toBe(`:${n}\r\n`);
      expect(out((w) => w.array(Math.abs(n)))).toBe(`*${Math.abs(n)}\r\n`);
    }
  });

  it('bulk strings of every length around the short-string limit keep every byte', () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    for (const len of [0, 1, 47, 48, 49, 100, 256, 1000]) {
      const s = (all + all + all + all).slice(0, len);
      const b = out((w) => w.bulk(s));
      expect(b).toBe(`$${len}\r\n${s}\r\n`);
    }
  });

  it('grows its buffer as replies need', () => {
    const long = 'x'.repeat(100_000);
    expect(out((w) => {
      w.simple('OK');
      w.bulk(long);
      w.error('ERR e');
    })).toBe(`+OK\r\n$100000\r\n${long}\r\n-ERR e\r\n`);
  });

  it('RESP3 forms and their RESP2 fallbacks', () => {
    expect(out((w) => w.nullBulk(), 3)).toBe('_\r\n');
    expect(out((w) => w.nullBulk(), 2)).toBe('$-1\r\n');
    expect(out((w) => w.bool(true), 3)).toBe('#t\r\n');
    expect(out((w) => w.bool(false), 2)).toBe(':0\r\n');
    expect(out((w) => w.double(1.5), 3)).toBe(',1.5\r\n');
    expect(out((w) => w.double(1.5), 2)).toBe('$3\r\n1.5\r\n');
    expect(out((w) => w.verbatim('hi'), 3)).toBe('=6\r\ntxt:hi\r\n');
    expect(out((w) => w.map(2), 2)).toBe('*4\r\n');
  });
});
