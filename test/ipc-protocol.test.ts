/*
 * Unit tests of the inter-thread protocol pieces shared by the main thread and the shards: FLAG_MORE
 * chunk writing and joining (src/ipc/chunks.ts) and the typed control operations (src/ipc/control.ts).
 */

import { describe, expect, it } from 'vitest';
import {
  Args,
  BodyFramer,
  ChunkJoiner,
  CommandStats,
  FLAG_MORE,
  HEADER_BYTES,
  ReplyReader,
  RespWriter,
  RingConsumer,
  RingProducer,
  cmdstatsOp,
  createRingBuffer,
  dbsizeOp,
  disconnectOp,
  encodeCommand,
  exportOp,
  flagsOf,
  flushdbOp,
  importOp,
  introspectConfigOp,
  introspectDrainOp,
  populateOp,
  rdbloadOp,
  keysOp,
  keyspaceOp,
  memoryOp,
  randomkeyOp,
  scanOp,
  scriptRunOp,
  shipOp,
  snapshotNextOp,
  sortExistsOp,
  sortGetOp,
  sortSourceOp,
  standInOp,
  statsOp,
  swapdbOp,
  unblockOp,
  unwatchOp,
  watchOp,
  watchTouchedOp,
  word0,
  writeChunks,
  writeHeader,
  type ControlArgv,
} from './helpers/src.js';

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

  /** A request as the shard sees it: its argv framed into Args (the shard side's parsers read these). */
  function framed(argv: ControlArgv): Args {
    const args = new Args();
    new BodyFramer().frame(args, encodeCommand(argv), 0);
    return args;
  }

  const payload = (s: string): Buffer => Buffer.from(s, 'latin1');

  it('export: the value of each key (DUMP payload and expiry), or null for an absent key', () => {
    expect(exportOp.request(3, ['a', 'b'])).toEqual(['export', 3, 'a', 'b']);
    const values = [{ payload: payload('\x00\x01v\r\n'), expireAt: 1700000000000 }, null, { payload: payload('x'), expireAt: -1 }];
    expect(exportOp.read(written((w) => exportOp.write(w, values)))).toEqual(values);
  });

  it('import: the entries and the notify flag the main thread sends are what the shard reads', () => {
    const entries = [
      { key: 'k1', value: { payload: payload('p\r\n1'), expireAt: 42 } },
      { key: 'gone', value: null },
    ];
    expect(importOp.args(framed(importOp.request(5, entries)))).toEqual({ db: 5, entries, notifyNew: false });
    expect(importOp.args(framed(importOp.request(0, entries.slice(0, 1), true)))).toEqual({ db: 0, entries: entries.slice(0, 1), notifyNew: true });
  });

  it('ship: the request round-trips to the shard, the reply (command reply, modified keys) back, errors by text', () => {
    const keys = [
      { key: 'src', value: { payload: payload('abc'), expireAt: -1 } },
      { key: 'missing', value: null },
    ];
    const inner = encodeCommand(['RENAME', 'src', 'dst']);
    const req = shipOp.args(framed(shipOp.request(2, 77, 3, keys, inner)));
    expect(req).toEqual({ db: 2, cmdId: 77, proto: 3, keys, request: inner });
    const modified = [
      { key: 'src', value: null },
      { key: 'dst', value: { payload: payload('abc'), expireAt: 99 } },
    ];
    expect(shipOp.read(written((w) => shipOp.write(w, payload('+OK\r\n'), modified)))).toEqual({ reply: payload('+OK\r\n'), modified });
    expect(shipOp.read(written((w) => w.error('ERR no such key')))).toEqual({ error: 'ERR no such key' });
  });

  it('snapshot-next: chunks of RDB entries by database, and the last one marked complete', () => {
    const parts: [number, Buffer][] = [
      [0, payload('\x00\x01a\x01b')],
      [9, payload('')],
    ];
    expect(snapshotNextOp.read(written((w) => snapshotNextOp.write(w, false, parts)))).toEqual({
      complete: false,
      parts: [
        { db: 0, entries: parts[0]![1] },
        { db: 9, entries: parts[1]![1] },
      ],
    });
    expect(snapshotNextOp.read(written((w) => snapshotNextOp.write(w, true, [])))).toEqual({ complete: true, parts: [] });
  });

  it('introspect-drain: slow log entries and latency samples read back by field', () => {
    const slow = [[1700000000123.25, 1700000000, 15000, ['SET', 'k', 'v'], 7, 'addr', null] as const];
    const latency = [[1700000000200.5, 'command', 1700000001, 12] as const];
    expect(introspectDrainOp.read(written((w) => introspectDrainOp.write(w, slow, latency)))).toEqual({
      slow: [[1700000000123.25, 1700000000, 15000, ['SET', 'k', 'v'], 7]],
      latency: [[1700000000200.5, 'command', 1700000001, 12]],
    });
  });

  it('cmdstats: the counters, error counts and histograms of a shard merge into those of the main thread', () => {
    const shard = new CommandStats(16);
    shard.calls[3] = 5;
    shard.usec[3] = 12.5;
    shard.failed[3] = 1;
    shard.rejected[4] = 2;
    shard.hist[3] = new Uint32Array(64);
    shard.hist[3][7] = 5;
    shard.errors.set('ERR', 3);
    shard.errorTotal = 3;
    const main = new CommandStats(16);
    main.merge(cmdstatsOp.read(written((w) => cmdstatsOp.write(w, shard))));
    main.merge(cmdstatsOp.read(written((w) => cmdstatsOp.write(w, shard))));
    expect([main.calls[3], main.usec[3], main.failed[3], main.rejected[4], main.hist[3]![7]]).toEqual([10, 25, 2, 4, 10]);
    expect([...main.errors]).toEqual([['ERR', 6]]);
    expect(main.errorTotal).toBe(6);
  });

  it('script runs: status, reply, calls and log lines; the status alone without decoding; errors by text', () => {
    const r = written((w) => scriptRunOp.write(w, 0, payload(':1\r\n'), 3, ['3warn', '1debug']));
    expect(scriptRunOp.status(r)).toBe(0);
    expect(scriptRunOp.read(r)).toEqual({ status: 0, reply: payload(':1\r\n'), calls: 3, logs: ['3warn', '1debug'] });
    const needsBody = written((w) => scriptRunOp.write(w, 1, payload(''), 0, []));
    expect(scriptRunOp.status(needsBody)).toBe(1);
    const err = written((w) => w.error('ERR boom'));
    expect(scriptRunOp.status(err)).toBe(-1);
    expect(scriptRunOp.read(err)).toEqual({ error: 'ERR boom' });
  });
  it('connection, keyspace, SORT and export requests: the arguments the main thread sends are what the shard decodes', () => {
    expect(watchOp.args(framed(watchOp.request(7, 2, ['a', 'b\x00c'])))).toEqual({ connId: 7, db: 2, keys: ['a', 'b\x00c'] });
    expect(standInOp.args(framed(standInOp.request(8, 1, 42, ['k'])))).toEqual({ connId: 8, db: 1, cmdId: 42, keys: ['k'] });
    expect(unblockOp.args(framed(unblockOp.request(9, 'error')))).toEqual({ connId: 9, mode: 'error' });
    expect([unwatchOp.connId(framed(unwatchOp.request(10))), disconnectOp.connId(framed(disconnectOp.request(11))), watchTouchedOp.connId(framed(watchTouchedOp.request(12)))]).toEqual([10, 11, 12]);
    expect([dbsizeOp.db(framed(dbsizeOp.request(3))), randomkeyOp.db(framed(randomkeyOp.request(4))), flushdbOp.db(framed(flushdbOp.request(5)))]).toEqual([3, 4, 5]);
    expect(swapdbOp.args(framed(swapdbOp.request(0, 15)))).toEqual({ a: 0, b: 15 });
    expect(keysOp.args(framed(keysOp.request(6, 'user:*')))).toEqual({ db: 6, pattern: 'user:*' });
    const scan = { db: 1, slot: 100, end: 16384, count: 10, pattern: '', type: 'hash' };
    expect(scanOp.args(framed(scanOp.request(scan.db, scan.slot, scan.end, scan.count, scan.pattern, scan.type)))).toEqual(scan);
    expect(exportOp.args(framed(exportOp.request(2, ['x', 'y'])))).toEqual({ db: 2, keys: ['x', 'y'] });
    expect(sortSourceOp.args(framed(sortSourceOp.request(3, 'list')))).toEqual({ db: 3, key: 'list' });
    expect(sortExistsOp.args(framed(sortExistsOp.request(4, 'dst')))).toEqual({ db: 4, key: 'dst' });
    const refs = [{ key: 'w_1', field: null }, { key: 'h', field: 'f\r\n' }];
    expect(sortGetOp.args(framed(sortGetOp.request(5, refs)))).toEqual({ db: 5, refs });
  });

  it('rdbload-raw: the database and entry bytes the main thread sends are what the shard reads; the count back', () => {
    const entries = Buffer.from([0x00, 0x01, 0x6b, 0x01, 0x76, 0xfc, 1, 2, 3, 4, 5, 6, 7, 8, 0x0d, 0x0a]);
    const got = rdbloadOp.args(framed(rdbloadOp.request(5, entries)));
    expect(got.db).toBe(5);
    expect(Buffer.from(got.entries)).toEqual(entries);
    expect(rdbloadOp.read(written((w) => rdbloadOp.write(w, 1234)))).toBe(1234);
  });

  it('introspect-config and populate: the settings and request the main thread sends are what the shard reads', () => {
    const settings = { slowerThan: 10000, latencyThreshold: 0, tracking: true, maxLen: 128 };
    expect(introspectConfigOp.settings(framed(introspectConfigOp.request(settings)))).toEqual(settings);
    const req = { db: 3, count: 1000, prefix: 'key', size: 16, shards: 4 };
    expect(populateOp.args(framed(populateOp.request(req)))).toEqual(req);
    expect(populateOp.read(written((w) => populateOp.write(w, 250)))).toBe(250);
  });
});

describe('ReplyReader', () => {
  it('reads each type it is asked for, RESP3 nulls as nulls, and refuses a reply of another shape', () => {
    const r = new ReplyReader(Buffer.from('*3\r\n:5\r\n$3\r\na\r\n\r\n_\r\n', 'latin1'));
    expect(r.array()).toBe(3);
    expect(r.int()).toBe(5);
    expect(r.bulk()).toBe('a\r\n');
    expect(r.bulk()).toBeNull();
    expect(r.done).toBe(true);
    expect(new ReplyReader(Buffer.from('*-1\r\n')).array()).toBe(-1);
    expect(new ReplyReader(Buffer.from('$-1\r\n')).bytes()).toBeNull();
    expect(() => new ReplyReader(Buffer.from(':1\r\n')).bulk()).toThrow(/expected a bulk string/);
    expect(() => new ReplyReader(Buffer.from('-ERR x\r\n')).int()).toThrow(/got the error ERR x/);
  });
});
