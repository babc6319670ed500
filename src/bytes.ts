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
