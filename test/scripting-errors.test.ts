/*
 * Errors of the scripting commands, byte for byte against redis-server 7.0.15 (recorded in
 * test/golden/script-*.json, so the comparison also runs without redis-server; re-record with
 * redis-server installed and GOLDEN_UPDATE=1): which check answers first when several fail
 * (EVALSHA's NOSCRIPT and FCALL's "Function not found" against numkeys), Lua syntax errors worded
 * as Lua 5.1 words them, and FUNCTION FLUSH / RESTORE / LIST and SCRIPT FLUSH with extra or
 * wrong arguments. Differences found by the differential fuzzer.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { showMismatches } from './helpers/diff.js';
import { diffWithGolden } from './helpers/golden.js';

const NOSUCH = 'f'.repeat(40);
const LIB = "#!lua name=errlib\nredis.register_function('f1', function(keys, args) return #keys end)";

const NUMKEYS: string[][] = [
  ['evalsha', NOSUCH, '5', 'a'],
  ['evalsha', NOSUCH, '-1', 'a'],
  ['evalsha', NOSUCH, 'x', 'a'],
  ['evalsha', 'abc', '5'],
  ['evalsha', 'abc', '-1'],
  ['evalsha', 'abc', 'x'],
  ['evalsha_ro', NOSUCH, '2', 'a'],
  ['evalsha_ro', 'abc', '2', 'a'],
  ['eval', 'return 1', '5', 'a'],
  ['eval', 'return 1', '-1'],
  ['eval', 'return +', '5'],
  ['fcall', 'nosuch', '5', 'a'],
  ['fcall', 'nosuch', '-1'],
  ['fcall', 'nosuch', 'x'],
  ['fcall_ro', 'nosuch', '3'],
  ['function', 'load', LIB],
  ['fcall', 'f1', '5', 'a'],
  ['fcall', 'f1', '-1'],
  ['fcall', 'f1', 'x'],
  ['fcall', 'f1', '1.5', 'a'],
  ['fcall_ro', 'f1', '3'],
  ['fcall', 'f1', '1', 'a'],
];

const SYNTAX: string[][] = [
  'return 1 +',
  "return 'abc",
  'if true then',
  'local function f() return end end',
  'return (1',
  'return 1 1',
  'local t = {1,2',
  'local 1 = 2',
  'return [[abc',
  '--[[ unfinished',
  'x =',
  'x = = 1',
  'for i=1 do end',
  'while true do',
  'repeat x = 1',
  'function (a) end',
  'return 12abc',
].map((body) => ['eval', body, '0']);

const FUNCTION_ARGS: string[][] = [
  ['function', 'flush', 'x'],
  ['function', 'flush', 'async', 'x'],
  ['function', 'flush', 'async', 'sync'],
  ['function', 'flush', 'sync'],
  ['function', 'restore'],
  ['function', 'restore', 'abc'],
  ['function', 'restore', 'abc', 'x'],
  ['function', 'restore', 'abc', 'flush', 'x'],
  ['function', 'restore', 'abc', 'replace', 'extra'],
  ['function', 'list', 'withcode', 'withcode'],
  ['function', 'list', 'libraryname', 'a', 'libraryname', 'b'],
  ['function', 'list', 'libraryname'],
  ['function', 'list', 'bogus'],
  ['script', 'flush', 'x'],
  ['script', 'flush', 'x', 'y'],
  ['script', 'flush', 'async', 'sync'],
];

const haveRedis = haveBinaries('redis-server');

describe('scripting errors as redis-server words and orders them', () => {
  let srv: Proc;
  let ref: Proc | undefined;

  beforeAll(async () => {
    srv = await startShardis({ shards: 2 });
    if (haveRedis) ref = await startRedis();
  });

  afterAll(async () => {
    await srv?.stop();
    await ref?.stop();
  });

  const check = async (name: string, cmds: string[][]): Promise<void> => {
    const mm = await diffWithGolden(name, ref?.port, srv.port, 2, [['function', 'flush'], ['script', 'flush'], ...cmds]);
    expect(mm, showMismatches(mm)).toEqual([]);
  };

  it('EVALSHA answers NOSCRIPT for a sha1 of the wrong length before numkeys, numkeys before the lookup; FCALL the function before numkeys', async () => {
    await check('script-numkeys', NUMKEYS);
  });

  it('Lua syntax errors are worded as Lua 5.1 words them (quoted tokens, no start line of a long string)', async () => {
    await check('script-syntax', SYNTAX);
  });

  it('FUNCTION FLUSH, FUNCTION RESTORE, FUNCTION LIST and SCRIPT FLUSH with extra or wrong arguments answer redis-server\'s errors', async () => {
    await check('script-function-args', FUNCTION_ARGS);
  });
});
