/*
 * Generic key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY EXPIRE PEXPIRE EXPIREAT
 * PEXPIREAT (NX XX GT LT) EXPIRETIME PEXPIRETIME TTL PTTL PERSIST OBJECT DUMP RESTORE, with
 * redis-server 7.0's replies, errors and propagation (every expiry as PEXPIREAT with an absolute time,
 * an expiry in the past as DEL, RESTORE with an absolute TTL).
 *
 * These handlers see keys of one shard. When a command's keys span shards the coordinator splits
 * DEL/UNLINK/EXISTS/TOUCH per shard and ships RENAME/COPY values in DUMP format to one shard.
 */

import { CommandError, NO_SUCH_KEY, NOT_INTEGER, SYNTAX, DB_INDEX_OUT_OF_RANGE, INT_OUT_OF_RANGE, invalidExpireTime, unknownOption, LFU_NOT_SELECTED, LFU_SELECTED, BAD_DUMP_PAYLOAD, BUSYKEY, DUMP_PAYLOAD, EXPIRE_GT_LT, EXPIRE_NX_WITH_OTHERS, RESTORE_FREQ, RESTORE_IDLETIME, RESTORE_TTL, SAME_OBJECT } from '../../resp/errors.js';
import { ACCESS } from '../access.js';
import { parseInt64 } from '../../commands/numbers.js';
import { createDumpPayload } from '../../codec/dump.js';
import { parseDump } from '../../codec/rdb.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { NOTIFY_GENERIC } from '../../commands/keyspace-events.js';
import type { Db } from '../keyspace.js';
import { HashValue } from '../values/hash.js';
import { ListValue } from '../values/list.js';
import { SetValue } from '../values/set.js';
import { ZSetValue } from '../values/zset.js';
import { StreamValue } from '../values/stream.js';
import { isAggregate, typeName, type Value } from '../values/types.js';
import { X, declare, shardCommands } from '../../commands/registry.js';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** A deep copy of a value (COPY): strings are immutable and shared. */
function cloneValue(v: Value): Value {
  if (!isAggregate(v)) return v;
  if (v instanceof ListValue) return ListValue.from(v.toArray());
  if (v instanceof HashValue) return HashValue.from(v.entries());
  if (v instanceof SetValue) return SetValue.from(v.members());
  if (v instanceof ZSetValue) return ZSetValue.from(v.entries());
  if (v instanceof StreamValue) return v.clone();
  throw new Error(`cannot copy a ${v.type}`);
}

/** Move or copy a value (and its expiry) into db under key, signalling blocked clients. */
function install(db: Db, key: string, v: Value, expireAt: number): void {
  db.add(key, v);
  if (expireAt > 0) db.setExpire(key, expireAt);
}

// ---- delete / exists ------------------------------------------------------------------------------

function del(c: ShardCtx): void {
  let n = 0;
  for (let i = 1; i < c.argc; i++) {
    if (c.db.delete(c.args.str(i))) {
      c.notify(NOTIFY_GENERIC, 'del', c.args.str(i));
      n++;
    }
  }
  c.w.int(n);
  if (n > 0) c.propagate();
}

/** EXISTS leaves access times alone; TOUCH updates them (as Redis). */
function exists(c: ShardCtx, touch = false): void {
  let n = 0;
  for (let i = 1; i < c.argc; i++) if (c.db.read(c.args.str(i), touch) !== undefined) n++;
  c.w.int(n);
}

// ---- rename / copy --------------------------------------------------------------------------------

function rename(c: ShardCtx, nx: boolean): void {
  const src = c.args.str(1);
  const dst = c.args.str(2);
  const v = c.db.get(src);
  if (v === undefined) throw new CommandError(NO_SUCH_KEY);
  if (src === dst) {
    if (nx) c.w.int(0);
    else c.w.ok();
    return;
  }
  const expireAt = c.db.getExpire(src);
  if (c.db.get(dst) !== undefined) {
    if (nx) {
      c.w.int(0);
      return;
    }
    c.db.delete(dst);
  }
  const raw = c.db.isRaw(src);
  c.db.delete(src);
  install(c.db, dst, v, expireAt);
  if (raw) c.db.markRaw(dst);
  c.notify(NOTIFY_GENERIC, 'rename_from', src);
  c.notify(NOTIFY_GENERIC, 'rename_to', dst);
  if (nx) c.w.int(1);
  else c.w.ok();
  c.propagate();
}

