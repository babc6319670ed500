/*
 * Pub/Sub on the main thread: who listens to what, and delivery of published messages.
 *
 * Three registries, as Redis keeps them: channel -> subscribers, pattern -> subscribers, shard
 * channel -> subscribers (SSUBSCRIBE; without cluster mode a shard channel is just a second namespace).
 * Each connection keeps its own side (conn.channels / patterns / shardChannels) for UNSUBSCRIBE with
 * no arguments, CLIENT LIST and clean-up on RESET and close.
 *
 * Delivery: a message is encoded once per protocol and kind (message / pmessage / smessage) and the
 * same bytes are queued on every receiving connection. A connection with no reply pending takes it
 * straight into its output; one waiting for earlier replies takes a sequence number, so the message
 * is written after the replies of the requests it received before the PUBLISH (this keeps a
 * SUBSCRIBE confirmation ahead of the first message, as clients expect).
 *
 * Output buffer limits (client-output-buffer-limit, class pubsub for subscribed clients): checked after
 * each delivery against the bytes queued on the socket and not yet sent. Over the hard limit, or over
 * the soft limit for longer than its seconds, the client is closed and logged, so a subscriber that
 * does not read cannot make the server's memory grow without bound.
 *
 * Other main-thread code (replication, sentinel hello messages) publishes through publish().
 */

import { globMatch } from '../commands/glob.js';
import { RespWriter } from '../resp/writer.js';
import { NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, parseKeyspaceEvents } from '../commands/keyspace-events.js';
import { publishKeyspaceEvents } from './keyspace-notify.js';
import type { Connection } from './connection.js';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export type Subscribers = Map<string, Set<Connection>>;

/** What pub/sub uses of the server (Server satisfies it structurally). */
export interface PubSubHost {
  readonly config: Config;
  readonly log: Logger;
  readonly conns: ReadonlyMap<number, Connection>;
  closeConnection(conn: Connection): void;
  /** Write this connection's output at the end of the tick. */
  queueWrite(conn: Connection): void;
}

/** The pub/sub state of one server. */
export class PubSub {
  readonly channels: Subscribers = new Map();
  readonly patterns: Subscribers = new Map();
  readonly shardChannels: Subscribers = new Map();
  private readonly enc = new RespWriter(1024);

  constructor(private readonly server: PubSubHost) {}

  // ---- subscriptions ------------------------------------------------------------------------

  /** Add conn to registry[name]; false if it was already there. */
  static add(registry: Subscribers, own: Set<string>, conn: Connection, name: string): boolean {
    if (own.has(name)) return false;
    own.add(name);
    let set = registry.get(name);
    if (set === undefined) {
      set = new Set();
      registry.set(name, set);
    }
    set.add(conn);
    return true;
  }

  /** Remove conn from registry[name]; false if it was not there. */
  static remove(registry: Subscribers, own: Set<string>, conn: Connection, name: string): boolean {
    if (!own.delete(name)) return false;
    const set = registry.get(name);
    if (set !== undefined) {
      set.delete(conn);
      if (set.size === 0) registry.delete(name);
    }
    return true;
  }

  /** Leave every subscription of a connection silently (RESET, close). */
  dropAll(conn: Connection): void {
    for (const ch of [...conn.channels]) PubSub.remove(this.channels, conn.channels, conn, ch);
    for (const p of [...conn.patterns]) PubSub.remove(this.patterns, conn.patterns, conn, p);
    for (const ch of [...conn.shardChannels]) PubSub.remove(this.shardChannels, conn.shardChannels, conn, ch);
  }

  // ---- delivery -----------------------------------------------------------------------------

