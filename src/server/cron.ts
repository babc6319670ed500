/*
 * The main thread's cron, every 100 ms: stats samples, its memory (for maxmemory), the idle-client
 * `timeout`, client output buffer limits, the replication cron (pings, timeouts, backlog TTL,
 * FAILOVER), the young generation's flag set again (young-gen.ts), and one collection once idle
 * after a burst (idle-gc.ts).
 */

import type { ServerContext } from './main-ctx.js';
import { sampleMainMemory } from './info.js';
import { holdYoungGeneration } from '../young-gen.js';
import { IdleCollector } from '../idle-gc.js';

/** Per server: the main thread's idle collection (idle-gc.ts) and the input count it last saw. */
const idle = new WeakMap<ServerContext, { gc: IdleCollector; input: number }>();

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
  // again after any worker thread started since (Node resets V8's flags then: young-gen.ts)
  holdYoungGeneration();
  let st = idle.get(s);
  if (st === undefined) idle.set(s, (st = { gc: new IdleCollector(true), input: s.stats.netInputBytes }));
  const now = performance.now();
  if (s.stats.netInputBytes !== st.input) {
    st.input = s.stats.netInputBytes;
    st.gc.worked(now);
  } else void st.gc.idle(now);
}
