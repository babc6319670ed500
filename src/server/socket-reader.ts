/*
 * Client sockets that read into one preallocated buffer (net.Socket's `onread` option) instead of
 * a new 64 KB buffer per read pushed through the Readable stream and its 'data' event.
 *
 * net.Server offers no `onread` for the sockets it accepts, so the listener is created with
 * `pauseOnConnect` (the accepted socket does not start reading) and its TCP handle is moved into a
 * net.Socket made with `onread`: the same handle, the same Writable side, 'end'/'close'/'error'
 * events and pause()/resume() as before, only reads arrive through the callback. The accepted
 * socket is left without a handle and never used again; the new one takes over its place in the
 * server's connection count. If the handle cannot be taken (another runtime's internals), the
 * accepted socket is used as it is, with a 'data' listener.
 *
 * The read buffer is overwritten by the next read of any socket: the reader must copy what it keeps
 * past the callback (Connection.keepInput).
 */

import net from 'node:net';

/** Size of the shared read buffer: what one read can bring (libuv's suggested size for a read). */
export const READ_BUFFER_BYTES = 64 * 1024;

/** What net.Socket keeps that this module reads or moves (not part of its typed surface). */
interface SocketInternals {
  _handle: object | null;
  server: unknown;
  _server: unknown;
}

/**
 * Start reading an accepted socket (from a listener made with pauseOnConnect): `onData(buf, n)` gets
 * each read as buf[0, n), `buf` shared by every socket read this way. Returns the socket to use from
 * now on (a new one on the same handle, or `raw` itself when the handle could not be moved).
 */
export function readInto(raw: net.Socket, buffer: Buffer, allowHalfOpen: boolean, onData: (buf: Buffer, n: number) => void): net.Socket {
  const r = raw as unknown as SocketInternals;
  const handle = r._handle;
  if (handle !== null && typeof handle === 'object' && 'readStart' in handle) {
    let sock: net.Socket | null = null;
    try {
      const opts = {
        handle,
        allowHalfOpen,
        readable: true,
        writable: true,
        onread: {
          buffer,
          callback: (n: number): boolean => {
            onData(buffer, n);
            return true;
          },
        },
      };
      r._handle = null;
      sock = new net.Socket(opts as net.SocketConstructorOpts);
    } catch {
      r._handle = handle;
      sock = null;
    }
    if (sock !== null) {
      const s = sock as unknown as SocketInternals;
      s.server = r.server;
      s._server = r._server;
      return sock;
    }
  }
  raw.on('data', (chunk: Buffer) => onData(chunk, chunk.length));
  raw.resume();
  return raw;
}
