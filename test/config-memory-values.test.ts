/*
 * Memory-valued options (CONFIG SET maxmemory, client-query-buffer-limit, ...) read as redis-server
 * 7.0's memtoull reads them: as a C string, so a value ends at its first NUL byte ("1\0x" is 1,
 * "2mb\0" is 2 MB, "\0x" and "" are 0). Replies compared byte for byte with redis-server 7.0.15
 * (recorded in test/golden/config-memory-nul.resp2.json; GOLDEN_UPDATE=1 re-records them).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { showMismatches } from './helpers/diff.js';
import { diffWithGolden } from './helpers/golden.js';

const MAXMEMORY = ['1\0x', '1k\0x', '\0x', '\0', '', '1\0', '2mb\0', '100\0\0', '1g\0b', 'k', '0x10', '1 ', '-1\0', ' 1\0', '3\0-', '5\0%'];
const OTHERS: [string, string][] = [
  ['client-query-buffer-limit', '2m\0x'],
  ['client-query-buffer-limit', '1\0'],
  ['proto-max-bulk-len', '2m\0x'],
  ['repl-backlog-size', '2mb\0junk'],
  ['maxmemory-clients', '1\0'],
  ['maxmemory-clients', '5%\0'],
];

const cmds: string[][] = [];
for (const v of MAXMEMORY) cmds.push(['CONFIG', 'SET', 'maxmemory', v], ['CONFIG', 'GET', 'maxmemory']);
cmds.push(['CONFIG', 'SET', 'maxmemory', '0']);
for (const [o, v] of OTHERS) cmds.push(['CONFIG', 'SET', o, v], ['CONFIG', 'GET', o]);

describe('memory values with a NUL byte', () => {
  const s = useServers({ redis: true });

  it('CONFIG SET maxmemory "1\\0x" (and other memory values with a NUL inside) answers and sets as redis-server 7.0', async () => {
    const mm = await diffWithGolden('config-memory-nul', s.ref?.port, s.srv.port, 2, cmds);
    expect(mm, showMismatches(mm)).toEqual([]);
  });
});
