/*
 * The typed control protocol between the main thread and the shards (REQ_CONTROL records): per
 * operation, the request's argv (main thread), the reply's encoder (shard, src/shard/control.ts ...)
 * and its decoder (main thread), in one place so both sides read and write the same shape. Replies
 * travel as RESP, read with ReplyReader (src/resp/reply-reader.ts); the decoders name every field
 * instead of leaving callers to destructure positional arrays.
 *
 * Not listed here: ping (startup).
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';
import type { CommandStats, CommandStatsCopy } from '../server/stats/cmdstats.js';

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
    const r = new ReplyReader(reply);
    const n = r.array();
    const s = {} as ShardStats;
    STATS_FIELDS.forEach((f, i) => (s[f] = i < n ? r.int() : 0));
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
    const r = new ReplyReader(reply);
    const out: DbCounts[] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      out.push({ keys: r.int(), expires: r.int() });
    }
    return out;
  },
};

/** The shard isolate's memory (INFO memory's used_memory) and the part of it its data takes. */
export interface ShardMemory {
  heap: number;
  external: number;
  /** Bytes of the keyspace's entries (used_memory_dataset; see shard/control.ts). */
  dataset: number;
}

/** memory -> ShardMemory */
export const memoryOp = {
  request: (): ControlArgv => ['memory'],
  write(w: RespWriter, m: ShardMemory): void {
    w.array(3);
    w.int(m.heap);
    w.int(m.external);
    w.int(m.dataset);
  },
  read(reply: Buffer): ShardMemory {
    const r = new ReplyReader(reply);
    r.array();
    return { heap: r.int(), external: r.int(), dataset: r.int() };
  },
};

