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

describe('bugs found by the fuzzer', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 2 });
  });
  afterAll(async () => {
    await srv?.kill();
  });

  it('SWAPDB reads both indexes as ints before range-checking either (invalid first/second DB index, as Redis)', async () => {
    const c = await RawClient.connect(srv.port);
    try {
      for (const [cmd, want] of SWAPDB_GOLDEN) {
        c.send(...cmd);
        expect([cmd.join(' '), await c.readRaw()]).toEqual([cmd.join(' '), want]);
      }
    } finally {
      c.close();
    }
  });

  describe.skipIf(!haveBinaries('redis-server'))('against a live redis-server', () => {
    let ref: Proc;
    beforeAll(async () => {
      ref = await startRedis();
    });
    afterAll(async () => {
      await ref?.kill();
    });
    it('SWAPDB replies equal redis-server for every golden case', async () => {
      const mm = await diffReplies(ref.port, srv.port, 2, SWAPDB_GOLDEN.map(([cmd]) => cmd));
      expect(mm, showMismatches(mm)).toEqual([]);
    });
  });
});
