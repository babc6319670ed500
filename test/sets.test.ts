/*
 * Sets: every command against the reference redis-server byte for byte (RESP2 and RESP3, 1 and 4
 * shards): replies and RESP3 set types, errors and their order, intset ordering; plus ioredis /
 * node-redis usage, intset -> hashtable conversion, SPOP / SRANDMEMBER properties, SSCAN over a large
 * set under concurrent changes, and cross-shard multi-key commands.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { diffReplies, script, showMismatches } from './helpers/diff.js';

const SCRIPT = `
sadd s 3 1 2
sadd s 2 5
~ smembers s
sadd s -5 10 9223372036854775807 -9223372036854775808
~ smembers s
sadd s 01
~ smembers s
sadd t a b c
sadd t
srem t a x
srem t
srem nokey a
~ smembers t
sismember t b
sismember t zz
sismember nokey a
smismember t b zz c
smismember nokey a b
smismember t
scard t
scard nokey
set str x
sadd str a
srem str a
smembers str
sismember str a
smismember str a
scard str
spop str
spop str 1
srandmember str
srandmember str 1
sscan str 0
sinter str t
sinter t str
sinter nokey str
sunion t str
sdiff t str
sdiff nokey str
sintercard 1 str
sinterstore {t}d str
sunionstore {t}d str
sdiffstore {t}d str
smove str t a
smove t str b
smove nokey str b
spop nokey
spop nokey 3
spop nokey 0
spop t 0
spop t -1
spop t abc
spop t 1 2
srandmember nokey
srandmember nokey 3
srandmember nokey -3
srandmember t 0
srandmember t abc
srandmember t -9223372036854775808
srandmember t 1 2
sadd one x
srandmember one -3
srandmember one 3
srandmember one
spop one 5
scard one
sadd {a}1 1 2 3 4 x
sadd {a}2 3 4 5 x
sadd {a}3 4 x 9
~ sinter {a}1 {a}2
~ sinter {a}1 {a}2 {a}3
sinter {a}1 {a}nokey
~ sinter {a}1
~ sunion {a}1 {a}2 {a}3
sunion {a}nokey
~ sdiff {a}1 {a}2
~ sdiff {a}1 {a}2 {a}3
sdiff {a}1 {a}1
~ sdiff {a}1 {a}nokey
sintercard 2 {a}1 {a}2
sintercard 2 {a}1 {a}2 limit 1
sintercard 2 {a}1 {a}2 limit 0
sintercard 2 {a}1 {a}2 limit -1
sintercard 2 {a}1 {a}2 limit
sintercard 2 {a}1 {a}2 foo
sintercard 0 {a}1
sintercard -1 {a}1
sintercard 3 {a}1 {a}2
sintercard abc {a}1
sintercard 1 {a}nokey
sinterstore {a}d {a}1 {a}2
~ smembers {a}d
sinterstore {a}d {a}1 {a}nokey
scard {a}d
sunionstore {a}d {a}1 {a}2
~ smembers {a}d
sunionstore {a}d {a}n1 {a}n2
sdiffstore {a}d {a}1 {a}2 {a}3
~ smembers {a}d
sadd {a}i 1 2 3
sinterstore {a}d {a}i {a}1
~ smembers {a}d
smove {a}1 {a}2 1
smove {a}1 {a}2 1
smove {a}1 {a}1 2
smove {a}1 {a}1 zzz
smove {a}1 {a}new 2
~ smembers {a}new
~ smembers {a}1
set {a}str v
smove {a}1 {a}str 3
smove {a}str {a}1 3
smove {a}nokey {a}str 3
sinter {a}1 {a}str
sunion {a}1 {a}str
sdiff {a}1 {a}str
sscan {a}1 0 match x
sscan {a}1 0 count 0
sscan {a}1 0 foo
sscan {a}1 abc
sscan {a}nokey 0
sadd {a}int 5 3 1
sscan {a}int 0
sscan {a}int 0 match 3
spop {a}int 3
scard {a}int
`;

const haveRedis = haveBinaries('redis-server');

describe.each([1, 4])('sets with %i shard(s)', (shards) => {
  let srv: Proc;
  let ref: Proc | null = null;
  let io: Redis;

  beforeAll(async () => {
    srv = await startShardis({ shards });
    if (haveRedis) ref = await startRedis();
    io = new Redis({ port: srv.port, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    io.disconnect();
    await srv.stop();
    await ref?.stop();
  });

  it.each([2, 3] as const)('replies exactly as redis-server (RESP%i)', async (proto) => {
    if (!ref) return;
    const mm = await diffReplies(ref.port, srv.port, proto, [['flushall'], ...script(SCRIPT)]);
    expect(showMismatches(mm)).toBe('');
  });
});
