/*
 * Regressions for bugs the RESP fuzzer's differential mode found (test/fuzz/) and that were fixed on
 * the fuzz branch: each reply is compared with golden replies recorded from redis-server 7.0.15, and
 * with a live redis-server when one is installed.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { diffReplies, showMismatches } from './helpers/diff.js';
import { RawClient } from './helpers/raw.js';

/** SWAPDB's two indexes, as redis-server 7.0.15 answers them (recorded 2026-11-28). */
const SWAPDB_GOLDEN: [string[], string][] = [
  [['SWAPDB', '-9223372036854775809', '-1000'], '-ERR invalid first DB index\r\n'],
  [['SWAPDB', '65536', 'abc'], '-ERR invalid second DB index\r\n'],
  [['SWAPDB', '0', 'abc'], '-ERR invalid second DB index\r\n'],
  [['SWAPDB', '99', '0'], '-ERR DB index is out of range\r\n'],
  [['SWAPDB', '2147483648', '0'], '-ERR invalid first DB index\r\n'],
  [['SWAPDB', '-0', '1'], '-ERR invalid first DB index\r\n'],
  [['SWAPDB', '+1', '0'], '-ERR invalid first DB index\r\n'],
  [['SWAPDB', '0', '99'], '-ERR DB index is out of range\r\n'],
  [['SWAPDB', '-1', '0'], '-ERR DB index is out of range\r\n'],
  [['SWAPDB', '0', '1'], '+OK\r\n'],
];

/** Expire times Redis accepts up to the 64-bit limit (recorded from redis-server 7.0.15, 2026-11-28). */
const FAR_EXPIRY_GOLDEN: [string[], string][] = [
  [['SET', 'k', 'v', 'EXAT', '253402300799000'], '+OK\r\n'],
  [['EXISTS', 'k'], ':1\r\n'],
  [['SET', 'k', 'v', 'PXAT', '253402300799000000'], '+OK\r\n'],
  [['SET', 'k', 'v', 'EX', '253402300799000'], '+OK\r\n'],
  [['SET', 'k', 'v', 'EXAT', '9223372036854775'], '+OK\r\n'],
  [['SET', 'k', 'v', 'EXAT', '9223372036854776'], "-ERR invalid expire time in 'set' command\r\n"],
  [['SET', 'k', 'v', 'PX', '9223372036854775807'], "-ERR invalid expire time in 'set' command\r\n"],
  [['SET', 'k', 'v', 'EX', '9223372036854775'], "-ERR invalid expire time in 'set' command\r\n"],
  [['SET', 'k', 'v', 'EX', '0'], "-ERR invalid expire time in 'set' command\r\n"],
  [['SET', 'k', 'v', 'EX', '-1'], "-ERR invalid expire time in 'set' command\r\n"],
  [['SET', 'k', 'v', 'EX', 'abc'], '-ERR value is not an integer or out of range\r\n'],
  [['SET', 'k', 'v', 'PX', '9223372036854775808'], '-ERR value is not an integer or out of range\r\n'],
  [['SETEX', 'k', '253402300799000', 'v'], '+OK\r\n'],
  [['SETEX', 'k', '9223372036854775', 'v'], "-ERR invalid expire time in 'setex' command\r\n"],
  [['PSETEX', 'k', '9223372036854775807', 'v'], "-ERR invalid expire time in 'psetex' command\r\n"],
  [['PSETEX', 'k', '9223372036854000000', 'v'], "-ERR invalid expire time in 'psetex' command\r\n"],
  [['GETEX', 'k', 'EXAT', '253402300799000'], '$1\r\nv\r\n'],
  [['GETEX', 'k', 'PX', '9223372036854775807'], "-ERR invalid expire time in 'getex' command\r\n"],
  [['EXISTS', 'k'], ':1\r\n'],
  [['SET', 'k', 'v', 'XX', 'EXAT', '253402300799000', 'GET'], '$1\r\nv\r\n'],
];

/** COPY checks a DB index as it reads it, before later arguments (redis-server 7.0.15, 2026-11-28). */
const COPY_DB_GOLDEN: [string[], string][] = [
  [['SET', '{t2}d', 'v'], '+OK\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '-1', 'f3'], '-ERR DB index is out of range\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '99', 'REPLACE'], '-ERR DB index is out of range\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '16', 'bogus'], '-ERR DB index is out of range\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '0', 'bogus'], '-ERR syntax error\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', 'x', 'bogus'], '-ERR value is not an integer or out of range\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'bogus', 'DB', '99'], '-ERR syntax error\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '1', 'DB', '99'], '-ERR DB index is out of range\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '99', 'DB', '1'], '-ERR DB index is out of range\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB', '1'], ':1\r\n'],
  [['COPY', '{t2}d', '{t2}c', 'DB'], '-ERR syntax error\r\n'],
];

describe('bugs found by the fuzzer', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 2 });
  });
  afterAll(async () => {
    await srv?.kill();
  });

  async function expectGolden(golden: [string[], string][]): Promise<void> {
    const c = await RawClient.connect(srv.port);
    try {
      for (const [cmd, want] of golden) {
        c.send(...cmd);
        expect([cmd.join(' '), await c.readRaw()]).toEqual([cmd.join(' '), want]);
      }
    } finally {
      c.close();
    }
  }

  it('SWAPDB reads both indexes as ints before range-checking either (invalid first/second DB index, as Redis)', async () => {
    await expectGolden(SWAPDB_GOLDEN);
  });

  it('COPY checks the DB index as it reads it, before a later bad argument (DB index is out of range, as Redis)', async () => {
    await expectGolden(COPY_DB_GOLDEN);
  });

  it('SET/SETEX/PSETEX/GETEX accept expire times past 2^53 ms up to the 64-bit limit, as Redis (the key is kept)', async () => {
    await expectGolden(FAR_EXPIRY_GOLDEN);
  });

  describe.skipIf(!haveBinaries('redis-server'))('against a live redis-server', () => {
    let ref: Proc;
    beforeAll(async () => {
      ref = await startRedis();
    });
    afterAll(async () => {
      await ref?.kill();
    });
    it.each([
      ['SWAPDB', SWAPDB_GOLDEN],
      ['far expire times', FAR_EXPIRY_GOLDEN],
      ['COPY DB', COPY_DB_GOLDEN],
    ] as const)('%s: replies equal redis-server for every golden case', async (_name, golden) => {
      const mm = await diffReplies(ref.port, srv.port, 2, golden.map(([cmd]) => [...cmd]));
      expect(mm, showMismatches(mm)).toEqual([]);
    });
  });
});
