/*
 * Transactions on the main thread: MULTI EXEC DISCARD WATCH UNWATCH.
 *
 * MULTI opens a queue (conn.multi); the dispatcher queues every later command (after its arity and
 * lookup checks: a failure there flags the queue, and EXEC then answers EXECABORT).
 *
 * WATCH registers the keys with the shards that own them (control op "watch"); a shard marks the
 * connection's watch touched when any of them is written, expired, flushed or swapped away. EXEC asks
 * the watching shards (or the one shard running the transaction) whether it was (watch-touched) and
 * answers a null array if so.
 *
 * EXEC runs the queue in one of two ways:
 *   - one shard: every queued command is a shard command whose keys all live on one shard and every
 *     watched key lives there too. The queue goes as one REQ_TXN record; the shard checks WATCH and
 *     runs the commands back to back, so nothing interleaves. The reply comes back like any shard
 *     reply (under a sequence number taken right after EXEC's own, which stays empty).
 *   - locked: anything else (keys on several shards, main-thread commands such as SELECT, PUBLISH,
 *     CONFIG, CLIENT KILL, REPLICAOF). The coordinator locks every shard involved (all of them when
 *     a main-thread command might touch the keyspace), WATCH is checked, and the commands run in
 *     order: runs of single-shard commands are pipelined, cross-shard commands go through
 *     coordinator.runLocked, main-thread handlers are called in place. Replies are gathered into EXEC's
 *     array; the writes are propagated once, wrapped in MULTI/EXEC, including those of main-thread
 *     commands (captured through propagateMain instead of going straight to the stream).
 */

import { Args } from '../../commands/args.js';
import { F, Route, keyPositions } from '../../commands/table.js';
import { FLAG_COORDINATED, FLAG_DEFER_READY, FLAG_IN_MULTI, FLAG_REPLICATED, REQ_TXN } from '../../ipc/records.js';
import { CommandError, DISCARD_WITHOUT_MULTI, EXECABORT, EXEC_WITHOUT_MULTI, MULTI_NESTED, WATCH_IN_MULTI, internalError, sanitizeErrorText, unknownCommand } from '../../resp/errors.js';
import { execDenials } from '../../acl/check.js';
import { RespWriter, encodeCommand } from '../../resp/writer.js';
import type { Connection, QueuedCommand } from '../connection.js';
import { MainCtx, type MainHandler, type ServerContext } from '../main-ctx.js';
import type { ShardReply } from '../shard-link.js';
import { Keys, X, declare, mainCommands } from '../../commands/registry.js';
import { releaseReadyOp, watchOp, watchTouchedOp } from '../../ipc/control.js';

/**
 * Connections whose EXEC is running its queue right now. Main-thread commands that would block
 * (WAIT) or take shard locks themselves must check it: inside EXEC they answer at once (as Redis
 * does for a client in MULTI) and the transaction already holds what it needs.
 */
export const execRunning = new WeakSet<Connection>();

export interface PropPart {
  db: number;
  bytes: Buffer;
}

/** Propagation captured while an EXEC runs, by connection. */
const captures = new WeakMap<Connection, PropPart[]>();

/**
 * Propagate a write made by a main-thread command (FLUSHALL, SWAPDB, PUBLISH ...): straight to the
 * replication stream, or, inside EXEC, into the transaction's MULTI/EXEC block in command order.
 */
export function propagateMain(c: MainCtx, db: number, argv: readonly (string | number | Uint8Array)[]): void {
  const cap = captures.get(c.conn);
  if (cap === undefined) {
    c.server.propagate(db, argv);
    return;
  }
  cap.push({ db, bytes: encodeCommand(argv) });
}

/**
 * Capture a connection's main-thread propagation into `parts` (a script running its commands) until
 * the returned function restores what was there before (an EXEC's capture, or none).
 */
export function captureMainPropagation(conn: Connection, parts: PropPart[]): () => void {
  const prev = captures.get(conn);
  captures.set(conn, parts);
  return () => {
    if (prev !== undefined) captures.set(conn, prev);
    else captures.delete(conn);
  };
}

/** Propagate writes made for a connection: into its EXEC's block if one runs, else to the stream. */
export function propagateForConnection(s: ServerContext, conn: Connection, parts: PropPart[]): void {
  const cap = captures.get(conn);
  if (cap !== undefined) cap.push(...parts);
  else propagateParts(s, parts);
}

/** The shards holding a queued shard command's keys (keyless commands run on shard 0). */
function shardsOfQueued(s: ServerContext, q: QueuedCommand): { shards: number[]; keys: number[] } {
  const keys = keyPositions(q.cmd, q.argv.length, (i) => q.argv[i]!) ?? [];
  const set = new Set<number>();
  for (const i of keys) set.add(s.shardOfKey(q.argv[i]!));
  if (set.size === 0) set.add(0);
  return { shards: [...set].sort((a, b) => a - b), keys };
}

/** Feed a transaction's writes to the replication stream: one write as is, several in MULTI/EXEC. */
function propagateParts(s: ServerContext, parts: PropPart[]): void {
  const nonEmpty = parts.filter((p) => p.bytes.length > 0);
  if (nonEmpty.length === 0) return;
  s.coordinator.propagate(nonEmpty);
}

