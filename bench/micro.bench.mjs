// Micro benchmarks (tinybench) of the hot-path pieces: reply encoding, the async main-command writer,
// the SPSC ring at batch sizes 1/16/128 (same thread and across a worker thread), keyspace GET/SET/INCR on 1M keys, and DUMP/RDB
// entry encoding. Run: npm run bench (after npm run build). Writes bench-results/micro.json.
// Framing (ours vs redis-parser) has its own file: bench/framing.bench.mjs.
import { Bench } from 'tinybench';
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { RespWriter } from '../dist/resp/writer.js';
import { createRingBuffer, RingConsumer, RingProducer } from '../dist/ipc/ring.js';
import { Keyspace } from '../dist/shard/keyspace.js';
import { WriterPool } from '../dist/server/main-runner.js';

// --quick: short runs and 100k keys; --smoke (the test suite): a few iterations on tiny data, only to
// prove the suite runs and writes its JSON (figures meaningless). BENCH_RESULTS_DIR: where to write.
const SMOKE = process.argv.includes('--smoke');
const QUICK = SMOKE || process.argv.includes('--quick');
const TIME = SMOKE ? 1 : QUICK ? 50 : 500;
const OUT = process.env.BENCH_RESULTS_DIR ?? 'bench-results';
/** tinybench options: `time` ms per task, or a handful of iterations under --smoke. */
const opts = () => (SMOKE ? { time: TIME, iterations: 4, warmupTime: 0, warmupIterations: 1 } : { time: TIME });
const results = [];
function collect(bench, unitsPerOp = 1, unit = 'op') {
  for (const t of bench.tasks) {
    const hz = t.result.throughput?.mean ?? t.result.hz;
    results.push({ name: t.name, ops_per_s: Math.round(hz), [`${unit}_per_s`]: Math.round(hz * unitsPerOp) });
  }
  console.table(bench.table());
}

// ---- reply encoding
{
  const w = new RespWriter(64 * 1024);
  const v = 'x'.repeat(16);
  const big = 'y'.repeat(512);
  const bench = new Bench(opts());
  bench.add('RespWriter: 100 x bulk(16B)', () => {
    w.reset();
    for (let i = 0; i < 100; i++) w.bulk(v);
  });
  bench.add('RespWriter: 100 x bulk(512B)', () => {
    w.reset();
    for (let i = 0; i < 100; i++) w.bulk(big);
  });
  bench.add('RespWriter: 100 x int', () => {
    w.reset();
    for (let i = 0; i < 100; i++) w.int(i * 7919);
  });
  bench.add('RespWriter: array of 100 bulks', () => {
    w.reset();
    w.array(100);
    for (let i = 0; i < 100; i++) w.bulk(v);
  });
  await bench.run();
  collect(bench, 100, 'reply');
}

// ---- the reply writer of an async main-thread command (src/server/main-runner.ts): a fresh 16 KB
// RespWriter per command (before) against one taken from and given back to the pool (now); each
// writes a small reply and copies it out, as the runner does
{
  const pool = new WriterPool();
  const reply = (w) => {
    w.array(2);
    w.bulk('OK');
    w.int(42);
    return Buffer.from(w.buf.subarray(0, w.len));
  };
  const bench = new Bench(opts());
  bench.add('async main command writer: fresh 16 KB', () => {
    reply(new RespWriter(16 * 1024));
  });
  bench.add('async main command writer: pooled', () => {
    const w = pool.take();
    reply(w);
    pool.give(w);
  });
  await bench.run();
  collect(bench);
}

// ---- ring, same thread, batches of 1/16/128 records of 40 bytes
{
  const bench = new Bench(opts());
  const payload = Buffer.alloc(40, 1);
  for (const batch of [1, 16, 128]) {
    const sab = createRingBuffer(1 << 20);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    bench.add(`ring same-thread batch ${batch}`, () => {
      for (let i = 0; i < batch; i++) {
        const off = p.reserve(40);
        payload.copy(p.data, off);
        p.commit(40);
      }
      p.publish();
      c.poll();
      while (c.next() >= 0);
      c.release();
    });
  }
  await bench.run();
  for (const t of bench.tasks) {
    const batch = Number(/batch (\d+)/.exec(t.name)[1]);
    const hz = t.result.throughput?.mean ?? t.result.hz;
    results.push({ name: t.name, ops_per_s: Math.round(hz), record_per_s: Math.round(hz * batch) });
  }
  console.table(bench.table());
}

