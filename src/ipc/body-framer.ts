/*
 * Frames the RESP multibulk requests of ring records (REQ_COMMAND bodies, REQ_TXN items, REQ_CONTROL
 * operations) into Args on the shard. The main thread validated the framing already, so this only
 * finds the argument offsets: "*N\r\n" then N x "$L\r\n<bytes>\r\n".
 */

import type { Args } from '../commands/args.js';

export class BodyFramer {
  starts = new Int32Array(64);
  lens = new Int32Array(64);
  /** Where the request framed last ends (its byte after the last CRLF). */
  end = 0;

  /** Frame the request starting at body[start] into args; returns the argument count. */
  frame(args: Args, body: Buffer, start: number): number {
    let p = start + 1;
    let n = 0;
    while (body[p] !== 13) n = n * 10 + body[p++]! - 48;
    p += 2;
    if (n > this.starts.length) {
      let size = this.starts.length;
      while (size < n) size *= 2;
      this.starts = new Int32Array(size);
      this.lens = new Int32Array(size);
    }
    for (let i = 0; i < n; i++) {
      p++; // '$'
      let l = 0;
      while (body[p] !== 13) l = l * 10 + body[p++]! - 48;
      p += 2;
      this.starts[i] = p;
      this.lens[i] = l;
      p += l + 2;
    }
    this.end = p;
    args.set(body, this.starts, this.lens, n);
    return n;
  }
}
