/*
 * Snapshot: a point-in-time copy of one shard's keyspace in RDB key encoding, taken while the shard
 * keeps executing writes (the full-sync payload of replication).
 *
 * Copy-on-write per bucket: the unit is one hash slot of one database (a few dozen keys at a million
 * keys). The snapshot starts (control op "snapshot-begin") at a cut the main thread chose; after that
 *   - the main thread pulls chunks ("snapshot-next"): slots are serialized in order from a cursor,
 *     each pull for at most about 64 kB or a millisecond, and for about 0.2 ms only while a request
 *     is queued behind it (then it ends after the slot it is on: a few dozen keys at a million), so
 *     a request arriving during a pull waits a fraction of it (the byte store's entries are copied
 *     as bytes, no string made per key);
 *   - before a write command touches a key, its slot is serialized first if it has not been yet (in
 *     every database: MOVE and COPY ... DB reach another database's slot of the same number), so
 *     the chunk holds the slot as it was at the cut;
 *   - keyspace-wide writes (FLUSHDB, FLUSHALL, SWAPDB) serialize everything left first.
 * Logically expired keys are included with their expiry time: the replica drops them when the
 * master's DEL arrives in the stream after the cut, as Redis's own RDB does.
 */

import { SLOTS } from '../router/slot.js';
import { RDB_OPCODE, RdbWriter, writeEntry } from '../codec/rdb.js';
import { ByteSlots } from '../store/byte-slots.js';
import type { Keyspace } from './keyspace.js';
import type { Args } from '../commands/args.js';
import { keyPositions, type Command } from '../commands/table.js';

/** Bytes a pull aims at before it returns. */
const CHUNK_BYTES = 64 * 1024;
/** Time a pull may take (ms): it returns after the slot that took it past this, whatever its size. */
const SLICE_MS = 1;
/**
 * Time a pull copies before it gives way to a request waiting behind it (ms; it returns after the
 * slot that took it past this). A request then waits about this long, not a whole slice; 0 (one slot
 * a pull while requests keep coming) made a pull per slot or two, each a round trip of the main
 * thread's.
 */
export const YIELD_AFTER_MS = 0.2;
/** RDB type byte of a string value. */
const RDB_TYPE_STRING = 0;

export class Snapshot {
  /** Per database: 1 for slots already serialized (or not owned by this shard). */
  private readonly done: Uint8Array[] = [];
  /**
   * Per database: its slots still to serialize. A pull skips a database at 0 whole: walking the 16,384
   * done flags of each of 15 empty databases took the last pull of a 1M-key save about 10 ms, a
   * stall for the requests queued behind it.
   */
  private readonly left: number[] = [];
  /** Serialized entries waiting for the next pull, per database. */
  private readonly pending = new Map<number, RdbWriter>();
  private pendingBytes = 0;
  private cursorDb = 0;
  private cursorSlot = 0;
  keys = 0;

  /**
   * @param requestsWaiting whether a request waits behind the pull in progress (the shard's request
   *   ring): the pull then ends after the slot it is copying, once it has copied for yieldAfterMs.
   */
  constructor(
    private readonly ks: Keyspace,
    ownedSlots: (slot: number) => boolean,
    private readonly requestsWaiting: () => boolean = () => false,
    private readonly yieldAfterMs = YIELD_AFTER_MS,
  ) {
    const owned = new Uint8Array(SLOTS);
    for (let s = 0; s < SLOTS; s++) owned[s] = ownedSlots(s) ? 0 : 1;
    for (let d = 0; d < ks.dbs.length; d++) {
      const done = Uint8Array.from(owned);
      // empty databases and slots without a map have nothing to copy
      const db = ks.dbs[d]!;
      if (db.size === 0) done.fill(1);
      else for (let s = 0; s < SLOTS; s++) if (db.store.size(s) === 0) done[s] = 1;
      this.done.push(done);
      let left = 0;
      if (db.size > 0) for (let s = 0; s < SLOTS; s++) left += 1 - done[s]!;
      this.left.push(left);
    }
  }

  /** Serialize one slot of every database now, if not yet done (call before modifying it). */
  saveSlotAllDbs(slot: number): void {
    for (let d = 0; d < this.done.length; d++) if (this.done[d]![slot] === 0) this.saveSlot(d, slot);
  }

