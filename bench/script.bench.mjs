// The shard's side of a script sent straight to it (REQ_SCRIPT: EVALSHA key... on one shard), in
// process: a Shard built as its worker builds it, fed EVALSHA records in batches of 16 through its
// request ring, drained, its REP_SCRIPT replies read back. Measures what one script costs the shard
// thread (Lua VM, redis.call, the command, the reply record), apart from the main thread and the
// thread hand-offs. Run: npm run build && node bench/script.bench.mjs [--quick] [--profile-ms N]
// (--profile-ms: just run one script that long, for node --cpu-prof; --profile-script get|incr|one
// chooses it, get by default; --keys N: the scripts go round N keys (a power of two, 1024 by default;
// 65536 for a working set that does not stay in the CPU's caches, as redis-benchmark -r 100000 has;
// --only get|incr|one|plain: that row alone).
import { createHash } from 'node:crypto';
import { buildCommands } from '../dist/server/commands/index.js';
import { CommandTable } from '../dist/commands/table.js';
import { handlersById } from '../dist/commands/registry.js';
import { SHARD_COMMANDS } from '../dist/shard/commands/index.js';
import { DEFAULT_SHARD_CONFIG } from '../dist/shard/context.js';
import { Shard } from '../dist/shard/shard.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../dist/ipc/ring.js';
import { writeHeader } from '../dist/ipc/chunks.js';
import { HEADER_BYTES, REQ_COMMAND, REQ_CONTROL, REQ_SCRIPT, word0 } from '../dist/ipc/records.js';
import { RespWriter } from '../dist/resp/writer.js';

const QUICK = process.argv.includes('--quick');
const profArg = process.argv.indexOf('--profile-ms');
const { implemented } = buildCommands();
const table = new CommandTable(new Map(implemented));
const reqSab = createRingBuffer(1 << 20);
const repSab = createRingBuffer(1 << 20);
const shard = new Shard({
  index: 0,
  shards: 1,
  databases: 16,
  requestRing: reqSab,
  replyRing: repSab,
  commands: table.byId,
  handlers: handlersById(table.byId, SHARD_COMMANDS),
  config: { ...DEFAULT_SHARD_CONFIG },
  wakeMain: () => {},
});
const req = new RingProducer(reqSab);
const rep = new RingConsumer(repSab);
const w = new RespWriter(1024);

function send(kind, w3, argv) {
  w.reset();
  w.command(argv);
  const off = req.reserve(HEADER_BYTES + w.len);
  writeHeader(req, off, word0(kind, 0, 0), 1, seq++, w3, w.len);
  req.data.set(w.buf.subarray(0, w.len), off + HEADER_BYTES);
  req.commit(HEADER_BYTES + w.len);
}
let seq = 1;
function drainReplies() {
  let n = 0;
  if (rep.poll()) for (let off = rep.next(); off >= 0; off = rep.next()) n++;
  rep.release();
  return n;
}

const GET = "return redis.call('get', KEYS[1])";
const INCR = "return redis.call('incr', KEYS[1])";
const ONE = 'return 1';
const sha = (s) => createHash('sha1').update(s).digest('hex');
// compile both in the shard (the main thread's control op "script" does it on first use)
for (const body of [GET, INCR, ONE]) {
  send(REQ_CONTROL, 0, ['script', sha(body), body, 0, 2, 0, '', 5000, 1, 'key:000000000001']);
}
for (let i = 0; i < 100_000; i++) shard.ks.db(0).set(`key:${String(i).padStart(12, '0')}`, 'x'.repeat(16));
req.publish();
shard.drain();
drainReplies();

const W3 = 5000 | (2 << 16); // busy-reply-threshold 5000 ms, RESP2, EVALSHA
const keysArg = process.argv.indexOf('--keys');
const NKEYS = keysArg >= 0 ? Number(process.argv[keysArg + 1]) : 1024;
if (!(NKEYS > 0 && (NKEYS & (NKEYS - 1)) === 0 && NKEYS <= 65536)) throw new Error('--keys: a power of two up to 65536');
const MASK = NKEYS - 1;
const keys = Array.from({ length: NKEYS }, (_, i) => `key:${String((i * 7919) % 100_000).padStart(12, '0')}`);
let k = 0;
const counters = keys.map((key) => key.replace('key:', 'counter:'));
const SHA = new Map([GET, INCR, ONE].map((b) => [b, sha(b)]));
const GET_ID = table.get('get').id;
function batch(body, n) {
  if (body === null) {
    // a plain GET, for comparison: what the shard spends on the command alone
    for (let i = 0; i < n; i++) send(REQ_COMMAND, GET_ID | (2 << 16), ['GET', keys[k++ & MASK]]);
  } else {
    const s = SHA.get(body);
    const list = body === INCR ? counters : keys;
    for (let i = 0; i < n; i++) send(REQ_SCRIPT, W3, ['EVALSHA', s, '1', list[k++ & MASK]]);
  }
  req.publish();
  shard.drain();
  if (drainReplies() !== n) throw new Error('missing replies');
}
// check the replies are what the scripts answer
{
  send(REQ_SCRIPT, W3, ['EVALSHA', sha(GET), '1', keys[0]]);
  req.publish();
  shard.drain();
  rep.poll();
  const off = rep.next();
  const body = Buffer.from(rep.data.subarray(off + HEADER_BYTES + 4, off + HEADER_BYTES + 4 + 22)).toString('latin1');
  rep.release();
  if (!body.startsWith('$16\r\nxxxxxxxxxxxxxxxx')) throw new Error(`unexpected reply ${JSON.stringify(body)}`);
}

if (profArg >= 0) {
  const end = performance.now() + Number(process.argv[profArg + 1]);
  const which = process.argv.indexOf('--profile-script');
  const body = { get: GET, incr: INCR, one: ONE }[which >= 0 ? process.argv[which + 1] : 'get'];
  let n = 0;
  while (performance.now() < end) {
    batch(body, 16);
    n += 16;
  }
  console.log(`${n} scripts`);
} else {
  // CPU time (not wall time: the machine is shared), the best of several short rounds (the one
  // least disturbed by other processes: caches, GC threads)
  const rounds = QUICK ? 5 : 15;
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg >= 0 ? process.argv[onlyArg + 1] : null;
  const rows = [['get', 'EVALSHA get', GET], ['incr', 'EVALSHA incr', INCR], ['one', 'EVALSHA return 1', ONE], ['plain', 'GET (no script)', null]];
  for (const [, name, body] of rows.filter(([id]) => only === null || id === only)) {
    for (let i = 0; i < 2000; i++) batch(body, 16); // warm-up
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const c0 = process.cpuUsage();
      let n = 0;
      for (;;) {
        batch(body, 16);
        n += 16;
        if ((n & 1023) !== 0) continue;
        const c = process.cpuUsage(c0);
        if (c.user + c.system >= 200_000) {
          best = Math.min(best, (c.user + c.system) / n);
          break;
        }
      }
    }
    console.log(`shard: ${name}: ${best.toFixed(2)} us CPU per script, best of ${rounds} rounds (${Math.round(1e6 / best)} scripts/s)`);
  }
}
