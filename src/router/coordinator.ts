/*
 * Coordinator: runs commands whose keys live on more than one shard, atomically for every observer.
 *
 * Two ways, chosen per command:
 *   - split (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH): one sub-command per shard with that shard's
 *     keys, all written to the rings in one synchronous step (so every other request is ordered
 *     entirely before or entirely after it on every shard), replies combined (MGET keeps key order,
 *     counts are summed). One round trip, no locks.
 *   - ship (everything else: RENAME, COPY, SMOVE, LMOVE, SUNIONSTORE, MSETNX, ZUNIONSTORE, LCS ...):
 *     lock the involved shards (requests for them from other clients wait on the main thread), export
 *     the keys owned by other shards to the shard of the first key, run the command there with those
 *     keys installed, write the keys it modified back to their owners, unlock. Values travel in the
 *     DUMP format. Three round trips; one generic mechanism for every command.
 *
 * Writes that span shards are propagated to replicas wrapped in MULTI/EXEC.
 */

import { F, X, timeoutArgIndex, type Command } from '../commands/table.js';
import { FLAG_COORDINATED, FLAG_DEFER_READY, FLAG_IN_MULTI } from '../ipc/records.js';
import { standInOp, unblockOp } from '../ipc/control.js';
import { CommandError, internalError, wrongArity } from '../resp/errors.js';
import { exportOp, importOp, shipOp, type KeyValue } from '../ipc/control.js';
import { ReplyReader } from '../resp/reply-reader.js';
import { RespWriter, encodeCommand } from '../resp/writer.js';
import type { Args } from '../commands/args.js';
import type { Connection } from '../server/connection.js';
import { Hold } from '../server/connection.js';
import type { CoordinatorHost } from './coordinator-host.js';
import type { ShardReply } from '../server/shard-link.js';
import { pinDollarIds, streamBlockMs } from './stream-block.js';
import { decodeKeyspaceEvents, encodeKeyspaceEvent } from '../server/keyspace-notify.js';

/** What a coordinated command needs to know about its client. */
export interface CoordRequest {
  db: number;
  proto: 2 | 3;
  cmd: Command;
  argv: string[];
  /** Key argument positions. */
  keys: number[];
  /** Extra request flags (FLAG_IN_MULTI inside EXEC). */
  flags: number;
}

export interface CoordResult {
  reply: Buffer;
  /** Propagation parts (each a RESP command sequence in database db). */
  prop: { db: number; bytes: Buffer }[];
  /**
   * Keyspace events it raised, in redis-server's order (REP_NOTIFY bodies): not yet published; the
   * caller publishes them as the issuing client's (ahead of its reply, NOLOOP attribution).
   */
  events?: Buffer;
}

const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

export class Coordinator {
  /** Lock and pass waiters in arrival order (see the locks section). */
  private lockWaiters: { shards: number[]; take: boolean; grant: () => void }[] = [];
  private readonly token = {};

  /**
   * Split commands sent without locks whose replies have not all arrived: a snapshot cut (holding
   * every lock) waits for them, since their propagation is fed only when their replies are in.
   */
  private unlockedSplits = 0;
  private quiesceWaiters: (() => void)[] = [];
  /** Clients blocked across shards with a timeout. */
  private readonly timedBlocked = new Set<Connection>();

  constructor(private readonly server: CoordinatorHost) {}

  /** Resolve when no multi-shard command runs without holding locks (for a snapshot cut). */
  quiesce(): Promise<void> {
    if (this.unlockedSplits === 0) return Promise.resolve();
    return new Promise((r) => this.quiesceWaiters.push(r));
  }

