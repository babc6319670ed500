/*
 * Keyspace-wide commands, run by the main thread over every shard: DBSIZE FLUSHDB FLUSHALL SWAPDB
 * KEYS SCAN RANDOMKEY. Each asks every shard through a control op in its request ring, so it is
 * ordered after the connection's earlier requests on every shard. The writes (FLUSHDB FLUSHALL
 * SWAPDB) first take every shard's coordinator lock, so no cross-shard command or transaction is
 * half-way through when they run (inside EXEC the transaction already holds them).
 *
 * SCAN's cursor is a hash slot number: slots belong to fixed shards and a shard visits whole slots,
 * so every key present for the whole scan is returned at least once. One call keeps filling from
 * the following slots, across shards, until about COUNT keys were visited.
 */

import { CommandError, DB_INDEX_OUT_OF_RANGE, INVALID_CURSOR, INVALID_FIRST_DB_INDEX, INVALID_SECOND_DB_INDEX, NOT_INTEGER, SYNTAX } from '../../resp/errors.js';
import { SLOTS } from '../../router/slot.js';
import type { MainCtx, MainHandler, ServerContext } from '../main-ctx.js';
import { execRunning, propagateMain } from './transactions.js';
import { mainCommands } from '../../commands/registry.js';
import { dbsizeOp, keysOp, randomkeyOp, scanOp, type ControlArgv, flushallOp, flushdbOp, swapdbOp } from '../../ipc/control.js';

function parseFlushMode(c: MainCtx): void {
  if (c.argc > 2) throw new CommandError(SYNTAX);
  if (c.argc === 2 && !c.args.is(1, 'sync') && !c.args.is(1, 'async')) throw new CommandError(SYNTAX);
}

/** A database index argument as Redis's getIntFromObjectOrReply reads it: not an int -> `invalid`. */
function dbIndex(c: MainCtx, i: number, invalid: string): number {
  const s = c.args.str(i);
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) throw new CommandError(invalid);
  const n = Number(s);
  if (n < -0x80000000 || n > 0x7fffffff) throw new CommandError(invalid);
  return n;
}

function checkDbRange(c: MainCtx, n: number): void {
  if (n < 0 || n >= c.server.config.int('databases')) throw new CommandError(DB_INDEX_OUT_OF_RANGE);
}

/**
 * One control op on every shard, all sent at one moment none of them is locked by a multi-shard
 * command, transaction or script (at once inside EXEC or a script, which hold them).
 */
function everyShard(c: MainCtx, argv: readonly (string | number | Uint8Array)[], db = 0): Promise<{ reply: Buffer }[]> {
  const s: ServerContext = c.server;
  return s.coordinator.cut(s.links.map((_, shard) => ({ shard, argv, db })), execRunning.has(c.conn));
}

/** Run `fn` holding every shard (unless the connection's EXEC already holds them). */
export async function holdingAll<T>(c: MainCtx, fn: () => Promise<T>): Promise<T> {
  const s: ServerContext = c.server;
  if (execRunning.has(c.conn)) return fn();
  const all = s.links.map((_, i) => i);
  await s.coordinator.lock(all);
  try {
    return await fn();
  } finally {
    s.coordinator.unlock(all);
  }
}

/**
 * A SCAN cursor as Redis reads it (strtoul: decimal, an optional sign, at most 2^64-1); anything
 * past the last slot, negative ones included, means the scan is over.
 */
function parseCursor(s: string): number {
  if (!/^[-+]?[0-9]+$/.test(s)) throw new CommandError(INVALID_CURSOR);
  const digits = s.replace(/^[-+]/, '');
  if (BigInt(digits) > 0xffffffffffffffffn) throw new CommandError(INVALID_CURSOR);
  if (s.startsWith('-') && BigInt(digits) !== 0n) return SLOTS;
  return digits.length > 6 ? SLOTS : Math.min(Number(digits), SLOTS);
}

/** FLUSHALL's keyspace part (persistence.ts declares the command: it also stops a background save). */
export async function flushAllKeyspaces(c: MainCtx): Promise<void> {
  parseFlushMode(c);
  await holdingAll(c, () => c.server.allShards(flushallOp.request()));
  if (c.server.tracking.clients.size > 0) c.server.tracking.invalidateAll();
  propagateMain(c, c.conn.db, c.args.all());
  c.w.ok();
}