/** Replies that are one integer used as a count. */
function readCount(reply: Buffer): number {
  return new ReplyReader(reply).int();
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
    const r = new ReplyReader(reply);
    const n = r.array();
    if (n < 0) return undefined;
    const type = r.str();
    const elems: string[] = [];
    for (let i = 1; i < n; i++) elems.push(r.str());
    return { type, elems };
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
  read: (reply: Buffer): (string | null)[] => new ReplyReader(reply).bulks(),
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

/** release-ready -> OK: serve the clients blocked on keys a coordinated sequence (EXEC, a script) filled */
export const releaseReadyOp = {
  request: (): ControlArgv => ['release-ready'],
};

/** resetstat -> OK: CONFIG RESETSTAT's share of the shard (hits, misses, command stats ...) */
export const resetstatOp = {
  request: (): ControlArgv => ['resetstat'],
};

/** crash: DEBUG SEGFAULT's stand-in, the shard's thread exits */
export const crashOp = {
  request: (): ControlArgv => ['crash'],
};

/** What a shard times commands by (slowlog-log-slower-than, latency-monitor-threshold ...). */
export interface IntrospectSettings {
  slowerThan: number;
  latencyThreshold: number;
  tracking: boolean;
  maxLen: number;
}

/** introspect-config <slowlog-log-slower-than> <latency-monitor-threshold> <latency-tracking 0|1> <slowlog-max-len> -> OK */
export const introspectConfigOp = {
  request: (s: IntrospectSettings): ControlArgv => ['introspect-config', s.slowerThan, s.latencyThreshold, s.tracking ? 1 : 0, s.maxLen],
  /** The settings a request carries (shard side). */
  settings: (a: Args): IntrospectSettings => ({ slowerThan: Number(a.str(1)), latencyThreshold: Number(a.str(2)), tracking: a.str(3) === '1', maxLen: Number(a.str(4)) }),
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

/**
 * rdbload-raw <db> <entries> -> :keys installed. The entries are RDB key entries as a file holds
 * them ([EXPIRETIME_MS <ms>] <type> <key> <value>...), batched by src/persistence/load.ts.
 */
export const rdbloadOp = {
  request: (db: number, entries: Uint8Array): ControlArgv => ['rdbload-raw', db, entries],
  args: (a: Args): { db: number; entries: Uint8Array } => ({ db: Number(a.str(1)), entries: a.bytes(2) }),
  write: (w: RespWriter, installed: number): void => w.int(installed),
  read: readCount,
};

// ---- cross-shard commands (src/router/coordinator.ts, src/shard/shipped.ts) --------------------------

/** A key's value as it travels between shards: its DUMP payload and absolute expiry (ms, -1: none). */
export interface KeyPayload {
  payload: Uint8Array;
  expireAt: number;
}

/** A key and its value, or null for none (absent, or deleted by a shipped command). */
export interface KeyValue {
  key: string;
  value: KeyPayload | null;
}

/** `<key> <payload|""> <expire-at|-1>` for each entry. */
function pushEntries(argv: ControlArgv, entries: readonly KeyValue[]): void {
  for (const e of entries) argv.push(e.key, e.value?.payload ?? '', e.value?.expireAt ?? -1);
}

/** The entries of a request from argument `from` on, `count` of them (shard side). */
function entriesOf(a: Args, from: number, count: number): KeyValue[] {
  const out: KeyValue[] = [];
  for (let i = 0; i < count; i++) {
    const at = from + i * 3;
    const payload = a.bytes(at + 1);
    out.push({ key: a.str(at), value: payload.length === 0 ? null : { payload, expireAt: Number(a.str(at + 2)) } });
  }
  return out;
}

function writeEntries(w: RespWriter, entries: readonly KeyValue[]): void {
  w.array(entries.length * 3);
  for (const e of entries) {
    w.bulk(e.key);
    if (e.value === null) w.bulk('');
    else w.bulkBytes(e.value.payload);
    w.int(e.value === null ? -1 : e.value.expireAt);
  }
}

function readEntries(r: ReplyReader): KeyValue[] {
  const out: KeyValue[] = [];
  for (let n = r.array(); n >= 3; n -= 3) {
    const key = r.str();
    const payload = r.bytes() ?? Buffer.alloc(0);
    const expireAt = r.int();
    out.push({ key, value: payload.length === 0 ? null : { payload, expireAt } });
  }
  return out;
}

/** export <db> <key>... -> each key's value (null when absent), to ship it to another shard */
export const exportOp = {
  request: (db: number, keys: readonly string[]): ControlArgv => ['export', db, ...keys],
  write(w: RespWriter, values: readonly (KeyPayload | null)[]): void {
    w.array(values.length);
    for (const v of values) {
      if (v === null) {
        w.nullArray();
        continue;
      }
      w.array(2);
      w.bulkBytes(v.payload);
      w.int(v.expireAt);
    }
  },
  read(reply: Buffer): (KeyPayload | null)[] {
    const r = new ReplyReader(reply);
    const out: (KeyPayload | null)[] = [];
    for (let i = r.array(); i > 0; i--) {
      if (r.array() < 0) {
        out.push(null);
        continue;
      }
      const payload = r.bytes() ?? Buffer.alloc(0);
      out.push({ payload, expireAt: r.int() });
    }
    return out;
  },
};

/**
 * import <db> (<key> <payload|""> <expire-at|-1>)... [notify] -> OK: replace (or delete, for no value)
 * keys with values computed elsewhere; "notify" (SORT ... STORE) raises "new" for keys that did not exist.
 */
export const importOp = {
  request(db: number, entries: readonly KeyValue[], notifyNew = false): ControlArgv {
    const argv: ControlArgv = ['import', db];
    pushEntries(argv, entries);
    if (notifyNew) argv.push('notify');
    return argv;
  },
  /** The request's entries and notify flag (shard side). */
  args(a: Args): { db: number; entries: KeyValue[]; notifyNew: boolean } {
    const n = a.argc - 2;
    const notifyNew = n % 3 === 1 && a.str(a.argc - 1) === 'notify';
    return { db: Number(a.str(1)), entries: entriesOf(a, 2, Math.floor(n / 3)), notifyNew };
  },
};

/** What a shipped command came to: its reply and the shipped keys it modified, or an error. */
export type ShipResult = { error: string } | { reply: Buffer; modified: KeyValue[] };

/**
 * ship <db> <cmdId> <proto> <n> (<key> <payload|""> <expire-at>){n} <request> -> ShipResult: run a
 * command on one shard with n keys owned by other shards installed for its duration (shipped.ts).
 */
export const shipOp = {
  request(db: number, cmdId: number, proto: 2 | 3, keys: readonly KeyValue[], request: Uint8Array): ControlArgv {
    const argv: ControlArgv = ['ship', db, cmdId, proto, keys.length];
    pushEntries(argv, keys);
    argv.push(request);
    return argv;
  },
  /** The request's parts (shard side). */
  args(a: Args): { db: number; cmdId: number; proto: 2 | 3; keys: KeyValue[]; request: Buffer } {
    const n = Number(a.str(4));
    return { db: Number(a.str(1)), cmdId: Number(a.str(2)), proto: a.str(3) === '3' ? 3 : 2, keys: entriesOf(a, 5, n), request: a.bytes(5 + n * 3) };
  },
  write(w: RespWriter, reply: Uint8Array, modified: readonly KeyValue[]): void {
    w.array(2);
    w.bulkBytes(reply);
    writeEntries(w, modified);
  },
  read(reply: Buffer): ShipResult {
    const r = new ReplyReader(reply);
    const error = r.error();
    if (error !== null) return { error };
    r.array();
    const bytes = r.bytes() ?? Buffer.alloc(0);
    return { reply: bytes, modified: readEntries(r) };
  },
};

// ---- snapshots (full sync, persistence) ---------------------------------------------------------------

/** snapshot-begin -> OK: the cut of a snapshot, behind the requests the shard already has (shard/snapshot.ts) */
export const snapshotBeginOp = {
  request: (): ControlArgv => ['snapshot-begin'],
};

/** snapshot-abort -> OK: drop a snapshot in progress */
export const snapshotAbortOp = {
  request: (): ControlArgv => ['snapshot-abort'],
};

/** One chunk of a snapshot: RDB key entries grouped by database; the last one is complete. */
export interface SnapshotChunk {
  complete: boolean;
  parts: { db: number; entries: Buffer }[];
}

/** snapshot-next -> SnapshotChunk */
export const snapshotNextOp = {
  request: (): ControlArgv => ['snapshot-next'],
  write(w: RespWriter, complete: boolean, parts: readonly (readonly [number, Uint8Array])[]): void {
    w.array(1 + parts.length * 2);
    w.int(complete ? 1 : 0);
    for (const [db, bytes] of parts) {
      w.int(db);
      w.bulkBytes(bytes);
    }
  },
  read(reply: Buffer): SnapshotChunk {
    const r = new ReplyReader(reply);
    const n = r.array();
    const complete = r.int() === 1;
    const parts: SnapshotChunk['parts'] = [];
    for (let i = 1; i + 1 < n; i += 2) parts.push({ db: r.int(), entries: r.bytes() ?? Buffer.alloc(0) });
    return { complete, parts };
  },
};

// ---- introspection (src/shard/introspect.ts -> src/server/stats/) -------------------------------------

/** A slow command a shard timed: when (ms since the epoch, fractional), its unix time, µs, args, client. */
export type SlowRecord = readonly [stamp: number, time: number, us: number, args: readonly string[], connId: number];

/** A latency sample a shard took: when (as SlowRecord), the event, its unix time, ms. */
export type LatencyRecord = readonly [stamp: number, event: string, time: number, ms: number];

/** introspect-drain -> the shard's pending slow log entries and latency samples (then forgotten there) */
export const introspectDrainOp = {
  request: (): ControlArgv => ['introspect-drain'],
  /** slow: SlowRecords (further fields of the shard's own entries are not sent). */
  write(w: RespWriter, slow: readonly (readonly [...SlowRecord, ...unknown[]])[], latency: readonly LatencyRecord[]): void {
    w.array(2);
    w.array(slow.length);
    for (const [stamp, time, us, args, connId] of slow) {
      w.array(5);
      w.bulk(String(stamp));
      w.int(time);
      w.int(us);
      w.array(args.length);
      for (const a of args) w.bulk(a);
      w.int(connId);
    }
    w.array(latency.length);
    for (const [stamp, event, time, ms] of latency) {
      w.array(4);
      w.bulk(String(stamp));
      w.bulk(event);
      w.int(time);
      w.int(ms);
    }
  },
  read(reply: Buffer): { slow: SlowRecord[]; latency: LatencyRecord[] } {
    const r = new ReplyReader(reply);
    r.array();
    const slow: SlowRecord[] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      const stamp = Number(r.str());
      const time = r.int();
      const us = r.int();
      const args: string[] = [];
      for (let j = r.array(); j > 0; j--) args.push(r.str());
      slow.push([stamp, time, us, args, r.int()]);
    }
    const latency: LatencyRecord[] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      latency.push([Number(r.str()), r.str(), r.int(), r.int()]);
    }
    return { slow, latency };
  },
};

