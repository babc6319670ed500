// Preloaded (node --import) into the Node servers bench:native measures: names the main thread and
// every worker thread in /proc (a process may rename its own threads through .../comm), so
// thread-cpu.mjs can tell shardis's shards from V8's and libuv's threads on Node 20, which names
// them all "node". Costs nothing after startup.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

try {
  fs.writeFileSync('/proc/thread-self/comm', isMainThread ? 'js-main' : 'js-worker');
} catch {
  // not Linux: the CPU columns are then not reported anyway
}
