/*
 * Client-side caching (CLIENT TRACKING) on the main thread: per-client tracking state (REDIRECT,
 * BCAST + PREFIX, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP), the tracking table (key -> clients that
 * read it, bounded by tracking-table-max-keys) and the invalidation messages: RESP3 pushes
 * ">2 invalidate [keys]", or "message __redis__:invalidate [keys]" to a RESP2 client subscribed to
 * that channel (REDIRECT). A null key list means "everything" (FLUSHALL / FLUSHDB).
 *
 * Reads are remembered when the main thread routes a read-only command of a tracking client; writes
 * arrive from the shards as the keys they modified (an event named "" in the shard's REP_NOTIFY
 * record, "!" for a deletion by expiry, which is no client's write; sent only while some client
 * tracks: ShardConfig.trackWrites).
 */

import { keyPositions, type Command } from '../commands/table.js';
import type { Args } from '../commands/args.js';
import { decodeKeyspaceEvents } from './keyspace-notify.js';
import { RespWriter } from '../resp/writer.js';
import type { Connection } from './connection.js';

const NULL_BULK = Buffer.from('$-1\r\n');

export const TRACKING_CHANNEL = '__redis__:invalidate';

export interface TrackingState {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
  /** CLIENT CACHING yes|no given for the next command: the one with sequence number cachingSeq. */
  caching: '' | 'yes' | 'no';
  cachingSeq: number;
  /** The redirect target went away (TRACKINGINFO's broken_redirect). */
  brokenRedirect: boolean;
}

/** What the tracking code needs from the server. */
export interface TrackingHost {
  readonly conns: Map<number, Connection>;
  queueWrite(c: Connection): void;
  configInt(name: string): number;
  /** Tell the shards whether to report modified keys. */
  setTrackWrites(on: boolean): void;
}

const RO_SCRIPTS = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

export class ClientTracking {
  readonly clients = new Map<number, TrackingState>();
  /** key -> ids of the clients that read it since its last invalidation. */
  private readonly table = new Map<string, Set<number>>();
  /** BCAST prefix -> client ids. */
  private readonly prefixes = new Map<string, Set<number>>();
  private readonly enc = new RespWriter(256);

  constructor(private readonly host: TrackingHost) {}

  get trackedKeys(): number {
    return this.table.size;
  }

  /** Key -> client pairs in the tracking table (INFO tracking_total_items). */
  get trackedItems(): number {
    let n = 0;
    for (const set of this.table.values()) n += set.size;
    return n;
  }

  get prefixCount(): number {
    return this.prefixes.size;
  }

  enable(conn: Connection, s: TrackingState): void {
    const old = this.clients.get(conn.id);
    if (old) for (const p of old.prefixes) this.prefixes.get(p)?.delete(conn.id);
    this.clients.set(conn.id, s);
    for (const p of s.prefixes) {
      let set = this.prefixes.get(p);
      if (!set) this.prefixes.set(p, (set = new Set()));
      set.add(conn.id);
    }
    if (this.clients.size === 1 && !old) this.host.setTrackWrites(true);
  }

  disable(id: number): void {
    const s = this.clients.get(id);
    if (!s) return;
    this.clients.delete(id);
    for (const [p, set] of this.prefixes) {
      set.delete(id);
      if (set.size === 0) this.prefixes.delete(p);
    }
    if (this.clients.size === 0) {
      this.table.clear();
      this.host.setTrackWrites(false);
    }
  }

  /** A read-only command of `conn` with these keys is being run: remember them (unless BCAST/opted out). */
  remember(conn: Connection, keys: readonly string[]): void {
    const s = this.clients.get(conn.id);
    if (!s || s.bcast) return;
    const caching = s.cachingSeq === conn.nextSeq ? s.caching : '';
    if (s.optin && caching !== 'yes') return;
    if (s.optout && caching === 'no') return;
    for (const key of keys) {
      let set = this.table.get(key);
      if (!set) this.table.set(key, (set = new Set()));
      set.add(conn.id);
    }
    this.enforceLimit();
  }

  /** tracking-table-max-keys: invalidate remembered keys until the table fits (also on CONFIG SET). */
  enforceLimit(): void {
    const max = this.host.configInt('tracking-table-max-keys');
    if (max > 0) {
      // over the limit: invalidate keys (the oldest remembered) until it fits, as Redis evicts them
      for (const key of this.table.keys()) {
        if (this.table.size <= max) break;
        this.invalidate(key, -1);
      }
    }
  }

  /** Dispatching a command of a tracking client: remember a read's keys; CACHING applies once. */
  onCommand(conn: Connection, cmd: Command, args: Args, readonly: boolean): void {
    const s = this.clients.get(conn.id);
    if (!s) return;
    // read-only scripts are not reads themselves: the commands they run are (script-run.ts), as Redis
    if (readonly && !RO_SCRIPTS.has(cmd.name)) {
      const pos = keyPositions(cmd, args.argc, (i) => args.str(i));
      if (pos !== null && pos.length > 0) this.remember(conn, pos.map((i) => args.str(i)));
    }
  }

