// Per-thread CPU time of a server process from /proc, for the CPU-per-request columns of bench:native:
// /proc/PID/task/TID/stat (utime + stime, in clock ticks) and the thread's name from .../comm, summed
// by thread group between two samples taken around a benchmark run.
//   main    the process's own task (TID = PID): shardis's I/O thread, redis-server's event loop
//   shards  Node worker threads (shardis's shards); named "js-worker" by thread-names.mjs, which the
//           benchmark preloads because Node 20 names every thread "node" (Node 24: "WorkerThread")
//   v8      V8 platform threads (GC, compilation: "V8Worker", "DelayedTaskSche"; on Node 20 these and
//           the libuv pool are all called "node", so this group holds both there)
//   other   everything else (redis-server's bio_* and io_thd_* threads, libuv's pool on Node 24)
import fs from 'node:fs';

const TICK_US = 1_000_000 / 100; // USER_HZ is 100 on Linux

/** Map TID -> { name, ticks } for every thread of pid (threads that exit meanwhile are skipped). */
export function sampleThreads(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { name, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

export function threadGroup(pid, tid, name) {
  if (tid === pid) return 'main';
  if (name === 'js-worker' || name === 'WorkerThread') return 'shards';
  if (name === 'node' || name.startsWith('V8') || name === 'DelayedTaskSche') return 'v8';
  return 'other';
}

/** CPU µs per thread group between two samples (a thread new in `after` counts from zero). */
export function cpuByGroup(pid, before, after) {
  const g = { main: 0, shards: 0, v8: 0, other: 0 };
  for (const [tid, a] of after) {
    const b = before.get(tid)?.ticks ?? 0;
    g[threadGroup(pid, tid, a.name)] += (a.ticks - b) * TICK_US;
  }
  return g;
}
