/*
 * The ring (RingProducer / RingConsumer): a single-producer / single-consumer ring of length-prefixed records in a SharedArrayBuffer.
 *
 * One ring carries requests main -> shard, another carries replies shard -> main. The producer writes
 * records straight into shared memory and publishes them in a batch (one Atomics.store of the tail);
 * the consumer reads every published record in place and releases them in a batch.
 *
 * SharedArrayBuffer layout (byte offsets; each control word on its own 64-byte line):
 *
 *     0  +-----------------------------+
 *        | HEAD     i32  consumer      |  bytes consumed so far, mod 2^32; stored after the consumer
 *        |                             |  is done with the records below it
 *    64  +-----------------------------+
 *        | TAIL     i32  producer      |  bytes published so far, mod 2^32; stored after the
 *        |                             |  records below it are fully written
 *   128  +-----------------------------+
 *        | WAKE     i32  producer      |  futex word: the producer adds 1 and notifies to wake a
 *        |                             |  consumer sleeping in Atomics.wait on it
 *   192  +-----------------------------+
 *        | SLEEPING i32  consumer      |  1 from just before the consumer re-checks TAIL and sleeps
 *        |                             |  until it wakes; the producer reads it to skip needless notifies
 *   224  | SPACE_WAIT i32 producer     |  1 while the producer waits in waitForSpace(); the consumer
 *        |                             |  notifies on HEAD only then
 *   256  +-----------------------------+
 *        | data[capacity]              |  records, capacity a power of two
 *        +-----------------------------+
 *
 * Record: u32 payload length | payload | zero padding to a multiple of 8.
 * A length of WRAP (0xffffffff) means "the rest of the data area is unused; continue at offset 0".
 * A record never straddles the end of the data area, so the consumer always sees it contiguous.
 * The largest record is maxRecord() = capacity / 2 - 8 bytes; callers split larger messages.
 *
 * Ordering: the producer writes the record bytes, then Atomics.store(TAIL); the consumer
 * Atomics.load(TAIL), then reads the bytes (Atomics are sequentially consistent, so the plain writes
 * before the store are visible after the load). The same holds for HEAD in the other direction.
 */

export const RING_HEADER_BYTES = 256;
const HEAD = 0; // i32 index of each control word
const TAIL = 16;
const WAKE = 32;
const SLEEPING = 48;
const SPACE_WAIT = 56;
const WRAP = -1; // 0xffffffff read as i32

export function createRingBuffer(capacity: number): SharedArrayBuffer {
  if (capacity < 1024 || (capacity & (capacity - 1)) !== 0) {
    throw new Error(`ring capacity must be a power of two >= 1024, got ${capacity}`);
  }
  return new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Shared state and views of one ring; the producer and the consumer each hold their own views. */
class RingViews {
  readonly ctl: Int32Array;
  readonly data: Buffer;
  readonly i32: Int32Array;
  readonly capacity: number;
  readonly mask: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.capacity = sab.byteLength - RING_HEADER_BYTES;
    this.mask = this.capacity - 1;
    this.ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.data = Buffer.from(sab, RING_HEADER_BYTES, this.capacity);
    this.i32 = new Int32Array(sab, RING_HEADER_BYTES, this.capacity / 4);
  }

  /** Bytes published and not yet released (either side may ask; monitoring only). */
  occupied(): number {
    return (Atomics.load(this.ctl, TAIL) - Atomics.load(this.ctl, HEAD)) >>> 0;
  }
}

