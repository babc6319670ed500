// Lookup micro benchmark of the byte store, in-process (no server): 1M keys of 14 bytes with 32-byte
// values set through Db.writeBytes (SET's byte path) into database 0 of a Keyspace of each build,
// then Db.readBytes (GET's byte path: slot hash, table lookup, access touch) of 2M random present
// keys, five rounds alternating the builds. Prints the CPU time (user + system, not wall time: the
// machine is shared) per lookup and, per build, the arena's pages and the heap in use after the load.
//   node native-bench/lookup.mjs DIR [DIR ...]   (each DIR a checkout with a built dist/)
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dirs = process.argv.slice(2);
const hooks = { expired() {}, modified() {}, ready() {}, notify() {}, unwatched: () => true };
const N = 1_000_000;
const keys = Buffer.alloc(N * 14);
for (let i = 0; i < N; i++) keys.latin1Write(`key:${String(i).padStart(10, '0')}`, i * 14, 14);
const order = new Int32Array(2_000_000);
let s = 12345;
for (let i = 0; i < order.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; order[i] = s % N; }
const setups = [];
for (const dir of dirs) {
  const { Keyspace } = await import(pathToFileURL(path.resolve(dir, 'dist/shard/keyspace.js')).href);
  const ks = new Keyspace(16, hooks);
  const db = ks.db(0);
  const buf = Buffer.alloc(64);
  for (let i = 0; i < N; i++) { keys.copy(buf, 0, i * 14, i * 14 + 14); buf.fill(118, 14, 46); db.writeBytes(buf, 0, 14, 14, 32); }
  db.finishResizes();
  globalThis.gc?.();
  const mb = (n) => +(n / 1048576).toFixed(2);
  setups.push({ dir, db, ns: [], pages_mb: mb(ks.arena.pageBytes), heap_used_mb: mb(process.memoryUsage().heapUsed) });
}
for (let round = 0; round < 5; round++) {
  for (const st of setups) {
    const db = st.db;
    let found = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < order.length; i++) if (db.readBytes(keys, order[i] * 14, 14) > 0) found++;
    const c = process.cpuUsage(c0);
    const ns = ((c.user + c.system) * 1000) / order.length; // CPU time, not wall time (a loaded machine)
    if (found !== order.length) throw new Error('missing keys');
    st.ns.push(+ns.toFixed(1));
  }
}
for (const st of setups) console.log(st.dir, 'CPU ns per readBytes:', st.ns.join(' '), 'median', [...st.ns].sort((a, b) => a - b)[2], '| arena pages MB', st.pages_mb, '| heap used MB (all builds so far)', st.heap_used_mb);