function copy(c: ShardCtx): void {
  const src = c.args.str(1);
  const dst = c.args.str(2);
  let dbId = c.db.id;
  let replace = false;
  for (let j = 3; j < c.argc; j++) {
    if (c.args.is(j, 'replace')) replace = true;
    else if (c.args.is(j, 'db') && j + 1 < c.argc) {
      const d = parseInt64(c.args.str(++j));
      if (d === null) throw new CommandError(NOT_INTEGER);
      if (d > 2147483647n || d < -2147483648n) throw new CommandError(INT_OUT_OF_RANGE);
      dbId = Number(d);
      // checked as it is read, before any later argument (as Redis)
      if (dbId < 0 || dbId >= c.ks.dbs.length) throw new CommandError(DB_INDEX_OUT_OF_RANGE);
    } else throw new CommandError(SYNTAX);
  }
  const target = c.ks.db(dbId);
  if (src === dst && target === c.db) throw new CommandError(SAME_OBJECT);
  const v = c.db.get(src);
  if (v === undefined) {
    c.w.int(0);
    return;
  }
  if (target.get(dst) !== undefined) {
    if (!replace) {
      c.w.int(0);
      return;
    }
    target.delete(dst);
  }
  install(target, dst, cloneValue(v), c.db.getExpire(src));
  if (c.db.isRaw(src)) target.markRaw(dst);
  c.notify(NOTIFY_GENERIC, 'copy_to', dst, target.id);
  c.w.int(1);
  c.propagate();
}

/** MOVE key db: the same key name is on the same shard in every database. */
function move(c: ShardCtx): void {
  const key = c.args.str(1);
  const d = parseInt64(c.args.str(2));
  if (d === null) throw new CommandError(NOT_INTEGER);
  if (d > 2147483647n || d < -2147483648n) throw new CommandError(INT_OUT_OF_RANGE);
  if (d < 0n || d >= BigInt(c.ks.dbs.length)) throw new CommandError(DB_INDEX_OUT_OF_RANGE);
  const target = c.ks.db(Number(d));
  if (target === c.db) throw new CommandError(SAME_OBJECT);
  const v = c.db.get(key);
  if (v === undefined || target.get(key) !== undefined) {
    c.w.int(0);
    return;
  }
  const idle = c.db.idleSeconds(key);
  install(target, key, v, c.db.getExpire(key));
  if (c.db.isRaw(key)) target.markRaw(key);
  target.setIdle(key, idle);
  c.db.delete(key);
  c.notify(NOTIFY_GENERIC, 'move_from', key);
  c.notify(NOTIFY_GENERIC, 'move_to', key, target.id);
  c.w.int(1);
  c.propagate();
}

// ---- expiry ---------------------------------------------------------------------------------------

const EXP_NX = 1;
const EXP_XX = 2;
const EXP_GT = 4;
const EXP_LT = 8;

