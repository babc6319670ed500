/*
 * Internal operations the main thread asks of a shard (REQ_CONTROL records), for keyspace-wide
 * commands (DBSIZE, KEYS, SCAN, FLUSHALL, RANDOMKEY, INFO keyspace), WATCH bookkeeping, blocked
 * client management, cross-shard key shipping (export/import), configuration and role changes.
 *
 * Each op reads its arguments with its decoder in src/ipc/control.ts (from c.args: argv[0] is the op
 * name) and writes one RESP reply with its encoder there.
 */

import { NOTIFY_NEW } from '../commands/keyspace-events.js';
import { notifiesNewOrMiss } from './key-signals.js';
import v8 from 'node:v8';
import { arenaSlack } from '../store/arena.js';
import { globMatch, matchesAll } from '../commands/glob.js';
import { CommandError, IMPORT_BAD_PAYLOAD, NO_SNAPSHOT, UNBLOCKED, internalError } from '../resp/errors.js';
import { SLOTS } from '../router/slot.js';
import { createDumpPayload, parseDumpPayload } from '../codec/dump.js';
import type { ShardHost } from './host.js';
import { NULL_ARRAY, unblock, serveReadyKeys } from './blocked.js';
import { runShipped } from './shipped.js';
import { REP_REPLY } from '../ipc/records.js';
import { isAggregate, typeName } from './values/types.js';
import { SORT_CONTROL_HANDLERS } from './control-sort.js';
import { INTROSPECT_CONTROL } from './introspect.js';
import { POPULATE_CONTROL } from './populate.js';
import { RDBLOAD_CONTROL } from './rdbload.js';
import { forgetScriptConnection, SCRIPT_CONTROL_HANDLERS } from '../scripting/shard-entry.js';
import { dbsizeOp, keysOp, keyspaceOp, memoryOp, randomkeyOp, scanOp, statsOp, unblockOp, watchTouchedOp, configOp, flushallOp, flushdbOp, roleOp, exportOp, importOp, snapshotNextOp, type KeyPayload, disconnectOp, standInOp, swapdbOp, unwatchOp, watchOp } from '../ipc/control.js';

type ControlHandler = (c: ShardHost) => void;

/** After a flush: keys with blocked clients in these databases are gone (XREADGROUP waiters are told). */
function signalBlockedIn(c: ShardHost, dbs: number[]): void {
  for (const id of [...c.blocked.byKey.keys()]) {
    const sep = id.indexOf('\0');
    const dbi = Number(id.slice(0, sep));
    if (dbs.includes(dbi)) c.ks.hooks.modified(dbi, id.slice(sep + 1));
  }
}

