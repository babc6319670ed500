// The "platform ceiling" server of bench:native: frames RESP with shardis's own RequestFramer (from
// dist/) on the same Node socket handling as shardis (net.createServer with noDelay, reads into one
// shared buffer through dist/server/socket-reader.js, one socket write per read), and answers the redis-benchmark commands with fixed replies, without storage or shards.
// What it can serve is the most a single Node main thread can serve: shardis / ceiling says how much
// of that shardis reaches, ceiling / redis-server how far the platform itself is from redis-server.
//   node native-bench/ceiling.mjs --port N [--stream-reads]
// Replies: PING +PONG; SET, MSET, anything unknown +OK; GET a bulk as long as the last SET value (or $-1); INCR,
// LPUSH, RPUSH, SADD, HSET, GEOADD... :1; LRANGE an array of 100 bulks as long as the last pushed value;
// CONFIG GET name -> [name, ""] (what redis-benchmark asks at startup).
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { RequestFramer, FRAME_OK, FRAME_EMPTY, FRAME_NEED_MORE } = await import(pathToFileURL(path.join(ROOT, 'dist/resp/framer.js')).href);
// shardis's socket reads (one shared buffer, net.Socket onread); --stream-reads: the Readable 'data' path
const { READ_BUFFER_BYTES, readInto } = await import(pathToFileURL(path.join(ROOT, 'dist/server/socket-reader.js')).href);

const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1] ?? 0);

const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');
const ONE = Buffer.from(':1\r\n');
const NIL = Buffer.from('$-1\r\n');
// No storage: GET answers a fixed bulk as long as the last SET value (redis-benchmark sets values of
// one size), LRANGE 100 copies of a bulk as long as the last pushed value; rebuilt only when it changes
let setLen = -1;
let getReply = NIL;
let pushLen = -1;
let lrange = Buffer.from('*0\r\n');

const bulk = (len) => Buffer.from(`$${len}\r\n${'x'.repeat(len)}\r\n`);

/** The command's name, lower case, from the request's first argument. */
function name(buf, f) {
  if (f.inline) return (f.inlineArgs?.[0] ?? buf.toString('latin1', f.argStart[0], f.argStart[0] + f.argLen[0])).toLowerCase();
  return buf.toString('latin1', f.argStart[0], f.argStart[0] + f.argLen[0]).toLowerCase();
}

function reply(buf, f) {
  switch (name(buf, f)) {
    case 'ping':
      return PONG;
    case 'get':
      return getReply;
    case 'set':
      if (f.argc >= 3 && f.argLen[2] !== setLen && !f.inline) getReply = bulk((setLen = f.argLen[2]));
      return OK;
    case 'lrange':
      return lrange;
    case 'lpush':
    case 'rpush':
      if (f.argc >= 3 && f.argLen[2] !== pushLen && !f.inline) {
        lrange = Buffer.concat([Buffer.from('*100\r\n'), ...Array(100).fill(bulk((pushLen = f.argLen[2])))]);
      }
      return ONE;
    case 'incr':
    case 'sadd':
    case 'hset':
    case 'zadd':
    case 'geoadd':
    case 'pfadd':
    case 'setbit':
    case 'del':
      return ONE;
    case 'config': {
      const p = f.argc >= 3 && !f.inline ? buf.toString('latin1', f.argStart[2], f.argStart[2] + f.argLen[2]) : '';
      return Buffer.from(`*2\r\n$${p.length}\r\n${p}\r\n$0\r\n\r\n`);
    }
    default:
      return OK;
  }
}

const STREAM_READS = args.includes('--stream-reads');
const shared = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

const server = net.createServer({ noDelay: true, pauseOnConnect: !STREAM_READS }, (raw) => {
  const f = new RequestFramer();
  let pending = null; // unparsed bytes carried to the next read
  const onData = (chunk, n) => {
    // (a read into the shared buffer is copied only when a request is left incomplete)
    const buf = pending ? Buffer.concat([pending, chunk.subarray(0, n)]) : n === chunk.length ? chunk : chunk.subarray(0, n);
    pending = null;
    const out = [];
    let pos = 0;
    for (;;) {
      const r = f.frame(buf, pos, buf.length);
      if (r === FRAME_NEED_MORE) break;
      if (r === FRAME_OK) out.push(reply(buf, f));
      else if (r !== FRAME_EMPTY) {
        out.push(Buffer.from(`-${f.error}\r\n`));
        socket.end(Buffer.concat(out));
        return;
      }
      pos = f.end;
    }
    // an incomplete request: keep its bytes; the framer's resume state is relative to the request's
    // start, so the scan resumes at offset 0 of the next buffer
    if (pos < buf.length) pending = Buffer.from(buf.subarray(pos));
    if (out.length === 1) socket.write(out[0]);
    else if (out.length) socket.write(Buffer.concat(out));
  };
  const socket = STREAM_READS ? raw : readInto(raw, shared, false, onData);
  if (STREAM_READS) raw.on('data', (chunk) => onData(chunk, chunk.length));
  socket.on('error', () => socket.destroy());
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ceiling listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