/** cmdstats -> the shard's command stats (every command called, failed or rejected since the last reset) */
export const cmdstatsOp = {
  request: (): ControlArgv => ['cmdstats'],
  /** [errorTotal, [code, n]..., [id, calls, usec, failed, rejected, [bucket, count]...]...] */
  write(w: RespWriter, st: CommandStats): void {
    const ids: number[] = [];
    for (let i = 0; i < st.size; i++) if (st.calls[i]! > 0 || st.rejected[i]! > 0 || st.failed[i]! > 0) ids.push(i);
    w.array(3);
    w.int(st.errorTotal);
    w.array(st.errors.size * 2);
    for (const [k, n] of st.errors) {
      w.bulk(k);
      w.int(n);
    }
    w.array(ids.length);
    for (const id of ids) {
      w.array(6);
      w.int(id);
      w.int(st.calls[id]!);
      w.bulk(String(st.usec[id]!));
      w.int(st.failed[id]!);
      w.int(st.rejected[id]!);
      const h = st.hist[id];
      const pairs: number[] = [];
      if (h) for (let b = 0; b < h.length; b++) if (h[b]! > 0) pairs.push(b, h[b]!);
      w.array(pairs.length);
      for (const x of pairs) w.int(x);
    }
  },
  read(reply: Buffer): CommandStatsCopy {
    const r = new ReplyReader(reply);
    r.array();
    const errorTotal = r.int();
    const errors: [string, number][] = [];
    for (let n = r.array(); n >= 2; n -= 2) errors.push([r.str(), r.int()]);
    const commands: CommandStatsCopy['commands'] = [];
    for (let i = r.array(); i > 0; i--) {
      r.array();
      const id = r.int();
      const calls = r.int();
      const usec = Number(r.str());
      const failed = r.int();
      const rejected = r.int();
      const hist: [number, number][] = [];
      for (let n = r.array(); n >= 2; n -= 2) hist.push([r.int(), r.int()]);
      commands.push({ id, calls, usec, failed, rejected, hist });
    }
    return { errorTotal, errors, commands };
  },
};

