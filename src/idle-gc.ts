/*
 * An isolate's heap collected once when its thread goes idle after a burst left garbage behind.
 *
 * A burst of requests promotes short-lived objects into the old space (a shard's slot tables as they
 * are made, values, requests in flight), and V8's mark-compacts during the burst leave those pages
 * partly used: after a 1M-key `redis-cli --pipe` load a shard's old space held 13-23 MB of pages for
 * 11-14 MB of objects, depending on when its last collection fell. The main thread's dead Buffers
 * (input and output buffers of the load) keep their malloc'd memory until a collection finds them.
 * And V8 doubles an isolate's semi-spaces while objects survive its scavenges (up to 16 MB each in
 * the main thread, 4 MB in a shard): after the same load the two young generations held 22 MB
 * (main 14, shard 8), almost all of it empty, and a fresh server's main thread 6 MB from loading its
 * modules. V8 compacts, frees and shrinks the young generation only in its memory reducer's
 * collections, which start seconds after the allocation rate drops, if at all (a shard never returns
 * to its event loop, where they would run). So when the thread has had no request for IDLE_MS
 * (counting its start as work) and its old space holds SLACK_BYTES more than its objects take, or
 * its young generation holds YOUNG_BYTES (or, where asked, its external memory grew by EXTERNAL_BYTES
 * since the last such collection), it asks V8 for the collection of a low-memory notification:
 * two or more full collections that compact, give memory back and shrink the young generation to
 * its first size (`--trace-gc`, load average 3.5: main 45 + 61 ms, shard 88 + 49 ms after a 1M-key
 * load; 23-29 ms a thread on an empty server). Then none until its heap
 * (or external memory) has grown by GROWTH_BYTES again or its young generation grew back. A request
 * arriving meanwhile waits for it, as for any collection; a busy thread never runs one.
 *
 * The notification is reached through the inspector's HeapProfiler.collectGarbage (the only way to it
 * from JavaScript without a heap walk: v8.queryObjects makes the same collections, then walks the heap,
 * 120-140 ms of CPU and 630-740 ms of wall time in the main thread at 1M keys, against ~110 ms).
 * The inspector runs it as a task of the thread's event loop, so a shard turns its loop until it is
 * done. Where Node has no inspector, a plain full collection (gc()) does what it can.
 */

import v8 from 'node:v8';
import vm from 'node:vm';
import type { Session } from 'node:inspector';
import { createRequire } from 'node:module';

/** Time without a request after which a thread counts as idle (ms). */
export const IDLE_MS = 250;
/** Old-space pages beyond its objects that make a collection worth running. */
export const SLACK_BYTES = 4 * 1024 * 1024;
/** Growth since the last such collection before another may run. */
export const GROWTH_BYTES = 4 * 1024 * 1024;
/**
 * External memory grown since the last collection that makes one worth running (the main thread:
 * dead input and output Buffers, malloc'd, freed only by a collection that finds them; after a 1M-key
 * load the main thread held 3-3.6 MB of them beside a 2 MB young generation).
 */
export const EXTERNAL_BYTES = 2 * 1024 * 1024;
/** Young-generation pages that make a collection worth running (V8's first size: 1 MB semi-spaces, 2 MB). */
export const YOUNG_BYTES = 3 * 1024 * 1024;
/** Longest wait for the inspector's collection before the thread goes on without it (ms). */
const REDUCE_TIMEOUT_MS = 2000;

export interface HeapFigures {
  /** Bytes of pages the old space holds. */
  physical: number;
  /** Bytes its objects take. */
  used: number;
  /** Memory outside the heap held by the heap's objects (ArrayBuffers, Buffers). */
  external: number;
  /** Bytes of pages the young generation (new space) holds. */
  young: number;
}

