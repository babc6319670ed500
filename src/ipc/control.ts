/*
 * The typed control protocol between the main thread and the shards (REQ_CONTROL records): per
 * operation, the request's argv (main thread), the reply's encoder (shard, src/shard/control.ts) and its
 * decoder (main thread), in one place so both sides read and write the same shape. Replies travel as
 * RESP; the decoders name every field instead of leaving callers to destructure positional arrays.
 *
 * Operations not listed here still build their argv and read their reply where they are used.
 */

import { parseOne } from '../resp/reply-parser.js';
import type { RespWriter } from '../resp/writer.js';

export type ControlArgv = (string | number | Uint8Array)[];

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

/** stats -> ShardStats */
export const statsOp = {
  request: (): ControlArgv => ['stats'],
  write(w: RespWriter, s: ShardStats): void {
    w.array(STATS_FIELDS.length);
    for (const f of STATS_FIELDS) w.int(s[f]);
  },
  read(reply: Buffer): ShardStats {
    const a = parseOne(reply) as number[];
    const s = {} as ShardStats;
    STATS_FIELDS.forEach((f, i) => (s[f] = Number(a[i] ?? 0)));
    return s;
  },
};

/** Keys and keys with a TTL in one database. */
export interface DbCounts {
  keys: number;
  expires: number;
}

/** keyspace -> DbCounts per database */
export const keyspaceOp = {
  request: (): ControlArgv => ['keyspace'],
  write(w: RespWriter, dbs: readonly DbCounts[]): void {
    w.array(dbs.length);
    for (const d of dbs) {
      w.array(2);
      w.int(d.keys);
      w.int(d.expires);
    }
  },
  read(reply: Buffer): DbCounts[] {
    return (parseOne(reply) as [number, number][]).map(([keys, expires]) => ({ keys: Number(keys), expires: Number(expires) }));
  },
};

/** The shard isolate's memory (INFO memory's used_memory). */
export interface ShardMemory {
  heap: number;
  external: number;
}

/** memory -> ShardMemory */
export const memoryOp = {
  request: (): ControlArgv => ['memory'],
  write(w: RespWriter, m: ShardMemory): void {
    w.array(2);
    w.int(m.heap);
    w.int(m.external);
  },
  read(reply: Buffer): ShardMemory {
    const [heap, external] = parseOne(reply) as number[];
    return { heap: Number(heap ?? 0), external: Number(external ?? 0) };
  },
};

/** Replies that are one integer used as a count. */
function readCount(reply: Buffer): number {
  return Number(parseOne(reply));
}

/** dbsize <db> -> keys in that database */
export const dbsizeOp = {
  request: (db: number): ControlArgv => ['dbsize', db],
  write: (w: RespWriter, n: number): void => w.int(n),
  read: readCount,
};

/** watch-touched <connId> -> whether a key the connection watches changed (its EXEC aborts) */
export const watchTouchedOp = {
  request: (connId: number): ControlArgv => ['watch-touched', connId],
  write: (w: RespWriter, touched: boolean): void => w.int(touched ? 1 : 0),
  read: (reply: Buffer): boolean => readCount(reply) !== 0,
};

/** keys <db> <pattern> -> the matching keys (KEYS joins the shards' replies without decoding them) */
export const keysOp = {
  request: (db: number, pattern: string): ControlArgv => ['keys', db, pattern],
  write: (w: RespWriter, keys: string[]): void => w.bulkArray(keys),
  read: (reply: Buffer): string[] => parseOne(reply) as string[],
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
  write(w: RespWriter, s: ScanStep): void {
    w.array(3);
    w.int(s.next);
    w.bulkArray(s.keys);
    w.int(s.visited);
  },
  read(reply: Buffer): ScanStep {
    const [next, keys, visited] = parseOne(reply) as [number, string[], number];
    return { next: Number(next), keys, visited: Number(visited) };
  },
};

/** randomkey <db> -> the database's size on this shard and a random key of it (null when empty) */
export const randomkeyOp = {
  request: (db: number): ControlArgv => ['randomkey', db],
  write(w: RespWriter, size: number, key: string | null): void {
    w.array(2);
    w.int(size);
    if (key === null) w.nullBulk();
    else w.bulk(key);
  },
  read(reply: Buffer): { size: number; key: string | null } {
    const [size, key] = parseOne(reply) as [number, string | null];
    return { size: Number(size), key };
  },
};

/** The value SORT sorts: undefined when absent, else its type and (for list, set, zset) elements. */
export type SortSource = { type: string; elems: readonly string[] } | undefined;

