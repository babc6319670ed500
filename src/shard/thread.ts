/*
 * Entry of a shard's worker thread: holds the young generation (young-gen.ts: the thread's start
 * reset V8's flags for every isolate of the process) before the shard's modules load, then runs the
 * shard (worker.ts).
 */

import { holdYoungGeneration } from '../young-gen.js';

holdYoungGeneration();
await import('./worker.js');
