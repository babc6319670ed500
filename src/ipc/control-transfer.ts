/*
 * Control operations that move values between threads: keys shipped between shards for cross-shard
 * commands (src/router/coordinator.ts, src/shard/shipped.ts), snapshots for full sync and RDB saves
 * (src/shard/snapshot.ts), and RDB entries loaded into a shard (src/persistence/load.ts).
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';
import { numArg, readCount, strsFrom, type ControlArgv } from './control-common.js';

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
  args: (a: Args): { db: number; keys: string[] } => ({ db: numArg(a, 1), keys: strsFrom(a, 2) }),
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
export const snapshotBeginOp = { request: (): ControlArgv => ['snapshot-begin'] };

/** snapshot-abort -> OK: drop a snapshot in progress */
export const snapshotAbortOp = { request: (): ControlArgv => ['snapshot-abort'] };

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

// ---- loading RDB files (src/persistence/load.ts) -------------------------------------------------------

/**
 * rdbload-raw <db> <entries> <keys-per-slot> [<slot-runs>] -> :keys installed. The entries are RDB
 * key entries as a file holds them ([EXPIRETIME_MS <ms>] <type> <key> <value>...), batched by
 * src/persistence/load.ts; keys-per-slot (0: unknown) sizes the slot tables the batch creates;
 * slot-runs, when given, names the hash slot of each run of entries (the shard need not hash the keys).
 */
export const rdbloadOp = {
  /** `slotRuns`: (slot, end offset in entries) as int32 LE pairs, the entries in runs of one slot each (optional). */
  request: (db: number, entries: Uint8Array, keysPerSlot = 0, slotRuns?: Uint8Array): ControlArgv =>
    slotRuns === undefined ? ['rdbload-raw', db, entries, keysPerSlot] : ['rdbload-raw', db, entries, keysPerSlot, slotRuns],
  args: (a: Args): { db: number; entries: Uint8Array; keysPerSlot: number; slotRuns: Buffer | null } => ({
    db: Number(a.str(1)),
    entries: a.bytes(2),
    keysPerSlot: Number(a.str(3)) || 0,
    slotRuns: a.argc > 4 ? a.bytes(4) : null,
  }),
  write: (w: RespWriter, installed: number): void => w.int(installed),
  read: readCount,
};
