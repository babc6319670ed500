/*
 * The bytes of a request's argument, remembered to tell whether a later request has the same: a
 * client sends the same script name (sha1, function name, EVAL body) again and again, and comparing
 * its bytes costs less than making a string of them and hashing it (fast-path.ts on the main
 * thread, shard-script.ts in a shard).
 */

import type { Args } from '../commands/args.js';

/** Longer arguments (big EVAL bodies) are not remembered. */
const MAX_REMEMBERED = 4096;

export class ArgBytes {
  private bytes = new Uint8Array(64);
  private len = -1;

  /** True if argument i has the remembered bytes. */
  matches(a: Args, i: number): boolean {
    const n = this.len;
    if (a.strings !== null || a.len[i] !== n) return false;
    const b = a.buf;
    const m = this.bytes;
    const s = a.start[i]!;
    for (let j = 0; j < n; j++) if (b[s + j] !== m[j]) return false;
    return true;
  }

  remember(a: Args, i: number): void {
    const n = a.strings === null ? a.len[i]! : -1;
    this.len = n > MAX_REMEMBERED ? -1 : n;
    if (this.len < 0) return;
    if (this.bytes.length < n) this.bytes = new Uint8Array(n);
    const s = a.start[i]!;
    this.bytes.set(a.buf.subarray(s, s + n));
  }
}
