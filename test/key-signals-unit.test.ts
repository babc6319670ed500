/*
 * Unit tests of what a shard does when its keyspace reports a key (src/shard/key-signals.ts), on a
 * Shard built in-process (helpers/shard-harness.ts: no worker thread, no server): requests go in
 * through its request ring, and every record it writes is read back from its reply ring: replies,
 * keyspace events (REP_NOTIFY, ahead of the record of the change that caused them) and writes for the
 * replication stream (a command's propagation, or REP_PROPAGATE outside any command). Over sockets:
 * test/expiry.test.ts, test/notifications.test.ts, test/tracking.test.ts, test/eviction.test.ts.
 */

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHARD_CONFIG,
  NOTIFY_EXPIRED,
  NOTIFY_GENERIC,
  NOTIFY_KEY_MISS,
  NOTIFY_NEW,
  REP_NOTIFY,
  REP_PROPAGATE,
  REP_REPLY,
  encodeCommand,
} from './helpers/src.js';
import { ShardHarness } from './helpers/shard-harness.js';

/** One record of the reply ring: its kind, database, and its reply and propagation bytes as text. */
interface Rec {
  kind: 'reply' | 'notify' | 'propagate';
  db: number;
  reply: string;
  prop: string;
}

const KINDS: Record<number, Rec['kind']> = { [REP_REPLY]: 'reply', [REP_NOTIFY]: 'notify', [REP_PROPAGATE]: 'propagate' };

/** A shard and the main thread's ends of its rings, with records as the tests read them. */
class Harness {
  private readonly h: ShardHarness;
  readonly shard: ShardHarness['shard'];

  constructor(config: Partial<typeof DEFAULT_SHARD_CONFIG> = {}) {
    this.h = new ShardHarness(config);
    this.shard = this.h.shard;
  }

  /** Run one command in database `db`; the records it caused. */
  run(db: number, ...argv: string[]): Rec[] {
    return this.records(this.h.command(1, db, argv));
  }

  /** Records written since the last read (the shard's cron, for one). */
  read(): Rec[] {
    return this.records(this.h.read());
  }

  private records(rs: ReturnType<ShardHarness['read']>): Rec[] {
    return rs.map((r) => ({ kind: KINDS[r.kind]!, db: r.db, reply: r.reply, prop: r.prop }));
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
