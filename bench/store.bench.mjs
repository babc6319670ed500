// The keyspace's two stores side by side (tinybench, one process): `keyspace-store heap` (JS strings in
// per-slot Maps) against `bytes` (src/store/: keys and values in ArrayBuffer arenas), GET and SET on
// 1M keys with 32-byte values. Keys are cut fresh from a byte buffer for every operation, as a shard
// reads them from its request ring, so neither store gets a string with a cached hash. Tasks alternate
// heap / bytes; run it twice (`--rounds 2`) for a second pair.
// Run: npm run build && node bench/store.bench.mjs [--quick] [--rounds N]. Writes bench-results/store.json.
import { Bench } from 'tinybench';
import fs from 'node:fs';
import os from 'node:os';
import { Keyspace } from '../dist/shard/keyspace.js';

const QUICK = process.argv.includes('--quick');
const ri = process.argv.indexOf('--rounds');
const ROUNDS = ri >= 0 ? Number(process.argv[ri + 1]) : 1;
const KEYS = QUICK ? 100_000 : 1_000_000;
const TIME = QUICK ? 200 : 1000;
const OUT = process.env.BENCH_RESULTS_DIR ?? 'bench-results';
const hooks = { expired() {}, modified() {}, ready() {}, notify() {} };

// every key, 14 bytes, back to back: a key is read as buf.latin1Slice(i * 14, i * 14 + 14)
const KLEN = 14;
const keyBytes = Buffer.alloc(KEYS * KLEN);
for (let i = 0; i < KEYS; i++) keyBytes.write(`key:${String(i).padStart(10, '0')}`, i * KLEN, 'latin1');
const key = (i) => keyBytes.latin1Slice(i * KLEN, i * KLEN + KLEN);
const value = () => 'v'.repeat(32);

function load(heap) {
  const ks = new Keyspace(1, hooks, heap);
  const db = ks.db(0);
  for (let i = 0; i < KEYS; i++) db.set(key(i), value());
  return db;
}

const results = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const store of ['heap', 'bytes']) {
    const db = load(store === 'heap');
    let i = 0;
    let sink = 0;
    const bench = new Bench({ time: TIME });
    bench.add(`${store} GET`, () => {
      const v = db.get(key((i = (i + 7919) % KEYS)));
      sink += v.length;
    });
    bench.add(`${store} SET (overwrite)`, () => {
      db.set(key((i = (i + 7919) % KEYS)), value());
    });
    await bench.run();
    for (const t of bench.tasks) {
      const hz = t.result.throughput?.mean ?? t.result.hz;
      results.push({ round, name: t.name, ops_per_s: Math.round(hz) });
    }
    if (sink < 0) console.log(sink);
  }
}
console.table(results);
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(`${OUT}/store.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, keys: KEYS, results }, null, 2));