function expireGeneric(c: ShardCtx, relative: boolean, seconds: boolean): void {
  const name = c.cmd.name;
  const key = c.args.str(1);
  let flags = 0;
  for (let j = 3; j < c.argc; j++) {
    if (c.args.is(j, 'nx')) flags |= EXP_NX;
    else if (c.args.is(j, 'xx')) flags |= EXP_XX;
    else if (c.args.is(j, 'gt')) flags |= EXP_GT;
    else if (c.args.is(j, 'lt')) flags |= EXP_LT;
    else throw new CommandError(unknownOption(c.args.str(j)));
  }
  if (flags & EXP_NX && flags & (EXP_XX | EXP_GT | EXP_LT)) throw new CommandError(EXPIRE_NX_WITH_OTHERS);
  if (flags & EXP_GT && flags & EXP_LT) throw new CommandError(EXPIRE_GT_LT);
  // the options are checked before the number, as Redis does
  let when = parseInt64(c.args.str(2));
  if (when === null) throw new CommandError(NOT_INTEGER);
  if (seconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) throw new CommandError(invalidExpireTime(name));
    when *= 1000n;
  }
  if (relative) {
    if (when > LLONG_MAX - BigInt(c.now)) throw new CommandError(invalidExpireTime(name));
    when += BigInt(c.now);
  }
  if (c.db.get(key) === undefined) {
    c.w.int(0);
    return;
  }
  const current = c.db.getExpire(key);
  if (flags) {
    const w = when;
    if (flags & EXP_NX && current !== -1) return void c.w.int(0);
    if (flags & EXP_XX && current === -1) return void c.w.int(0);
    if (flags & EXP_GT && (current === -1 || w <= BigInt(current))) return void c.w.int(0);
    if (flags & EXP_LT && current !== -1 && w >= BigInt(current)) return void c.w.int(0);
  }
  if (when <= BigInt(c.now) && !c.ks.replica) {
    // already expired: delete now and propagate the deletion
    c.db.delete(key);
    c.notify(NOTIFY_GENERIC, 'del', key);
    c.w.int(1);
    c.propagateCommand(['DEL', key]);
    return;
  }
  const at = Number(when);
  c.db.setExpire(key, at);
  c.notify(NOTIFY_GENERIC, 'expire', key);
  c.w.int(1);
  const prop: (string | number)[] = ['PEXPIREAT', key, at];
  for (let j = 3; j < c.argc; j++) prop.push(c.args.str(j));
  c.propagateCommand(prop);
}