  /** Start a multi-shard command for a client: the connection waits (Busy) until its reply. */
  start(conn: Connection, cmd: Command, args: Args, keys: number[]): boolean {
    const seq = conn.nextSeq++;
    const req: CoordRequest = { db: conn.db, proto: conn.proto, cmd, argv: args.all(), keys: [...keys], flags: 0 };
    conn.hold = Hold.Busy;
    conn.busySeq = -1;
    this.server.stats.commandsProcessed++;
    conn.lastCmd = cmd.name;
    const s = this.server;
    const t0 = performance.now();
    this.run(req, conn)
      .then(
        (res) => {
          this.propagate(res.prop);
          if (res.events) s.publishEvents(res.events, conn.id, seq);
          s.stats.intro.called(conn, cmd, req.argv, t0, res.reply[0] === 0x2d);
          s.reply(conn, seq, res.reply);
        },
        (e: unknown) => {
          s.replyError(conn, seq, this.errorText(req.cmd.name, e));
          s.stats.intro.called(conn, cmd, req.argv, t0, true);
        },
      )
      .finally(() => s.endBusy(conn));
    return true;
  }

  /** A failed command's error reply: a CommandError's text; a bug's fixed text (logged, never shown). */
  errorText(cmd: string, e: unknown): string {
    if (e instanceof CommandError) return e.reply;
    this.server.log.error({ err: e }, `multi-shard command '${cmd}' failed`);
    return internalError(cmd);
  }

  /** Feed propagation parts to the replication stream, wrapped in MULTI/EXEC when more than one. */
  propagate(parts: { db: number; bytes: Buffer }[]): void {
    const nonEmpty = parts.filter((p) => p.bytes.length > 0);
    if (nonEmpty.length === 0) return;
    const repl = this.server.replication;
    if (nonEmpty.length === 1) {
      repl.feed(nonEmpty[0]!.db, nonEmpty[0]!.bytes);
      return;
    }
    repl.feed(nonEmpty[0]!.db, MULTI);
    for (const p of nonEmpty) repl.feed(p.db, p.bytes);
    repl.feed(nonEmpty[nonEmpty.length - 1]!.db, EXEC);
  }

  /** Run a multi-shard request on shards the caller has already locked (EXEC, a script, across shards). */
  runLocked(req: CoordRequest): Promise<CoordResult> {
    if (req.cmd.x & X.SPLIT) return this.split(req, true);
    return this.ship(req);
  }

  private async run(req: CoordRequest, conn: Connection): Promise<CoordResult> {
    const shards = this.shardsOf(req);
    if (req.cmd.x & X.SPLIT) {
      if (!(req.cmd.flags & F.WRITE) || !this.server.replication.hasBacklog()) return this.split(req);
      // with replicas, a write over several shards is locked so that its parts reach the stream
      // together (MULTI/EXEC) and in order with every other write to those keys
      await this.lock(shards);
      try {
        const res = await this.split(req, true);
        this.propagate(res.prop);
        return { ...res, prop: [] };
      } finally {
        this.unlock(shards);
      }
    }
    await this.lock(shards);
    // whether this call still holds its locks: every lock has the same owner token, so "are these
    // shards locked" cannot tell ours from another command's (unlocking on that test once released
    // another command's locks after a blocking retry, and could leave a shard locked for good)
    let locked = true;
    try {
      let res = await this.ship(req);
      this.propagate(res.prop);
      res = { ...res, prop: [] };
      // a blocking command whose keys span shards: retry until served or timed out
      if (req.cmd.flags & F.BLOCKING && !(req.flags & FLAG_IN_MULTI) && isNullReply(res.reply)) {
        const streamMs = streamBlockMs(req.cmd.name, req.argv);
        if (streamMs >= 0) await pinDollarIds(this.server, req.db, req.proto, req.argv);
        else if (req.cmd.name === 'xread' || req.cmd.name === 'xreadgroup') return res; // no BLOCK
        // a list or sorted-set pop keeps its place in its keys' queues on their shards (stream
        // readers take nothing from each other)
        const standIns = streamMs < 0 ? await this.parkStandIns(req, conn) : [];
        this.unlock(shards);
        locked = false;
        let served: CoordResult;
        try {
          served = await this.blockingRetry(req, shards, conn);
        } finally {
          for (const sh of standIns) void this.control(sh, unblockOp.request(conn.id, 'drop'), req.db);
        }
        const events = [res.events, served.events].filter((e) => e !== undefined);
        return events.length > 0 ? { ...served, events: Buffer.concat(events) } : served;
      }
      return res;
    } finally {
      if (locked) this.unlock(shards);
    }
  }

