/*
 * Node's Buffer has fast latin1 codecs on its prototype (latin1Slice / latin1Write, what
 * toString('latin1') and write(..., 'latin1') call after normalising their arguments). Binary strings
 * are converted on the hot path of every command, so we call them directly.
 */

export {};

declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}
