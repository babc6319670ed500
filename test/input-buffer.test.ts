/*
 * A connection's input buffer (Connection.appendInput / keepInput): the unparsed bytes of a client
 * that is held (its shard congested) or sent a request split across reads are kept in a buffer of the
 * connection's own, which is reused rather than replaced while it is small enough that nothing is
 * handed on from it without a copy (Connection.inputStable). Checked on the Connection itself, with
 * the parser's part (advancing inStart) done by hand; the same paths under real sockets are
 * backpressure.test.ts's pipelines through 64 kB rings.
 */

import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { Connection } from './helpers/src.js';

const fakeSocket = { remoteAddress: '127.0.0.1', remotePort: 1, localAddress: '127.0.0.1', localPort: 2 } as unknown as Socket;

function conn(): Connection {
  return new Connection(1, fakeSocket, 512 * 1024 * 1024, false);
}

/** n bytes of a recognisable pattern starting at `from`. */
function bytes(n: number, from: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) % 251;
  return b;
}

describe('connection input buffer reuse', () => {
  it('a held connection appending past its buffer end moves the unparsed bytes to the start of the same buffer instead of allocating one', () => {
    const c = conn();
    // 200 kB that the socket's read buffer held, kept as the connection's own
    c.appendInput(bytes(200 * 1024, 0));
    c.keepInput();
    const owned = c.inBuf;
    expect(owned.length).toBeGreaterThanOrEqual(200 * 1024);
    // the parser consumed 150 kB; then reads bring more than the room left after inEnd
    c.inStart += 150 * 1024;
    const room = owned.length - c.inEnd;
    c.appendInput(bytes(room + 1024, 200 * 1024));
    expect(c.inBuf === owned).toBe(true);
    expect(c.inStart).toBe(0);
    // what is unparsed: the last 50 kB of the first part, then the whole second part, in order
    const pending = c.inBuf.subarray(c.inStart, c.inEnd);
    expect(pending.length).toBe(50 * 1024 + room + 1024);
    expect(pending.equals(bytes(pending.length, 150 * 1024))).toBe(true);
  });

  it('a small input buffer set aside when a read is parsed in place is taken again for the next partial request', () => {
    const c = conn();
    c.appendInput(bytes(100, 0));
    c.keepInput();
    const owned = c.inBuf;
    c.inStart = c.inEnd; // all parsed
    c.consumed();
    // the next read is parsed where it lies; a partial request at its end is kept in the old buffer
    const read = bytes(3000, 7);
    c.appendInput(read);
    expect(c.inBuf === read).toBe(true);
    c.inStart = 2900;
    c.keepInput();
    expect(c.inBuf === owned).toBe(true);
    expect(c.inBuf.subarray(c.inStart, c.inEnd).equals(bytes(100, 2907))).toBe(true);
  });

  it('a buffer over 1 MB, whose bytes may be handed on without a copy, is never overwritten: growing past it allocates a new one', () => {
    const c = conn();
    c.appendInput(bytes(1536 * 1024, 0));
    c.keepInput();
    const big = c.inBuf;
    expect(c.inputStable()).toBe(true);
    const before = Buffer.from(big.subarray(0, 1024));
    c.inStart += 1024 * 1024;
    c.appendInput(bytes(big.length - c.inEnd + 1, 1));
    expect(c.inBuf === big).toBe(false);
    expect(big.subarray(0, 1024).equals(before)).toBe(true);
  });
});