  /**
   * Cross-shard blocking commands (rare: keys of one blocking command on several shards) are retried
   * every few milliseconds until served, the timeout passes or the client goes away.
   */
  private async blockingRetry(req: CoordRequest, shards: number[], conn: Connection): Promise<CoordResult> {
    const timeoutArg = timeoutArgIndex(req.cmd, req.argv.length);
    const streamMs = streamBlockMs(req.cmd.name, req.argv);
    const secs = streamMs >= 0 ? streamMs / 1000 : timeoutArg >= 0 ? Number(req.argv[timeoutArg]) : 0;
    const deadline = secs > 0 ? Date.now() + secs * 1000 : Infinity;
    // blocked from here on: CLIENT LIST shows it, CLIENT UNBLOCK ends it, it ends with the connection
    conn.blockedAcrossShards = true;
    if (secs > 0) this.timedBlocked.add(conn);
    for (;;) {
      await new Promise((r) => setTimeout(r, 5));
      if (conn.closed || conn.inputEnded) return this.endBlocked(conn, Buffer.alloc(0));
      if (conn.unblockReply !== null) return this.endBlocked(conn, conn.unblockReply);
      await this.lock(shards);
      let res: CoordResult;
      try {
        res = await this.ship(req);
        this.propagate(res.prop);
      } finally {
        this.unlock(shards);
      }
      // a retry that found nothing to serve raises nothing (the first attempt's events went out)
      if (!isNullReply(res.reply)) return { ...this.endBlocked(conn, res.reply), events: res.events };
      // timed out: every blocking command answers a null array then (BLMOVE too, unlike its
      // can't-block null bulk)
      if (Date.now() >= deadline) return this.endBlocked(conn, Buffer.from(req.proto === 3 ? '_\r\n' : '*-1\r\n'));
    }
  }

  /**
   * Before a client blocks on list or sorted-set keys of several shards: a stand-in on each shard
   * owning some of the keys it waits on, so that a client blocking there later on one of those keys is
   * served after it (src/shard/blocked.ts). Returns those shards (the caller drops the stand-ins).
   */
  private async parkStandIns(req: CoordRequest, conn: Connection): Promise<number[]> {
    const byShard = new Map<number, string[]>();
    for (const key of waitedKeys(req)) {
      const sh = this.server.shardOfKey(key);
      pushTo(byShard, sh, key);
    }
    await Promise.all([...byShard].map(([sh, keys]) => this.control(sh, standInOp.request(conn.id, req.db, req.cmd.id, keys), req.db)));
    return [...byShard.keys()];
  }

  /** Whether a client blocked on keys of several shards has a timeout (INFO clients_in_timeout_table). */
  blockedWithTimeout(conn: Connection): boolean {
    return this.timedBlocked.has(conn);
  }

  private endBlocked(conn: Connection, reply: Buffer): CoordResult {
    this.timedBlocked.delete(conn);
    conn.blockedAcrossShards = false;
    conn.unblockReply = null;
    return { reply, prop: [] };
  }

  /** The shards owning a request's keys, ascending. */
  shardsOf(req: CoordRequest): number[] {
    const set = new Set<number>();
    for (const i of req.keys) set.add(this.server.shardOfKey(req.argv[i]!));
    return [...set].sort((a, b) => a - b);
  }

  // ---- locks --------------------------------------------------------------------------------
  //
  // One FIFO queue of waiters, each for a set of shards:
  //   - a lock waiter takes the shards when they are all free (multi-step commands, EXEC, the
  //     full-sync cut) and frees them with unlock();
  //   - a pass waiter (a split command) never takes them: it only needs one instant at which none
  //     of its shards is locked, to write all its parts in one synchronous step. unlock() calls it
  //     synchronously, in queue order, before any later lock waiter can take those shards.
  // Nothing here waits in a loop: every waiter is served from unlock() (event-driven), so the main
  // thread keeps serving other shards, clients and signals while a multi-shard command waits. (A loop
  // "lock, unlock, still not free? lock again" once ran here: two split commands handed the shards to
  // each other through promise callbacks forever, starving the event loop.)