function heapFigures(): HeapFigures {
  let old: v8.HeapSpaceInfo | undefined;
  let young = 0;
  for (const x of v8.getHeapSpaceStatistics()) {
    if (x.space_name === 'old_space') old = x;
    else if (x.space_name === 'new_space') young = x.physical_space_size;
  }
  return { physical: old?.physical_space_size ?? 0, used: old?.space_used_size ?? 0, external: v8.getHeapStatistics().external_memory, young };
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

/** A collection: done when it returns, or when the promise it returns settles. */
export type Collection = () => void | Promise<void>;

/** node:inspector's Session class, loaded on first use (null where Node has no inspector). */
let SessionClass: (new () => Session) | null | undefined;

/**
 * The collection of a low-memory notification (see the header): the inspector's
 * HeapProfiler.collectGarbage through a session connected for it (and disconnected after: no
 * session stays open on the thread), settled when the inspector answers (or after
 * REDUCE_TIMEOUT_MS); gc() where Node has no inspector; null if neither is there.
 */
export function reducingGc(): Collection | null {
  if (SessionClass === undefined) {
    try {
      // loaded on first use: a server that never goes idle after a burst never loads it
      SessionClass = (createRequire(import.meta.url)('node:inspector') as typeof import('node:inspector')).Session;
    } catch {
      SessionClass = null;
    }
  }
  const S = SessionClass;
  if (S === null) return fullGc();
  return () =>
    new Promise<void>((resolve) => {
      let session: Session;
      try {
        session = new S();
        session.connect();
      } catch {
        fullGc()?.();
        return resolve();
      }
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        session.disconnect();
        resolve();
      };
      const timer = setTimeout(done, REDUCE_TIMEOUT_MS);
      // disconnected after the answer's dispatch has returned (inside it, disconnect() never returns)
      session.post('HeapProfiler.collectGarbage', () => setImmediate(done));
    });
}

export class IdleCollector {
  private lastWork = 0;
  /** Checked since the last request (one look per idle period). */
  private checked = false;
  /** The figures after the last collection this ran (or at the start). */
  private after: HeapFigures;
  /** A collection is under way (the inspector's, until it answers). */
  private pending = false;
  /** Collections run. */
  runs = 0;
  /** Run before each collection (a shard finishes its tables' resizes: their old arrays go with it). */
  prepare: (() => void) | null = null;

  /**
   * `external`: also collect when external memory grew by EXTERNAL_BYTES (the main thread, whose
   * external memory is buffers; not a shard, whose arena pages are external and live). `started`:
   * when the thread's start (its modules loading: a burst of its own) ended (ms).
   */
  constructor(
    private readonly external = false,
    started = performance.now(),
    private readonly figures: () => HeapFigures = heapFigures,
    private readonly collect: () => Collection | null = reducingGc,
  ) {
    this.after = figures();
    this.lastWork = started;
  }

  /** The thread handled requests at `now` (ms). */
  worked(now: number): void {
    this.lastWork = now;
    this.checked = false;
  }

  /**
   * The thread is idle at `now` (ms): collect if it has been idle long enough and it pays. Returns
   * the collection's promise when it finishes later (the inspector's collection is a task of the
   * thread's event loop, which the caller must let run: a shard awaits it).
   */
  idle(now: number): Promise<void> | undefined {
    if (this.checked || this.pending || now - this.lastWork < IDLE_MS) return undefined;
    this.checked = true;
    const s = this.figures();
    const slack = s.physical - s.used >= SLACK_BYTES && s.physical >= this.after.physical + GROWTH_BYTES;
    const grown = this.external && s.external >= this.after.external + EXTERNAL_BYTES;
    const young = s.young >= YOUNG_BYTES;
    if (!slack && !grown && !young) return undefined;
    const gc = this.collect();
    if (gc === null) return undefined;
    this.prepare?.();
    this.runs++;
    const done = gc();
    if (done === undefined) {
      this.after = this.figures();
      return undefined;
    }
    this.pending = true;
    return done.then(() => {
      this.pending = false;
      this.after = this.figures();
    });
  }
}
