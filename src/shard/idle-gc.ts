/*
 * A shard's heap compacted once when it goes idle after its old space filled with garbage.
 *
 * A burst of writes promotes short-lived objects into the old space (its slot tables as they are
 * made, values, requests in flight), and V8's mark-compacts during the burst leave those pages
 * partly used: after a 1M-key `redis-cli --pipe` load a shard's old space held 13-23 MB of pages for
 * 11-14 MB of objects, depending on when its last collection fell. V8 compacts such pages and gives
 * them back only in its memory reducer's collections, which start seconds after the allocation
 * rate drops, if at all. So when the shard has received nothing for IDLE_MS and its old space holds
 * SLACK_BYTES more than its objects take, it runs one full collection (about 20-45 ms at 1M keys:
 * the keys are outside the heap), and then none until the heap has grown by GROWTH_BYTES again.
 * A request arriving meanwhile waits for it, as for any collection; a busy shard never runs one.
 */

import v8 from 'node:v8';
import vm from 'node:vm';

/** Time without a request after which a shard counts as idle (ms). */
export const IDLE_MS = 250;
/** Old-space pages beyond its objects that make a collection worth running. */
export const SLACK_BYTES = 4 * 1024 * 1024;
/** Growth of the heap's pages since the last such collection before another may run. */
export const GROWTH_BYTES = 4 * 1024 * 1024;

export interface OldSpace {
  /** Bytes of pages the old space holds. */
  physical: number;
  /** Bytes its objects take. */
  used: number;
}

function oldSpace(): OldSpace {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
  return { physical: s?.physical_space_size ?? 0, used: s?.space_used_size ?? 0 };
}

let exposed: (() => void) | null | undefined;

/** V8's gc() (full collection), exposed on first use; null if this runtime refuses it. */
function fullGc(): (() => void) | null {
  if (exposed === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = vm.runInNewContext('gc');
      exposed = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      exposed = null;
    }
  }
  return exposed;
}

export class IdleCollector {
  private lastWork = 0;
  /** Checked since the last request (one look per idle period). */
  private checked = true;
  /** The old space's pages after the last collection this ran. */
  private physicalAfterGc = 0;
  /** Collections run (tests, INFO-less introspection). */
  runs = 0;

  constructor(
    private readonly stats: () => OldSpace = oldSpace,
    private readonly collect: () => (() => void) | null = fullGc,
  ) {}

  /** The shard handled requests at `now` (ms). */
  worked(now: number): void {
    this.lastWork = now;
    this.checked = false;
  }

  /** The shard is about to sleep at `now` (ms): collect if it has been idle long enough and it pays. */
  idle(now: number): void {
    if (this.checked || now - this.lastWork < IDLE_MS) return;
    this.checked = true;
    const s = this.stats();
    if (s.physical - s.used < SLACK_BYTES || s.physical < this.physicalAfterGc + GROWTH_BYTES) return;
    const gc = this.collect();
    if (gc === null) return;
    gc();
    this.runs++;
    this.physicalAfterGc = this.stats().physical;
  }
}
