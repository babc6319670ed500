/*
 * Records of a message too large for one ring record (records.ts: FLAG_MORE): the one writer of the
 * header words and of FLAG_MORE chunks, and the one reader that joins chunks back into a message. Both
 * directions use them: requests main -> shard (shard-link.ts writes, the shard joins) and replies
 * shard -> main (the shard writes, shard-link.ts joins the coordinator's).
 */

import { HEADER_BYTES } from './records.js';
import type { RingProducer } from './ring.js';


/** Write the five header words of the record at byte offset `off`. */
export function writeHeader(ring: RingProducer, off: number, w0: number, w1: number, w2: number, w3: number, w4: number): void {
  const i32 = ring.i32;
  const b = off >> 2;
  i32[b] = w0;
  i32[b + 1] = w1;
  i32[b + 2] = w2;
  i32[b + 3] = w3;
  i32[b + 4] = w4;
}

/**
 * Write src[start, start+len) as chunk records of at most one record's body each. `reserve(bytes)`
 * returns a ring offset or -1 (then writing stops); `header(off, n, last)` writes the header of a
 * chunk of n bytes, `last` for the final chunk of this range. Returns the bytes written.
 */
export function writeChunks(
  ring: RingProducer,
  src: Uint8Array,
  start: number,
  len: number,
  reserve: (bytes: number) => number,
  header: (off: number, n: number, last: boolean) => void,
): number {
  const max = ring.maxRecord() - HEADER_BYTES;
  let sent = 0;
  while (sent < len) {
    const n = Math.min(max, len - sent);
    const off = reserve(HEADER_BYTES + n);
    if (off < 0) break;
    header(off, n, sent + n >= len);
    ring.data.set(src.subarray(start + sent, start + sent + n), off + HEADER_BYTES);
    ring.commit(HEADER_BYTES + n);
    sent += n;
  }
  return sent;
}

/** Joins the chunks of messages split over several records, by message key. */
export class ChunkJoiner<K> {
  private readonly pending = new Map<K, { body: Buffer; filled: number }>();

  /** Messages with chunks received and more to come. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Add one record's bytes (a view into ring memory: copied) to message `key`; `more` when further
   * records follow; `sizeHint` the whole message's length when known (allocated once). Returns the
   * whole message after its last record, null while more follow, or undefined when the message was
   * one record (never pending): the caller then uses the record's bytes in place.
   */
  add(key: K, bytes: Uint8Array, more: boolean, sizeHint = 0): Buffer | null | undefined {
    let parts = this.pending.get(key);
    if (!parts) {
      if (!more) return undefined;
      parts = { body: Buffer.allocUnsafe(Math.max(sizeHint, bytes.length)), filled: 0 };
      this.pending.set(key, parts);
    }
    if (parts.filled + bytes.length > parts.body.length) parts.body = grown(parts.body, parts.filled, Math.max(parts.filled + bytes.length, parts.body.length * 2));
    parts.body.set(bytes, parts.filled);
    parts.filled += bytes.length;
    if (more) return null;
    this.pending.delete(key);
    return parts.body.subarray(0, parts.filled);
  }
}

/** A copy of b's first `used` bytes in a buffer of `size` bytes. */
function grown(b: Buffer, used: number, size: number): Buffer {
  const next = Buffer.allocUnsafe(size);
  b.copy(next, 0, 0, used);
  return next;
}