  /**
   * Deliver a message to the subscribers of `channel` (and, unless sharded, of matching patterns).
   * Returns the number of receivers, as PUBLISH replies.
   */
  publish(channel: string, message: string, sharded: boolean): number {
    const now = Date.now();
    let receivers = 0;
    const over: Connection[] = [];
    const limits = this.limits();
    const direct = (sharded ? this.shardChannels : this.channels).get(channel);
    if (direct !== undefined && direct.size > 0) {
      receivers += this.deliverTo(direct, sharded ? 'smessage' : 'message', null, channel, message, limits, now, over);
    }
    if (!sharded && this.patterns.size > 0) {
      for (const [pattern, subs] of this.patterns) {
        if (globMatch(pattern, channel)) receivers += this.deliverTo(subs, 'pmessage', pattern, channel, message, limits, now, over);
      }
    }
    for (const c of over) {
      if (c.closed) {
        // normally removed by the close hook; never let a dead subscriber linger
        this.dropAll(c);
        continue;
      }
      this.server.log.warn(`Client ${clientDescription(c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.server.closeConnection(c);
    }
    return receivers;
  }

  /**
   * Deliver one message to a set of subscribers (encoded once per protocol); those closed or over
   * their output limit go to `over`. Returns how many received it.
   */
  private deliverTo(subs: Iterable<Connection>, kind: string, pattern: string | null, channel: string, message: string, limits: [number, number, number], now: number, over: Connection[]): number {
    let r2: Buffer | null = null;
    let r3: Buffer | null = null;
    let receivers = 0;
    for (const c of subs) {
      if (c.closed) {
        over.push(c);
        continue;
      }
      let bytes: Buffer;
      if (c.proto === 3) bytes = r3 ??= this.encode(3, kind, pattern, channel, message);
      else bytes = r2 ??= this.encode(2, kind, pattern, channel, message);
      if (this.deliver(c, bytes, limits, now)) over.push(c);
      receivers++;
    }
    return receivers;
  }

  private limitsText = '';
  private limitsValue: [number, number, number] = [0, 0, 0];

  /** The pubsub class of client-output-buffer-limit, re-parsed only when the setting changed. */
  private limits(): [number, number, number] {
    const text = this.server.config.get('client-output-buffer-limit');
    if (text !== this.limitsText) {
      this.limitsText = text;
      this.limitsValue = this.server.config.outputBufferLimit('pubsub');
    }
    return this.limitsValue;
  }

  private encode(proto: 2 | 3, kind: string, pattern: string | null, channel: string, message: string): Buffer {
    const w = this.enc;
    w.reset();
    w.proto = proto;
    w.push(pattern === null ? 3 : 4);
    w.bulk(kind);
    if (pattern !== null) w.bulk(pattern);
    w.bulk(channel);
    w.bulk(message);
    return w.toBuffer();
  }

  /** The connection whose command caused the keyspace events being published, and its sequence. */
  private origin: Connection | undefined = undefined;
  private originSeq = 0;
  private notifyText = '';
  private notifyFlags = 0;

  /**
   * Publish the keyspace events of a shard's REP_NOTIFY record (connId/seq: the command that caused
   * them). A RESP3 client that caused an event and listens to it gets the push before its reply.
   */
  keyspaceEvents(bytes: Uint8Array, connId: number, seq: number): void {
    const text = this.server.config.get('notify-keyspace-events');
    if (text !== this.notifyText) {
      this.notifyText = text;
      this.notifyFlags = parseKeyspaceEvents(text);
    }
    if (this.channels.size === 0 && this.patterns.size === 0) return;
    this.origin = connId !== 0 ? this.server.conns.get(connId) : undefined;
    this.originSeq = seq;
    try {
      if (this.notifyFlags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) publishKeyspaceEvents(bytes, this.notifyFlags, (channel, message) => this.publish(channel, message, false));
    } finally {
      this.origin = undefined;
    }
  }

  /** Queue bytes on a connection in reply order; true if it is now over its output buffer limit. */
  private deliver(c: Connection, bytes: Buffer, limits: [number, number, number], now: number): boolean {
    if (c.closed) return false;
    if (c === this.origin && c.sendSeq <= this.originSeq) {
      // ahead of the reply of the command that caused it
      c.deliverChunk(this.originSeq, bytes, false);
      return overLimit(c, limits, now);
    }
    if (c.sendSeq === c.nextSeq || c.blockedOn >= 0) c.pushOutOfBand(bytes);
    else c.deliver(c.takeSeq(), bytes, false, true);
    this.server.queueWrite(c);
    return overLimit(c, limits, now);
  }
}

/** True if the connection's unsent output breaks its limits (updating the soft-limit clock). */
export function overLimit(c: Connection, [hard, soft, softSeconds]: [number, number, number], now: number): boolean {
  if (hard === 0 && soft === 0) return false;
  const used = c.outputPending();
  if (hard > 0 && used >= hard) return true;
  if (soft > 0 && used >= soft) {
    if (c.softLimitSince === 0) {
      c.softLimitSince = now;
      return false;
    }
    return now - c.softLimitSince > softSeconds * 1000;
  }
  c.softLimitSince = 0;
  return false;
}

function clientDescription(c: Connection): string {
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} omem=${c.outputPending()}`;
}

/**
 * Publish a message (binary strings or bytes) to every subscriber of the channel and of matching
 * patterns; returns the number of receivers. For main-thread callers other than PUBLISH itself
 * (sentinel hello messages, replication). Does not propagate to replicas.
 */
export function publish(server: { readonly pubsub: PubSub }, channel: string | Uint8Array, message: string | Uint8Array): number {
  return server.pubsub.publish(binary(channel), binary(message), false);
}

function binary(s: string | Uint8Array): string {
  return typeof s === 'string' ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength).latin1Slice();
}
