/*
 * The isolates' young generation held at the size it starts with (1 MB semi-spaces: 2 MB resident).
 *
 * V8 doubles an isolate's semi-spaces (up to 16 MB each in the main thread, 4 MB in a shard) when
 * objects survive its scavenges, and gives the memory back only after seconds of low allocation, at
 * a later collection. The main thread grows them while it loads its modules and under any sustained
 * load (a request allocates about 1 KB there), and a shard while its per-slot tables are made: after
 * a 1M-key `redis-cli --pipe` load the two young generations held 22 MB of the process's RSS, almost
 * all of it empty. V8 reads `--semi-space-growth-factor` each time it would grow one, so a factor of
 * 1 keeps every isolate at its first size; the cost is more frequent (not larger) scavenges.
 *
 * It is on with `optimize-for-size yes` only (enableYoungGenerationHold, from cli.ts once the config
 * is read; each shard's entry is told by its workerData). Node resets V8's flags while a worker thread starts (and, in some
 * runs, around its end), so it is set again by each shard's thread entry, every 2 ms while the shards
 * start, and on every server cron (a worker of the persistence pool comes and goes without telling
 * us; until the next cron an isolate may grow once).
 */

import v8 from 'node:v8';

export const HOLD_YOUNG_GENERATION = '--semi-space-growth-factor=1';

/** Set by enableYoungGenerationHold(): in this thread, holdYoungGeneration() sets the flag. */
let enabled = false;

/**
 * Hold from now on: `optimize-for-size yes` only. The hold saves ~16 MB of RSS at 1M keys but the
 * more frequent scavenges cost throughput (quiet A/B of main with and without it, 20:47-20:49 UTC
 * 2026-11-28: SET P16 0.82x, GET P1 0.92x, LPUSH 0.94-0.97x; docs/benchmarks.md), so a default
 * server, built for throughput, lets V8 size its young generations.
 */
export function enableYoungGenerationHold(): void {
  enabled = true;
  holdYoungGeneration();
}

/** True once enableYoungGenerationHold() ran in this thread (a shard is told through its workerData). */
export function youngGenerationHeld(): boolean {
  return enabled;
}

/** Set the flag again (after a worker thread started) if the hold is on. */
export function holdYoungGeneration(): void {
  if (enabled) v8.setFlagsFromString(HOLD_YOUNG_GENERATION);
}
