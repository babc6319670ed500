/*
 * Byte copying for hot paths (the RESP writer, the reply ring, the byte store): no view object made
 * for short runs, so a request that moves a few dozen bytes leaves no garbage behind.
 */

/**
 * Copy src[off, off+len) to dst at `at`: a loop for short runs (no view object is made, so a hot path
 * that copies a few bytes a request leaves no garbage), TypedArray.set of a view for longer ones.
 */
export function copySlice(src: Uint8Array, off: number, len: number, dst: Uint8Array, at: number): void {
  if (len <= 128) for (let i = 0; i < len; i++) dst[at + i] = src[off + i]!;
  else dst.set(src.subarray(off, off + len), at);
}

/**
 * Copies of short runs into one destination, four bytes a step through DataViews (the destination's,
 * and one kept for the last source): about twice as fast as copySlice's byte loop for 20-120 bytes
 * (a request into a ring, a write into the replication backlog). Runs over 128 bytes, and sources over
 * 1 MB (which the kept view would hold on to) unless the caller says they live as long as the
 * copier (`lasting`: a ring's memory), go through copySlice.
 */
export class ShortCopier {
  private readonly dv: DataView;
  private src: Uint8Array | null = null;
  private srcDv: DataView | null = null;

  constructor(readonly dst: Uint8Array) {
    this.dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  }

  /** src[off, off+len) to dst at `at` (`lasting`: src may be kept, whatever its size). */
  copy(src: Uint8Array, off: number, len: number, at: number, lasting = false): void {
    if (len > 128 || (!lasting && src.byteLength > 1024 * 1024)) {
      copySlice(src, off, len, this.dst, at);
      return;
    }
    if (src !== this.src) {
      this.src = src;
      this.srcDv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    const s = this.srcDv!;
    const d = this.dv;
    let i = 0;
    for (; i + 4 <= len; i += 4) d.setInt32(at + i, s.getInt32(off + i, true), true);
    for (; i < len; i++) d.setUint8(at + i, s.getUint8(off + i));
  }
}