/** One-shard EXEC: send the whole queue as one REQ_TXN record. False if this path does not apply. */
function execOnOneShard(c: MainCtx, queued: QueuedCommand[]): boolean {
  const s = c.server;
  const conn = c.conn;
  let shard = -1;
  for (const q of queued) {
    if (q.cmd.route !== Route.Shard) return false;
    const { shards } = shardsOfQueued(s, q);
    if (shards.length !== 1) return false;
    if (shard < 0) shard = shards[0]!;
    else if (shard !== shards[0]) return false;
  }
  for (const w of conn.watchShards) {
    if (shard < 0) shard = w;
    else if (w !== shard) return false;
  }
  if (shard < 0) return false; // nothing queued and nothing watched: answered in place
  const link = s.links[shard]!;
  if (link.lockedBy !== null || link.congested) return false;
  let size = 0;
  for (const q of queued) size += 8 + q.body.length;
  const body = Buffer.allocUnsafe(size);
  let p = 0;
  for (const q of queued) {
    body.writeUInt32LE(q.cmd.id, p);
    body.writeUInt32LE(q.body.length, p + 4);
    q.body.copy(body, p + 8);
    p += 8 + q.body.length;
  }
  // the shard drops this connection's watches itself
  conn.watchShards.clear();
  conn.watched = [];
  // EXEC's own sequence number gets an empty reply; the transaction's array takes the next one
  const seq = conn.takeSeq();
  link.send(REQ_TXN, conn.isMaster ? FLAG_REPLICATED : 0, conn.db, conn.id, seq, conn.proto << 16, body, 0, body.length);
  conn.inflight++;
  link.inflight++;
  s.stats.commandsProcessed += queued.length;
  s.scheduleTick();
  return true;
}

/** The shards an EXEC must lock: those of its keys and watches; all of them for keyspace-wide commands. */
function shardsToLock(s: ServerContext, conn: Connection, queued: QueuedCommand[]): number[] {
  const set = new Set<number>(conn.watchShards);
  for (const q of queued) {
    if (q.cmd.route === Route.Main) {
      // INFO is not keyless: its keyspace section reads every shard, which must not show half of
      // another transaction
      if (q.cmd.keys !== Keys.None) return s.links.map((_, i) => i);
      continue;
    }
    for (const sh of shardsOfQueued(s, q).shards) set.add(sh);
  }
  return [...set].sort((a, b) => a - b);
}

/** Run a main-thread command inside EXEC; its reply bytes (an error reply if it failed). */
async function runMainQueued(c: MainCtx, q: QueuedCommand): Promise<Buffer> {
  const s = c.server;
  const w = new RespWriter(256);
  w.proto = c.conn.proto;
  const handler = s.mainHandlers[q.cmd.id];
  const t0 = performance.now();
  try {
    if (!handler) throw new CommandError(unknownCommand(q.cmd.name, []));
    const args = new Args();
    args.set(Buffer.alloc(0), new Int32Array(0), new Int32Array(0), q.argv.length, q.argv);
    const r = handler(new MainCtx(s, c.conn, q.cmd, args, w, c.seq));
    if (r instanceof Promise) await r;
  } catch (e) {
    w.reset();
    if (!(e instanceof CommandError)) s.log.error({ err: e }, `command '${q.cmd.name}' failed in EXEC`);
    w.error(sanitizeErrorText(e instanceof CommandError ? e.reply : internalError(q.cmd.name)));
  }
  s.stats.commandsProcessed++;
  const reply = w.toBuffer();
  s.stats.intro.called(c.conn, q.cmd, q.argv, t0, reply[0] === 0x2d);
  return reply;
}

