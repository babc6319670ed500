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
 * The main thread's isolate exists before any flag can be set from JS, so main.ts sets this before
 * it loads the rest of the server. Node resets V8's flags while a worker thread starts (and, in some
 * runs, around its end), so it is set again by each shard's thread entry, every 2 ms while the shards
 * start, and on every server cron (a worker of the persistence pool comes and goes without telling
 * us; until the next cron an isolate may grow once).
 */

import v8 from 'node:v8';

export const HOLD_YOUNG_GENERATION = '--semi-space-growth-factor=1';

export function holdYoungGeneration(): void {
  v8.setFlagsFromString(HOLD_YOUNG_GENERATION);
}
