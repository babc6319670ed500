/*
 * ACL GENPASS's bit count is read as redis-server 7.0 reads a long (found by the differential fuzzer,
 * seed 202611): "-0" is not an integer; any int64, however large, is one, and then out of range gets
 * GENPASS's own error. Replies compared with redis-server 7.0.15 (golden: acl-genpass-args.resp2.json).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { showMismatches } from './helpers/diff.js';
import { diffWithGolden } from './helpers/golden.js';

const BITS = ['-0', '-4611686018427387904', '-9223372036854775808', '9223372036854775807', '9223372036854775808', '0', '-1', '4097', '01', '+5', 'abc', ''];
const cmds = BITS.map((b) => ['ACL', 'GENPASS', b]);

describe('ACL GENPASS bit count', () => {
  const s = useServers({ redis: true });

  it('ACL GENPASS -0 is "not an integer" and a huge negative int64 is the GENPASS range error, as redis-server 7.0', async () => {
    const mm = await diffWithGolden('acl-genpass-args', s.ref?.port, s.srv.port, 2, cmds);
    expect(mm, showMismatches(mm)).toEqual([]);
  });
});
