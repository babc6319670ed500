/*
 * Reply runs (REP_RUN, src/ipc/records.ts): the replies to a run of requests (REQ_RUN) of one
 * connection go back as one reply record instead of one record each. The record is reserved in the
 * reply ring when the first reply joins, each reply is copied straight into it, and it is committed
 * (with the replies' lengths after their bytes) before any other reply record is written
 * (Shard.emit), so the ring keeps the order in which replies were made.
 *
 * A reply joins only when it is plain: no propagation bytes, no keyspace events before it, not a
 * blocked marker, not a value sent from shared memory; anything else ends the run and goes alone.
 */

import { FLAG_NO_REPLY, HEADER_BYTES, REP_RUN, word0 } from '../ipc/records.js';
import { writeHeader } from '../ipc/chunks.js';
import { copySlice } from '../bytes.js';
import type { RingProducer } from '../ipc/ring.js';
import type { RespWriter } from '../resp/writer.js';
import type { Db } from './keyspace.js';

/** Most replies in one record (REQ_RUN carries at most as many requests: ShardLink). */
const MAX_REPLIES = 1024;
/** Most reply bytes in one record; a record of a small ring holds less. */
const MAX_BYTES = 64 * 1024;

export class ReplyRun {
  /** Set while the requests of a REQ_RUN run (Shard.runRequests): their replies may join. */
  open = false;
  /** Replies in the record being filled (0: none reserved). */
  count = 0;
  private off = 0;
  private bytes = 0;
  private changes = 0;
  private connId = 0;
  private seq = 0;
  private db = 0;
  private readonly lens = new Int32Array(MAX_REPLIES);
  private readonly room: number;

  constructor(private readonly ring: RingProducer) {
    this.room = Math.min(MAX_BYTES, ring.maxRecord() - HEADER_BYTES - 4 * MAX_REPLIES - 4); // (4: padding)
  }

  /**
   * Add the reply in w to the record (`changed`: the request wrote, and nothing streams it). False when
   * it does not fit, or the ring has no room for a record: the caller emits it alone.
   */
  add(w: RespWriter, changed: boolean, connId: number, seq: number, db: number): boolean {
    const n = w.len;
    if (this.count > 0 && (this.count >= MAX_REPLIES || this.bytes + n > this.room || db !== this.db)) this.flush();
    if (n > this.room) return false;
    if (this.count === 0) {
      const off = this.ring.reserve(HEADER_BYTES + this.room + 4 * MAX_REPLIES);
      if (off < 0) return false;
      this.off = off;
      this.bytes = 0;
      this.changes = 0;
      this.connId = connId;
      this.seq = seq;
      this.db = db;
    }
    copySlice(w.buf, 0, n, this.ring.data, this.off + HEADER_BYTES + this.bytes);
    this.lens[this.count++] = n;
    this.bytes += n;
    if (changed) this.changes++;
    return true;
  }

  /** Commit the record being filled: header, the replies' bytes, padding to 4, their lengths (i32 each). */
  flush(): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    const ring = this.ring;
    const at = (this.off + HEADER_BYTES + this.bytes + 3) & ~3;
    const i32 = ring.i32;
    for (let i = 0; i < n; i++) i32[(at >> 2) + i] = this.lens[i]!;
    writeHeader(ring, this.off, word0(REP_RUN, 0, this.db), this.connId, this.seq, this.bytes, n | (this.changes << 16));
    ring.commit(at + 4 * n - this.off);
  }
}

/** What runRequests needs of the shard. */
export interface RunHost {
  connId: number;
  seq: number;
  flags: number;
  db: Db;
  protocol: 2 | 3;
  readonly replyRun: ReplyRun;
  /** The length of the request run last (as framed). */
  readonly bodyLen: number;
  runRequest(body: Buffer, start: number, len: number, cmdId: number): void;
}

/**
 * A REQ_RUN's n requests (records.ts): each run and answered as one that came alone, their plain
 * replies gathered into REP_RUN records.
 */
export function runRequests(shard: RunHost, body: Buffer, start: number, n: number): void {
  // restored for each request: serving blocked clients after one changes them
  const { connId, seq, flags, db, protocol } = shard;
  const run = shard.replyRun;
  run.open = true;
  try {
    let p = start + ((n * 2 + 3) & ~3);
    for (let i = 0; i < n; i++) {
      shard.connId = connId;
      shard.seq = flags & FLAG_NO_REPLY ? seq : (seq + i) | 0; // the master's commands with no reply take no seq
      shard.flags = flags;
      shard.db = db;
      shard.protocol = protocol;
      shard.runRequest(body, p, -1, body[start + 2 * i]! | (body[start + 2 * i + 1]! << 8));
      p += shard.bodyLen;
    }
  } finally {
    run.open = false;
    run.flush();
  }
}
