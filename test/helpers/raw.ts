/*
 * A raw RESP socket for tests that need exact bytes: send anything, read replies as parsed values or
 * as raw text.
 *
 * Reads wait for the bytes they need; the `ms` of a read is only a hang ceiling (raised to the suite's
 * CEILING_MS, see ./wait.ts). Incoming data is kept as a list of chunks and joined only when a reply
 * could be complete, so a reply of many megabytes costs linear time, not a copy per TCP chunk.
 */

import net from 'node:net';
import { ceiling } from './wait.js';

export class RawClient {
  /** Received bytes not yet consumed: `head` followed by `tail` chunks (joined lazily). */
  private head = Buffer.alloc(0);
  private tail: Buffer[] = [];
  private tailLen = 0;
  private waiters: (() => void)[] = [];
  closed = false;
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.tail.push(d);
      this.tailLen += d.length;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Bytes buffered and not yet read. */
  private get length(): number {
    return this.head.length + this.tailLen;
  }

  /** Everything buffered, as one buffer. */
  private get buf(): Buffer {
    if (this.tail.length > 0) {
      this.head = Buffer.concat([this.head, ...this.tail], this.head.length + this.tailLen);
      this.tail = [];
      this.tailLen = 0;
    }
    return this.head;
  }

  /** Drop the first `n` bytes (callers made sure `head` holds them). */
  private consume(n: number): void {
    this.head = this.head.subarray(n);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Send a command as a RESP array. */
  send(...args: (string | number | Buffer)[]): void {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    this.socket.write(Buffer.concat(parts));
  }

  /** Wait until `pred` holds (or the socket closes, or the hang ceiling passes). */
  private async need(pred: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ceiling(ms);
    while (!pred()) {
      if (this.closed) throw new Error('connection closed');
      const left = end - Date.now();
      if (left <= 0) {
        const b = this.buf;
        const shown = b.length > 300 ? `${b.subarray(0, 300).toString('latin1')}... (${b.length} bytes)` : b.toString('latin1');
        throw new Error(`timeout; buffered: ${JSON.stringify(shown)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Read exactly `n` bytes as latin1 text. */
  async readBytes(n: number, ms = 5000): Promise<string> {
    await this.need(() => this.length >= n, ms);
    if (this.head.length < n) void this.buf;
    const s = this.head.subarray(0, n).toString('latin1');
    this.consume(n);
    return s;
  }

  /** Read one complete RESP reply and return its raw text. */
  async readRaw(ms = 5000): Promise<string> {
    let end = -1;
    let atLeast = 1; // no reply can be complete before this many bytes are buffered
    await this.need(() => {
      // a reply already whole in `head` needs no joining (reading a backlog of replies stays linear)
      if (this.head.length > 0 && (end = replyEnd(this.head, 0)) >= 0) return true;
      if (this.length < atLeast) return false;
      const b = this.buf;
      end = replyEnd(b, 0);
      if (end < 0) atLeast = Math.max(b.length + 1, bulkNeed(b));
      return end >= 0;
    }, ms);
    const s = this.head.subarray(0, end).toString('latin1');
    this.consume(end);
    return s;
  }

  /** Everything buffered until the server closes the connection. */
  async readUntilClose(ms = 5000): Promise<string> {
    await this.need(() => this.closed, ms);
    const s = this.buf.toString('latin1');
    this.head = Buffer.alloc(0);
    return s;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Bytes a buffer that starts with a bulk string header needs to hold the whole bulk (0 otherwise). */
function bulkNeed(b: Buffer): number {
  if (b.length === 0 || b[0] !== 0x24 /* $ */) return 0;
  const nl = b.indexOf('\r\n');
  if (nl < 0) return 0;
  const n = Number(b.subarray(1, nl).toString('latin1'));
  return Number.isInteger(n) && n >= 0 ? nl + 2 + n + 2 : 0;
}

/** End offset of the RESP value starting at `i`, or -1 if incomplete. */
export function replyEnd(b: Buffer, i: number): number {
  if (i >= b.length) return -1;
  const nl = b.indexOf('\r\n', i);
  if (nl < 0) return -1;
  const t = String.fromCharCode(b[i]!);
  const line = b.subarray(i + 1, nl).toString('latin1');
  const after = nl + 2;
  switch (t) {
    case '+': case '-': case ':': case ',': case '#': case '_': case '(':
      return after;
    case '$': case '!': case '=': {
      const n = Number(line);
      if (n < 0) return after;
      return b.length >= after + n + 2 ? after + n + 2 : -1;
    }
    case '*': case '~': case '>': case '%': case '|': {
      let n = Number(line);
      if (n < 0) return after;
      if (t === '%' || t === '|') n *= 2;
      let p = after;
      for (let k = 0; k < n; k++) {
        p = replyEnd(b, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      return after;
  }
}