  /** The keys a shard reports modified (events with an empty name in a REP_NOTIFY body). */
  onShardEvents(bytes: Uint8Array, writer: number): void {
    decodeKeyspaceEvents(bytes, (_db, event, key) => {
      if (event === '') this.invalidate(key, writer);
      else if (event === '!') this.invalidate(key, 0);
    });
  }

  /** `key` was modified by client `writer` (0 when not known): invalidate it for its readers. */
  invalidate(key: string, writer: number): void {
    const set = this.table.get(key);
    if (set) {
      this.table.delete(key);
      for (const id of set) {
        const s = this.clients.get(id);
        if (!s || s.bcast) continue;
        if (s.noloop && id === writer) continue;
        this.send(id, s, [key], writer);
      }
    }
    if (this.prefixes.size > 0) {
      for (const p of this.prefixes.keys()) {
        if (!key.startsWith(p)) continue;
        let keys = this.pendingBcast.get(p);
        if (!keys) this.pendingBcast.set(p, (keys = new Map()));
        // as Redis: remember who wrote it (0 when several clients did) for NOLOOP
        const prev = keys.get(key);
        keys.set(key, prev === undefined || prev === writer ? writer : 0);
      }
      if (this.pendingBcast.size > 0 && !this.bcastScheduled) {
        this.bcastScheduled = true;
        queueMicrotask(() => this.flushBroadcast());
      }
    }
  }

  /** BCAST keys modified since the last flush, by prefix: key -> writer. */
  private readonly pendingBcast = new Map<string, Map<string, number>>();
  private bcastScheduled = false;

  /**
   * Send what BCAST clients must drop: one message per prefix per client with every key written
   * under it since the last flush (after the replies drained in this tick, as Redis's beforeSleep).
   */
  flushBroadcast(): void {
    this.bcastScheduled = false;
    const pending = [...this.pendingBcast].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.pendingBcast.clear();
    for (const [p, keys] of pending) {
      const ids = this.prefixes.get(p);
      if (!ids) continue;
      for (const id of ids) {
        const s = this.clients.get(id);
        if (!s) continue;
        const list: string[] = [];
        for (const [k, w] of keys) if (!(s.noloop && w === id)) list.push(k);
        if (list.length > 0) this.send(id, s, list);
      }
    }
  }

  /** FLUSHALL / FLUSHDB: every tracking client is told to drop everything (a null key list). */
  invalidateAll(): void {
    for (const [id, s] of this.clients) this.send(id, s, null);
    this.table.clear();
  }

  onClose(conn: Connection): void {
    this.disable(conn.id);
  }

  /** Deliver an invalidation to client `id` (or to its redirect target). */
  private send(id: number, s: TrackingState, keys: string[] | null, writer = 0): void {
    let target = this.host.conns.get(id);
    if (s.redirect > 0) {
      const r = this.host.conns.get(s.redirect);
      if (r === undefined) {
        // the redirect target went away: a RESP3 client is told so once
        if (!s.brokenRedirect && target !== undefined && target.proto === 3) {
          s.brokenRedirect = true;
          const w = this.enc;
          w.reset();
          w.proto = 3;
          w.push(1);
          w.bulk('tracking-redir-broken');
          this.deliver(target, w.toBuffer());
        }
        s.brokenRedirect = true;
        return;
      }
      target = r;
    }
    if (target === undefined || target.closed) return;
    const w = this.enc;
    w.reset();
    w.proto = target.proto;
    if (target.proto === 3) {
      w.push(2);
      w.bulk('invalidate');
    } else {
      if (!target.channels.has(TRACKING_CHANNEL)) return;
      w.push(3);
      w.bulk('message');
      w.bulk(TRACKING_CHANNEL);
    }
    if (keys === null) {
      if (target.proto === 3) w.nullArray();
      else w.raw(NULL_BULK);
    }
    else {
      w.array(keys.length);
      for (const k of keys) w.bulk(k);
    }
    this.deliver(target, w.toBuffer(), target.id === writer);
  }

  /**
   * Queue an invalidation in reply order. `ownWrite`: caused by the target's own command, which
   * gets it after that command's reply (Redis 7.0 holds these back until the reply is written), even
   * when the command was a blocked one served just now.
   */
  private deliver(c: Connection, bytes: Buffer, ownWrite = false): void {
    if (c.sendSeq === c.nextSeq || (c.blockedOn >= 0 && !ownWrite)) c.pushOutOfBand(bytes);
    else c.deliver(c.takeSeq(), bytes, false, true);
    this.host.queueWrite(c);
  }
}

/** True if two BCAST prefixes overlap (one starts with the other). */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}