/** sortsrc <db> <key> -> SortSource (sorted-set members in score order) */
export const sortSourceOp = {
  request: (db: number, key: string): ControlArgv => ['sortsrc', db, key],
  write(w: RespWriter, src: SortSource): void {
    if (src === undefined) {
      w.nullArray();
      return;
    }
    w.array(1 + src.elems.length);
    w.bulk(src.type);
    for (const e of src.elems) w.bulk(e);
  },
  read(reply: Buffer): SortSource {
    const r = parseOne(reply) as string[] | null;
    return r === null ? undefined : { type: r[0]!, elems: r.slice(1) };
  },
};

/** A SORT BY/GET lookup: a string key, or a hash key's field. */
export interface SortRef {
  key: string;
  field: string | null;
}

/** sortget <db> (<key> <hasField 0|1> <field>)... -> each value, or null (absent, other type, no field) */
export const sortGetOp = {
  request(db: number, refs: readonly SortRef[]): ControlArgv {
    const argv: ControlArgv = ['sortget', db];
    for (const r of refs) argv.push(r.key, r.field === null ? '0' : '1', r.field ?? '');
    return argv;
  },
  /** The lookups of a request (args from index 2 on). */
  refs(argc: number, str: (i: number) => string): SortRef[] {
    const out: SortRef[] = [];
    for (let i = 2; i + 2 < argc; i += 3) out.push({ key: str(i), field: str(i + 1) === '1' ? str(i + 2) : null });
    return out;
  },
  write(w: RespWriter, values: readonly (string | number | Uint8Array | null)[]): void {
    w.array(values.length);
    for (const v of values) {
      if (v === null) w.nullBulk();
      else w.bulkValue(v);
    }
  },
  read: (reply: Buffer): (string | null)[] => parseOne(reply) as (string | null)[],
};

/** sortexists <db> <key> -> whether the key exists (SORT ... STORE of nothing deletes only then) */
export const sortExistsOp = {
  request: (db: number, key: string): ControlArgv => ['sortexists', db, key],
  write: (w: RespWriter, exists: boolean): void => w.int(exists ? 1 : 0),
  read: (reply: Buffer): boolean => readCount(reply) === 1,
};

/** watch <connId> <db> <key>... -> OK */
export const watchOp = {
  request: (connId: number, db: number, keys: readonly string[]): ControlArgv => ['watch', connId, db, ...keys],
};

/** unwatch <connId> -> OK */
export const unwatchOp = {
  request: (connId: number): ControlArgv => ['unwatch', connId],
};

/** disconnect <connId> -> OK: the shard forgets the connection (blocked request, watches, scripts diverted) */
export const disconnectOp = {
  request: (connId: number): ControlArgv => ['disconnect', connId],
};

/**
 * standin <connId> <db> <cmdId> <key>... -> OK: a client blocked on keys of several shards keeps its
 * place in the queues of these keys (src/shard/blocked.ts); unblock <connId> drop removes it
 */
export const standInOp = {
  request: (connId: number, db: number, cmdId: number, keys: readonly string[]): ControlArgv => ['standin', connId, db, cmdId, ...keys],
};

/** How CLIENT UNBLOCK ends a blocked request: a timeout's null reply, an error, or silently. */
export type UnblockMode = 'timeout' | 'error' | 'drop';

/** unblock <connId> <mode> -> whether the connection was blocked on this shard (CLIENT UNBLOCK's reply) */
export const unblockOp = {
  request: (connId: number, mode: UnblockMode): ControlArgv => ['unblock', connId, mode],
  write: (w: RespWriter, unblocked: boolean): void => w.int(unblocked ? 1 : 0),
  read: (reply: Buffer): boolean => readCount(reply) === 1,
};

/** config <json> -> OK: the shard takes these settings (src/shard/context.ts ShardConfig) */
export const configOp = {
  request: (config: object): ControlArgv => ['config', JSON.stringify(config)],
  /** The settings a request carries (shard side; its argument 1). */
  settings: (arg: string): object => JSON.parse(arg) as object,
};

/** role master|replica -> OK: a replica's shards keep expired keys until the master deletes them */
export const roleOp = {
  request: (replica: boolean): ControlArgv => ['role', replica ? 'replica' : 'master'],
  isReplica: (arg: string): boolean => arg === 'replica',
};

/** flushdb <db> -> keys removed */
export const flushdbOp = {
  request: (db: number): ControlArgv => ['flushdb', db],
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
};
