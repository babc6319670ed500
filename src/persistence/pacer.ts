/*
 * The pace of a snapshot's pulls (a background save, a full sync), so that the threads that answer
 * requests (the shard's, which runs the pulls, and the main thread, which forwards them) sleep
 * between pulls and leave the machine's cores to the requests' threads and the clients.
 *
 * Why: back to back, pulls keep those threads busy all the time, and Linux's scheduler favours
 * threads that sleep: on a machine with more runnable threads than cores, a thread that never sleeps
 * waits its turn behind the others for every request that arrives, where one that slept is run
 * almost at once. On this 2-core machine at load ~28, the master's SETs during an unpaced 1M-key full
 * sync had a p99 of 13-27 ms against 0.9-1.5 ms on redis-server, whose snapshot runs in a forked
 * child while the thread that answers requests sleeps between them.
 *
 * Two rules:
 *   - 'share' (a full sync): pulls take at most `share` of the time since the snapshot started; past
 *     it the snapshot waits until it is back within it (a replica waits for the payload, and the
 *     master holds its writes meanwhile: the sync goes as fast as the share allows);
 *   - 'each' (a BGSAVE): after every pull the snapshot waits as long as the pull took (a timer's turn
 *     at least), so the shard sleeps after each one. At load ~10 (3 rounds each, 01:39-01:42 UTC)
 *     BGSAVE's clients got more SETs answered this way (22.8-34.3k against 10.3-18.6k with the share)
 *     and its worst SETs were 0.55, 0.58 and 3.12 of redis-server's (against 0.42-3.28, median 1.7).
 */

/** Share of the time since a snapshot started that a full sync spends in pulls; a BGSAVE's pauses match its pulls. */
export const SNAPSHOT_SHARE = 0.5;

/** Wait `ms` (a timer's turn: about 1 ms at least). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(ms))));
}

export class Pacer {
  private readonly since = performance.now();
  private pulling = 0;

  /**
   * share: of the time that may go to pulls (1: no pacing); rule: 'share' (of the time since the
   * start) or 'each' (after each pull, a pause as long as the pull, for share 0.5).
   */
  constructor(
    private readonly share: number,
    private readonly rule: 'share' | 'each' = 'share',
  ) {}

  /** After a pull that started at `start` (performance.now()): wait as the rule says. */
  async pulled(start: number): Promise<void> {
    if (this.share >= 1) return;
    const now = performance.now();
    const took = now - start;
    if (this.rule === 'each') return pause((took * (1 - this.share)) / this.share - 1);
    this.pulling += took;
    const ahead = this.pulling / this.share - (now - this.since);
    if (ahead >= 1) await pause(ahead);
  }
}