// ---- scripts run in a shard (src/scripting/fast-path.ts -> src/scripting/shard-script.ts) ---------

/** What a script or function run in a shard came to (status: shard-script.ts SCRIPT_*). */
export interface ScriptRunReply {
  status: number;
  /** The script's reply (RESP), when it ran here. */
  reply: Buffer;
  /** Commands it called. */
  calls: number;
  /** redis.log lines: the level digit, then the message. */
  logs: string[];
}

/** script / fcall ... -> ScriptRunReply */
export const scriptRunOp = {
  write(w: RespWriter, status: number, reply: Uint8Array, calls: number, logs: readonly string[]): void {
    w.array(4);
    w.int(status);
    w.bulkBytes(reply);
    w.int(calls);
    w.array(logs.length);
    for (const l of logs) w.bulk(l);
  },
  /** The status alone, without decoding the rest (-1: not a script reply, e.g. an error). */
  status(reply: Buffer): number {
    // "*4\r\n:<status>\r\n..." (statuses are one digit)
    return reply[0] === 0x2a && reply[4] === 0x3a ? reply[5]! - 48 : -1;
  },
  read(reply: Buffer): ScriptRunReply | { error: string } {
    const r = new ReplyReader(reply);
    const error = r.error();
    if (error !== null) return { error };
    r.array();
    const status = r.int();
    const bytes = r.bytes() ?? Buffer.alloc(0);
    const calls = r.int();
    const logs: string[] = [];
    for (let i = r.array(); i > 0; i--) logs.push(r.str());
    return { status, reply: bytes, calls, logs };
  },
};