export const CONTROL_HANDLERS: Record<string, ControlHandler> = {
  /** crash: DEBUG SEGFAULT. The shard dies (uncaught), which the server treats as fatal. */
  crash(c) {
    void c;
    // in a worker thread process.exit ends this thread only: the server sees the shard exit
    process.exit(70);
  },

  /** ping -> +PONG (startup barrier, liveness) */
  ping(c) {
    c.w.simple('PONG');
  },

  /**
   * release-ready -> +OK: the end of a coordinated sequence (cross-shard EXEC or script) that ran
   * here; clients blocked on keys it filled are served now (Shard.readyHold).
   */
  'release-ready'(c) {
    c.readyHold = false;
    c.w.ok();
  },

  /** watch <connId> <db> <key>... */
  watch(c) {
    const { connId, db, keys } = watchOp.args(c.args);
    for (const key of keys) c.watches.watch(connId, db, key);
    c.w.ok();
  },

  /** unwatch <connId> */
  unwatch(c) {
    c.watches.unwatchAll(unwatchOp.connId(c.args));
    c.w.ok();
  },

  /** watch-touched <connId> -> :1 if a watched key changed (or expired since WATCH) */
  'watch-touched'(c) {
    watchTouchedOp.write(c.w, c.watches.isTouched(watchTouchedOp.connId(c.args)));
  },

  /** unblock <connId> timeout|error|drop -> :1 if it was blocked here */
  unblock(c) {
    const { connId, mode } = unblockOp.args(c.args);
    const reply = mode === 'timeout' ? NULL_ARRAY : mode === 'error' ? UNBLOCKED : null;
    unblockOp.write(c.w, unblock(c, connId, reply));
  },

  /** standin <connId> <db> <cmdId> <key>...: a client blocked on keys of several shards waits on these too */
  standin(c) {
    const { connId, db, cmdId, keys } = standInOp.args(c.args);
    const cmd = c.commands[cmdId];
    if (cmd === undefined) throw new Error('standin: unknown command id');
    c.blocked.add({ connId, seq: 0, db, proto: 2, cmd, argv: [], keys, deadline: 0, standIn: true });
    c.w.ok();
  },

  /** disconnect <connId>: forget everything about a connection (blocked, watched, scripts diverted) */
  disconnect(c) {
    const conn = disconnectOp.connId(c.args);
    unblock(c, conn, null);
    c.watches.unwatchAll(conn);
    forgetScriptConnection(conn);
    c.w.ok();
  },

  /** dbsize <db> */
  dbsize(c) {
    dbsizeOp.write(c.w, c.ks.db(dbsizeOp.db(c.args)).size);
  },

  /** flushdb <db> | flushall -> :keys removed */
  flushdb(c) {
    c.snapshot?.saveAll();
    const db = flushdbOp.db(c.args);
    c.watches.dbReplaced(db, null);
    flushdbOp.write(c.w, c.ks.db(db).flush());
    signalBlockedIn(c, [db]);
  },
  flushall(c) {
    c.snapshot?.saveAll();
    for (const db of c.ks.dbs) c.watches.dbReplaced(db.id, null);
    let n = 0;
    for (const db of c.ks.dbs) n += db.flush();
    signalBlockedIn(c, c.ks.dbs.map((d) => d.id));
    flushallOp.write(c.w, n);
  },

  /** swapdb <a> <b> */
  swapdb(c) {
    c.snapshot?.saveAll();
    const { a, b } = swapdbOp.args(c.args);
    if (a === b) {
      c.w.ok();
      return;
    }
    c.watches.dbReplaced(a, b);
    c.watches.dbReplaced(b, a);
    const dbs = c.ks.dbs;
    const da = dbs[a]!;
    const dbb = dbs[b]!;
    // swap contents, keep ids
    const swap = <K extends 'size' | 'expiresSize' | 'avgTtl' | 'expireCursor' | 'bytes'>(k: K): void => {
      const t = da[k];
      da[k] = dbb[k];
      dbb[k] = t;
    };
    const store = da.store;
    da.store = dbb.store;
    dbb.store = store;
    const expiries = da.expiries;
    da.expiries = dbb.expiries;
    dbb.expiries = expiries;
    const raw = da.rawKeys;
    da.rawKeys = dbb.rawKeys;
    dbb.rawKeys = raw;
    swap('size');
    swap('bytes');
    swap('expiresSize');
    swap('avgTtl');
    swap('expireCursor');
    // clients blocked on a key that exists after the swap can be served now
    for (const id of c.blocked.byKey.keys()) {
      const sep = id.indexOf('\0');
      const dbi = Number(id.slice(0, sep));
      if (dbi !== a && dbi !== b) continue;
      const key = id.slice(sep + 1);
      const v = dbs[dbi]!.peek(key);
      if (v !== undefined && isAggregate(v) && v.blockable && !dbs[dbi]!.isExpired(key)) c.ks.hooks.ready(dbi, key);
      else c.ks.hooks.modified(dbi, key); // XREADGROUP waiters of a stream swapped away are unblocked
    }
    c.w.ok();
  },

  /** keys <db> <pattern> -> array of live keys matching */
  keys(c) {
    const req = keysOp.args(c.args);
    const db = c.ks.db(req.db);
    const pattern = req.pattern;
    const all = matchesAll(pattern);
    const out: string[] = [];
    const m = db.store;
    for (let s = 0; s < SLOTS; s++) {
      if (m.size(s) === 0) continue;
      for (const k of m.keys(s)) {
        if (db.isExpired(k)) continue;
        if (all || globMatch(pattern, k)) out.push(k);
      }
    }
    keysOp.write(c.w, out);
  },

  /**
   * scan <db> <slot> <endSlot> <count> <pattern|""> <type|""> -> [nextSlot, [keys], visited]
   * Visits whole slots from <slot> until at least <count> keys were visited or <endSlot> is reached.
   * Whole slots only: a key present in a slot when it is visited is always returned, so a cursor that
   * is a slot number keeps SCAN's guarantee.
   */
  scan(c) {
    const req = scanOp.args(c.args);
    const db = c.ks.db(req.db);
    let slot = req.slot;
    const { end, count, pattern } = req;
    const type = req.type.toLowerCase();
    const all = pattern === '' || matchesAll(pattern);
    const out: string[] = [];
    let visited = 0;
    const m = db.store;
    while (slot < end && visited < count) {
      const s = slot++;
      if (m.size(s) === 0) continue;
      for (const [k, v] of m.entries(s)) {
        visited++;
        if (db.isExpired(k)) continue;
        if (!all && !globMatch(pattern, k)) continue;
        if (type && typeName(v) !== type) continue;
        out.push(k);
      }
    }
    scanOp.write(c.w, { next: slot, keys: out, visited });
  },

  /** randomkey <db> -> [size, key|nil] */
  randomkey(c) {
    const db = c.ks.db(randomkeyOp.db(c.args));
    if (db.size === 0) {
      randomkeyOp.write(c.w, 0, null);
      return;
    }
    // every key equally likely: a random non-empty slot, kept with probability size / largest size
    // (rejection sampling), then a random key of it. (Walking from a random slot to the next non-empty
    // one favoured keys after long runs of empty slots: with several shards, the slots of the others.)
    const filled: number[] = [];
    const m = db.store;
    let largest = 0;
    for (let s = 0; s < SLOTS; s++) {
      const n = m.size(s);
      if (n === 0) continue;
      filled.push(s);
      if (n > largest) largest = n;
    }
    let last: string | null = null;
    for (let tries = 0; tries < 100; ) {
      const s = filled[Math.floor(Math.random() * filled.length)]!;
      let idx = Math.floor(Math.random() * largest);
      if (idx >= m.size(s)) continue;
      tries++;
      for (const k of m.keys(s)) {
        if (idx-- === 0) {
          last = k;
          break;
        }
      }
      if (last !== null && !db.isExpired(last)) break;
    }
    randomkeyOp.write(c.w, db.size, last);
  },

  /** keyspace -> for each db: [keys, expires] */
  keyspace(c) {
    keyspaceOp.write(c.w, c.ks.dbs.map((db) => ({ keys: db.size, expires: db.expiresSize })));
  },

  /** stats -> [hits, misses, expired, commands, blocked, watched, blocked with a timeout] */
  stats(c) {
    const { blocked, timed } = c.blocked.counts();
    statsOp.write(c.w, {
      hits: c.ks.hits,
      misses: c.ks.misses,
      expired: c.ks.expiredKeys,
      commands: c.commandsProcessed,
      blocked,
      watchedKeys: c.watches.watchers.size,
      timedBlocked: timed,
    });
  },

  /**
   * memory -> [heap bytes used, external bytes, dataset bytes] of this shard's isolate (INFO memory's
   * used_memory, used_memory_dataset). External memory counts the shard's own ArrayBuffers and
   * Buffers (the arena's pages among them), not the rings it shares with the main thread (the main
   * thread counts those). The dataset: on the byte store the bytes the arena's entries take (keys,
   * inline values, expiry times; not the tables' bucket arrays, not values held as JS objects), on
   * the heap store the heap in use.
   */
  memory(c) {
    c.evictor.measureAsked(c.commandsProcessed); // used_memory is the eviction board's sum (this shard's row)
    const h = v8.getHeapStatistics();
    const a = c.ks.arena;
    memoryOp.write(c.w, { heap: h.used_heap_size, external: h.external_memory - arenaSlack.bytes, dataset: a === null ? h.used_heap_size : a.entryBytes });
  },

  /** evict: maxmemory's eviction before a command of another shard (Evictor.perform) */
  evict(c) {
    c.evictor.perform();
    c.w.ok();
  },

  /** resetstat */
  resetstat(c) {
    c.ks.hits = 0;
    c.ks.misses = 0;
    c.ks.expiredKeys = 0;
    c.commandsProcessed = 0;
    c.evictor.resetStats();
    c.intro.stats.reset();
    c.w.ok();
  },

  /** role master|replica */
  role(c) {
    c.ks.replica = roleOp.isReplica(c.args);
    c.w.ok();
  },

  /** config <json>: update the shard's view of the configuration */
  config(c) {
    Object.assign(c.config, configOp.settings(c.args));
    c.evictor.configure(); // (ks.notifyNewOrMiss follows the new flags after every op: runControl)
    c.w.ok();
  },

  /**
   * export <db> <key>... -> for each key: nil, or [payload (DUMP format), expire-at ms or -1]
   * (read-only: used to ship values to the shard that runs a cross-shard command)
   */
  export(c) {
    const req = exportOp.args(c.args);
    const db = c.ks.db(req.db);
    const values: (KeyPayload | null)[] = [];
    for (const key of req.keys) {
      const v = db.get(key);
      values.push(v === undefined ? null : { payload: createDumpPayload(v), expireAt: db.getExpire(key) });
    }
    exportOp.write(c.w, values);
  },

  /**
   * import <db> (<key> <payload|""> <expire-at|-1>)... : replace (or delete, when the payload is empty)
   * keys with values computed elsewhere. Signals WATCH and wakes blocked clients like any write.
   * A trailing "notify" (SORT ... STORE) raises the "new" keyspace event for keys that did not exist.
   */
  import(c) {
    const req = importOp.args(c.args);
    const db = c.ks.db(req.db);
    for (const { key, value } of req.entries) {
      if (req.notifyNew && db.get(key) === undefined && value !== null) c.notify(NOTIFY_NEW, 'new', key, db.id);
      c.snapshot?.saveSlotAllDbs(c.ks.slotOf(key));
      if (value === null) {
        db.delete(key);
        continue;
      }
      const v = parseDumpPayload(value.payload);
      if (v === null) throw new CommandError(IMPORT_BAD_PAYLOAD);
      db.delete(key);
      db.set(key, v);
      if (value.expireAt >= 0) db.setExpire(key, value.expireAt);
    }
    c.w.ok();
  },

  /** snapshot-begin: the cut of a full-sync snapshot (see snapshot.ts) -> +OK */
  'snapshot-begin'(c) {
    c.beginSnapshot();
    c.w.ok();
  },

  /**
   * snapshot-next -> [complete (0|1), (db, entries)...]: the next chunk of the snapshot, RDB key
   * entries grouped by database. The snapshot ends when complete is 1.
   */
  'snapshot-next'(c) {
    const snap = c.snapshot;
    if (snap === null) throw new CommandError(NO_SNAPSHOT);
    const { parts, complete } = snap.next();
    if (complete) c.snapshot = null;
    snapshotNextOp.write(c.w, complete, parts);
  },

  /** snapshot-abort: drop a snapshot in progress (its replica went away). */
  'snapshot-abort'(c) {
    c.snapshot = null;
    c.w.ok();
  },

  /**
   * ship <db> <cmdId> <proto> <n> (<key> <payload> <expire-at>){n} <request>: run a command here
   * with n keys owned by other shards installed for its duration (see shipped.ts).
   * -> [reply bytes, [(<key> <payload|""> <expire-at>) for each shipped key the command modified]]
   */
  ship(c) {
    runShipped(c);
  },
  ...SORT_CONTROL_HANDLERS,

  ...INTROSPECT_CONTROL,
  ...POPULATE_CONTROL,
  ...RDBLOAD_CONTROL,
  ...SCRIPT_CONTROL_HANDLERS,
};

