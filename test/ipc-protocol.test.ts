/*
 * Unit tests of the inter-thread protocol pieces shared by the main thread and the shards: FLAG_MORE
 * chunk writing and joining (src/ipc/chunks.ts) and the typed control operations (src/ipc/control.ts).
 */

import { describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../src/ipc/ring.js';
import { ChunkJoiner, writeChunks, writeHeader } from '../src/ipc/chunks.js';
import { FLAG_MORE, HEADER_BYTES, flagsOf, word0 } from '../src/ipc/records.js';
import { dbsizeOp, keysOp, keyspaceOp, memoryOp, randomkeyOp, scanOp, statsOp, watchTouchedOp } from '../src/ipc/control.js';
import { RespWriter } from '../src/resp/writer.js';

/** Write one message as chunks, read the records back through a joiner: the message as sent. */
function roundTrip(message: Buffer, capacity: number): { body: Buffer; records: number } {
  const sab = createRingBuffer(capacity);
  const p = new RingProducer(sab);
  const c = new RingConsumer(sab);
  const joiner = new ChunkJoiner<number>();
  let records = 0;
  let out: Buffer | null | undefined = null;
  let sent = 0;
  while (sent < message.length) {
    const n = writeChunks(p, message, sent, message.length - sent, (len) => p.reserve(len), (off, len, last) => {
      writeHeader(p, off, word0(1, last ? 0 : FLAG_MORE, 0), 7, 9, message.length, len);
    });
    sent += n;
    p.publish();
    c.poll();
    for (let off = c.next(); off >= 0; off = c.next()) {
      records++;
      const i32 = c.i32;
      const more = (flagsOf(i32[off >> 2]!) & FLAG_MORE) !== 0;
      const len = i32[(off >> 2) + 4]!;
      out = joiner.add(9, c.data.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len), more, i32[(off >> 2) + 3]!);
    }
    c.release();
  }
  expect(joiner.size).toBe(0);
  return { body: out as Buffer, records };
}

describe('FLAG_MORE chunks', () => {
  it('a message larger than a record arrives whole, in order, over several records', () => {
    const message = Buffer.alloc(300_000);
    for (let i = 0; i < message.length; i++) message[i] = (i * 31 + 7) & 0xff;
    const { body, records } = roundTrip(message, 64 * 1024);
    expect(records).toBeGreaterThan(1);
    expect(body.equals(message)).toBe(true);
  });

  it('a message of one record is not pending: the reader uses the record in place', () => {
    const joiner = new ChunkJoiner<string>();
    expect(joiner.add('a', Buffer.from('abc'), false)).toBeUndefined();
    expect(joiner.size).toBe(0);
  });

  it('chunks of interleaved messages are joined per message key', () => {
    const joiner = new ChunkJoiner<string>();
    expect(joiner.add('x', Buffer.from('he'), true)).toBeNull();
    expect(joiner.add('y', Buffer.from('wo'), true)).toBeNull();
    expect(joiner.add('x', Buffer.from('llo'), false)!.toString()).toBe('hello');
    expect(joiner.add('y', Buffer.from('rld'), false)!.toString()).toBe('world');
  });
});

describe('typed control operations', () => {
  function written(write: (w: RespWriter) => void): Buffer {
    const w = new RespWriter(256);
    write(w);
    return w.toBuffer();
  }

  it('stats: every counter the shard writes is read back by name', () => {
    const s = { hits: 1, misses: 2, expired: 3, commands: 4, blocked: 5, watchedKeys: 6, timedBlocked: 7 };
    expect(statsOp.read(written((w) => statsOp.write(w, s)))).toEqual(s);
  });

  it('keyspace: key and TTL counts per database', () => {
    const dbs = [{ keys: 10, expires: 2 }, { keys: 0, expires: 0 }];
    expect(keyspaceOp.read(written((w) => keyspaceOp.write(w, dbs)))).toEqual(dbs);
  });

  it('memory, dbsize and watch-touched round-trip', () => {
    expect(memoryOp.read(written((w) => memoryOp.write(w, { heap: 123, external: 45 })))).toEqual({ heap: 123, external: 45 });
    expect(dbsizeOp.read(written((w) => dbsizeOp.write(w, 42)))).toBe(42);
    expect(watchTouchedOp.read(written((w) => watchTouchedOp.write(w, true)))).toBe(true);
    expect(watchTouchedOp.read(written((w) => watchTouchedOp.write(w, false)))).toBe(false);
    expect(watchTouchedOp.request(5)).toEqual(['watch-touched', 5]);
  });

  it('scan, keys and randomkey: steps, key lists and picks read back by name', () => {
    const step = { next: 1234, keys: ['a', 'b\x00c'], visited: 17 };
    expect(scanOp.read(written((w) => scanOp.write(w, step)))).toEqual(step);
    expect(keysOp.read(written((w) => keysOp.write(w, ['k1', 'k2'])))).toEqual(['k1', 'k2']);
    expect(randomkeyOp.read(written((w) => randomkeyOp.write(w, 3, 'x')))).toEqual({ size: 3, key: 'x' });
    expect(randomkeyOp.read(written((w) => randomkeyOp.write(w, 0, null)))).toEqual({ size: 0, key: null });
  });
});
