/*
 * Unit tests of the request framer (src/resp/framer.ts): every request split at every byte boundary
 * frames identically; inline commands; malformed input gives Redis's protocol errors.
 */

import { describe, expect, it } from 'vitest';
import { FRAME_EMPTY, FRAME_ERROR, FRAME_NEED_MORE, FRAME_OK, RequestFramer } from './helpers/src.js';

type Out = string[] | { error: string };

/** Feed `chunks` as a connection does (unparsed bytes kept, new bytes appended) and collect requests. */
function frameAll(chunks: Buffer[], maxBulk = 512 * 1024 * 1024): Out[] {
  const f = new RequestFramer(maxBulk);
  const out: Out[] = [];
  let pending = Buffer.alloc(0);
  for (const chunk of chunks) {
    pending = Buffer.concat([pending, chunk]);
    let start = 0;
    for (;;) {
      const r = f.frame(pending, start, pending.length);
      if (r === FRAME_NEED_MORE) break;
      if (r === FRAME_ERROR) {
        out.push({ error: f.error });
        return out;
      }
      if (r === FRAME_OK) {
        const argv: string[] = [];
        for (let i = 0; i < f.argc; i++) {
          argv.push(f.inline && f.inlineArgs ? f.inlineArgs[i]! : pending.subarray(f.argStart[i]!, f.argStart[i]! + f.argLen[i]!).toString('latin1'));
        }
        out.push(argv);
      } else expect(r).toBe(FRAME_EMPTY);
      start = f.end;
    }
    pending = pending.subarray(start);
  }
  return out;
}

const enc = (...a: string[]): string => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x, 'latin1')}\r\n${x}\r\n`).join('');

const STREAM = Buffer.from(
  enc('SET', 'key', 'value') +
    enc('GET', 'key') +
    '*0\r\n' +
    enc('MSET', 'a', '', 'b', 'x\r\ny') +
    'PING\r\n' +
    'set "quoted key" \'single\' "esc\\x41\\n"\r\n' +
    '\r\n' +
    'ECHO  spaced   out\n' +
    enc('ECHO', 'z'.repeat(300)),
  'latin1',
);

const EXPECTED = [
  ['SET', 'key', 'value'],
  ['GET', 'key'],
  ['MSET', 'a', '', 'b', 'x\r\ny'],
  ['PING'],
  ['set', 'quoted key', 'single', 'escA\n'],
  ['ECHO', 'spaced', 'out'],
  ['ECHO', 'z'.repeat(300)],
];

describe('RequestFramer', () => {
  it('frames a pipeline of multibulk, empty and inline requests', () => {
    expect(frameAll([STREAM])).toEqual(EXPECTED);
  });

  it('frames identically when the input is split at every byte boundary', () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(frameAll([STREAM.subarray(0, cut), STREAM.subarray(cut)]), `cut at ${cut}`).toEqual(EXPECTED);
    }
  });

  it('frames identically when fed one byte at a time', () => {
    const chunks = Array.from({ length: STREAM.length }, (_, i) => STREAM.subarray(i, i + 1));
    expect(frameAll(chunks)).toEqual(EXPECTED);
  });

  it.each([
    ['*1\r\n+PING\r\n', "Protocol error: expected '$', got '+'"],
    ['*x\r\n', 'Protocol error: invalid multibulk length'],
    ['*2147483648\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\r\n$x\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$-1\r\n', 'Protocol error: invalid bulk length'],
    ['set "a\r\n', 'Protocol error: unbalanced quotes in request'],
    ['set "a"b\r\n', 'Protocol error: unbalanced quotes in request'],
  ])('malformed %j -> %s', (input, msg) => {
    const out = frameAll([Buffer.from(input, 'latin1')]);
    expect(out).toEqual([{ error: `ERR ${msg}` }]);
  });

  it('a multibulk count <= 0 is an empty request over the whole int64 range, as redis-server skips it (beyond 2^53 too)', () => {
    for (const n of ['0', '-1', '-9007199254740991', '-9007199254740993', '-9223372036854775808']) {
      expect(frameAll([Buffer.from(`*${n}\r\n` + enc('PING'))]), n).toEqual([['PING']]);
    }
    for (const n of ['-0', '-9223372036854775809', '9007199254740993', '00']) {
      expect(frameAll([Buffer.from(`*${n}\r\n` + enc('PING'))]), n).toEqual([{ error: 'ERR Protocol error: invalid multibulk length' }]);
    }
  });

  it('refuses a bulk over the max bulk length and a too long inline line', () => {
    expect(frameAll([Buffer.from('*1\r\n$2000\r\n')], 1000)).toEqual([{ error: 'ERR Protocol error: invalid bulk length' }]);
    expect(frameAll([Buffer.alloc(70 * 1024, 97)])).toEqual([{ error: 'ERR Protocol error: too big inline request' }]);
    expect(frameAll([Buffer.from('*1\r\n' + '$'.padEnd(70 * 1024, '1'))])).toEqual([{ error: 'ERR Protocol error: too big bulk count string' }]);
    expect(frameAll([Buffer.from('*'.padEnd(70 * 1024, '1'))])).toEqual([{ error: 'ERR Protocol error: too big mbulk count string' }]);
  });

  it('binary-safe bulks with CR LF and high bytes', () => {
    const v = Buffer.from([0, 13, 10, 255, 128, 42]).toString('latin1');
    expect(frameAll([Buffer.from(enc('SET', 'k', v), 'latin1')])).toEqual([['SET', 'k', v]]);
  });
});
