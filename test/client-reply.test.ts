/*
 * CLIENT REPLY SKIP / OFF / ON in pipelines (issue #20 part 4): a SKIP drops exactly the next
 * command's reply even when that reply comes back from a shard after later commands (another SKIP,
 * ON, RESET, OFF) already ran. Golden replies were recorded from redis-server 7.0.15; the same cases
 * are replayed against it when it is installed.
 */

import { type Request } from './helpers/pipeline.js';
import { describePipelineCases } from './helpers/pipeline-cases.js';

const SKIP = ['CLIENT', 'REPLY', 'SKIP'];
const OFF = ['CLIENT', 'REPLY', 'OFF'];
const ON = ['CLIENT', 'REPLY', 'ON'];

const CASES: { name: string; reqs: Request[]; golden: string }[] = [
  { name: 'a SKIP is not cancelled by a later CLIENT REPLY ON', reqs: [SKIP, ['SET', 'a', '1'], ON, ['PING']], golden: '+OK\r\n+PONG\r\n' },
  { name: 'a SKIP is not cancelled by a later RESET', reqs: [SKIP, ['SET', 'a', '1'], ['RESET'], ['PING']], golden: '+RESET\r\n+PONG\r\n' },
  { name: 'a SKIP is not cancelled by a later SKIP', reqs: [SKIP, ['SET', 'a', '1'], SKIP, ['SET', 'b', '1'], ['PING']], golden: '+PONG\r\n' },
  {
    name: "a SKIP drops a shard's error reply and not the next",
    reqs: [['SET', 'str', 'x'], SKIP, ['LPUSH', 'str', '1'], SKIP, ['SET', 'b', '1'], ['GET', 'str']],
    golden: '+OK\r\n$1\r\nx\r\n',
  },
  { name: 'a SKIP then OFF then ON', reqs: [SKIP, ['SET', 'a', '1'], OFF, ['SET', 'b', '1'], ON, ['PING']], golden: '+OK\r\n+PONG\r\n' },
  { name: 'SKIP then ON: the ON reply is sent', reqs: [SKIP, ON, ['PING']], golden: '+OK\r\n+PONG\r\n' },
  { name: 'SKIP then RESET: the RESET reply is skipped', reqs: [SKIP, ['RESET'], ['PING']], golden: '+PONG\r\n' },
  { name: 'OFF then RESET: replies are on again', reqs: [OFF, ['PING'], ['RESET'], ['PING']], golden: '+RESET\r\n+PONG\r\n' },
  { name: 'two SKIPs in a row skip one reply', reqs: [SKIP, SKIP, ['PING'], ['PING']], golden: '+PONG\r\n' },
  { name: 'SKIP of a rejected command', reqs: [SKIP, ['NOSUCHCMD'], ['PING']], golden: '+PONG\r\n' },
  { name: 'SKIP of a cross-shard MGET', reqs: [SKIP, ['MGET', 'a', 'b', 'c', 'd'], ['PING']], golden: '+PONG\r\n' },
];

describePipelineCases('CLIENT REPLY in pipelines, %i shard(s)', CASES, ['FLUSHALL'], [1, 4]);

