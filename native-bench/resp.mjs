// A minimal RESP client for single round trips (benchmarks: one request in flight at a time).
// Replies are returned as their raw text (a status/error/integer line, or a whole bulk string).
import net from 'node:net';

export function client(port) {
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  let buf = '';
  let waiter = null;
  let failed = null;
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    if (waiter) waiter();
  });
  sock.on('error', (e) => {
    failed = e;
    if (waiter) waiter();
  });
  const reply = () =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (failed) return reject(failed);
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        let end = nl + 2;
        if (buf[0] === '$' && Number(buf.slice(1, nl)) >= 0) {
          end = nl + 2 + Number(buf.slice(1, nl)) + 2;
          if (buf.length < end) return;
        }
        const line = buf.slice(0, end);
        buf = buf.slice(end);
        waiter = null;
        resolve(line);
      };
      waiter = check;
      check();
    });
  return {
    ready: new Promise((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    }),
    async cmd(...argv) {
      sock.write(`*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join(''));
      return reply();
    },
    close: () => sock.destroy(),
  };
}

/** Sorted round-trip times (ms) -> { worst, p99, n }. */
export function summary(times) {
  times.sort((a, b) => a - b);
  return { worst: times[times.length - 1] ?? 0, p99: times[Math.floor(times.length * 0.99)] ?? 0, n: times.length };
}