/** Run one REQ_CONTROL record: the operation's reply (or error) and writes go out as its reply record. */
export function runControl(shard: ShardHost, body: Buffer, start: number): void {
  shard.intro.flush();
  shard.frameBody(body, start);
  const op = shard.args.str(0);
  const h = CONTROL_HANDLERS[op];
  shard.w.reset();
  shard.w.limit = Infinity; // internal replies (DUMP payloads of whole values) are not client replies
  shard.w.proto = shard.protocol;
  shard.p.reset();
  // internal moves of keys (values shipped out for, and home after, a cross-shard command) are no
  // new keys nor misses to users (import ... notify says when it is a user's write, see above)
  if (op === 'import' || op === 'export') shard.ks.notifyNewOrMiss = false;
  try {
    if (!h) throw new Error(`unknown control op ${op}`);
    h(shard);
  } catch (e) {
    shard.w.reset();
    if (!(e instanceof CommandError)) console.error(e);
    shard.w.error(e instanceof CommandError ? e.reply : internalError(op));
  } finally {
    shard.ks.notifyNewOrMiss = notifiesNewOrMiss(shard.config);
  }
  if (shard.intro.mark !== 0) shard.intro.mark = performance.now();
  shard.emit(REP_REPLY, 0, shard.db.id, shard.connId, shard.seq, shard.w, shard.p);
  shard.p.reset();
  // inside a coordinated sequence serveReadyKeys does nothing (Shard.readyHold) until its closing
  // release-ready
  if (shard.blocked.readyKeys.length > 0) serveReadyKeys(shard);
}