  /** Lock shards for a multi-step operation (all at once, FIFO among waiters: no deadlock). */
  lock(shards: number[]): Promise<void> {
    if (this.lockWaiters.length === 0 && this.free(shards)) {
      this.take(shards);
      return Promise.resolve();
    }
    return new Promise<void>((grant) => this.lockWaiters.push({ shards, take: true, grant }));
  }

  unlock(shards: number[]): void {
    for (const s of shards) this.server.links[s]!.lockedBy = null;
    while (this.lockWaiters.length > 0 && this.free(this.lockWaiters[0]!.shards)) {
      const w = this.lockWaiters.shift()!;
      if (w.take) this.take(w.shards);
      w.grant();
    }
    this.server.scheduleTick();
  }

  /**
   * Run `send` (synchronous) at the first moment none of the shards is locked and no earlier waiter
   * is queued: now, or from the unlock() that frees them. Never takes the locks.
   */
  private whenFree(shards: number[], send: () => void): void {
    this.afterLocks(shards, send);
  }

  /**
   * Queue `resume` (synchronous) behind the lock holders and waiters already queued, as a pass waiter:
   * a client's single-shard command that found its shard locked runs from the unlock() that frees it,
   * before lock waiters that came later. (Resumed from the tick instead, it lost every race to the
   * next queued script or transaction, and a stream of them starved it.)
   */
  afterLocks(shards: number[], resume: () => void): void {
    if (this.lockWaiters.length === 0 && this.free(shards)) resume();
    else this.lockWaiters.push({ shards, take: false, grant: resume });
  }

  /**
   * Send one control op to each of several shards in one synchronous step, at the first moment none
   * of them is locked (or at once when the caller has already locked them: inside EXEC or a script):
   * every reply then comes from the same cut of the keyspace, so keyspace-wide reads (DBSIZE, KEYS,
   * SCAN, RANDOMKEY, INFO keyspace) never see half of a multi-shard command, transaction or script.
   */
  cut(ops: { shard: number; argv: readonly (string | number | Uint8Array)[]; db: number }[], locked: boolean): Promise<ShardReply[]> {
    const s = this.server;
    return new Promise<ShardReply[]>((resolve) => {
      const send = (): void => {
        const ps = ops.map((o) => s.links[o.shard]!.control(o.argv, o.db));
        s.scheduleTick();
        resolve(Promise.all(ps));
      };
      if (locked) send();
      else this.whenFree([...new Set(ops.map((o) => o.shard))], send);
    });
  }

  private free(shards: number[]): boolean {
    return shards.every((s) => this.server.links[s]!.lockedBy === null);
  }

  private take(shards: number[]): void {
    for (const s of shards) this.server.links[s]!.lockedBy = this.token;
  }

  // ---- split ------------------------------------------------------------------------------

