/*
 * ReplicationBacklog: the last `size` bytes of the replication stream, in a circular buffer, so a
 * replica that lost its link (or was re-pointed at a promoted replica) can continue from its offset
 * with +CONTINUE instead of a full sync. Offsets are Redis's: the stream's first byte is offset 1 and
 * master_repl_offset is the offset of the last byte written.
 */

import { copySlice } from '../bytes.js';

/** The replication id of no history (replid2 before any promotion; PSYNC ? asks for a full sync). */
export const NULL_REPLID = '0'.repeat(40);

export class ReplicationBacklog {
  private buf: Buffer;
  /** Next write position in buf. */
  private head = 0;
  /** Bytes held (repl_backlog_histlen). */
  histlen = 0;
  /** Offset of the last byte appended (master_repl_offset). */
  offset: number;

  constructor(size: number, offset: number) {
    this.buf = Buffer.alloc(Math.max(16 * 1024, size));
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
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
    this.copyIn(src, start, first, this.head);
    if (first < len) this.copyIn(src, start + first, len - first, 0);
    this.head = (this.head + len) % size;
    this.histlen = Math.min(size, this.histlen + len);
  }

  /**
   * src[off, off+len) into buf at `at`. A master appends each write on its own (a few dozen bytes, from
   * the reply ring): those are copied four bytes a step through DataViews (ours, and one kept for the
   * last source), about twice as fast as copySlice's byte loop; longer runs go through copySlice.
   */
  private copyIn(src: Uint8Array, off: number, len: number, at: number): void {
    if (len > 128 || src.byteLength > 1024 * 1024) {
      copySlice(src, off, len, this.buf, at);
      return;
    }
    if (src !== this.srcBuf) {
      this.srcBuf = src;
      this.srcDv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    const s = this.srcDv!;
    const d = this.dv;
    let i = 0;
    for (; i + 4 <= len; i += 4) d.setInt32(at + i, s.getInt32(off + i, true), true);
    for (; i < len; i++) d.setUint8(at + i, s.getUint8(off + i));
  }

  private dv: DataView;
  private srcBuf: Uint8Array | null = null;
  private srcDv: DataView | null = null;

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
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.head = 0;
    this.histlen = 0;
    this.offset -= keep.length;
    this.append(keep);
  }
}
