/*
 * Pipelines over a raw socket: write every request in one write, half-close, and return all the bytes
 * the server sent until it closed (a server answers what it received before closing, as Redis does).
 */

import net from 'node:net';

/** A request: an argv (sent as a RESP array) or raw bytes sent as they are. */
export type Request = string[] | { raw: string | Buffer };

export function encode(reqs: readonly Request[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of reqs) {
    if (!Array.isArray(r)) {
      parts.push(Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw, 'latin1'));
      continue;
    }
    parts.push(Buffer.from(`*${r.length}\r\n`));
    for (const a of r) {
      const b = Buffer.from(a, 'latin1');
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
  }
  return Buffer.concat(parts);
}

/** Send `reqs` in one write, half-close, and collect the whole answer (latin1). */
export function pipelineThenFin(port: number, reqs: readonly Request[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end(encode(reqs)));
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(parts).toString('latin1'))}`));
    }, timeoutMs);
    s.on('data', (d) => parts.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(parts).toString('latin1'));
    });
  });
}
