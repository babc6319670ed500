/*
 * Output buffer limits of clients that are not replicas (client-output-buffer-limit, classes normal
 * and pubsub; replicas are checked by the replication layer, published messages by pub/sub). Checked
 * after a connection's write, when its unsent output passed the smallest configured limit, and every
 * cron for a connection over a soft limit (a client that stopped reading gets no more writes that
 * would check it). Over the hard limit, or over the soft limit for longer than its seconds, the client
 * is closed at once, its output dropped, with Redis's log line.
 *
 * Memory of a closed client: its buffers are dropped (Connection.release), but V8 frees the large
 * external buffers only at a garbage collection, which an idle server may not run for a long time.
 * After a client that had a large output closes, one full collection is run soon after, so the RSS
 * comes back (the issue saw 3 GB held until a forced GC).
 */

import { fullGc } from '../idle-gc.js';
import { clientInfoLine } from './commands/client.js';
import type { Connection } from './connection.js';
import { overLimit } from './pubsub.js';
import type { ServerContext } from './main-ctx.js';

type Limits = [number, number, number];

/** Output (bytes queued on a socket) from which a closed client's memory is collected at once. */
const COLLECT_AFTER_BYTES = 32 * 1024 * 1024;

let collectTimer: NodeJS.Timeout | null = null;

/** A client whose queued output reached `peakBytes` closed: collect its memory soon (once at a time). */
export function closedWithOutput(peakBytes: number): void {
  if (peakBytes < COLLECT_AFTER_BYTES || collectTimer !== null) return;
  const gc = fullGc();
  if (gc === null) return;
  // after the socket's pending writes were cancelled (their buffers become garbage then)
  collectTimer = setTimeout(() => {
    collectTimer = null;
    gc();
  }, 200);
  collectTimer.unref();
}

export class OutputLimits {
  private normal: Limits = [0, 0, 0];
  private pubsub: Limits = [0, 0, 0];
  /** Unsent output bytes from which a connection is checked (the smallest limit set; Infinity if none). */
  threshold = Infinity;

  constructor(private readonly server: ServerContext) {
    this.configure();
  }

  /** Re-read client-output-buffer-limit (at start and after CONFIG SET). */
  configure(): void {
    const cfg = this.server.config;
    this.normal = cfg.outputBufferLimit('normal');
    this.pubsub = cfg.outputBufferLimit('pubsub');
    let t = Infinity;
    for (const [hard, soft] of [this.normal, this.pubsub]) {
      if (hard > 0) t = Math.min(t, hard);
      if (soft > 0) t = Math.min(t, soft);
    }
    this.threshold = t;
  }

  /** Check a client's unsent output against its class's limits; closes it (true) when over them. */
  check(c: Connection, now = Date.now()): boolean {
    if (c.closed || c.isReplica || c.isMaster) return false;
    const limits = c.subscriptionCount() > 0 ? this.pubsub : this.normal;
    if (!overLimit(c, limits, now)) return false;
    this.server.log.warn(`Client ${clientInfoLine(this.server, c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.server.closeConnection(c);
    return true;
  }

  /** Every cron: clients over a soft limit are closed once they stayed over it for its seconds. */
  cron(conns: Iterable<Connection>): void {
    const now = Date.now();
    for (const c of conns) if (c.softLimitSince > 0) this.check(c, now);
  }
}
