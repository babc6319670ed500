/*
 * The partial sort GEOSEARCH/GEORADIUS use when COUNT keeps fewer matches than were found: Bentley and
 * McIlroy's three-way-partitioning quicksort ("Engineering a Sort Function", 1993: insertion sort under
 * 7 elements, median of three, ninther over 40) that only recurses into parts overlapping the ranks
 * wanted, as Redis's pqsort does. Reproducing the algorithm (not just "a" sort) keeps the order of
 * equal distances identical to redis-server's, since this sort is not stable.
 */

type Cmp<T> = (a: T, b: T) => number;

/** Sort a so that ranks 0..last hold what a full sort would put there (equal keys in pqsort's order). */
export function partialSort<T>(a: T[], cmp: Cmp<T>, last: number): void {
  sortPart(a, 0, a.length, cmp, 0, last);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Swap the n elements from i with the n elements from j. */
function swapRun<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

function median3<T>(a: T[], i: number, j: number, k: number, cmp: Cmp<T>): number {
  if (cmp(a[i]!, a[j]!) < 0) {
    if (cmp(a[j]!, a[k]!) < 0) return j;
    return cmp(a[i]!, a[k]!) < 0 ? k : i;
  }
  if (cmp(a[j]!, a[k]!) > 0) return j;
  return cmp(a[i]!, a[k]!) < 0 ? i : k;
}

/** True when the run [start, start + n) holds some rank of [lo, hi]. */
function overlaps(start: number, n: number, lo: number, hi: number): boolean {
  return !((lo < start && hi < start) || (lo >= start + n && hi >= start + n));
}

function sortPart<T>(a: T[], start: number, n: number, cmp: Cmp<T>, lo: number, hi: number): void {
  for (;;) {
    if (n < 7) {
      for (let m = start + 1; m < start + n; m++) {
        for (let l = m; l > start && cmp(a[l - 1]!, a[l]!) > 0; l--) swap(a, l, l - 1);
      }
      return;
    }
    let mid = start + Math.floor(n / 2);
    if (n > 7) {
      let first = start;
      let end = start + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        first = median3(a, first, first + d, first + 2 * d, cmp);
        mid = median3(a, mid - d, mid, mid + d, cmp);
        end = median3(a, end - 2 * d, end - d, end, cmp);
      }
      mid = median3(a, first, mid, end, cmp);
    }
    swap(a, start, mid);
    // [start] pivot | equal (to pa) | less (to pb) | unknown | greater (from pc) | equal (from pd)
    let pa = start + 1;
    let pb = pa;
    let pc = start + n - 1;
    let pd = pc;
    for (;;) {
      let r = 0;
      while (pb <= pc && (r = cmp(a[pb]!, a[start]!)) <= 0) {
        if (r === 0) swap(a, pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc]!, a[start]!)) >= 0) {
        if (r === 0) swap(a, pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb++, pc--);
    }
    const end = start + n;
    let r = Math.min(pa - start, pb - pa);
    swapRun(a, start, pb - r, r);
    r = Math.min(pd - pc, end - pd - 1);
    swapRun(a, pb, end - r, r);
    r = pb - pa;
    if (r > 1 && overlaps(start, r, lo, hi)) sortPart(a, start, r, cmp, lo, hi);
    r = pd - pc;
    if (r > 1) {
      start = end - r;
      n = r;
      if (overlaps(start, n, lo, hi)) continue;
    }
    return;
  }
}
