/*
 * Control operations on a shard's keyspace: its counters (INFO, the admin dashboard), the keyspace
 * commands the main thread spreads over every shard (DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHDB, FLUSHALL,
 * SWAPDB) and DEBUG POPULATE. Shard side: src/shard/control.ts, src/shard/populate.ts.
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';
import { numArg, readCount, readInts, writeInts, type ControlArgv } from './control-common.js';

/** Counters of one shard (INFO stats, keyspace hit ratio, the admin dashboard). */
export interface ShardStats {
  hits: number;
  misses: number;
  expired: number;
  commands: number;
  /** Clients blocked on this shard. */
  blocked: number;
  /** Keys watched on this shard. */
  watchedKeys: number;
  /** Blocked clients with a timeout. */
  timedBlocked: number;
}

const STATS_FIELDS = ['hits', 'misses', 'expired', 'commands', 'blocked', 'watchedKeys', 'timedBlocked'] as const;

/** An operation without arguments whose reply is a record of integer fields (writeInts). */
function intRecordOp<T extends { [K in keyof T]: number }>(name: string, fields: readonly (keyof T)[]) {
  return {
    request: (): ControlArgv => [name],
    write: (w: RespWriter, rec: T): void => writeInts(w, rec, fields),
    read: (reply: Buffer): T => readInts<T>(new ReplyReader(reply), fields),
  };
}

/** stats -> ShardStats */
export const statsOp = intRecordOp<ShardStats>('stats', STATS_FIELDS);

const MEMORY_FIELDS = ['heap', 'external'] as const;

/** The shard isolate's memory (INFO memory's used_memory). */
export type ShardMemory = Record<(typeof MEMORY_FIELDS)[number], number>;

/** memory -> ShardMemory */
export const memoryOp = intRecordOp<ShardMemory>('memory', MEMORY_FIELDS);

const DB_FIELDS = ['keys', 'expires'] as const;

/** Keys and keys with a TTL in one database. */
export type DbCounts = Record<(typeof DB_FIELDS)[number], number>;

/** keyspace -> DbCounts per database */
export const keyspaceOp = {
  request: (): ControlArgv => ['keyspace'],
  write(w: RespWriter, dbs: readonly DbCounts[]): void {
    w.array(dbs.length);
    for (const d of dbs) writeInts(w, d, DB_FIELDS);
  },
  read(reply: Buffer): DbCounts[] {
    const r = new ReplyReader(reply);
    const out: DbCounts[] = [];
    for (let i = r.array(); i > 0; i--) out.push(readInts<DbCounts>(r, DB_FIELDS));
    return out;
  },
};

/** dbsize <db> -> keys in that database */
export const dbsizeOp = {
  request: (db: number): ControlArgv => ['dbsize', db],
  db: (a: Args): number => numArg(a, 1),
  write: (w: RespWriter, n: number): void => w.int(n),
  read: readCount,
};

/** keys <db> <pattern> -> the matching keys (KEYS joins the shards' replies without decoding them) */
export const keysOp = {
  request: (db: number, pattern: string): ControlArgv => ['keys', db, pattern],
  args: (a: Args): { db: number; pattern: string } => ({ db: numArg(a, 1), pattern: a.str(2) }),
  write: (w: RespWriter, keys: string[]): void => w.bulkArray(keys),
  read(reply: Buffer): string[] {
    const r = new ReplyReader(reply);
    const out: string[] = [];
    for (let i = r.array(); i > 0; i--) out.push(r.str());
    return out;
  },
};

/** One SCAN step of a shard: the slot to continue from, the keys found, the keys visited. */
export interface ScanStep {
  next: number;
  keys: string[];
  visited: number;
}

/**
 * scan <db> <slot> <endSlot> <count> <pattern|""> <type|""> -> ScanStep: whole slots from <slot> until
 * at least <count> keys were visited or <endSlot> is reached.
 */
export const scanOp = {
  request: (db: number, slot: number, end: number, count: number, pattern: string, type: string): ControlArgv => ['scan', db, slot, end, count, pattern, type],
  args: (a: Args): { db: number; slot: number; end: number; count: number; pattern: string; type: string } => ({
    db: numArg(a, 1),
    slot: numArg(a, 2),
    end: numArg(a, 3),
    count: numArg(a, 4),
    pattern: a.str(5),
    type: a.str(6),
  }),
  write(w: RespWriter, s: ScanStep): void {
    w.array(3);
    w.int(s.next);
    w.bulkArray(s.keys);
    w.int(s.visited);
  },
  read(reply: Buffer): ScanStep {
    const r = new ReplyReader(reply);
    r.array();
    const next = r.int();
    const keys: string[] = [];
    for (let i = r.array(); i > 0; i--) keys.push(r.str());
    return { next, keys, visited: r.int() };
  },
};

/** randomkey <db> -> the database's size on this shard and a random key of it (null when empty) */
export const randomkeyOp = {
  request: (db: number): ControlArgv => ['randomkey', db],
  db: (a: Args): number => numArg(a, 1),
  write(w: RespWriter, size: number, key: string | null): void {
    w.array(2);
    w.int(size);
    if (key === null) w.nullBulk();
    else w.bulk(key);
  },
  read(reply: Buffer): { size: number; key: string | null } {
    const r = new ReplyReader(reply);
    r.array();
    return { size: r.int(), key: r.bulk() };
  },
};

/** flushdb <db> -> keys removed */
export const flushdbOp = {
  request: (db: number): ControlArgv => ['flushdb', db],
  db: (a: Args): number => numArg(a, 1),
  write: (w: RespWriter, removed: number): void => w.int(removed),
  read: readCount,
};

/** flushall -> keys removed */
export const flushallOp = {
  request: (): ControlArgv => ['flushall'],
  write: (w: RespWriter, removed: number): void => w.int(removed),
  read: readCount,
};

/** swapdb <a> <b> -> OK */
export const swapdbOp = {
  request: (a: number, b: number): ControlArgv => ['swapdb', a, b],
  args: (a: Args): { a: number; b: number } => ({ a: numArg(a, 1), b: numArg(a, 2) }),
};

/** DEBUG POPULATE's share of a shard: the keys `<prefix>:<j>` (j < count) that hash to this shard. */
export interface PopulateRequest {
  db: number;
  count: number;
  prefix: string;
  /** Value size (0: "value:<j>" as is). */
  size: number;
  shards: number;
}

/** populate <db> <count> <prefix> <size> <shards> -> keys created */
export const populateOp = {
  request: (r: PopulateRequest): ControlArgv => ['populate', r.db, r.count, r.prefix, r.size, r.shards],
  args: (a: Args): PopulateRequest => ({ db: Number(a.str(1)), count: Number(a.str(2)), prefix: a.str(3), size: Number(a.str(4)), shards: Number(a.str(5)) }),
  write: (w: RespWriter, created: number): void => w.int(created),
  read: readCount,
};

