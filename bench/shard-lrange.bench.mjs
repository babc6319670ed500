// The shard's side of LRANGE mylist 0 99 on a 200,000-element list (redis-benchmark's lrange_100 row:
// its LPUSH fill leaves the list in array form), in process: a Shard built as its worker builds it,
// fed the LPUSH fill and then LRANGE records in batches of 16 through its request ring, drained, the
// replies read back. CPU µs per LRANGE, best and median of short rounds (CPU time, not wall time: the
// machine is shared). Takes a build's directory, so two builds can be compared in alternation:
//   node bench/shard-lrange.bench.mjs [DIR] [rounds]      (DIR: a checkout with a built dist/, default .)
// Builds from before the command registry (a2af456 and older) are loaded through their old names.
import path from 'node:path';
const ROOT = path.resolve(process.argv[2] ?? '.');
const rounds = Number(process.argv[3] ?? 15);
const D = (p) => import(path.join(ROOT, 'dist', p));
const { CommandTable } = await D('commands/table.js');
const { DEFAULT_SHARD_CONFIG } = await D('shard/context.js');
const { Shard } = await D('shard/shard.js');
const { createRingBuffer, RingConsumer, RingProducer } = await D('ipc/ring.js');
const { HEADER_BYTES, REQ_COMMAND, word0 } = await D('ipc/records.js');
const { RespWriter } = await D('resp/writer.js');
let table, handlers;
try {
  const { buildCommands } = await D('server/commands/index.js');
  const { handlersById } = await D('commands/registry.js');
  const { SHARD_COMMANDS } = await D('shard/commands/index.js');
  const { implemented } = buildCommands();
  table = new CommandTable(new Map(implemented));
  handlers = handlersById(table.byId, SHARD_COMMANDS);
} catch {
  const { SHARD_HANDLERS } = await D('shard/commands/index.js');
  const { MAIN_HANDLERS } = await D('server/commands/index.js');
  const impl = new Map();
  for (const n of Object.keys(SHARD_HANDLERS)) impl.set(n, 1); // Route.Shard (a const enum)
  for (const n of Object.keys(MAIN_HANDLERS)) impl.set(n, 0); // Route.Main
  table = new CommandTable(impl);
  handlers = SHARD_HANDLERS;
}
const reqSab = createRingBuffer(1 << 20);
const repSab = createRingBuffer(4 << 20);
const shard = new Shard({ index: 0, shards: 1, databases: 16, requestRing: reqSab, replyRing: repSab, commands: table.byId, handlers, config: { ...DEFAULT_SHARD_CONFIG }, wakeMain: () => {} });
const req = new RingProducer(reqSab);
const rep = new RingConsumer(repSab);
const w = new RespWriter(1024);
let seq = 1;
function send(id, argv) {
  w.reset(); w.command(argv);
  const off = req.reserve(HEADER_BYTES + w.len);
  const i32 = req.i32, b = off >> 2;
  i32[b] = word0(REQ_COMMAND, 0, 0); i32[b + 1] = 1; i32[b + 2] = seq++; i32[b + 3] = id | (2 << 16); i32[b + 4] = w.len;
  req.data.set(w.buf.subarray(0, w.len), off + HEADER_BYTES);
  req.commit(HEADER_BYTES + w.len);
}
function drainReplies() { let n = 0; if (rep.poll()) for (let off = rep.next(); off >= 0; off = rep.next()) n++; rep.release(); return n; }
const LPUSH = table.get('lpush').id, LRANGE = table.get('lrange').id;
function batch(id, argv, n) { for (let i = 0; i < n; i++) send(id, argv); req.publish(); shard.drain(); if (drainReplies() !== n) throw new Error('missing replies'); }
for (let i = 0; i < 200000 / 16; i++) batch(LPUSH, ['LPUSH', 'mylist', 'xxxxxxxxxxxxxxxx'], 16);
const ARGV = ['LRANGE', 'mylist', '0', '99'];
for (let i = 0; i < 3000; i++) batch(LRANGE, ARGV, 16);
const res = [];
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage(); let n = 0;
  for (;;) { batch(LRANGE, ARGV, 16); n += 16; if ((n & 1023) !== 0) continue; const c = process.cpuUsage(c0); if (c.user + c.system >= 300_000) { res.push((c.user + c.system) / n); break; } }
}
res.sort((a, b) => a - b);
console.log(`${ROOT}: LRANGE 0 99 us/req best ${res[0].toFixed(3)} median ${res[res.length >> 1].toFixed(3)}`);