// ---- ring across a worker thread: records per second for batch sizes 1/16/128
{
  const ringUrl = new URL('../dist/ipc/ring.js', import.meta.url).href;
  for (const batch of [1, 16, 128]) {
    const sab = createRingBuffer(1 << 20);
    const N = SMOKE ? 20_000 : 2_000_000;
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.ringUrl).then(({ RingProducer }) => {
        const p = new RingProducer(workerData.sab);
        for (let i = 0; i < workerData.n; ) {
          for (let b = 0; b < workerData.batch && i < workerData.n; b++, i++) {
            let off;
            while ((off = p.reserve(40)) < 0) { p.publish(); p.waitForSpace(1); }
            p.data.writeUInt32LE(i, off);
            p.commit(40);
          }
          p.publish();
        }
        parentPort.postMessage('done');
      });`;
    const t0 = process.hrtime.bigint();
    const w = new Worker(code, { eval: true, workerData: { sab, ringUrl, n: N, batch } });
    const c = new RingConsumer(sab);
    let got = 0;
    while (got < N) {
      if (c.poll()) {
        while (c.next() >= 0) got++;
        c.release();
      }
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    await w.terminate();
    const rate = Math.round(N / secs);
    results.push({ name: `ring cross-thread batch ${batch}`, record_per_s: rate });
    console.log(`ring cross-thread batch ${batch}: ${rate} records/s`);
  }
}

// ---- keyspace on 1M keys
{
  const ks = new Keyspace(16, { expired() {}, modified() {}, ready() {} });
  const db = ks.db(0);
  const KEYS = SMOKE ? 1000 : QUICK ? 100_000 : 1_000_000;
  const names = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
  for (const k of names) db.set(k, 'v'.repeat(16));
  let i = 0;
  const bench = new Bench(opts());
  bench.add(`keyspace GET (${KEYS / 1e6}M keys)`, () => {
    db.get(names[(i = (i + 7919) % KEYS)]);
  });
  bench.add(`keyspace SET (${KEYS / 1e6}M keys)`, () => {
    db.set(names[(i = (i + 7919) % KEYS)], 'w'.repeat(16));
  });
  bench.add(`keyspace INCR (${KEYS / 1e6}M keys)`, () => {
    const k = names[(i = (i + 7919) % KEYS)];
    const v = db.get(k);
    db.set(k, typeof v === 'number' ? v + 1 : 1, true);
  });
  await bench.run();
  collect(bench);
}

// ---- snapshot encoding: RDB key entries as a full sync writes them, and the payload's CRC64
{
  const rdb = await import('../dist/codec/rdb.js');
  const { ListValue } = await import('../dist/shard/values/list.js');
  const { HashValue } = await import('../dist/shard/values/hash.js');
  const w = new rdb.RdbWriter(1 << 20);
  const v16 = 'v'.repeat(16);
  const list = ListValue.from(Array.from({ length: 100 }, (_, i) => `item-${i}`));
  const hash = HashValue.from(Array.from({ length: 50 }, (_, i) => [`f${i}`, `value-${i}`]));
  const mb = Buffer.alloc(1 << 20, 7);
  const bench = new Bench(opts());
  bench.add('RDB entry: string 16B x 1000', () => {
    w.reset();
    for (let i = 0; i < 1000; i++) rdb.writeEntry(w, 'key:123456', v16, -1);
  });
  bench.add('RDB entry: integer x 1000', () => {
    w.reset();
    for (let i = 0; i < 1000; i++) rdb.writeEntry(w, 'key:123456', 123456789, -1);
  });
  bench.add('RDB entry: list of 100 x 10', () => {
    w.reset();
    for (let i = 0; i < 10; i++) rdb.writeEntry(w, 'list:1', list, -1);
  });
  bench.add('RDB entry: hash of 50 x 10', () => {
    w.reset();
    for (let i = 0; i < 10; i++) rdb.writeEntry(w, 'hash:1', hash, 1_800_000_000_000);
  });
  bench.add('CRC64 of 1 MB', () => rdb.crc64(mb));
  await bench.run();
  collect(bench);
}

fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(`${OUT}/micro.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, results }, null, 2));
console.table(results);
