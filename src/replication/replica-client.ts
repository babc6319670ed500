/*
 * The master side of one replica link: its state (waiting for a full sync, receiving the payload,
 * online), the stream bytes held while it cannot take them, and its acknowledged offset.
 */

import type { Connection } from '../server/connection.js';

export const enum ReplicaState {
  /** Waiting for a full sync to start (repl-diskless-sync-delay). */
  WaitBgsave = 0,
  /** Receiving the RDB payload. */
  SendBulk = 1,
  /** Online: the command stream flows (after the first ACK when the payload ended with an EOF mark). */
  Online = 2,
}

/** Bytes per block of held stream bytes (ReplicaClient.hold). */
const HOLD_BLOCK = 64 * 1024;

/** A replica connected to us (the master side of one link). */
export class ReplicaClient {
  state = ReplicaState.WaitBgsave;
  /** Stream bytes waiting until the replica can take them (during and right after a full sync). */
  private pending: Buffer[] = [];
  /** The block being filled (see hold()), `tailUsed` bytes of it. */
  private tail: Buffer | null = null;
  private tailUsed = 0;
  pendingBytes = 0;
  /** After an EOF-marked payload the stream starts at the replica's first ACK (as Redis). */
  startOnAck = false;
  ackOffset = 0;
  ackTime = Date.now();
  softLimitSince = 0;

  constructor(
    readonly conn: Connection,
    readonly listeningPort: number,
    readonly announcedIp: string | null,
    readonly capaEof: boolean,
    readonly capaPsync2: boolean,
    /** Came with SYNC (old protocol, redis-cli --replica): no +FULLRESYNC line before the payload. */
    readonly preSync = false,
  ) {}

  get ip(): string {
    return this.announcedIp ?? stripV6Prefix(this.conn.socket.remoteAddress ?? '?');
  }

  stateName(): string {
    return this.state === ReplicaState.Online ? 'online' : this.state === ReplicaState.SendBulk ? 'send_bulk' : 'wait_bgsave';
  }

  /** True when stream bytes can be written to the socket now. */
  streaming(): boolean {
    return this.state === ReplicaState.Online && !this.startOnAck;
  }

  write(b: Uint8Array): void {
    if (this.conn.closed) return;
    if (this.conn.stats) this.conn.stats.netReplOutputBytes += b.length;
    this.conn.socket.write(b);
  }

  /**
   * Keep stream bytes until the replica can take them: copied into blocks of HOLD_BLOCK bytes, so a
   * tick of one small write holds a few dozen bytes, not the tick's whole buffer (which the caller
   * reuses).
   */
  hold(b: Uint8Array): void {
    this.pendingBytes += b.length;
    const tail = this.tail;
    if (tail !== null && tail.length - this.tailUsed >= b.length) {
      tail.set(b, this.tailUsed);
      this.tailUsed += b.length;
      return;
    }
    this.closeTail();
    const next = Buffer.allocUnsafeSlow(Math.max(HOLD_BLOCK, b.length));
    next.set(b, 0);
    this.tail = next;
    this.tailUsed = b.length;
  }

  private closeTail(): void {
    if (this.tail !== null && this.tailUsed > 0) this.pending.push(this.tail.subarray(0, this.tailUsed));
    this.tail = null;
    this.tailUsed = 0;
  }

  /** Write what accumulated while the stream could not flow. */
  release(): void {
    this.closeTail();
    for (const b of this.pending) this.write(b);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function stripV6Prefix(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

