/*
 * Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT): replies and errors byte for byte
 * against redis-server 7 (recorded in test/golden/scripting.json, so the comparison runs without
 * redis-server too), ioredis defineCommand, atomicity of scripts whose keys live on different shards,
 * BUSY and SCRIPT KILL, and a redis-server replica converging on a master that runs scripts.
 *
 * To re-record the golden replies from redis-server: UPDATE_GOLDEN=1 npx vitest run test/scripting.test.ts
 */

import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortedElements } from './helpers/diff.js';
import { RawClient } from './helpers/raw.js';
import { contents, differences, waitInSync } from './helpers/replication.js';
import { ROOT, haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';

const GOLDEN = path.join(ROOT, 'test/golden/scripting.json');
const haveRedis = haveBinaries('redis-server');

/** Commands and their replies compared; a leading "~" marks a reply whose elements come in hash order. */
const CASES: string[][] = [
  ['FLUSHALL'],
  ['SCRIPT', 'FLUSH'],
  // arguments, cache, NOSCRIPT
  ['EVAL', 'return 1', '-1'],
  ['EVAL', 'return 1', '2', 'a'],
  ['EVAL', 'return 1', 'x'],
  ['EVAL', 'return 1'],
  ['EVALSHA', 'ffff', '0'],
  ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
  ['SCRIPT', 'LOAD', "return 'loaded'"],
  ['EVALSHA', '4A2267357833227DD98ABB6B8A0D8F1E7F38BE9A', '0'],
  ['EVALSHA_RO', '4a2267357833227dd98abb6b8a0d8f1e7f38be9a', '0'],
  ['SCRIPT', 'EXISTS', '4a2267357833227dd98abb6b8a0d8f1e7f38be9a', 'ffff'],
  ['SCRIPT', 'FLUSH', 'ASYNC'],
  ['SCRIPT', 'FLUSH', 'x'],
  ['SCRIPT', 'EXISTS', '4a2267357833227dd98abb6b8a0d8f1e7f38be9a'],
  ['SCRIPT', 'KILL'],
  ['EVAL', 'return redis.call("set", KEYS[1], ARGV[1])', '1', 'k1', 'v1'],
  ['SCRIPT', 'EXISTS', '0a8a6d2b8eab4f2b1d6a1bbd6cbc4dc5d3d7b4c0'],
  ['EVAL', 'return KEYS[1]..ARGV[1]..#KEYS..#ARGV', '1', 'k', 'a', 'b'],
  ['EVAL', 'return ARGV[1]', '0', '\u0000\u00ff\r\n'],
  // Lua -> reply conversions
  ['EVAL', 'return {1,2,3.7,nil,5}', '0'],
  ['EVAL', 'return {1,{2,nil,3},true,false,nil,9}', '0'],
  ['EVAL', 'return 3.99', '0'],
  ['EVAL', 'return -3.99', '0'],
  ['EVAL', 'return {1e20, -1e20, 0/0, 1/0}', '0'],
  ['EVAL', 'return true', '0'],
  ['EVAL', 'return false', '0'],
  ['EVAL', 'return nil', '0'],
  ['EVAL', 'return', '0'],
  ['EVAL', "return {err='My Error'}", '0'],
  ['EVAL', "return {ok='a\\r\\nb'}", '0'],
  ['EVAL', 'return {double=3.5}', '0'],
  ['EVAL', "return {1,2,{map={a=1}}}", '0'],
  ['EVAL', "return {set={a=true}}", '0'],
  ['EVAL', "return redis.error_reply('My')", '0'],
  ['EVAL', "return redis.error_reply('-WRONG x')", '0'],
  ['EVAL', 'return redis.error_reply()', '0'],
  ['EVAL', "return redis.status_reply('St')", '0'],
  ['EVAL', 'return redis.status_reply(1)', '0'],
  ['EVAL', 'redis.setresp(3) return {true, false}', '0'],
  ['EVAL', 'redis.setresp(3) return {double=1.5}', '0'],
  // reply -> Lua conversions
  ['EVAL', "redis.call('set','x',0.1) return redis.call('get','x')", '0'],
  ['EVAL', "return redis.call('get','nokey')", '0'],
  ['EVAL', "return type(redis.call('get','nokey'))", '0'],
  ['EVAL', "return redis.call('hgetall','nokey')", '0'],
  ['EVAL', "return redis.call('hset','h','f','v')", '0'],
  ['EVAL', "return redis.call('ping')", '0'],
  ['EVAL', "return redis.call('ping')['ok']", '0'],
  ['EVAL', "return redis.call('zadd','z','1.5','m') .. redis.call('zscore','z','m')", '0'],
  ['EVAL', "redis.setresp(3) return redis.call('hgetall','h')", '0'],
  ['EVAL', "redis.setresp(3) return redis.call('get','nokey')", '0'],
  ['EVAL', "redis.setresp(3) return type(redis.call('get','nokey'))", '0'],
  ['EVAL', "redis.setresp(3) return redis.call('zscore','z','m')", '0'],
  ['EVAL', "redis.setresp(3) return redis.call('zscore','z','m')['double']", '0'],
  ['EVAL', "redis.setresp(3) return redis.call('smembers','nokey')", '0'],
  ['EVAL', "redis.setresp(3) return {redis.call('exists','h') == 1}", '0'],
  // errors
  ['EVAL', 'return redis.call()', '0'],
  ['EVAL', "return redis.call('nosuch')", '0'],
  ['EVAL', "return redis.call('get',{})", '0'],
  ['EVAL', "return redis.call('get','a','b')", '0'],
  ['EVAL', "return redis.call('eval','return 1','0')", '0'],
  ['EVAL', "return redis.call('config','nosub')", '0'],
  ['EVAL', "return redis.call('config')", '0'],
  ['EVAL', "return redis.pcall('incr','a','b')", '0'],
  ['EVAL', "return redis.pcall('get',{})", '0'],
  ['EVAL', "return redis.call('incr','x')", '0'],
  ['EVAL', "redis.call('lpush','l','a') return redis.call('get','l')", '0'],
  ['EVAL', "return redis.pcall('get','l')", '0'],
  ['EVAL', "local ok, e = pcall(redis.call, 'get', 'l') return {tostring(ok), e}", '0'],
  ['EVAL', "local ok, e = pcall(redis.call) return e", '0'],
  ['EVAL', "error('boom')", '0'],
  ['EVAL', "error('x', 0)", '0'],
  ['EVAL', 'error(5)', '0'],
  ['EVAL', "error({err='X'})", '0'],
  ['EVAL', "error({err='MYCODE custom'})", '0'],
  ['EVAL', 'local a = nil; return a.b', '0'],
  ['EVAL', 'return nofunc()', '0'],
  ['EVAL', 'x = 1', '0'],
  ['EVAL', 'return foo', '0'],
  ['EVAL', 'return os', '0'],
  ['EVAL', 'foo = function() end', '0'],
  ['EVAL', 'string.foo = 1', '0'],
  ['EVAL', 'redis = nil', '0'],
  ['EVAL', "\nlocal x = 1\nerror('line three')", '0'],
  ['EVAL_RO', "return redis.call('set','a','1')", '0'],
  ['EVAL_RO', "return redis.call('get','a')", '0'],
  ['EVAL', "#!lua\nerror('x')", '0'],
  ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set','a',1)", '0'],
  ['EVAL', "#!lua flags=no-writes,allow-oom\nreturn redis.call('get','a')", '0'],
  ['EVAL', '#!foo\nreturn 1', '0'],
  ['EVAL', '#!lua flags=bar\nreturn 1', '0'],
  ['EVAL', '#!lua', '0'],
  // the redis library
  ['EVAL', "return redis.sha1hex('')", '0'],
  ['EVAL', 'return redis.sha1hex(1)', '0'],
  ['EVAL', 'return redis.sha1hex()', '0'],
  ['EVAL', "return redis.log(redis.LOG_WARNING, 'hi', 1)", '0'],
  ['EVAL', "return redis.log(9, 'hi')", '0'],
  ['EVAL', 'return redis.log(1)', '0'],
  ['EVAL', "return redis.log('x', 'y')", '0'],
  ['EVAL', 'return redis.setresp(4)', '0'],
  ['EVAL', 'return redis.setresp()', '0'],
  ['EVAL', 'return redis.set_repl(9)', '0'],
  ['EVAL', 'return redis.set_repl()', '0'],
  ['EVAL', 'return redis.set_repl(redis.REPL_ALL)', '0'],
  ['EVAL', 'return redis.replicate_commands()', '0'],
  ['EVAL', "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM", '0'],
  ['EVAL', "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}", '0'],
  ['EVAL', "return redis.acl_check_cmd('nosuch')", '0'],
  ['EVAL', "return redis.acl_check_cmd('get','x')", '0'],
  ['EVAL', 'local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) return t', '0'],
  // the Lua 5.1 environment
  ['EVAL', 'return _VERSION', '0'],
  ['EVAL', 'return unpack({1,2})', '0'],
  ['EVAL', "return loadstring('return 5')()", '0'],
  ['EVAL', "return loadstring('x')", '0'],
  ['EVAL', "return tostring(4/2)..' '..tostring(1e15)..' '..tostring(2^53)..' '..tostring(0.1)..' '..(7/2)", '0'],
  ['EVAL', "return tonumber('10') * 3 .. ''", '0'],
  ['EVAL', "return 2^31 .. ' ' .. tostring(2^31+1) .. ' ' .. tostring(1e100)", '0'],
  ['EVAL', "return string.format('%d %s %5.2f', 3, 'x', 1.5)", '0'],
  ['EVAL', 'local t = {} t[1]=1 return table.getn(t) .. math.pow(2,3) .. math.mod(7,3) .. math.log10(100)', '0'],
  ['EVAL', 'local m, e = math.frexp(8) return {m * 10, e}', '0'],
  ['EVAL', 'local t={} for k,v in pairs(math) do t[#t+1]=k end table.sort(t) return t', '0'],
  ['EVAL', 'local t={} for k,v in pairs(string) do t[#t+1]=k end table.sort(t) return t', '0'],
  ['EVAL', 'local t={} for k,v in pairs(table) do t[#t+1]=k end table.sort(t) return t', '0'],
  ['EVAL', 'math.randomseed(7) return {math.random(100), math.random(5,10), math.random(1000000)}', '0'],
  ['EVAL', 'math.randomseed(7) return tostring(math.random())', '0'],
  ['EVAL', 'return math.random(0)', '0'],
  ['EVAL', "local s = 0 for i = 1, 10 do s = s + i end return s", '0'],
  // bit
  ['EVAL', "return bit.band(0xff,0x0f)..' '..bit.tohex(255)..' '..bit.lshift(1,31)", '0'],
  ['EVAL', 'return bit.tohex(-1, -4)..bit.tobit(2^32+5)..bit.rshift(-1,28)..bit.arshift(-256,4)..bit.rol(1,33)..bit.bswap(1)..bit.bnot(0)', '0'],
  ['EVAL', 'return {bit.bor(1,2,4), bit.bxor(5,3), bit.ror(1,1), bit.tohex(0x1234, 2)}', '0'],
  ['EVAL', 'return bit.band()', '0'],
  ['EVAL', "return bit.band('x')", '0'],
  // cjson
  ['EVAL', 'return cjson.encode({1,2,{a=1.5}})', '0'],
  ['EVAL', "return cjson.encode({'a/b\"\\\\\\1\\127\\200', 1e20, 0.1, 1/3})", '0'],
  ['EVAL', 'return cjson.encode(function() end)', '0'],
  ['EVAL', 'return cjson.encode({[1]=1,[5]=5})', '0'],
  ['EVAL', 'return cjson.encode({[1]=1,[50]=5})', '0'],
  ['EVAL', 'return cjson.encode({})', '0'],
  ['EVAL', 'return cjson.encode({[true]=1})', '0'],
  ['EVAL', 'return cjson.encode(0/0)', '0'],
  ['EVAL', "return cjson.decode('{\"a\":[1,2.5,\"x\\\\u00e9\"]}').a[3]", '0'],
  ['EVAL', "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null", '0'],
  ['EVAL', "return cjson.decode('[1,')", '0'],
  ['EVAL', "return cjson.decode('x')", '0'],
  ['EVAL', "return cjson.decode('')", '0'],
  ['EVAL', "return cjson.decode('{\"a\":1} x')", '0'],
  ['EVAL', 'return type(cjson.null)', '0'],
  ['EVAL', "return cjson.encode(cjson.decode('[null,true,false,1e3,\"\\\\n\"]'))", '0'],
  ['EVAL', "return {cjson.decode('{}'), cjson.decode('[]')}", '0'],
  ['EVAL', "return cjson.decode('{\"k\":{\"n\":[1,[2,[3]]]}}').k.n[2][2][1]", '0'],
  // commands from scripts
  ['EVAL', "return redis.call('select','2')", '0'],
  ['EVAL', "redis.call('select','2') return redis.call('set','indb2','v')", '0'],
  ['EXISTS', 'indb2'],
  ['EVAL', "return redis.call('spop','nokey')", '0'],
  ['EVAL', "return redis.call('blpop','nolist','0')", '0'],
  ['EVAL', "return redis.call('mset','{a}1','x','{b}2','y','{c}3','z')", '0'],
  ['EVAL', "return redis.call('mget','{a}1','{b}2','nokey','{c}3')", '0'],
  ['EVAL', "return redis.call('del','{a}1','{b}2','nokey')", '0'],
  ['EVAL', "redis.call('set','{a}r','v') return {redis.call('rename','{a}r','{b}r'), redis.call('get','{b}r')}", '0'],
  ['EVAL', "return redis.call('object','help')[1]", '0'],
  ['EVAL', "return redis.call('lpush','l2','a') + redis.call('lpush','l2','b')", '0'],
  ['EVAL', "return redis.call('lrange', 'l2', 0, -1)", '0'],
  ['EVAL', "return redis.call('incrbyfloat', 'f', '1.5')", '0'],
  ['EVAL', "return redis.call('get', KEYS[1])", '1', 'k1'],
  ['EVAL', "return redis.call('get', ARGV[1])", '0', 'k1'],
];

function readGolden(): Record<string, string[]> {
  return fs.existsSync(GOLDEN) ? (JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>) : {};
}

/** Run CASES on a server; the raw replies (hash-ordered ones normalized). */
async function runCases(port: number, proto: 2 | 3): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    if (proto === 3) {
      c.send('HELLO', '3');
      await c.readRaw();
    }
    c.send('CONFIG', 'SET', 'busy-reply-threshold', '100');
    await c.readRaw();
    const out: string[] = [];
    for (let cmd of CASES) {
      const unordered = cmd[0] === '~';
      if (unordered) cmd = cmd.slice(1);
      c.send(...cmd.map((a) => Buffer.from(a, 'latin1')));
      let r = await c.readRaw(10_000);
      if (unordered) r = sortedElements(r);
      out.push(r);
    }
    return out;
  } finally {
    c.close();
  }
}

