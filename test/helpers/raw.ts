/*
 * A raw RESP socket for tests that need exact bytes: send anything, read replies as parsed values or
 * as raw text.
 */

import net from 'node:net';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
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

  /** Wait until at least `n` bytes are buffered (or the socket closes). */
  private async need(pred: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (this.closed) throw new Error('connection closed');
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout; buffered: ${JSON.stringify(this.buf.toString('latin1'))}`);
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
    await this.need(() => this.buf.length >= n, ms);
    const s = this.buf.subarray(0, n).toString('latin1');
    this.buf = this.buf.subarray(n);
    return s;
  }

  /** Read one complete RESP reply and return its raw text. */
  async readRaw(ms = 5000): Promise<string> {
    let end = -1;
    await this.need(() => {
      end = replyEnd(this.buf, 0);
      return end >= 0;
    }, ms);
    const s = this.buf.subarray(0, end).toString('latin1');
    this.buf = this.buf.subarray(end);
    return s;
  }

  /** Everything buffered until the server closes the connection. */
  async readUntilClose(ms = 5000): Promise<string> {
    await this.need(() => this.closed, ms);
    const s = this.buf.toString('latin1');
    this.buf = Buffer.alloc(0);
    return s;
  }

  close(): void {
    this.socket.destroy();
  }
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
