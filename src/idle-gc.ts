/*
 * An isolate's heap collected once when its thread goes idle after a burst left garbage behind.
 *
 * A burst of requests promotes short-lived objects into the old space (a shard's slot tables as they
 * are made, values, requests in flight), and V8's mark-compacts during the burst leave those pages
 * partly used: after a 1M-key `redis-cli --pipe` load a shard's old space held 13-23 MB of pages for
 * 11-14 MB of objects, depending on when its last collection fell. The main thread's dead Buffers
 * (input and output buffers of the load) keep their malloc'd memory until a collection finds them.
 * V8 compacts and frees only in its memory reducer's collections, which start seconds after the
 * allocation rate drops, if at all. So when the thread has had no request for IDLE_MS and its old
 * space holds SLACK_BYTES more than its objects take (or, where asked, its external memory grew by
 * GROWTH_BYTES since the last such collection), it runs one full collection (20-45 ms at 1M keys: a
 * shard's keys are outside the heap), and then none until its heap (or external memory) has grown by
 * GROWTH_BYTES again. A request arriving meanwhile waits for it, as for any collection; a busy
 * thread never runs one.
 */

import v8 from 'node:v8';
import vm from 'node:vm';

/** Time without a request after which a thread counts as idle (ms). */
export const IDLE_MS = 250;
/** Old-space pages beyond its objects that make a collection worth running. */
export const SLACK_BYTES = 4 * 1024 * 1024;
/** Growth since the last such collection before another may run. */
export const GROWTH_BYTES = 4 * 1024 * 1024;

export interface HeapFigures {
  /** Bytes of pages the old space holds. */
  physical: number;
  /** Bytes its objects take. */
  used: number;
  /** Memory outside the heap held by the heap's objects (ArrayBuffers, Buffers). */
  external: number;
}

function heapFigures(): HeapFigures {
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'old_space');
  return { physical: s?.physical_space_size ?? 0, used: s?.space_used_size ?? 0, external: v8.getHeapStatistics().external_memory };
}

let exposed: (() => void) | null | undefined;

/** V8's gc() (full collection), exposed on first use; null if this runtime refuses it. */
export function fullGc(): (() => void) | null {
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
  /** The figures after the last collection this ran (or at the start). */
  private after: HeapFigures;
  /** Collections run. */
  runs = 0;

  /**
   * `external`: also collect when external memory grew by GROWTH_BYTES (the main thread, whose
   * external memory is buffers; not a shard, whose arena pages are external and live).
   */
  constructor(
    private readonly external = false,
    private readonly figures: () => HeapFigures = heapFigures,
    private readonly collect: () => (() => void) | null = fullGc,
  ) {
    this.after = figures();
  }

  /** The thread handled requests at `now` (ms). */
  worked(now: number): void {
    this.lastWork = now;
    this.checked = false;
  }

  /** The thread is idle at `now` (ms): collect if it has been idle long enough and it pays. */
  idle(now: number): void {
    if (this.checked || now - this.lastWork < IDLE_MS) return;
    this.checked = true;
    const s = this.figures();
    const slack = s.physical - s.used >= SLACK_BYTES && s.physical >= this.after.physical + GROWTH_BYTES;
    const grown = this.external && s.external >= this.after.external + GROWTH_BYTES;
    if (!slack && !grown) return;
    const gc = this.collect();
    if (gc === null) return;
    gc();
    this.runs++;
    this.after = this.figures();
  }
}
