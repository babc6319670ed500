/*
 * ReplicationBacklog: the last `size` bytes of the replication stream, in a circular buffer, so a
 * replica that lost its link (or was re-pointed at a promoted replica) can continue from its offset
 * with +CONTINUE instead of a full sync. Offsets are Redis's: the stream's first byte is offset 1 and
 * master_repl_offset is the offset of the last byte written.
 */

import { ShortCopier, copySlice } from '../bytes.js';

/** The replication id of no history (replid2 before any promotion; PSYNC ? asks for a full sync). */
export const NULL_REPLID = '0'.repeat(40);

export class ReplicationBacklog {
  private buf: Buffer;
  /** Appends into buf (a write of a few dozen bytes at a time, on a master). */
  private copier: ShortCopier;
  /** Next write position in buf. */
  private head = 0;
  /** Bytes held (repl_backlog_histlen). */
  histlen = 0;
  /** Offset of the last byte appended (master_repl_offset). */
  offset: number;

  constructor(size: number, offset: number) {
    this.buf = Buffer.alloc(Math.max(16 * 1024, size));
    this.copier = new ShortCopier(this.buf);
    this.offset = offset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** repl_backlog_first_byte_offset. */
  get firstByteOffset(): number {
    return this.offset - this.histlen + 1;
  }

  append(data: Uint8Array): void {
    this.appendFrom(data, 0, data.length);
  }

  /** append() of src[start, start+len). */
  appendFrom(src: Uint8Array, start: number, len: number): void {
    const size = this.buf.length;
    this.offset += len;
    if (len >= size) {
      copySlice(src, start + len - size, size, this.buf, 0);
      this.head = 0;
      this.histlen = size;
      return;
    }
    const first = Math.min(len, size - this.head);
    this.copier.copy(src, start, first, this.head);
    if (first < len) this.copier.copy(src, start + first, len - first, 0);
    this.head = (this.head + len) % size;
    this.histlen = Math.min(size, this.histlen + len);
  }

  /** Copy the newest n bytes (n <= histlen) to dst at `at`. */
  copyNewest(n: number, dst: Uint8Array, at: number): void {
    const size = this.buf.length;
    const start = (this.head - n + size) % size;
    const first = Math.min(n, size - start);
    this.buf.copy(dst, at, start, start + first);
    if (first < n) this.buf.copy(dst, at + first, 0, n - first);
  }

  /** The bytes from offset `from` (inclusive) to the end, or null when they are no longer held. */
  since(from: number): Buffer | null {
    if (from < this.firstByteOffset || from > this.offset + 1) return null;
    const n = this.offset + 1 - from;
    const out = Buffer.allocUnsafe(n);
    const size = this.buf.length;
    const start = (this.head - n + size) % size;
    const first = Math.min(n, size - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** Change the capacity, keeping the newest bytes that fit. */
  resize(size: number): void {
    const keep = this.since(this.offset + 1 - Math.min(this.histlen, size))!;
    this.buf = Buffer.alloc(Math.max(16 * 1024, size));
    this.copier = new ShortCopier(this.buf);
    this.head = 0;
    this.histlen = 0;
    this.offset -= keep.length;
    this.append(keep);
  }
}
