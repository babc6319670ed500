// RESP request framing: shardis's RequestFramer (src/resp/framer.ts) against redis-parser, on
// pipelines of SET and GET requests with 16- and 512-byte values. Run: npm run bench:framing
// (needs `npm run build` first). Prints a table and writes bench-results/framing.json.
import { Bench } from 'tinybench';
import RedisParser from 'redis-parser';
import fs from 'node:fs';
import os from 'node:os';
import { FRAME_NEED_MORE, RequestFramer } from '../dist/resp/framer.js';

const PIPELINE = 256;
// --smoke (the test suite): a few iterations, only to prove it runs. BENCH_RESULTS_DIR: where to write.
const SMOKE = process.argv.includes('--smoke');
const OUT = process.env.BENCH_RESULTS_DIR ?? 'bench-results';

function pipeline(valueSize) {
  const v = 'x'.repeat(valueSize);
  let s = '';
  for (let i = 0; i < PIPELINE; i++) {
    const k = `key:${i % 1000}`.padEnd(12, '0');
    s += i % 2 === 0 ? `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n` : `*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`;
  }
  return Buffer.from(s, 'latin1');
}

const framer = new RequestFramer();
let sink = 0;
function frameShardis(buf) {
  let start = 0;
  let n = 0;
  while (start < buf.length) {
    const r = framer.frame(buf, start, buf.length);
    if (r === FRAME_NEED_MORE) break;
    // the server reads the command name and the first key's position; nothing is copied here
    sink += framer.argLen[1];
    start = framer.end;
    n++;
  }
  return n;
}

let parsed = 0;
const parser = new RedisParser({
  returnBuffers: true,
  returnReply: (reply) => {
    parsed++;
    sink += reply[1].length;
  },
  returnError: () => {},
});
function frameRedisParser(buf) {
  parsed = 0;
  parser.execute(buf);
  return parsed;
}

const rows = [];
for (const size of [16, 512]) {
  const buf = pipeline(size);
  if (frameShardis(buf) !== PIPELINE || frameRedisParser(buf) !== PIPELINE) throw new Error('framing mismatch');
  const bench = new Bench(
    SMOKE
      ? { time: 1, iterations: 4, warmupTime: 0, warmupIterations: 1 }
      : { time: process.argv.includes('--quick') ? 50 : 1000, warmupTime: process.argv.includes('--quick') ? 20 : 200 },
  );
  bench.add(`shardis RequestFramer, ${size}B values`, () => frameShardis(buf));
  bench.add(`redis-parser, ${size}B values`, () => frameRedisParser(buf));
  await bench.run();
  console.table(bench.table());
  const [ours, theirs] = bench.tasks.map((t) => t.result);
  const hz = (r) => r.throughput?.mean ?? r.hz;
  const reqPerSec = (r) => hz(r) * PIPELINE;
  rows.push({ value_size: size, pipeline: PIPELINE, shardis_req_per_s: Math.round(reqPerSec(ours)), redis_parser_req_per_s: Math.round(reqPerSec(theirs)), ratio: +(hz(ours) / hz(theirs)).toFixed(2) });
}
console.table(rows);
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(
  `${OUT}/framing.json`,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, rows, sink }, null, 2),
);
