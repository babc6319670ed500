/*
 * The pace of a snapshot's pulls (a background save, a full sync): at most a share of the time since
 * the snapshot started goes to pulls (each one's round trip to its shard); past that share the
 * snapshot waits until it is back within it.
 *
 * Why: a pull runs on the shard thread that also answers requests. Back to back, pulls keep that
 * thread (and the main thread that forwards them) busy all the time, and Linux's scheduler favours
 * threads that sleep: on a machine with more runnable threads than cores, a thread that never sleeps
 * waits its turn behind the others for every request that arrives, where one that slept is run
 * almost at once. On this 2-core machine at load ~28, the master's SETs during an unpaced 1M-key full
 * sync had a p99 of 13-27 ms against 0.9-1.5 ms on redis-server, whose snapshot runs in a forked
 * child while the thread that answers requests sleeps between them.
 */

/** Share of the time since a snapshot started that a background save or a full sync spends in pulls. */
export const SNAPSHOT_SHARE = 0.5;

/** Wait `ms` (a timer's turn: about 1 ms at least). */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(ms)));
}

export class Pacer {
  private readonly since = performance.now();
  private pulling = 0;

  /** share: of the time since the start that may go to pulls (1: no pacing). */
  constructor(private readonly share: number) {}

  /** After a pull that started at `start` (performance.now()): wait if the pulls are past their share. */
  async pulled(start: number): Promise<void> {
    if (this.share >= 1) return;
    const now = performance.now();
    this.pulling += now - start;
    const ahead = this.pulling / this.share - (now - this.since);
    if (ahead >= 1) await pause(ahead);
  }
}
