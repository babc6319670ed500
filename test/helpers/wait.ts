/*
 * Waiting in tests without depending on how fast the machine is: wait for the event a test needs,
 * with a generous ceiling that only catches hangs (never a deadline a busy machine can miss).
 *
 * CEILING_MS is the suite-wide hang ceiling (default 120 s; SHARDIS_TEST_CEILING_MS overrides it).
 * A shorter ceiling passed by a caller is raised to it: a wait that fails because the machine was busy
 * is a timing assertion, which the suite does not make. vitest's testTimeout (vitest.config.ts) is
 * larger, so a hang fails with the wait's own message ("timed out waiting for <what>").
 */

const fromEnv = Number(process.env.SHARDIS_TEST_CEILING_MS);

/** The hang ceiling for every wait in the suite. */
export const CEILING_MS = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 120_000;

/** A caller's ceiling, never below the suite's hang ceiling. */
export function ceiling(ms?: number): number {
  return Math.max(ms ?? 0, CEILING_MS);
}

export interface WaitOptions {
  /** What is awaited, for the failure message ("timed out waiting for <what>"). */
  what: string;
  /** Give up after this long (raised to CEILING_MS if smaller). */
  ceilingMs?: number;
  /** Poll interval (default 20 ms). */
  everyMs?: number;
}

/** What a predicate's value is once truthy. */
export type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll `predicate` until it returns a truthy value, and return that value. A predicate that throws
 * counts as "not yet" (its last error is in the failure message).
 */
export async function waitFor<T>(predicate: () => Promise<T> | T, opts: WaitOptions): Promise<Truthy<T>> {
  const end = Date.now() + ceiling(opts.ceilingMs);
  const every = opts.everyMs ?? 20;
  let last: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as Truthy<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${opts.what}${last ? `: ${String(last)}` : ''}`);
    await sleep(every);
  }
}

/** Resolve with `p`, or fail with "timed out waiting for <what>" after the hang ceiling. */
export async function within<T>(p: Promise<T>, what: string, ceilingMs?: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ceiling(ceilingMs));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/**
 * A stopwatch for bounds that hold however slow the machine is: e.g. a TTL of 100 s read back after
 * `elapsed()` ms is at least 100_000 - elapsed() ms (never "at least 90 s", which a stall can break).
 */
export function stopwatch(): { elapsed(): number } {
  const t0 = Date.now();
  return { elapsed: () => Date.now() - t0 };
}

/** The TTL in whole seconds Redis reports for `ms` milliseconds left (TTL rounds to the nearest second). */
export function ttlSeconds(ms: number): number {
  return Math.floor((ms + 500) / 1000);
}
