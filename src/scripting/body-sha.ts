/*
 * The sha1 (lower-case hex) of an EVAL's script body, which names it in the script caches. A client
 * sends the same few bodies again and again: each is remembered by its text, since looking a short
 * body up (~0.2 us) costs a tenth of hashing it (~2 us with createHash).
 */

import { createHash } from 'node:crypto';

/** Longer bodies are hashed every time; at most this many are remembered (then it starts over). */
const MAX_BODY = 4096;
const MAX_ENTRIES = 1024;

const known = new Map<string, string>();
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

export function bodySha1(body: Uint8Array): string {
  if (body.length > MAX_BODY) return createHash('sha1').update(body).digest('hex');
  const text = latin1Slice.call(body, 0, body.length);
  let sha = known.get(text);
  if (sha === undefined) {
    sha = createHash('sha1').update(body).digest('hex');
    if (known.size >= MAX_ENTRIES) known.clear();
    known.set(text, sha);
  }
  return sha;
}