function ttlGeneric(c: ShardCtx, ms: boolean, absolute: boolean): void {
  const key = c.args.str(1);
  if (c.db.read(key, false) === undefined) return void c.w.int(-2);
  const at = c.db.getExpire(key);
  if (at === -1) return void c.w.int(-1);
  if (absolute) return void c.w.int(ms ? at : Math.floor((at + 500) / 1000));
  const ttl = Math.max(0, at - c.now);
  c.w.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function persist(c: ShardCtx): void {
  const key = c.args.str(1);
  if (c.db.get(key) === undefined) return void c.w.int(0);
  if (c.db.persist(key)) {
    c.notify(NOTIFY_GENERIC, 'persist', key);
    c.w.int(1);
    c.propagate();
  } else c.w.int(0);
}

// ---- OBJECT ---------------------------------------------------------------------------------------

/** OBJECT ENCODING of a value as redis-server 7.0 reports it. */
export function encodingOf(v: Value): string {
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return v.length <= 44 ? 'embstr' : 'raw';
  if (!isAggregate(v)) return 'raw';
  return v.encoding();
}


export const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

function objectLookup(c: ShardCtx): Value | undefined {
  // OBJECT does not touch the key (no LRU update) nor notify a miss, but counts the keyspace hit or
  // miss (Redis's LOOKUP_NOTOUCH | LOOKUP_NONOTIFY)
  const v = c.db.get(c.args.str(2), false);
  if (v === undefined) c.db.ks.misses++;
  else c.db.ks.hits++;
  return v;
}

// ---- DUMP / RESTORE -------------------------------------------------------------------------------

function dump(c: ShardCtx): void {
  const v = c.db.read(c.args.str(1));
  if (v === undefined) return void c.w.nullBulk();
  c.w.bulkBytes(createDumpPayload(v));
}

function restore(c: ShardCtx): void {
  const key = c.args.str(1);
  let replace = false;
  let absttl = false;
  let idle = false;
  let idleSeconds = 0;
  let freq = false;
  let freqValue = 0;
  for (let j = 4; j < c.argc; j++) {
    const more = c.argc - 1 - j;
    if (c.args.is(j, 'replace')) replace = true;
    else if (c.args.is(j, 'absttl')) absttl = true;
    else if (c.args.is(j, 'idletime') && more && !freq) {
      const v = parseInt64(c.args.str(++j));
      if (v === null) throw new CommandError(NOT_INTEGER);
      if (v < 0n) throw new CommandError(RESTORE_IDLETIME);
      idle = true;
      idleSeconds = Number(v);
    } else if (c.args.is(j, 'freq') && more && !idle) {
      const v = parseInt64(c.args.str(++j));
      if (v === null) throw new CommandError(NOT_INTEGER);
      if (v < 0n || v > 255n) throw new CommandError(RESTORE_FREQ);
      freq = true;
      freqValue = Number(v);
    } else throw new CommandError(SYNTAX);
  }
  const ttlArg = parseInt64(c.args.str(2));
  if (ttlArg === null) throw new CommandError(NOT_INTEGER);
  if (ttlArg < 0n) throw new CommandError(RESTORE_TTL);
  if (!replace && c.db.get(key) !== undefined) throw new CommandError(BUSYKEY);
  const payload = c.args.bytes(3);
  const v = parseDump(payload);
  if (v === 'bad-version-or-crc') throw new CommandError(DUMP_PAYLOAD);
  if (v === 'bad-data') throw new CommandError(BAD_DUMP_PAYLOAD);
  let ttl = Number(ttlArg);
  if (ttl > 0 && !absttl) ttl += c.now;
  const existed = replace && c.db.delete(key);
  if (ttl > 0 && ttl <= c.now && !c.ks.replica) {
    // already expired: nothing to create
    if (existed) {
      c.notify(NOTIFY_GENERIC, 'del', key);
      c.propagateCommand(['DEL', key]);
    }
    c.w.ok();
    return;
  }
  install(c.db, key, v, ttl);
  // as Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME under the others
  if (ACCESS.lfu) {
    if (freq) c.db.setLfuFreq(key, freqValue);
  } else if (idle) c.db.setIdle(key, idleSeconds);
  c.notify(NOTIFY_GENERIC, 'restore', key);
  c.w.ok();
  // as Redis: the command as sent, a relative TTL rewritten as absolute with ABSTTL appended
  const prop: (string | number | Uint8Array)[] = [];
  for (let j = 0; j < c.argc; j++) prop.push(j === 2 ? String(ttl) : c.args.bytes(j));
  if (ttl > 0 && !absttl) prop.push('ABSTTL');
  c.propagateCommand(prop);
}

export const commands = shardCommands<ShardHandler>({
  del: declare(del, { x: X.SPLIT | X.SPLIT_SUM }),
  unlink: declare(del, { x: X.SPLIT | X.SPLIT_SUM }),
  exists: declare((c) => exists(c, false), { x: X.SPLIT | X.SPLIT_SUM }),
  touch: declare((c) => exists(c, true), { x: X.SPLIT | X.SPLIT_SUM }),
  type(c) {
    const v = c.db.read(c.args.str(1), false);
    c.w.simple(v === undefined ? 'none' : typeName(v));
  },
  rename: (c) => rename(c, false),
  renamenx: (c) => rename(c, true),
  move,
  copy,
  expire: (c) => expireGeneric(c, true, true),
  pexpire: (c) => expireGeneric(c, true, false),
  expireat: (c) => expireGeneric(c, false, true),
  pexpireat: (c) => expireGeneric(c, false, false),
  ttl: (c) => ttlGeneric(c, false, false),
  pttl: (c) => ttlGeneric(c, true, false),
  expiretime: (c) => ttlGeneric(c, false, true),
  pexpiretime: (c) => ttlGeneric(c, true, true),
  persist,
  'object|encoding'(c) {
    const v = objectLookup(c);
    if (v === undefined) c.w.nullBulk();
    else c.w.bulk(typeof v === 'string' && c.db.isRaw(c.args.str(2)) ? 'raw' : encodingOf(v));
  },
  'object|refcount'(c) {
    const v = objectLookup(c);
    if (v === undefined) c.w.nullBulk();
    // small integers are shared objects in Redis (OBJ_SHARED_REFCOUNT)
    else c.w.int(typeof v === 'number' && v >= 0 && v < 10000 ? 2147483647 : 1);
  },
  'object|idletime'(c) {
    const v = objectLookup(c);
    if (v === undefined) c.w.nullBulk();
    else if (ACCESS.lfu) throw new CommandError(LFU_SELECTED);
    else c.w.int(c.db.idleSeconds(c.args.str(2)));
  },
  'object|freq'(c) {
    const v = objectLookup(c);
    if (v === undefined) c.w.nullBulk();
    else if (!ACCESS.lfu) throw new CommandError(LFU_NOT_SELECTED);
    else c.w.int(c.db.lfuFreq(c.args.str(2)));
  },
  dump,
  restore,
});