  /** Copy-on-write: serialize the slots of a write command's keys before it modifies them. */
  saveKeysOf(cmd: Command, args: Args, argc: number): void {
    const positions = keyPositions(cmd, argc, (i) => args.str(i));
    if (positions === null) return this.saveAll();
    for (const i of positions) this.saveSlotAllDbs(this.ks.slotOf(args.str(i)));
  }

  /** Serialize everything not yet serialized (before a keyspace-wide write). */
  saveAll(): void {
    for (let d = 0; d < this.done.length; d++) {
      const done = this.done[d]!;
      for (let s = 0; s < SLOTS; s++) if (done[s] === 0) this.saveSlot(d, s);
    }
  }

  private saveSlot(d: number, slot: number): void {
    this.done[d]![slot] = 1;
    this.left[d]!--;
    const db = this.ks.dbs[d]!;
    const map = db.store;
    const size = map.size(slot);
    if (size === 0) return;
    let w = this.pending.get(d);
    if (w === undefined) {
      w = new RdbWriter(64 * 1024);
      this.pending.set(d, w);
    }
    const before = w.n;
    const expires = db.expiries;
    if (map instanceof ByteSlots) {
      // straight from the arena's bytes: no string per key or value (see ByteSlots.forEachBytes)
      const out = w;
      const exp = expires.size(slot) > 0 ? expires : undefined;
      map.forEachBytes(slot, (u8, ko, klen, vo, vlen, value) => {
        if (exp !== undefined) {
          const at = exp.get(slot, u8.latin1Slice(ko, ko + klen));
          if (at !== undefined) {
            out.byte(RDB_OPCODE.EXPIRETIME_MS);
            out.u64(at);
          }
        }
        if (value !== undefined) return writeEntry(out, u8.latin1Slice(ko, ko + klen), value, -1);
        out.byte(RDB_TYPE_STRING);
        out.strBytes(u8, ko, klen);
        out.strBytes(u8, vo, vlen);
      });
    } else {
      map.forEach(slot, (v, key) => {
        writeEntry(w!, key, v, expires.get(slot, key) ?? -1);
      });
    }
    this.keys += size;
    this.pendingBytes += w.n - before;
  }

  /**
   * Serialize from the cursor until about CHUNK_BYTES are pending, SLICE_MS passed, or yieldAfterMs
   * passed and a request waits (one slot at least, so a save ends however busy the shard is), and
   * hand them over:
   * [(db, entries)...] and whether the snapshot is complete. The entries are valid until the next
   * call (or the next copy-on-write of a slot).
   */
  next(): { parts: [number, Buffer][]; complete: boolean } {
    const start = performance.now();
    const deadline = start + SLICE_MS;
    const yieldAt = start + this.yieldAfterMs;
    while (this.pendingBytes < CHUNK_BYTES && this.cursorDb < this.done.length) {
      if (this.left[this.cursorDb] === 0) {
        // nothing left in this database (empty, or its slots copied on write)
        this.cursorDb++;
        this.cursorSlot = 0;
        continue;
      }
      const done = this.done[this.cursorDb]!;
      if (done[this.cursorSlot] === 0) {
        this.saveSlot(this.cursorDb, this.cursorSlot);
        // a request queued behind this pull waits about yieldAfterMs, and never longer than a slice
        const now = performance.now();
        if (now >= deadline || (now >= yieldAt && this.requestsWaiting())) {
          this.advance();
          break;
        }
      }
      this.advance();
    }
    // views of the writers' buffers, which the next pull fills again: the caller copies them into
    // its reply at once (a new 64 kB buffer and a copy of it per pull made garbage the shard's GC
    // collected with a full mark-compact every few hundred milliseconds of a snapshot)
    const parts: [number, Buffer][] = [];
    for (const [d, w] of this.pending) {
      if (w.n > 0) parts.push([d, w.buf.subarray(0, w.n)]);
      w.reset();
    }
    this.pendingBytes = 0;
    return { parts, complete: this.cursorDb >= this.done.length };
  }

  private advance(): void {
    if (++this.cursorSlot === SLOTS) {
      this.cursorSlot = 0;
      this.cursorDb++;
    }
  }
}
