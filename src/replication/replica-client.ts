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

/** A replica connected to us (the master side of one link). */
export class ReplicaClient {
  state = ReplicaState.WaitBgsave;
  /** Stream bytes waiting until the replica can take them (during and right after a full sync). */
  pending: Buffer[] = [];
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

  /** Write what accumulated while the stream could not flow. */
  release(): void {
    for (const b of this.pending) this.write(b);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function stripV6Prefix(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