  private async split(req: CoordRequest, locked = false): Promise<CoordResult> {
    const s = this.server;
    const name = req.cmd.name;
    const step = name === 'mset' ? 2 : 1;
    // arguments are checked before any shard is touched (a shard would check its own part only)
    if (step === 2 && req.argv.length % 2 === 0) throw new CommandError(wrongArity(name));
    const groups = new Map<number, number[]>(); // shard -> key positions
    for (const i of req.keys) {
      const sh = s.shardOfKey(req.argv[i]!);
      pushTo(groups, sh, i);
    }
    const shards = [...groups.keys()];
    const bodies = shards.map((sh) => {
      const argv: string[] = [req.argv[0]!];
      for (const i of groups.get(sh)!) {
        argv.push(req.argv[i]!);
        if (step === 2) argv.push(req.argv[i + 1]!);
      }
      return encodeCommand(argv);
    });
    // every part goes out in one synchronous step, at a moment none of the shards is locked
    let parts: Promise<ShardReply>[] = [];
    const send = (): void => {
      parts = shards.map((sh, k) => s.links[sh]!.command(FLAG_COORDINATED | req.flags, req.db, req.cmd.id, req.proto, bodies[k]!, true));
      s.scheduleTick();
    };
    let replies: ShardReply[];
    if (locked) {
      send();
      replies = await Promise.all(parts);
    } else {
      // counted from the moment its parts are in the rings until its replies are back (quiesce)
      await new Promise<void>((sent) =>
        this.whenFree(shards, () => {
          this.unlockedSplits++;
          send();
          sent();
        }),
      );
      try {
        replies = await Promise.all(parts);
      } finally {
        if (--this.unlockedSplits === 0) for (const w of this.quiesceWaiters.splice(0)) w();
      }
    }
    const events = orderEvents(req, shards.map((sh) => groups.get(sh)!), replies);
    for (const r of replies) if (r.reply[0] === 0x2d) return { reply: r.reply, prop: [], events };
    const prop = replies.map((r) => ({ db: r.db, bytes: r.prop }));
    const w = new RespWriter(1024);
    w.proto = req.proto;
    if (name === 'mset') {
      w.ok();
    } else if (name === 'mget') {
      const values = new Map<number, Buffer>();
      shards.forEach((sh, k) => {
        const elems = splitArrayElements(replies[k]!.reply);
        groups.get(sh)!.forEach((pos, j) => values.set(pos, elems[j]!));
      });
      w.array(req.keys.length);
      for (const pos of req.keys) w.raw(values.get(pos)!);
    } else if (req.cmd.x & X.SPLIT_SUM) {
      let sum = 0;
      for (const r of replies) sum += new ReplyReader(r.reply).int();
      w.int(sum);
    } else throw new Error(`no way to combine the split replies of ${name}`);
    return { reply: w.toBuffer(), prop, events };
  }

  /**
   * A control op for one shard, with a tick scheduled to publish it: a step that follows an await
   * runs after the tick that resolved it, which may have gone to sleep with nothing in flight (the
   * request would then wait for the shard's next timed wake-up, up to 1/hz seconds).
   */
  private control(shard: number, argv: readonly (string | number | Uint8Array)[], db: number, flags = 0, capture = false): Promise<ShardReply> {
    const p = this.server.links[shard]!.control(argv, db, flags, capture);
    this.server.scheduleTick();
    return p;
  }

  // ---- ship -------------------------------------------------------------------------------

  /**
   * Run a command on the shard of its first key with the other shards' keys shipped in. The caller
   * holds the locks of every involved shard.
   */
  async ship(req: CoordRequest): Promise<CoordResult> {
    const s = this.server;
    const home = s.shardOfKey(req.argv[req.keys[0]!]!);
    // inside a script or EXEC, clients blocked on keys this fills are served after the whole of it
    const defer = req.flags & FLAG_DEFER_READY;
    const foreign = new Map<number, string[]>();
    const seen = new Set<string>();
    for (const i of req.keys) {
      const key = req.argv[i]!;
      const sh = s.shardOfKey(key);
      if (sh === home || seen.has(key)) continue;
      seen.add(key);
      pushTo(foreign, sh, key);
    }
    // 1. export the foreign keys
    const owners = [...foreign.keys()];
    const exported = await Promise.all(owners.map((sh) => this.control(sh, exportOp.request(req.db, foreign.get(sh)!), req.db, defer, true)));
    const shipped: KeyValue[] = [];
    owners.forEach((sh, k) => {
      const values = exportOp.read(exported[k]!.reply);
      foreign.get(sh)!.forEach((key, j) => shipped.push({ key, value: values[j] ?? null }));
    });
    // 2. run it at home
    const res: ShardReply = await this.control(home, shipOp.request(req.db, req.cmd.id, req.proto, shipped, encodeCommand(req.argv)), req.db, defer, true);
    const result = shipOp.read(res.reply);
    if ('error' in result) throw new CommandError(result.error);
    // 3. write modified foreign keys back to their owners
    const back = new Map<number, KeyValue[]>();
    for (const e of result.modified) {
      const sh = s.shardOfKey(e.key);
      pushTo(back, sh, e);
    }
    const imported = back.size > 0 ? await Promise.all([...back].map(([sh, entries]) => this.control(sh, importOp.request(req.db, entries), req.db, defer, true))) : [];
    // events: lazy expiries met by the export, the command's, then the write-backs' other than their
    // "modified" signals (the command signalled those keys already, as the writer)
    const parts = [...exported.map((r) => r.events), res.events, ...imported.map((r) => r.events && withoutWrites(r.events))];
    const events = parts.filter((e): e is Buffer => e !== undefined && e.length > 0);
    return { reply: result.reply, prop: [{ db: res.db, bytes: res.prop }], events: events.length > 0 ? Buffer.concat(events) : undefined };
  }
}