function mismatches(expected: string[], actual: string[]): string {
  const out: string[] = [];
  CASES.forEach((cmd, i) => {
    if (expected[i] !== actual[i]) out.push(`${JSON.stringify(cmd)}\n   redis:   ${JSON.stringify(expected[i])}\n   shardis: ${JSON.stringify(actual[i])}`);
  });
  return out.join('\n');
}

describe.each([1, 3])('scripting replies with %i shard(s)', (shards) => {
  let srv: Proc;

  beforeAll(async () => {
    srv = await startShardis({ shards });
  });

  afterAll(async () => {
    await srv.stop();
  });

  it.each([2, 3] as const)('replies and errors exactly as redis-server (RESP%i, golden replies)', async (proto) => {
    const golden = readGolden()[String(proto)];
    expect(golden, 'test/golden/scripting.json lacks this protocol: re-record it (see the header)').toBeDefined();
    expect(golden!.length, 'golden replies are for another case list: re-record them').toBe(CASES.length);
    expect(mismatches(golden!, await runCases(srv.port, proto))).toBe('');
  });
});

describe.skipIf(!haveRedis)('scripting golden replies', () => {
  it.each([2, 3] as const)('are what redis-server replies (RESP%i)', async (proto) => {
    const ref = await startRedis();
    try {
      const live = await runCases(ref.port, proto);
      if (process.env.UPDATE_GOLDEN === '1') {
        const g = readGolden();
        g[String(proto)] = live;
        fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
        fs.writeFileSync(GOLDEN, JSON.stringify(g, null, 1) + '\n');
      }
      expect(mismatches(readGolden()[String(proto)] ?? [], live)).toBe('');
    } finally {
      await ref.stop();
    }
  });
});
