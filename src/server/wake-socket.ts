/*
 * The shards' wake-up call to the main thread: one byte written to a socket the main thread's event
 * loop reads, instead of a message on the worker's port.
 *
 * A shard wakes the main thread when it publishes replies while the main thread sleeps in its event
 * loop (ReplyPump.goToSleep). A port message costs both sides a structured clone and a lock; on the
 * main thread it is dispatched through the port's event target and the Worker's emitter. A byte on a
 * Unix socket (an abstract address: nothing in the file system) costs the shard one write(2) and the
 * main thread one read, delivered like a client's read (socket-reader.ts: into a buffer of its own).
 *
 * The write end's file descriptor is handed to every shard (fs.writeSync on it, from the worker
 * thread); it stays open for the life of the process, so the number is never reused for another file
 * while a shard may write to it. If the pair cannot be made (not Linux), shards post a message as before.
 */

import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readInto } from './socket-reader.js';

/** Sockets of every wake pair opened (kept referenced: their descriptors must stay open). */
const keep: net.Socket[] = [];

/**
 * Open a wake pair: `onWake` runs when a shard writes to the returned descriptor. Resolves with the
 * write end's descriptor, or -1 when no pair could be made.
 */
export async function openWakeSocket(onWake: () => void): Promise<number> {
  if (process.platform !== 'linux') return -1;
  const path = `\0shardis-wake-${process.pid}-${randomBytes(6).toString('hex')}`;
  const server = net.createServer({ pauseOnConnect: true });
  try {
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    const writer = net.connect(path);
    await new Promise<void>((resolve, reject) => {
      writer.once('connect', resolve);
      writer.once('error', reject);
    });
    const raw = await accepted;
    const fd = (writer as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    if (typeof fd !== 'number' || fd < 0) {
      writer.destroy();
      raw.destroy();
      return -1;
    }
    const buf = Buffer.allocUnsafe(256);
    const reader = readInto(raw, buf, false, () => onWake());
    reader.on('error', () => {});
    writer.on('error', () => {});
    // neither keeps the process alive (the shards' workers and the listeners do)
    reader.unref();
    writer.unref();
    keep.push(reader, writer);
    return fd;
  } catch {
    return -1;
  } finally {
    server.close();
  }
}
