/*
 * Unit tests of what a shard does when its keyspace reports a key (src/shard/key-signals.ts), on a
 * Shard built in-process with the real command table (no worker thread, no server): requests go in
 * through its request ring, and every record it writes is read back from its reply ring: replies,
 * keyspace events (REP_NOTIFY, ahead of the record of the change that caused them) and writes for the
 * replication stream (a command's propagation, or REP_PROPAGATE outside any command). Over sockets:
 * test/expiry.test.ts, test/notifications.test.ts, test/tracking.test.ts, test/eviction.test.ts.
 */

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHARD_CONFIG,
  HEADER_BYTES,
  NOTIFY_EXPIRED,
  NOTIFY_GENERIC,
  NOTIFY_KEY_MISS,
  NOTIFY_NEW,
  REP_NOTIFY,
  REP_PROPAGATE,
  REP_REPLY,
  REQ_COMMAND,
  RingConsumer,
  RingProducer,
  SHARD_COMMANDS,
  Shard,
  buildCommands,
  createRingBuffer,
  dbOf,
  encodeCommand,
  handlersById,
  kindOf,
  word0,
  writeHeader,
} from './helpers/src.js';

const { table } = buildCommands();

/** One record of the reply ring: its kind, database, and its reply and propagation bytes as text. */
interface Rec {
  kind: 'reply' | 'notify' | 'propagate';
  db: number;
  reply: string;
  prop: string;
}

const KINDS: Record<number, Rec['kind']> = { [REP_REPLY]: 'reply', [REP_NOTIFY]: 'notify', [REP_PROPAGATE]: 'propagate' };

/** A shard and the main thread's ends of its rings. */
class Harness {
  readonly shard: Shard;
  private readonly requests: RingProducer;
  private readonly replies: RingConsumer;
  private seq = 0;

  constructor(config: Partial<typeof DEFAULT_SHARD_CONFIG> = {}) {
    const requestRing = createRingBuffer(1 << 16);
    const replyRing = createRingBuffer(1 << 16);
    this.shard = new Shard({
      index: 0,
      shards: 1,
      databases: 16,
      requestRing,
      replyRing,
      commands: table.byId,
      handlers: handlersById(table.byId, SHARD_COMMANDS),
      config: { ...DEFAULT_SHARD_CONFIG, ...config },
      wakeMain: () => {},
    });
    this.requests = new RingProducer(requestRing);
    this.replies = new RingConsumer(replyRing);
  }

  /** Run one command in database `db`; the records it caused. */
  run(db: number, ...argv: string[]): Rec[] {
    const cmd = table.get(argv[0]!.toLowerCase());
    if (cmd === undefined) throw new Error(`no command ${argv[0]}`);
    const body = encodeCommand(argv);
    const off = this.requests.reserve(HEADER_BYTES + body.length);
    writeHeader(this.requests, off, word0(REQ_COMMAND, 0, db), 1, ++this.seq, cmd.id | (2 << 16), body.length);
    this.requests.data.set(body, off + HEADER_BYTES);
    this.requests.commit(HEADER_BYTES + body.length);
    this.requests.publish();
    this.shard.drain();
    return this.read();
  }

  /** Records written since the last read (the shard's cron, for one). */
  read(): Rec[] {
    const out: Rec[] = [];
    if (!this.replies.poll()) return out;
    for (let off = this.replies.next(); off >= 0; off = this.replies.next()) {
      const b = off >> 2;
      const i32 = this.replies.i32;
      const [rlen, plen] = [i32[b + 3]!, i32[b + 4]!];
      const text = (from: number, n: number): string => Buffer.from(this.replies.data.subarray(from, from + n)).toString('latin1');
      out.push({
        kind: KINDS[kindOf(i32[b]!)]!,
        db: dbOf(i32[b]!),
        reply: text(off + HEADER_BYTES, rlen),
        prop: text(off + HEADER_BYTES + rlen, plen),
      });
    }
    this.replies.release();
    return out;
  }

