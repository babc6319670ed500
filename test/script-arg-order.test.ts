/*
 * EVALSHA / FCALL check their arguments in redis-server 7.0's order (found by the differential
 * fuzzer, seed 202611): EVALSHA answers NOSCRIPT for a SHA1 that is not 40 characters before it reads
 * numkeys (a 40-character unknown one gets the numkeys errors first); FCALL looks the function up
 * first ("Function not found"), then reads numkeys ("Bad number of keys provided" when not a number).
 * Replies compared with redis-server 7.0.15 (golden: test/golden/script-arg-order.resp2.json).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { showMismatches } from './helpers/diff.js';
import { diffWithGolden } from './helpers/golden.js';

const SHA40 = 'a'.repeat(40);
const LIB = "#!lua name=argorder\nredis.register_function('f', function(keys, args) return #keys end)";
const cmds: string[][] = [
  ['FUNCTION', 'FLUSH'],
  ['EVALSHA', 'abc', '5'],
  ['EVALSHA', 'abc', '-1'],
  ['EVALSHA', 'abc', 'x'],
  ['EVALSHA_RO', 'abc', '9'],
  ['EVALSHA', SHA40, '5'],
  ['EVALSHA', SHA40, '-1'],
  ['EVALSHA', SHA40, 'x'],
  ['EVALSHA', SHA40, '0'],
  ['EVALSHA_RO', SHA40, '3', 'k'],
  ['FCALL', 'nosuch', '5'],
  ['FCALL', 'nosuch', '-1'],
  ['FCALL', 'nosuch', 'x'],
  ['FCALL_RO', 'nosuch', '9'],
  ['FUNCTION', 'LOAD', LIB],
  ['FCALL', 'f', 'x'],
  ['FCALL', 'f', '5'],
  ['FCALL', 'f', '-1'],
  ['FCALL', 'f', '1', 'k'],
  ['FUNCTION', 'FLUSH'],
];

describe('EVALSHA and FCALL argument checks', () => {
  const s = useServers({ shards: 2, redis: true });

  it('EVALSHA with a SHA1 of the wrong length answers NOSCRIPT before numkeys errors; FCALL of an unknown function answers "Function not found" first, as redis-server 7.0', async () => {
    const mm = await diffWithGolden('script-arg-order', s.ref?.port, s.srv.port, 2, cmds);
    expect(mm, showMismatches(mm)).toEqual([]);
  });
});
