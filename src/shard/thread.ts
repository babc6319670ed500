/*
 * Entry of a shard's worker thread: holds the young generation when the server does (young-gen.ts:
 * optimize-for-size; the thread's start reset V8's flags for every isolate of the process) before
 * the shard's modules load, then runs the shard (worker.ts).
 */

import { workerData } from 'node:worker_threads';
import { enableYoungGenerationHold } from '../young-gen.js';

if ((workerData as { holdYoungGeneration?: boolean } | null)?.holdYoungGeneration === true) enableYoungGenerationHold();
await import('./worker.js');
