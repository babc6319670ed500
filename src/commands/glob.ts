/*
 * Glob-style matching with Redis's rules (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET, CLIENT LIST ...):
 *   *  any run of bytes      ?  one byte      [abc] [^abc] [a-z]  one byte of (not) a set
 *   \x the byte x literally
 * A '[' set with no closing ']' runs to the end of the pattern. Matching is over binary strings.
 */

export function globMatch(pattern: string, s: string, nocase = false): boolean {
  if (nocase) {
    pattern = pattern.toLowerCase();
    s = s.toLowerCase();
  }
  const giveUp = { v: false };
  return match(pattern, 0, s, 0, giveUp);
}

/** Fast check: a pattern of only '*' matches everything. */
export function matchesAll(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) if (pattern.charCodeAt(i) !== 42) return false;
  return pattern.length > 0;
}

function match(p: string, pi: number, s: string, si: number, giveUp: { v: boolean }): boolean {
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p.charCodeAt(pi);
    if (pc === 42) {
      // '*': collapse runs, then try every suffix
      while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
      if (pi === plen - 1) return true;
      for (; si < slen; si++) {
        if (match(p, pi + 1, s, si, giveUp)) return true;
        if (giveUp.v) return false;
      }
      // no suffix matched: a longer match for an earlier '*' cannot help either
      giveUp.v = true;
      return false;
    } else if (pc === 63) {
      // '?'
      si++;
    } else if (pc === 91) {
      // '['
      pi++;
      const not = p.charCodeAt(pi) === 94;
      if (not) pi++;
      let matched = false;
      const c = s.charCodeAt(si);
      for (;;) {
        if (pi >= plen) {
          pi--; // unterminated set: the pattern ends here
          break;
        }
        const q = p.charCodeAt(pi);
        if (q === 92 && plen - pi >= 2) {
          pi++;
          if (p.charCodeAt(pi) === c) matched = true;
        } else if (q === 93) {
          break;
        } else if (plen - pi >= 3 && p.charCodeAt(pi + 1) === 45) {
          let lo = q;
          let hi = p.charCodeAt(pi + 2);
          if (lo > hi) [lo, hi] = [hi, lo];
          if (c >= lo && c <= hi) matched = true;
          pi += 2;
        } else if (q === c) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      si++;
    } else {
      if (pc === 92 && plen - pi >= 2) pi++;
      if (p.charCodeAt(pi) !== s.charCodeAt(si)) return false;
      si++;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}
