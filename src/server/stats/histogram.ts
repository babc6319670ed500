/*
 * Latency histograms as Redis's latency tracking keeps them (an HdrHistogram of nanoseconds, 1 ns to
 * 1 s, two significant figures): values below 256 ns have a bucket each; above, every power of two
 * is split into 128 equal buckets. Percentiles report a bucket's highest equivalent value, as
 * hdr_value_at_percentile does, so INFO latencystats prints the same figures for the same durations.
 *
 *   bucket index:  0 .. 255            values 0 .. 255 (one each)
 *                  (e-7)*128 + q       values [q << (e-7), (q+1) << (e-7)), q in 128..255, e = log2(v)
 */

export const HIST_BUCKETS = 3072;
const MAX_NS = 1_000_000_000;

/** Bucket of a duration in nanoseconds (clamped to 1 ns .. 1 s). */
export function bucketOf(ns: number): number {
  let v = ns < 1 ? 1 : ns > MAX_NS ? MAX_NS : ns | 0;
  if (v < 256) return v;
  const e = 31 - Math.clz32(v);
  v >>>= e - 7;
  return (e - 7) * 128 + v;
}

function shiftOf(idx: number): number {
  return (idx >> 7) - 1;
}

export function bucketLow(idx: number): number {
  if (idx < 256) return idx;
  return ((idx & 127) + 128) * 2 ** shiftOf(idx);
}

export function bucketHigh(idx: number): number {
  if (idx < 256) return idx;
  return bucketLow(idx) + 2 ** shiftOf(idx) - 1;
}

/** hdr_value_at_percentile: the highest equivalent value (ns) at percentile p of `total` samples. */
export function valueAtPercentile(h: ArrayLike<number>, total: number, p: number): number {
  if (total === 0) return 0;
  const want = Math.max(1, Math.floor((Math.min(p, 100) / 100) * total + 0.5));
  let cum = 0;
  for (let i = 0; i < h.length; i++) {
    cum += h[i]!;
    if (cum >= want) return bucketHigh(i);
  }
  return 0;
}

/**
 * LATENCY HISTOGRAM's cumulative distribution: at 1024 ns, 2048 ns, ... the count of samples up to
 * that level, reported as whole microseconds of the level's highest equivalent value, only where the
 * count grew; ends once every sample is counted.
 */
export function cumulative(h: ArrayLike<number>, total: number): [number, number][] {
  const out: [number, number][] = [];
  let cum = 0;
  let prev = 0;
  let i = 0;
  for (let level = 1024; level <= MAX_NS * 2 && prev < total; level *= 2) {
    while (i < h.length && bucketLow(i) <= level) cum += h[i++]!;
    if (cum > prev) out.push([Math.floor(bucketHigh(bucketOf(level)) / 1000), cum]);
    prev = cum;
  }
  return out;
}
