/*
 * Unit tests of a shard's blocked-client bookkeeping (src/shard/blocked.ts), on a Shard built
 * in-process with the real command table (no worker thread, no server): requests go in through its
 * request ring as the main thread writes them, replies are read back from its reply ring. Parking,
 * ready keys, timeouts, unblocking, and the order in which a key serves its waiters, also waiters on
 * several keys and stand-ins of clients blocked across shards. Over sockets: test/blocking.test.ts,
 * test/blocked-clients.test.ts.
 */

import { describe, expect, it } from 'vitest';
import { BlockedClients, FLAG_BLOCKED, type BlockedRequest } from './helpers/src.js';
import { ShardHarness, commandTable as table } from './helpers/shard-harness.js';

interface Reply {
  connId: number;
  blocked: boolean;
  text: string;
}

/** A shard (database 0) and the main thread's ends of its rings, with replies as the tests read them. */
class Harness {
  private readonly h = new ShardHarness();
  readonly shard = this.h.shard;

  /** Run one command for connection `connId`; the replies it caused (its own and blocked clients'). */
  run(connId: number, ...argv: string[]): Reply[] {
    return this.replies(this.h.command(connId, 0, argv));
  }

  /** Run one control op (what the main thread asks of a shard). */
  control(...argv: (string | number)[]): Reply[] {
    return this.replies(this.h.control(argv));
  }

  /** Replies written since the last read (the shard's cron, for one). */
  read(): Reply[] {
    return this.replies(this.h.read());
  }

  private replies(records: ReturnType<ShardHarness['read']>): Reply[] {
    return records.map((r) => ({ connId: r.connId, blocked: (r.flags & FLAG_BLOCKED) !== 0, text: r.reply }));
  }

  /** Connection ids queued on `key` (database 0), first blocked first. */
  queue(key: string): number[] {
    return (this.shard.blocked.byKey.get(`0\0${key}`) ?? []).map((r) => r.connId);
  }
}

/** The RESP reply of a served BLPOP. */
const popped = (key: string, v: string): string => `*2\r\n$${key.length}\r\n${key}\r\n$${v.length}\r\n${v}\r\n`;
const served = (replies: Reply[]): [number, string][] => replies.filter((r) => !r.blocked).map((r) => [r.connId, r.text]);

const PUSHER = 100;