/** A REP_NOTIFY body without its "modified by the writer" signals (events named ""). */
function withoutWrites(events: Buffer): Buffer {
  const out: Buffer[] = [];
  decodeKeyspaceEvents(events, (db, event, key) => {
    if (event !== '') out.push(encodeKeyspaceEvent(Number(db), event, key));
  });
  return Buffer.concat(out);
}

/** Events that name the key of the command argument they follow, without being its change itself. */
const SIDE_EVENTS = new Set(['new', '', '!', 'expired']);

/**
 * The events of a split command's parts in the order redis-server raises them: walking the keys in
 * argument order, each takes from its shard's events those for that key up to and including its
 * change (a "new", "expired" or tracking event goes with the change after it). Anything left keeps shard order.
 */
function orderEvents(req: CoordRequest, positions: number[][], replies: ShardReply[]): Buffer | undefined {
  if (!replies.some((r) => r.events)) return undefined;
  type Ev = { key: string; event: string; bytes: Buffer };
  const queues: Ev[][] = replies.map((r) => {
    const q: Ev[] = [];
    if (r.events) decodeKeyspaceEvents(r.events, (db, event, key) => q.push({ key, event, bytes: encodeKeyspaceEvent(Number(db), event, key) }));
    return q;
  });
  const shardOfPos = new Map<number, number>();
  positions.forEach((ps, k) => ps.forEach((p) => shardOfPos.set(p, k)));
  const out: Buffer[] = [];
  for (const pos of req.keys) {
    const q = queues[shardOfPos.get(pos)!]!;
    const key = req.argv[pos]!;
    while (q.length > 0 && q[0]!.key === key) {
      const e = q.shift()!;
      out.push(e.bytes);
      if (!SIDE_EVENTS.has(e.event)) break;
    }
  }
  for (const q of queues) for (const e of q) out.push(e.bytes);
  return Buffer.concat(out);
}

/** Append v to the list at k of a map of lists (making the list). */
function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The keys a blocking command waits on: all its keys but a destination (BLMOVE's, an INSERT key spec). */
function waitedKeys(req: CoordRequest): string[] {
  const dest = new Set<number>();
  for (const spec of req.cmd.keySpecs) if (spec.b[0] === 'i' && spec.f.includes('INSERT')) dest.add(spec.b[1]);
  return req.keys.filter((i) => !dest.has(i)).map((i) => req.argv[i]!);
}

function isNullReply(b: Buffer): boolean {
  return b.equals(NULL_ARRAY) || b.equals(NULL_BULK) || b.equals(NULL3);
}

const NULL_ARRAY = Buffer.from('*-1\r\n');
const NULL_BULK = Buffer.from('$-1\r\n');
const NULL3 = Buffer.from('_\r\n');

/** The raw bytes of each element of a RESP array reply. */
function splitArrayElements(b: Buffer): Buffer[] {
  let p = b.indexOf(13) + 2;
  const out: Buffer[] = [];
  while (p < b.length) {
    const start = p;
    const t = b[p]!;
    const nl = b.indexOf(13, p);
    if (t === 0x24) {
      const len = Number(b.latin1Slice(p + 1, nl));
      p = len < 0 ? nl + 2 : nl + 2 + len + 2;
    } else {
      p = nl + 2;
    }
    out.push(b.subarray(start, p));
  }
  return out;
}
