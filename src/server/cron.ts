/*
 * The main thread's cron, every 100 ms: stats samples, its memory (for maxmemory), the idle-client
 * `timeout`, client output buffer limits, and the replication cron (pings, timeouts, backlog TTL,
 * FAILOVER).
 */

import type { ServerContext } from './main-ctx.js';
import { sampleMainMemory } from './info.js';

export function serverCron(s: ServerContext): void {
  if (s.debugFlags.cronPaused) return; // DEBUG PAUSE-CRON: as Redis's serverCron
  s.stats.sample();
  if (s.memGate.due(false)) sampleMainMemory(s); // the main thread's row of the maxmemory board
  const timeout = s.config.int('timeout');
  if (timeout > 0) {
    const now = Date.now();
    for (const c of s.conns.values()) {
      if (c.isReplica || c.isMaster || c.blockedOn >= 0 || c.subscriptionCount() > 0) continue;
      if (now - c.lastInteraction > timeout * 1000) s.closeConnection(c);
    }
  }
  s.outputLimits.cron(s.conns.values());
  s.replication.cron();
}