/** The writing end. reserve() returns where to write a payload; publish() makes written records visible. */
export class RingProducer extends RingViews {
  private tail: number; // local, not yet published tail (mod 2^32)
  private head: number; // cached consumer head
  private pending = 0; // reserved record start (data offset) awaiting commit

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.tail = Atomics.load(this.ctl, TAIL);
    this.head = Atomics.load(this.ctl, HEAD);
    this.published = this.tail;
  }

  maxRecord(): number {
    return this.capacity / 2 - 8;
  }

  /** Bytes free right now (refreshes the cached head). */
  free(): number {
    this.head = Atomics.load(this.ctl, HEAD);
    return this.capacity - ((this.tail - this.head) >>> 0);
  }

  /**
   * Reserve room for a payload of `len` bytes. Returns the payload's byte offset in `data` (4-aligned,
   * so `i32[offset >> 2]` addresses it), or -1 when the ring has no room: back-pressure, try later.
   * The caller writes the payload and then calls commit(len) before reserving again.
   */
  reserve(len: number): number {
    if (len > this.maxRecord()) throw new RangeError(`ring record of ${len} bytes exceeds ${this.maxRecord()}`);
    const need = align8(len + 4);
    const pos = this.tail & this.mask;
    const toEnd = this.capacity - pos;
    const total = need <= toEnd ? need : toEnd + need;
    let used = (this.tail - this.head) >>> 0;
    if (this.capacity - used < total) {
      this.head = Atomics.load(this.ctl, HEAD);
      used = (this.tail - this.head) >>> 0;
      if (this.capacity - used < total) return -1;
    }
    let start = pos;
    if (need > toEnd) {
      this.i32[pos >> 2] = WRAP;
      this.tail = (this.tail + toEnd) | 0;
      start = 0;
    }
    this.pending = start;
    return start + 4;
  }

  /** Finish the record reserved last; `len` may be smaller than what was reserved. */
  commit(len: number): void {
    this.i32[this.pending >> 2] = len;
    this.tail = (this.tail + align8(len + 4)) | 0;
  }

  /** Tail as last published. */
  private published = 0;

  /** Make every committed record visible to the consumer; false when there was none to publish. */
  publish(): boolean {
    if (this.tail === this.published) return false;
    this.published = this.tail;
    Atomics.store(this.ctl, TAIL, this.tail);
    return true;
  }

  /** True if the consumer is asleep (or about to sleep) and needs wake(). */
  consumerSleeping(): boolean {
    return Atomics.load(this.ctl, SLEEPING) === 1;
  }

  /**
   * For a consumer that sleeps outside Atomics.wait (the main thread's event loop): atomically take
   * its SLEEPING flag; true means this producer must wake it by other means (a message).
   */
  claimWake(): boolean {
    return Atomics.compareExchange(this.ctl, SLEEPING, 1, 0) === 1;
  }

  /** Wake a consumer sleeping in waitForData(). */
  wake(): void {
    Atomics.add(this.ctl, WAKE, 1);
    Atomics.notify(this.ctl, WAKE, 1);
  }

  /** Producer-side blocking wait for the consumer to free space (used by worker threads only). */
  waitForSpace(timeoutMs: number): void {
    const head = Atomics.load(this.ctl, HEAD);
    if (head !== this.head) {
      this.head = head;
      return;
    }
    // raised before sleeping: a consumer that releases after this store sees it and notifies, one
    // that released before it moved HEAD, so the wait below returns at once (it compares HEAD first)
    Atomics.store(this.ctl, SPACE_WAIT, 1);
    Atomics.wait(this.ctl, HEAD, head, timeoutMs);
    Atomics.store(this.ctl, SPACE_WAIT, 0);
    this.head = Atomics.load(this.ctl, HEAD);
  }
}

/** The reading end. next() walks published records; release() hands their space back in one store. */
export class RingConsumer extends RingViews {
  private head: number; // local read position (mod 2^32), released by release()
  private tail: number; // last seen published tail

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.head = Atomics.load(this.ctl, HEAD);
    this.tail = Atomics.load(this.ctl, TAIL);
  }

  /** Refresh the published tail; true if there is something to read. */
  poll(): boolean {
    this.tail = Atomics.load(this.ctl, TAIL);
    return this.tail !== this.head;
  }

  /**
   * Offset in `data` of the next record's payload (its length is `recordLength`), or -1 when every
   * record seen by the last poll() has been read. The payload stays valid until release().
   */
  next(): number {
    if (this.head === this.tail) return -1;
    let pos = this.head & this.mask;
    let len = this.i32[pos >> 2]!;
    if (len === WRAP) {
      this.head = (this.head + (this.capacity - pos)) | 0;
      pos = 0;
      len = this.i32[0]!;
    }
    this.recordLength = len;
    this.head = (this.head + align8(len + 4)) | 0;
    return pos + 4;
  }

  /**
   * True when a record waits: one the last poll() saw and next() has not returned yet, or one
   * published since (a long task between records checks it to let them run: a snapshot pull).
   */
  waiting(): boolean {
    return this.head !== this.tail || Atomics.load(this.ctl, TAIL) !== this.tail;
  }

  /** Payload length of the record returned by the last next(). */
  recordLength = 0;

  /** Give the space of every record read so far back to the producer. */
  release(): void {
    Atomics.store(this.ctl, HEAD, this.head);
    // A producer blocked in waitForSpace() sleeps on HEAD. Notified only then: a notify takes V8's
    // process-wide futex lock, which the other side's Atomics.wait takes too.
    if (Atomics.load(this.ctl, SPACE_WAIT) !== 0) Atomics.notify(this.ctl, HEAD);
  }

  /**
   * Sleep until the producer publishes more or `timeoutMs` passes (worker threads only).
   * Returns immediately when records are already waiting.
   */
  waitForData(timeoutMs: number): void {
    const seen = Atomics.load(this.ctl, WAKE);
    Atomics.store(this.ctl, SLEEPING, 1);
    if (!this.poll()) Atomics.wait(this.ctl, WAKE, seen, timeoutMs);
    Atomics.store(this.ctl, SLEEPING, 0);
  }

  /** Mark the consumer as about to sleep (main thread: it sleeps in the event loop, not in wait). */
  setSleeping(on: boolean): void {
    Atomics.store(this.ctl, SLEEPING, on ? 1 : 0);
  }
}