describe('blocked clients on a shard', () => {
  it('a blocking pop of an empty key parks its client on the key: a blocked marker, no reply', () => {
    const h = new Harness();
    expect(h.run(1, 'BLPOP', 'k', '0')).toEqual([{ connId: 1, blocked: true, text: '' }]);
    expect(h.queue('k')).toEqual([1]);
    expect(h.shard.blocked.byConn.get(1)?.keys).toEqual(['k']);
    expect(h.shard.blocked.counts()).toEqual({ blocked: 1, timed: 0 });
  });

  it('a push serves the waiters of its key in the order they blocked, one element each; the rest stay parked', () => {
    const h = new Harness();
    for (const c of [1, 2, 3]) h.run(c, 'BLPOP', 'k', '0');
    expect(served(h.run(PUSHER, 'RPUSH', 'k', 'a', 'b'))).toEqual([
      [PUSHER, ':2\r\n'],
      [1, popped('k', 'a')],
      [2, popped('k', 'b')],
    ]);
    expect(h.queue('k')).toEqual([3]);
    expect(h.shard.blocked.readyKeys).toEqual([]);
  });

  it('a client waiting on several keys is served in its turn on whichever key is ready first, then leaves every queue', () => {
    const h = new Harness();
    h.run(1, 'BLPOP', 'a', 'b', '0');
    h.run(2, 'BLPOP', 'b', '0');
    h.run(3, 'BLPOP', 'a', '0');
    expect(h.queue('a')).toEqual([1, 3]);
    expect(h.queue('b')).toEqual([1, 2]);
    expect(served(h.run(PUSHER, 'RPUSH', 'b', 'x'))).toEqual([
      [PUSHER, ':1\r\n'],
      [1, popped('b', 'x')],
    ]);
    expect(h.queue('a')).toEqual([3]);
    expect(h.queue('b')).toEqual([2]);
    expect(served(h.run(PUSHER, 'RPUSH', 'a', 'y'))).toEqual([
      [PUSHER, ':1\r\n'],
      [3, popped('a', 'y')],
    ]);
    expect(h.queue('a')).toEqual([]);
    expect(h.shard.blocked.byKey.has('0\0a')).toBe(false);
  });

  it('only a key someone waits on becomes ready, and a key of the wrong type serves no one', () => {
    const b = new BlockedClients();
    b.keyReady(0, 'nobody');
    expect(b.readyKeys).toEqual([]);
    const h = new Harness();
    h.run(1, 'BZPOPMIN', 'z', '0');
    expect(served(h.run(PUSHER, 'RPUSH', 'z', 'v'))).toEqual([[PUSHER, ':1\r\n']]);
    expect(h.queue('z')).toEqual([1]);
    expect(h.shard.blocked.readyKeys).toEqual([]);
  });

  it('a deadline: due() reports the time to it, then the request as expired; the cron answers it with a null array', async () => {
    const h = new Harness();
    h.run(1, 'BLPOP', 'k', '0.01');
    h.run(2, 'BLPOP', 'k', '0');
    const req = h.shard.blocked.byConn.get(1)!;
    expect(req.deadline).toBeGreaterThan(0);
    expect(h.shard.blocked.counts()).toEqual({ blocked: 2, timed: 1 });
    expect(h.shard.blocked.due(req.deadline - 3)).toEqual({ expired: [], next: 3 });
    expect(h.shard.blocked.due(req.deadline).expired).toEqual([req]);
    while (Date.now() <= req.deadline) await new Promise((r) => setTimeout(r, 5));
    h.shard.cron();
    expect(served(h.read())).toEqual([[1, '*-1\r\n']]);
    expect(h.queue('k')).toEqual([2]);
    expect(h.shard.blocked.counts()).toEqual({ blocked: 1, timed: 0 });
  });

  it('unblock: timeout answers a null array, error the UNBLOCKED error, drop nothing; each leaves every queue', () => {
    const h = new Harness();
    for (const c of [1, 2, 3]) h.run(c, 'BLPOP', 'a', 'b', '0');
    expect(served(h.control('unblock', 1, 'timeout'))).toEqual([[1, '*-1\r\n'], [0, ':1\r\n']]);
    expect(served(h.control('unblock', 2, 'error'))).toEqual([[2, '-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n'], [0, ':1\r\n']]);
    expect(served(h.control('unblock', 3, 'drop'))).toEqual([[0, ':1\r\n']]);
    expect(served(h.control('unblock', 3, 'timeout'))).toEqual([[0, ':0\r\n']]);
    expect(h.shard.blocked.byKey.size).toBe(0);
    expect(h.shard.blocked.byConn.size).toBe(0);
  });

  it('a disconnected client is forgotten: a later push stays in the list', () => {
    const h = new Harness();
    h.run(1, 'BLPOP', 'k', '0');
    h.control('disconnect', 1);
    expect(served(h.run(PUSHER, 'RPUSH', 'k', 'v'))).toEqual([[PUSHER, ':1\r\n']]);
    expect(served(h.run(PUSHER, 'LRANGE', 'k', '0', '-1'))).toEqual([[PUSHER, '*1\r\n$1\r\nv\r\n']]);
  });

  it('a stand-in of a client blocked across shards holds its place: waiters behind it are served once it is dropped', () => {
    const h = new Harness();
    const blpop = table.get('blpop')!;
    h.control('standin', 1, 0, blpop.id, 'k');
    h.run(2, 'BLPOP', 'k', '0');
    expect(h.queue('k')).toEqual([1, 2]);
    // the stand-in is counted by the main thread, never here
    expect(h.shard.blocked.counts()).toEqual({ blocked: 1, timed: 0 });
    // the key waits for the client blocked first (the coordinator serves it)
    expect(served(h.run(PUSHER, 'RPUSH', 'k', 'x'))).toEqual([[PUSHER, ':1\r\n']]);
    expect(h.queue('k')).toEqual([1, 2]);
    // its wait ended (served from another shard, say): the key serves the next waiter
    expect(served(h.control('unblock', 1, 'drop'))).toEqual([
      [0, ':1\r\n'],
      [2, popped('k', 'x')],
    ]);
    expect(h.shard.blocked.byConn.size).toBe(0);
  });

  it('a stand-in behind a waiter parked here lets that waiter be served first', () => {
    const h = new Harness();
    h.run(2, 'BLPOP', 'k', '0');
    h.control('standin', 1, 0, table.get('blpop')!.id, 'k');
    expect(served(h.run(PUSHER, 'RPUSH', 'k', 'x', 'y'))).toEqual([
      [PUSHER, ':2\r\n'],
      [2, popped('k', 'x')],
    ]);
    expect(h.queue('k')).toEqual([1]);
  });

  it('a stand-in never times out nor answers on the shard', () => {
    const b = new BlockedClients();
    const standIn: BlockedRequest = { connId: 1, seq: 0, db: 0, proto: 2, cmd: table.get('blpop')!, argv: [], keys: ['k'], deadline: 0, standIn: true };
    b.add(standIn);
    expect(b.due(Number.MAX_SAFE_INTEGER)).toEqual({ expired: [], next: 1000 });
    expect(b.counts()).toEqual({ blocked: 0, timed: 0 });
  });
});