/** Locked EXEC: lock the shards, check WATCH, run the queue in order. Writes EXEC's reply to c.w. */
async function execLocked(c: MainCtx, queued: QueuedCommand[], denied: Map<number, string> | null = null): Promise<void> {
  const s = c.server;
  const conn = c.conn;
  const locked = shardsToLock(s, conn, queued);
  if (locked.length > 0) await s.coordinator.lock(locked);
  // shards the queue's commands ran on: clients blocked on keys they filled are served after the
  // whole transaction (as by redis-server), not between its commands (the script mechanism)
  const touched = new Set<number>();
  try {
    if (conn.watchShards.size > 0) {
      const watching = [...conn.watchShards];
      const watchedChanged = (await Promise.all(watching.map((sh) => s.oneShard(sh, watchTouchedOp.request(conn.id))))).some((r) => watchTouchedOp.read(r.reply));
      await s.unwatchAll(conn);
      if (watchedChanged || conn.closed) {
        c.w.nullArray();
        return;
      }
    }
    const parts: PropPart[] = [];
    captures.set(conn, parts);
    execRunning.add(conn);
    const replies: (Buffer | Promise<ShardReply>)[] = [];
    let pending: { index: number; reply: Promise<ShardReply>; t0: number }[] = [];
    const settle = async (): Promise<void> => {
      const done = await Promise.all(pending.map((x) => x.reply));
      done.forEach((r, k) => {
        replies[pending[k]!.index] = r.reply;
        parts.push({ db: r.db, bytes: r.prop });
        // in queue order, as EXEC's client's own (commands on several shards ran side by side)
        if (r.events) s.publishEvents(r.events, conn.id, c.seq);
        const q = queued[pending[k]!.index]!;
        s.stats.intro.called(conn, q.cmd, q.argv, pending[k]!.t0, r.reply[0] === 0x2d);
      });
      pending = [];
    };
    for (let i = 0; i < queued.length; i++) {
      const q = queued[i]!;
      const deniedMsg = denied?.get(i);
      if (deniedMsg !== undefined) {
        const w = new RespWriter(256);
        w.error(deniedMsg);
        replies[i] = w.toBuffer();
        continue;
      }
      if (q.cmd.route === Route.Main) {
        await settle();
        replies[i] = await runMainQueued(c, q);
        continue;
      }
      const { shards, keys } = shardsOfQueued(s, q);
      s.stats.commandsProcessed++;
      if (shards.length === 1) {
        const t0 = performance.now();
        touched.add(shards[0]!);
        pending.push({ index: i, t0, reply: s.links[shards[0]!]!.command(FLAG_IN_MULTI | FLAG_COORDINATED | FLAG_DEFER_READY, conn.db, q.cmd.id, conn.proto, q.body, true) });
        s.scheduleTick();
        continue;
      }
      await settle();
      const t0 = performance.now();
      try {
        for (const sh of shards) touched.add(sh);
        const res = await s.coordinator.runLocked({ db: conn.db, proto: conn.proto, cmd: q.cmd, argv: q.argv, keys, flags: FLAG_IN_MULTI | FLAG_DEFER_READY });
        replies[i] = res.reply;
        parts.push(...res.prop);
        if (res.events) s.publishEvents(res.events, conn.id, c.seq);
      } catch (e) {
        const w = new RespWriter(128);
        w.error(sanitizeErrorText(s.coordinator.errorText(q.cmd.name, e)));
        replies[i] = w.toBuffer();
      }
      s.stats.intro.called(conn, q.cmd, q.argv, t0, (replies[i] as Buffer)[0] === 0x2d);
    }
    await settle();
    c.w.array(queued.length);
    for (const r of replies) c.w.raw(r as Buffer);
    propagateParts(s, parts);
  } finally {
    captures.delete(conn);
    execRunning.delete(conn);
    // serve the deferred blocked clients before anything queued behind the locks (release-ready ends the hold its requests put on each shard)
    for (const sh of touched) void s.oneShard(sh, releaseReadyOp.request());
    if (locked.length > 0) s.coordinator.unlock(locked);
  }
}

export const commands = mainCommands<MainHandler>({
  multi: declare((c) => {
    if (c.conn.multi !== null) throw new CommandError(MULTI_NESTED);
    c.conn.multi = [];
    c.conn.multiError = false;
    c.w.ok();
  }, { x: X.NOT_QUEUED }),

  discard: declare((c) => {
    const conn = c.conn;
    if (conn.multi === null) throw new CommandError(DISCARD_WITHOUT_MULTI);
    conn.multi = null;
    conn.multiError = false;
    void c.server.unwatchAll(conn);
    c.w.ok();
  }, { x: X.NOT_QUEUED }),

  watch: declare((c) => {
    const conn = c.conn;
    if (conn.multi !== null) throw new CommandError(WATCH_IN_MULTI);
    const s = c.server;
    const byShard = new Map<number, string[]>();
    for (let i = 1; i < c.argc; i++) {
      const key = c.args.str(i);
      const sh = s.shardOfKey(key);
      let g = byShard.get(sh);
      if (g === undefined) {
        g = [];
        byShard.set(sh, g);
      }
      g.push(key);
      conn.watched.push([conn.db, key]);
    }
    // queued behind this connection's earlier requests on each shard, ahead of its later ones
    for (const [sh, keys] of byShard) {
      conn.watchShards.add(sh);
      void s.oneShard(sh, watchOp.request(conn.id, conn.db, keys));
    }
    c.w.ok();
  }, { x: X.NOT_QUEUED }),

  unwatch: declare((c) => {
    if (!execRunning.has(c.conn)) void c.server.unwatchAll(c.conn);
    c.w.ok();
  }, { keys: Keys.None }),

  exec: declare((c) => {
    const conn = c.conn;
    if (conn.multi === null) throw new CommandError(EXEC_WITHOUT_MULTI);
    const queued = conn.multi;
    const failed = conn.multiError;
    conn.multi = null;
    conn.multiError = false;
    if (failed) {
      void c.server.unwatchAll(conn);
      throw new CommandError(EXECABORT);
    }
    if (queued.length === 0 && conn.watchShards.size === 0) {
      c.w.array(0);
      return undefined;
    }
    const denied = execDenials(c.server, conn, queued);
    if (denied === null && !queued.some((q) => q.cmd.flags & F.NO_MULTI) && execOnOneShard(c, queued)) return undefined;
    return execLocked(c, queued, denied);
  }, { x: X.NOT_QUEUED }),
});
