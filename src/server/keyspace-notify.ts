/*
 * Publishing keyspace notifications on the main thread: decodes the body of a shard's REP_NOTIFY
 * record (see ipc/records.ts and shard/keyspace-events.ts) and publishes, per event and as the
 * notify-keyspace-events flags say, "__keyspace@<db>__:<key>" <event> then "__keyevent@<db>__:<event>"
 * <key> (Redis's order).
 */

import { NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, shardNotifyFlags } from '../commands/keyspace-events.js';
import { encodeCommand } from '../resp/writer.js';

export type PublishFn = (channel: string, message: string) => void;

/** Call `fn(db, event, key)` for every event in a REP_NOTIFY body. */
export function decodeKeyspaceEvents(bytes: Uint8Array, fn: (db: string, event: string, key: string) => void): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const field = (): string => {
    // "$<len>\r\n<bytes>\r\n"
    p++;
    let len = 0;
    while (b[p] !== 13) len = len * 10 + b[p++]! - 48;
    p += 2;
    const s = b.latin1Slice(p, p + len);
    p += len + 2;
    return s;
  };
  while (p < b.length) {
    // "*3\r\n"
    p += 4;
    const db = field();
    const event = field();
    const key = field();
    fn(db, event, key);
  }
}

/** Publish the events of one REP_NOTIFY body under the K/E flags `flags`. */
export function publishKeyspaceEvents(bytes: Uint8Array, flags: number, publish: PublishFn): void {
  decodeKeyspaceEvents(bytes, (db, event, key) => {
    if (event === '' || event === '!') return; // a modified key reported for CLIENT TRACKING
    if (flags & NOTIFY_KEYSPACE) publish(`__keyspace@${db}__:${key}`, event);
    if (flags & NOTIFY_KEYEVENT) publish(`__keyevent@${db}__:${event}`, key);
  });
}

/** One event in the REP_NOTIFY body format (for events raised on the main thread, e.g. SORT STORE). */
export function encodeKeyspaceEvent(db: number, event: string, key: string): Buffer {
  return encodeCommand([String(db), event, key]);
}

interface NotifyingServer {
  config: { keyspaceEventFlags: number };
  pubsub: { keyspaceEvents(bytes: Uint8Array, connId: number, seq: number): void };
}

/** Publish a keyspace event raised on the main thread by the request (connId, seq), if its class is on. */
export function notifyFromMain(server: NotifyingServer, type: number, event: string, key: string, db: number, connId: number, seq: number): void {
  if ((shardNotifyFlags(server.config.keyspaceEventFlags) & type) === 0) return;
  server.pubsub.keyspaceEvents(encodeKeyspaceEvent(db, event, key), connId, seq);
}
