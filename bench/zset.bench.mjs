// Micro benchmark (tinybench) of the sorted-set skip list's range searches (first/last node in a score
// or lex range: ZRANGEBYSCORE, ZCOUNT, ZLEXCOUNT, GEOSEARCH), on a 100k-member skip list.
// Also prints CPU time per search. Run: node bench/zset.bench.mjs [--quick] (after npm run build); DIST=dir to bench another build.
import { Bench } from 'tinybench';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.env.DIST ?? 'dist');
const { SkipList } = await import(pathToFileURL(path.join(dist, 'shard/values/zset.js')).href);
const QUICK = process.argv.includes('--quick');

const N = 100_000;
const list = new SkipList();
for (let i = 0; i < N; i++) list.insert(i, `m${String(i).padStart(6, '0')}`);
// ranges: a fixed pseudo-random sequence, the same in every run
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const scores = Array.from({ length: 1024 }, () => {
  const a = Math.floor(rnd() * N);
  return { min: a, max: a + 100, minex: false, maxex: false };
});
const lexes = scores.map((r) => ({ min: `m${String(r.min).padStart(6, '0')}`, max: `m${String(r.max).padStart(6, '0')}`, minex: false, maxex: true, minKind: 0, maxKind: 0 }));

let sink = 0;
const tasks = {
  'SkipList firstInScore+lastInScore x1024': () => {
    for (const r of scores) if (list.firstInScore(r) !== null && list.lastInScore(r) !== null) sink++;
  },
  'SkipList firstInLex+lastInLex x1024': () => {
    for (const r of lexes) if (list.firstInLex(r) !== null && list.lastInLex(r) !== null) sink++;
  },
};
const bench = new Bench({ time: QUICK ? 200 : 1000 });
for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
await bench.run();
console.table(bench.table());
// CPU time per search (less sensitive than the wall clock to other processes on a loaded machine)
for (const [name, fn] of Object.entries(tasks)) {
  const reps = QUICK ? 50 : 300;
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) fn();
  const c = process.cpuUsage(c0);
  console.log(`${name}: ${((c.user + c.system) / (reps * 2048)).toFixed(3)} us CPU per search`);
}
if (sink === 0) console.log('no range found (check the bench)');
