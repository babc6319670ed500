// A pool worker for test/persistence-pool.test.ts: the nice value its thread had when its first
// module line ran (before anything in the thread could change it).
import fs from 'node:fs';
import os from 'node:os';

const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
const atStart = os.getPriority(tid);

export default function run() {
  return { tid, atStart, now: os.getPriority(tid) };
}
