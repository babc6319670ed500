/*
 * Entry of the piscina pool that writes RDB files: each task encodes (LZF), checksums (CRC64) and
 * writes a batch of snapshot pieces to the file descriptor the main thread opened (see rdb-encode.ts),
 * or only checksums the pieces of a replication full-sync payload, or walks a whole RDB payload to be
 * loaded (rdb-walk.ts: a file at startup, a replica's full-sync payload).
 *
 * A pool's threads run at the priority its workerData names: nice 10 for the pool behind a running
 * server (on a machine with few cores, a snapshot being written must not take the CPU from the
 * threads that answer requests, the main thread and the shards, which are what a client waits on;
 * Redis's save runs in a child process for the same reason), the default for a load at startup and
 * for a full sync's checksum (someone waits for those). pools.ts's NicePool renices a new thread
 * from the main thread as soon as it exists; this covers a thread made otherwise.
 */

import fs from 'node:fs';
import os from 'node:os';
import { workerData } from 'node:worker_threads';
import { crcPieces, writePieces, type CrcTask, type WarmTask, type WriteTask, type WriteResult } from './rdb-encode.js';
import { walkPayload, type WalkTask } from './rdb-walk.js';

const nice = Number((workerData as { nice?: number } | undefined)?.nice ?? 0);
if (nice > 0) {
  try {
    // Linux: a thread's own id is the last part of /proc/thread-self, and nice is per thread
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, Math.max(os.getPriority(tid), nice));
  } catch {
    /* not Linux, or not allowed: the default priority */
  }
}

export default function run(task: WriteTask | CrcTask | WalkTask | WarmTask): WriteResult | number {
  if ('warm' in task) return 0;
  if ('walk' in task) return walkPayload(task);
  return 'crcOnly' in task ? crcPieces(task) : writePieces(task);
}