export const commands = mainCommands<MainHandler>({
  async dbsize(c) {
    const r = await everyShard(c, dbsizeOp.request(c.conn.db));
    c.w.int(r.reduce((sum, x) => sum + dbsizeOp.read(x.reply), 0));
  },

  async flushdb(c) {
    parseFlushMode(c);
    const db = c.conn.db;
    await holdingAll(c, () => c.server.allShards(flushdbOp.request(db), db));
    if (c.server.tracking.clients.size > 0) c.server.tracking.invalidateAll();
    propagateMain(c, db, c.args.all());
    c.w.ok();
  },

  async swapdb(c) {
    // both parsed before either is range-checked, as Redis
    const a = dbIndex(c, 1, INVALID_FIRST_DB_INDEX);
    const b = dbIndex(c, 2, INVALID_SECOND_DB_INDEX);
    checkDbRange(c, a);
    checkDbRange(c, b);
    await holdingAll(c, () => c.server.allShards(swapdbOp.request(a, b)));
    propagateMain(c, c.conn.db, c.args.all());
    c.w.ok();
  },

  async keys(c) {
    const r = await everyShard(c, keysOp.request(c.conn.db, c.args.str(1)));
    // Each shard answered "*<n>\r\n" + n bulk strings: the reply is the sum of the counts followed
    // by the shards' bulks as they are (no parsing into strings and re-encoding a million keys).
    let total = 0;
    let bytes = 0;
    const bodies: Buffer[] = [];
    for (const x of r) {
      const b = x.reply;
      const nl = b.indexOf(13);
      const n = b[0] === 0x2a && nl > 1 ? Number(b.latin1Slice(1, nl)) : NaN;
      if (!Number.isInteger(n) || n < 0) {
        // not a plain array (never expected): take the slow way for every shard
        const all: string[] = [];
        for (const y of r) for (const k of keysOp.read(y.reply)) all.push(k);
        c.w.bulkArray(all);
        return;
      }
      total += n;
      bodies.push(b.subarray(nl + 2));
      bytes += b.length - nl - 2;
    }
    c.w.ensure(bytes + 24);
    c.w.array(total);
    for (const b of bodies) c.w.raw(b);
  },

  async scan(c) {
    let slot = parseCursor(c.args.str(1));
    let count = 10;
    let pattern = '';
    let type = '';
    for (let i = 2; i < c.argc; i++) {
      const more = c.argc - 1 - i;
      if (c.args.is(i, 'count') && more > 0) {
        count = c.args.int(i + 1, NOT_INTEGER);
        if (count < 1) throw new CommandError(SYNTAX);
        i++;
      } else if (c.args.is(i, 'match') && more > 0) {
        pattern = c.args.str(++i);
      } else if (c.args.is(i, 'type') && more > 0) {
        type = c.args.str(++i);
      } else throw new CommandError(SYNTAX);
    }
    if (slot >= SLOTS) {
      c.w.array(2);
      c.w.bulk('0');
      c.w.array(0);
      return;
    }
    const s = c.server;
    const db = c.conn.db;
    const keys: string[] = [];
    let visited = 0;
    // a shard owns contiguous runs of slots: every run from the cursor on is asked for up to COUNT
    // keys, all in one step at a moment no shard is locked (one call never sees half of a
    // multi-shard transaction); the runs' answers are then taken in order until COUNT is reached
    const ops: { shard: number; argv: ControlArgv; db: number; end: number }[] = [];
    for (let from = slot; from < SLOTS; ) {
      const shard = s.shardOfSlot[from]!;
      let end = from;
      while (end < SLOTS && s.shardOfSlot[end] === shard) end++;
      ops.push({ shard, argv: scanOp.request(db, from, end, count, pattern, type), db, end });
      from = end;
    }
    const replies = await s.coordinator.cut(ops, execRunning.has(c.conn));
    for (let i = 0; i < replies.length && slot < SLOTS && visited < count; i++) {
      const step = scanOp.read(replies[i]!.reply);
      for (const k of step.keys) keys.push(k);
      visited += step.visited;
      slot = step.next;
    }
    c.w.array(2);
    c.w.bulk(String(slot >= SLOTS ? 0 : slot));
    c.w.bulkArray(keys);
  },

  async randomkey(c) {
    const r = await everyShard(c, randomkeyOp.request(c.conn.db));
    const cands = r.map((x) => randomkeyOp.read(x.reply)).filter(({ size, key }) => size > 0 && key !== null);
    const total = cands.reduce((a, { size }) => a + size, 0);
    if (total === 0) {
      c.w.nullBulk();
      return;
    }
    let pick = Math.random() * total;
    for (const { size, key } of cands) {
      if (pick < size) {
        c.w.bulk(key!);
        return;
      }
      pick -= size;
    }
    c.w.bulk(cands[cands.length - 1]!.key!);
  },
});

