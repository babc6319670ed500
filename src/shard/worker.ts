/*
 * Shard worker entry point. Builds the Shard from workerData and runs its loop forever: drain the
 * request ring, run periodic work, sleep in Atomics.wait until woken (or until the next timer: active
 * expiry, blocked-client timeouts). The thread never returns to its event loop; everything it
 * receives arrives through the request ring.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { CommandTable } from '../commands/table.js';
import { handlersById, type CommandProps } from '../commands/registry.js';
import type { ShardConfig } from './context.js';
import { SHARD_COMMANDS } from './commands/index.js';
import { Shard } from './shard.js';

interface ShardWorkerData {
  index: number;
  shards: number;
  databases: number;
  requestRing: SharedArrayBuffer;
  replyRing: SharedArrayBuffer;
  /** Float64 [0]: milliseconds this thread spent working (not asleep in Atomics.wait); written here only. */
  meter: SharedArrayBuffer;
  implemented: [string, CommandProps][];
  config: ShardConfig;
  evictBoard?: SharedArrayBuffer;
}

const data = workerData as ShardWorkerData;
const table = new CommandTable(new Map(data.implemented));
const port = parentPort!;

const shard = new Shard({
  index: data.index,
  shards: data.shards,
  databases: data.databases,
  requestRing: data.requestRing,
  replyRing: data.replyRing,
  commands: table.byId,
  handlers: handlersById(table.byId, SHARD_COMMANDS),
  config: data.config,
  evictBoard: data.evictBoard,
  wakeMain: () => port.postMessage(0),
});

port.postMessage('ready');

const busy = new Float64Array(data.meter);
let awake = performance.now();
for (;;) {
  while (shard.drain() > 0);
  const wait = shard.cron();
  const now = performance.now();
  busy[0] = busy[0]! + (now - awake);
  shard.requests.waitForData(wait);
  awake = performance.now();
}
