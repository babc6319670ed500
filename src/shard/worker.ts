/*
 * Shard worker entry point. Builds the Shard from workerData and runs its loop forever: drain the
 * request ring, run periodic work, sleep in Atomics.wait until woken (or until the next timer: active
 * expiry, blocked-client timeouts); once idle after a burst, compact the heap (idle-gc.ts). The
 * thread returns to its event loop only while that collection runs; everything it receives arrives
 * through the request ring.
 */

import { writeSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CommandTable } from '../commands/table.js';
import { handlersById, type CommandProps } from '../commands/registry.js';
import type { ShardConfig } from './context.js';
import { SHARD_COMMANDS } from './commands/index.js';
import { Shard } from './shard.js';
import { IdleCollector } from '../idle-gc.js';
import { preloadVmModules } from '../scripting/vm-modules.js';

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
  /** Huge request bodies handed over in shared memory (FLAG_SHARED_BODY). */
  bodyPort: MessagePort;
  /** optimize-for-size: hold the young generation (read by thread.ts, young-gen.ts). */
  holdYoungGeneration: boolean;
  /** Write a byte here to wake the main thread (src/server/wake-socket.ts); -1: post a message instead. */
  wakeFd: number;
}

/** The body of a FLAG_SHARED_BODY record: posted before the record was written, so it is there. */
function sharedBody(id: number): Buffer {
  for (let tries = 0; ; tries++) {
    const m = receiveMessageOnPort(data.bodyPort)?.message as { id: number; sab: SharedArrayBuffer; off: number; len: number } | undefined;
    if (m !== undefined) {
      if (m.id !== id) throw new Error(`shared body ${m.id} arrived where ${id} was expected`);
      return Buffer.from(m.sab, m.off, m.len);
    }
    if (tries > 10_000) throw new Error(`shared body ${id} never arrived`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }
}

const data = workerData as ShardWorkerData;

/**
 * How this shard wakes the main thread: a byte on the wake socket, or a message when there is none
 * or the socket is full of wake-ups the main thread has not read yet (it is awake, then, or waking).
 */
function wakeMain(): () => void {
  const fd = data.wakeFd;
  if (fd < 0) return () => port.postMessage(0);
  const byte = Buffer.from([1]);
  return () => {
    try {
      writeSync(fd, byte);
    } catch {
      port.postMessage(0);
    }
  };
}
const table = new CommandTable(new Map(data.implemented));
const port = parentPort!;

// (a Node that cannot require ES modules loads the script runner now: vm-modules.ts)
await preloadVmModules('shard');
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
  sharedBody,
  postSharedReply: (b) => data.bodyPort.postMessage({ sab: b.buffer, off: b.byteOffset, len: b.length }),
  wakeMain: wakeMain(),
});

port.postMessage('ready');

const busy = new Float64Array(data.meter);
const idleGc = new IdleCollector();
// Redis's active rehashing, once idle: a slot that sees no more operations would keep a resize's two bucket arrays
idleGc.prepare = () => {
  for (const db of shard.ks.dbs) db.finishResizes();
};
let awake = performance.now();
for (;;) {
  let worked = false;
  while (shard.drain() > 0) worked = true;
  const wait = shard.cron();
  let now = performance.now();
  if (worked) idleGc.worked(now);
  else {
    // the idle collection runs as a task of this thread's event loop (idle-gc.ts): turned until done
    const collecting = idleGc.idle(now);
    if (collecting !== undefined) await collecting;
    now = performance.now();
  }
  busy[0] = busy[0]! + (now - awake);
  shard.requests.waitForData(wait);
  awake = performance.now();
}