  /** Store `key` in database `db` with an expiry time already past. */
  expired(db: number, key: string): void {
    const d = this.shard.ks.db(db);
    d.set(key, 'v');
    d.setExpire(key, Date.now() - 1000);
  }
}

const resp = (...parts: string[]): string => encodeCommand(parts).toString('latin1');
/** A keyspace event as the shard records it: "db event key". */
const event = (db: number, name: string, key: string): string => resp(String(db), name, key);

describe('what a shard does when its keyspace reports a key', () => {
  it('a key a command finds expired goes to the stream as a DEL with that command', () => {
    const h = new Harness();
    h.expired(0, 'k');
    expect(h.run(0, 'GET', 'k')).toEqual([{ kind: 'reply', db: 0, reply: '$-1\r\n', prop: resp('DEL', 'k') }]);
  });

  it('a key the active expiry cycle removes goes to the stream as a DEL of its own database, outside any command', () => {
    const h = new Harness();
    h.expired(3, 'k');
    h.shard.cron();
    expect(h.read()).toEqual([{ kind: 'propagate', db: 3, reply: '', prop: resp('DEL', 'k') }]);
    expect(h.shard.ks.db(3).peek('k')).toBeUndefined();
  });

  it('an expired key is an "expired" event, sent ahead of the record of the command that found it', () => {
    const h = new Harness({ notifyFlags: NOTIFY_EXPIRED });
    h.expired(0, 'k');
    expect(h.run(0, 'GET', 'k').map((r) => [r.kind, r.reply])).toEqual([
      ['notify', event(0, 'expired', 'k')],
      ['reply', '$-1\r\n'],
    ]);
  });

  it('with tracking, an expired key is invalidated once, as nobody\'s write ("!"), not also as a write ("")', () => {
    const h = new Harness();
    h.expired(0, 'k');
    h.shard.config.trackWrites = true; // after the set-up, whose writes would be invalidations too
    expect(h.run(0, 'GET', 'k').map((r) => [r.kind, r.reply])).toEqual([
      ['notify', event(0, '!', 'k')],
      ['reply', '$-1\r\n'],
    ]);
  });

  it('with tracking, a write is invalidated as a write (""), every time', () => {
    const h = new Harness({ trackWrites: true });
    expect(h.run(0, 'SET', 'k', '1')[0]).toMatchObject({ kind: 'notify', reply: event(0, '', 'k') });
    expect(h.run(0, 'SET', 'k', '2')[0]).toMatchObject({ kind: 'notify', reply: event(0, '', 'k') });
  });

  it('"new" and "keymiss" events only when notify-keyspace-events asks for them', () => {
    const quiet = new Harness({ notifyFlags: NOTIFY_GENERIC });
    expect(quiet.run(0, 'GET', 'nokey').map((r) => r.kind)).toEqual(['reply']);
    const asked = new Harness({ notifyFlags: NOTIFY_NEW | NOTIFY_KEY_MISS });
    expect(asked.run(0, 'GET', 'nokey').map((r) => [r.kind, r.reply])).toEqual([
      ['notify', event(0, 'keymiss', 'nokey')],
      ['reply', '$-1\r\n'],
    ]);
    expect(asked.run(0, 'SET', 'k', 'v')[0]).toMatchObject({ kind: 'notify', reply: event(0, 'new', 'k') });
  });

  it('a change to a key installed for a shipped command is remembered as modified; other keys are not', () => {
    const h = new Harness();
    h.shard.shippedKeys = new Set(['k']);
    h.run(0, 'SET', 'k', '1');
    h.run(0, 'SET', 'other', '1');
    expect([...h.shard.shippedModified]).toEqual(['k']);
  });

  it('the keyspace skips the change signal while nothing listens (no WATCH, tracking, blocked reader, shipped keys)', () => {
    const h = new Harness();
    expect(h.shard.ks.hooks.unwatched?.()).toBe(true);
    h.shard.watches.watch(1, 0, 'k');
    expect(h.shard.ks.hooks.unwatched?.()).toBe(false);
    expect(new Harness({ trackWrites: true }).shard.ks.hooks.unwatched?.()).toBe(false);
  });
});
