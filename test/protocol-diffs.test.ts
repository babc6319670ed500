/*
 * Small protocol and error differences found by differential fuzzing (issue #20 part 7), each pinned
 * byte for byte: "-0" lengths, inline splitting (\v, \f, NUL), SELECT's number errors, EXPIRE's
 * option check order, EXEC refused before it runs (EXECABORT), HELLO's NOAUTH text, CR/LF in error
 * texts. Golden replies were recorded from redis-server 7.0.15; they are replayed against it when it
 * is installed.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { pipelineThenFin, type Request } from './helpers/pipeline.js';

interface Case {
  name: string;
  reqs: Request[];
  golden: string;
}

const OPEN: Case[] = [
  { name: '*-0 is a protocol error that closes the connection', reqs: [{ raw: '*-0\r\nPING\r\n' }], golden: '-ERR Protocol error: invalid multibulk length\r\n' },
  { name: '$-0 is a protocol error that closes the connection', reqs: [{ raw: '*1\r\n$-0\r\nPING\r\n' }], golden: '-ERR Protocol error: invalid bulk length\r\n' },
  {
    name: 'SELECT: not a long long, not an int, then not a database',
    reqs: [['SELECT', '99999999999999999999'], ['SELECT', '2147483648'], ['SELECT', '-2147483649'], ['SELECT', '9223372036854775807'], ['SELECT', '-1'], ['SELECT', '1.5'], ['SELECT', '01'], ['SELECT', '15']],
    golden:
      '-ERR value is not an integer or out of range\r\n' +
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n' +
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n' +
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n' +
      '-ERR DB index is out of range\r\n' +
      '-ERR value is not an integer or out of range\r\n' +
      '-ERR value is not an integer or out of range\r\n' +
      '+OK\r\n',
  },
  {
    name: "EXPIRE checks its options before its number",
    reqs: [['EXPIRE', 'k', 'abc', 'FOO'], ['EXPIRE', 'k', 'abc', 'NX'], ['PEXPIRE', 'k', 'abc', 'NX', 'XX'], ['EXPIREAT', 'k', 'abc', 'GT', 'LT'], ['EXPIRE', 'k', '10', 'FOO']],
    golden:
      '-ERR Unsupported option FOO\r\n' +
      '-ERR value is not an integer or out of range\r\n' +
      '-ERR NX and XX, GT or LT options at the same time are not compatible\r\n' +
      '-ERR GT and LT options at the same time are not compatible\r\n' +
      '-ERR Unsupported option FOO\r\n',
  },
  {
    name: 'inline \\v and \\f do not split an argument (but are skipped before one)',
    reqs: [{ raw: 'ECHO a\vb\r\nECHO a\fb\r\nECHO \v\fab \v\r\nECHO "a"\vb\r\nECHO "a"\v\r\n' }],
    golden: '$3\r\na\vb\r\n$3\r\na\fb\r\n$2\r\nab\r\n-ERR wrong number of arguments for \'echo\' command\r\n$1\r\na\r\n',
  },
  { name: 'a NUL hides the end of an inline line', reqs: [{ raw: 'PING\r\nECHO a\0 b\r\nPING\r\n' }], golden: '+PONG\r\n' },
  {
    name: 'EXEC refused before it runs answers EXECABORT, in MULTI or not',
    reqs: [['EXEC', 'x'], ['EXEC'], ['MULTI'], ['EXEC', 'y'], ['EXEC'], ['SUBSCRIBE', 'ch'], ['EXEC']],
    golden:
      "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n" +
      '-ERR EXEC without MULTI\r\n' +
      '+OK\r\n' +
      "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n" +
      '-ERR EXEC without MULTI\r\n' +
      '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n' +
      "-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
  },
  {
    name: 'CR and LF are trimmed from the ends of an error text and become spaces inside',
    reqs: [['SET', 'k', 'v'], ['EXPIRE', 'k', '10', 'FOO\r\n'], ['EXPIRE', 'k', '10', '\nF\rOO\n'], ['FOO\n', 'a\r\nb']],
    golden: "+OK\r\n-ERR Unsupported option FOO\r\n-ERR Unsupported option  F OO\r\n-ERR unknown command 'FOO ', with args beginning with: 'a  b' \r\n",
  },
  {
    name: 'CR and LF in the error of a command run by EXEC are cleaned the same way',
    reqs: [['MULTI'], ['CLIENT', 'KILL', 'TYPE', 'a\r\nb'], ['EXPIRE', 'k', '1', 'X\n'], ['SELECT', '2147483648'], ['EXEC']],
    golden:
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n' +
      "-ERR Unknown client type 'a  b'\r\n" +
      '-ERR Unsupported option X\r\n' +
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n',
  },
  {
    name: 'MOVE and COPY DB: a database index outside 32 bits is out of an int range, not "not an integer"',
    reqs: [
      ['MOVE', 'k', '-4611686018427387904'], ['MOVE', 'k', '4611686018427387904'], ['MOVE', 'k', '2147483648'], ['MOVE', 'k', '-2147483649'],
      ['MOVE', 'k', '99999999999999999999'], ['MOVE', 'k', '1.5'], ['MOVE', 'k', '-1'], ['MOVE', 'k', '16'],
      ['COPY', '{c}a', '{c}b', 'DB', '-4611686018427387904'], ['COPY', '{c}a', '{c}b', 'DB', '2147483648', 'REPLACE'],
      ['COPY', '{c}a', '{c}b', 'DB', '99999999999999999999'], ['COPY', '{c}a', '{c}b', 'DB', '-2147483648'],
    ],
    golden:
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n'.repeat(4) +
      '-ERR value is not an integer or out of range\r\n'.repeat(2) +
      '-ERR DB index is out of range\r\n'.repeat(2) +
      '-ERR value is out of range, value must between -2147483648 and 2147483647\r\n'.repeat(2) +
      '-ERR value is not an integer or out of range\r\n' +
      '-ERR DB index is out of range\r\n',
  },
  {
    name: 'a NUL cuts an argument quoted in an error text, as C %s does',
    reqs: [
      ['FOO', 'HH\0S'], ['FO\0O', 'x', 'y\0'], ['CONFIG', 'FO\0O'], ['CONFIG', 'SET', 'fo\0o', '1'], ['LATENCY', 'GRAPH', 'ev\0x'],
      ['XADD', '{s}s', '1-1', 'a', 'b'], ['XINFO', 'CONSUMERS', '{s}s', 'g\0x'], ['XREADGROUP', 'GROUP', 'g\0x', 'c', 'STREAMS', '{s}s', '>'],
      ['XGROUP', 'CREATE', '{s}s', 'g', '$'], ['XCLAIM', '{s}s', 'g', 'c', '0', '1-1', 'FO\0O'],
      ['CLIENT', 'KILL', 'TYPE', 'a\0b'], ['CLIENT', 'LIST', 'TYPE', 'n\0ormal'], ['HELLO', '3', 'FOO\0x'], ['CLIENT', 'KILL', 'USER', 'u\0x'],
    ],
    golden:
      "-ERR unknown command 'FOO', with args beginning with: 'HH' \r\n" +
      "-ERR unknown command 'FO', with args beginning with: 'x' 'y' \r\n" +
      "-ERR unknown subcommand 'FO'. Try CONFIG HELP.\r\n" +
      "-ERR Unknown option or number of arguments for CONFIG SET - 'fo'\r\n" +
      "-ERR No samples available for event 'ev'\r\n" +
      '$3\r\n1-1\r\n' +
      "-NOGROUP No such consumer group 'g' for key name '{s}s'\r\n" +
      "-NOGROUP No such key '{s}s' or consumer group 'g' in XREADGROUP with GROUP option\r\n" +
      '+OK\r\n' +
      "-ERR Unrecognized XCLAIM option 'FO'\r\n" +
      "-ERR Unknown client type 'a'\r\n" +
      "-ERR Unknown client type 'n'\r\n" +
      "-ERR Syntax error in HELLO option 'FOO'\r\n" +
      "-ERR No such user 'u'\r\n",
  },
  { name: 'a NUL in a multibulk count line hides its CR: the request never completes', reqs: [{ raw: '*1\0\r\n$4\r\nPING\r\nPING\r\n' }], golden: '' },
  { name: 'a NUL in a bulk length line hides its CR: the request never completes', reqs: [{ raw: 'PING\r\n*1\r\n$4\0\r\nPING\r\nPING\r\n' }], golden: '+PONG\r\n' },
  {
    name: 'LPOS RANK -9223372036854775808 answers as RANK -1 (Redis negates it in a long long)',
    reqs: [
      ['RPUSH', 'l', 'a', 'b', 'a', 'c'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'COUNT', '0'],
      ['LPOS', 'l', 'a', 'RANK', '-9223372036854775807'], ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'MAXLEN', '1'],
    ],
    golden: ':4\r\n:2\r\n*2\r\n:2\r\n:0\r\n$-1\r\n$-1\r\n',
  },
  {
    name: 'MEMORY USAGE SAMPLES takes any long long: a negative one (even LLONG_MIN) is a syntax error',
    reqs: [
      ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '-9223372036854775808'], ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '9223372036854775807'], ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '01'],
      ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '9223372036854775808'],
    ],
    golden: '-ERR syntax error\r\n-ERR syntax error\r\n$-1\r\n' + '-ERR value is not an integer or out of range\r\n'.repeat(2),
  },
  {
    name: 'an option word ends at a NUL, as strcasecmp reads it ("NX\\0junk" is NX), multibulk or inline',
    reqs: [
      ['SET', 'k', 'v', 'NX\0junk'], ['SET', 'k', 'w', 'n\0'], ['SET', 'k', 'w', 'XX\0', 'GET\0'], ['GET', 'k'],
      ['EXPIRE', 'k', '10', 'F\0OO'], ['PEXPIREAT', 'k', '10', 'NX\0'], ['EXPIRE', 'k', '10', 'xX\0y'],
      ['ZADD', 'z', '1', 'a'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES\0'], ['MEMORY', 'USAGE', 'nokey', 'SAMPLES\0x', '1'],
      { raw: 'SET i v "NX\\x00a"\r\nGET i\r\n' },
    ],
    golden:
      '+OK\r\n-ERR syntax error\r\n$1\r\nv\r\n$1\r\nw\r\n' +
      '-ERR Unsupported option F\r\n:1\r\n:0\r\n' +
      ':1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n$-1\r\n' +
      '+OK\r\n$1\r\nv\r\n',
  },
];

const AUTH: Case[] = [
  {
    name: "HELLO before AUTH: Redis's NOAUTH text",
    reqs: [['HELLO', '3'], ['HELLO']],
    golden:
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n'.repeat(2),
  },
  {
    name: 'EXEC before AUTH answers EXECABORT',
    reqs: [['EXEC'], ['MULTI'], ['EXEC']],
    golden: '-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n',
  },
];

async function check(port: number, cases: Case[]): Promise<{ name: string; got: string }[]> {
  const out: { name: string; got: string }[] = [];
  for (const c of cases) {
    await pipelineThenFin(port, [['FLUSHALL']]);
    out.push({ name: c.name, got: await pipelineThenFin(port, c.reqs) });
  }
  return out;
}

const expected = (cases: Case[]) => cases.map((c) => ({ name: c.name, got: c.golden }));

describe.each([1, 3])('protocol and error details as Redis, %i shard(s)', (shards) => {
  let srv: Proc;
  let locked: Proc;
  beforeAll(async () => {
    [srv, locked] = await Promise.all([startShardis({ shards }), startShardis({ shards, args: ['--requirepass', 'pw'] })]);
  });
  afterAll(async () => {
    await Promise.all([srv.stop(), locked.stop()]);
  });
  for (const c of OPEN) {
    it(c.name, async () => {
      expect(await check(srv.port, [c])).toEqual(expected([c]));
    });
  }
  for (const c of AUTH) {
    it(c.name, async () => {
      expect(await pipelineThenFin(locked.port, c.reqs)).toBe(c.golden);
    });
  }
});

const haveRedis = haveBinaries('redis-server');

describe.skipIf(!haveRedis)('protocol and error golden replies against redis-server', () => {
  let ref: Proc;
  let locked: Proc;
  beforeAll(async () => {
    [ref, locked] = await Promise.all([startRedis(), startRedis(['--requirepass', 'pw'])]);
  });
  afterAll(async () => {
    await Promise.all([ref.stop(), locked.stop()]);
  });
  it('redis-server gives the recorded replies', async () => {
    expect(await check(ref.port, OPEN)).toEqual(expected(OPEN));
    const got: { name: string; got: string }[] = [];
    for (const c of AUTH) got.push({ name: c.name, got: await pipelineThenFin(locked.port, c.reqs) });
    expect(got).toEqual(expected(AUTH));
  });
});
