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

  /** append() of src[start, start+len) (`lasting`: src is a ring's memory, see ShortCopier). */
  appendFrom(src: Uint8Array, start: number, len: number, lasting = false): void {
    this.settle();
    this.offset += len;
    this.histlen = Math.min(this.buf.length, this.histlen + len);
    this.copyIn(src, start, len, lasting);
  }

  /*
   * Bytes counted in the stream (offset, histlen) but copied in later, with one copy: a master's
   * writes of one tick, which its replicas' fan-out buffer holds meanwhile (Replication.appendFrom).
   * Each write copied into the backlog itself went through memory not in the cache (1 MB by default,
   * written once per lap); copied into the fan-out buffer, which is reused from tick to tick, it stays
   * in the cache, and the tick's bytes move into the backlog in one native copy.
   */
  private laterSrc: Uint8Array | null = null;
  private laterStart = 0;
  private laterLen = 0;

  /**
   * Count src[start, start+len) as appended now and copy it in at the next read of the bytes
   * (since(), resize()) or settle(); the caller leaves those bytes unchanged until then.
   * Consecutive calls that continue the same run of src make one copy.
   */
  appendLater(src: Uint8Array, start: number, len: number): void {
    if (this.laterSrc !== null && (src !== this.laterSrc || start !== this.laterStart + this.laterLen)) this.settle();
    if (this.laterSrc === null) {
      this.laterSrc = src;
      this.laterStart = start;
      this.laterLen = 0;
    }
    this.laterLen += len;
    this.offset += len;
    this.histlen = Math.min(this.buf.length, this.histlen + len);
  }

  /** Copy in what appendLater() counted (nothing refers to its source afterwards). */
  settle(): void {
    const src = this.laterSrc;
    if (src === null) return;
    this.laterSrc = null;
    this.copyIn(src, this.laterStart, this.laterLen, false);
  }

  /** The bytes of src[start, start+len) after head (offset and histlen are the caller's). */
  private copyIn(src: Uint8Array, start: number, len: number, lasting: boolean): void {
    const size = this.buf.length;
    if (len >= size) {
      copySlice(src, start + len - size, size, this.buf, 0);
      this.head = 0;
      return;
    }
    const first = Math.min(len, size - this.head);
    this.copier.copy(src, start, first, this.head, lasting);
    if (first < len) this.copier.copy(src, start + first, len - first, 0, lasting);
    this.head = (this.head + len) % size;
  }

  /** The bytes from offset `from` (inclusive) to the end, or null when they are no longer held. */
  since(from: number): Buffer | null {
    if (from < this.firstByteOffset || from > this.offset + 1) return null;
    this.settle();
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
