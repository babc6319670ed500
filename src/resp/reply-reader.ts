/*
 * ReplyReader: typed reads from one complete RESP reply (RESP2 or RESP3), front to back, for the main
 * thread's own use of shard replies: the control operations' decoders (src/ipc/control.ts), the sum
 * of split counts and the stream id a blocking XREAD pins. Each read names the type it expects and
 * throws when the reply holds something else, so a decoder states the reply's shape instead of
 * destructuring an untyped tree. Bulk strings are read as binary strings (latin1) or as bytes (a view
 * of the reply's buffer: the replies handed to the main thread are copies it owns).
 */

const NL = 13;

export class ReplyReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  /** The whole reply has been read. */
  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** If the next reply is an error, its text (consumed); otherwise null (nothing consumed). */
  error(): string | null {
    if (this.buf[this.pos] !== 0x2d) return null;
    return this.line();
  }

  /** An integer reply (:n). */
  int(): number {
    this.expect(0x3a, 'an integer');
    return Number(this.line());
  }

  /** A status reply (+text). */
  status(): string {
    this.expect(0x2b, 'a status');
    return this.line();
  }

  /** An array's length; -1 for a null array (*-1, or RESP3's _). */
  array(): number {
    if (this.nullNext()) return -1;
    const t = this.buf[this.pos];
    if (t !== 0x2a && t !== 0x7e && t !== 0x3e) this.expect(0x2a, 'an array');
    return Number(this.line());
  }

  /** A bulk string as a binary string; null for a null bulk. */
  bulk(): string | null {
    const b = this.bytes();
    return b === null ? null : b.latin1Slice();
  }

  /** A bulk string as bytes (a view of the reply); null for a null bulk. */
  bytes(): Buffer | null {
    if (this.nullNext()) return null;
    this.expect(0x24, 'a bulk string');
    const len = Number(this.line());
    if (len < 0) return null;
    const start = this.pos;
    this.pos += len + 2;
    if (this.pos > this.buf.length) throw new Error('incomplete reply');
    return this.buf.subarray(start, start + len);
  }

  /** A bulk string that must not be null. */
  str(): string {
    const s = this.bulk();
    if (s === null) throw new Error(`expected a bulk string at ${this.pos}, got a null`);
    return s;
  }

  /** An array of bulk strings (null elements kept). */
  bulks(): (string | null)[] {
    const n = this.array();
    const out: (string | null)[] = [];
    for (let i = 0; i < n; i++) out.push(this.bulk());
    return out;
  }

  /** RESP3's null (_) or a RESP2 null bulk/array: consumed, true. */
  private nullNext(): boolean {
    const t = this.buf[this.pos];
    if (t === 0x5f) {
      this.line();
      return true;
    }
    if ((t === 0x24 || t === 0x2a) && this.buf[this.pos + 1] === 0x2d) {
      this.line();
      return true;
    }
    return false;
  }

  private expect(type: number, what: string): void {
    const t = this.buf[this.pos];
    if (t === type) return;
    if (t === 0x2d) throw new Error(`expected ${what} at ${this.pos}, got the error ${this.buf.latin1Slice(this.pos + 1, this.buf.indexOf(NL, this.pos))}`);
    throw new Error(`expected ${what} at ${this.pos}, got ${t === undefined ? 'the end' : `'${String.fromCharCode(t)}'`}`);
  }

  /** The rest of the current line after its type byte; moves past its CRLF. */
  private line(): string {
    const nl = this.buf.indexOf(NL, this.pos);
    if (nl < 0) throw new Error('incomplete reply');
    const s = this.buf.latin1Slice(this.pos + 1, nl);
    this.pos = nl + 2;
    return s;
  }
}
