/*
 * Keyspace: a shard's databases. Each database keeps one table per hash slot, so SCAN can use the
 * slot as a stable cursor, a snapshot can copy slot by slot, and a key shipped in from another shard
 * (cross-shard commands) never collides with this shard's own keys. A slot's keys live in a table with
 * their values and last-access times (the LRU clock OBJECT IDLETIME reads, whole seconds as Redis
 * keeps it). A database's tables are one store (`Db.store`, every method taking the slot): a ByteSlots
 * in the keyspace's arena outside the V8 heap (src/store/, `keyspace-store bytes`, the default: no JS
 * object per slot) or HeapSlots, a HeapSlotTable of JS strings per slot (`keyspace-store heap`).
 * Expiry times live in a parallel store of the keys that have one (`Db.expiries`, store/expiry-table.ts).
 *
 * The store never formats RESP: it returns values; command handlers write replies.
 *
 * Values: strings are binary strings (latin1) or, when canonical int64 decimals that a double holds
 * exactly, numbers (Redis's "int" encoding); aggregates are objects of the classes in values/.
 *
 * Expiry: lazy on lookup plus an active cycle (activeExpireCycle). On a master an expired key is
 * deleted and a DEL is propagated; on a replica it is only hidden from readers (the master's DEL will
 * come), except while applying the master's own stream, which sees keys as they are.
 */

import { SLOTS, hashSlot, hashSlotOfString } from '../router/slot.js';
import { isAggregate, type Value } from './values/types.js';
import { estOf, keyEst, measure } from './mem-estimate.js';
import { lfuData, lfuDecayed } from './access.js';
import { HeapSlots, type SlotStore } from './slot-table.js';
import { Arena } from '../store/arena.js';
import { ByteSlots, INLINE_MAX, KIND_NUM, KIND_OBJ, entryBytes, isInline, type SlotHost } from '../store/byte-table.js';
import { ByteExpiries, HeapExpiries, type Expiries } from '../store/expiry-table.js';

export interface KeyspaceHooks {
  /** A key expired on a master: propagate "DEL key" in db. */
  expired(db: number, key: string): void;
  /** A key was modified (WATCH invalidation). */
  modified(db: number, key: string): void;
  /** A list / sorted set key was created: blocked clients may be served. */
  ready(db: number, key: string): void;
  /** A keyspace event for a new key ("new") or a read miss ("keymiss"): only when notifyNewOrMiss. */
  notify(db: number, event: 'new' | 'keymiss', key: string): void;
  /**
   * True when modified() has no listener now (no WATCH, no tracking, no blocked reader...): a write
   * may then skip it, and needs no key string for it (the byte paths). Absent: always listened to.
   */
  unwatched?(): boolean;
}

export class Keyspace {
  readonly dbs: Db[] = [];
  /** Milliseconds since the epoch, refreshed once per batch of requests. */
  now = Date.now();
  /** True on a replica: keys are never expired here, only hidden. */
  replica = false;
  /** True while applying the master's stream on a replica: expired keys are still visible. */
  applyingMasterStream = false;
  /** Hit/miss counters for INFO stats keyspace_hits / keyspace_misses. */
  hits = 0;
  misses = 0;
  expiredKeys = 0;
  /**
   * True while maxmemory is set: every Db keeps `bytes`, a running sum of its keys' size estimates
   * (what MEMORY USAGE reports). Off by default, so writes pay nothing for it; turning it on
   * recounts every key once.
   */
  track = false;

  setTracking(on: boolean): void {
    if (on === this.track) return;
    this.track = on;
    if (on) for (const db of this.dbs) db.recount();
  }

  /** Estimated dataset bytes of every database (0 when not tracking). */
  datasetBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.bytes;
    return n;
  }
  /** True when notify-keyspace-events has the n or m class: new keys and read misses are notified. */
  notifyNewOrMiss = false;

  // one-entry memo of the last key's slot: most commands look the same key up more than once
  private memoKey = '';
  private memoSlot = 0;

  /** Memory of the byte store's entries (null: the heap store, `keyspace-store heap`). */
  readonly arena: Arena | null;

  constructor(databases: number, readonly hooks: KeyspaceHooks, heapStore = false) {
    this.arena = heapStore ? null : new Arena();
    for (let i = 0; i < databases; i++) this.dbs.push(new Db(i, this));
  }

  slotOf(key: string): number {
    if (key === this.memoKey) return this.memoSlot;
    const s = hashSlotOfString(key);
    this.memoKey = key;
    this.memoSlot = s;
    return s;
  }

  private clockFor = -1;
  private clockSec = 0;

  /** The LRU clock: whole seconds since the epoch (recomputed only when `now` moved). */
  clock(): number {
    if (this.now !== this.clockFor) {
      this.clockFor = this.now;
      this.clockSec = Math.floor(this.now / 1000);
    }
    return this.clockSec;
  }

  db(i: number): Db {
    return this.dbs[i]!;
  }

  /** Keys a new slot table is sized for (set while loading an RDB file that announces its size; 0: none). */
  tableHint = 0;

  /** The host of expiry stores: their tables start at 4 buckets whatever the load announced. */
  private readonly expiryHost: SlotHost = { slotOf: (key) => this.slotOf(key), tableHint: 0 };

  /** A new, empty store of a database's keys (one table per slot), in this keyspace's store. */
  newStore(): SlotStore {
    return this.arena === null ? new HeapSlots() : new ByteSlots(this.arena, SLOTS, this);
  }

  /** A new, empty store of a database's expiry times, in this keyspace's store. */
  newExpiries(): Expiries {
    return this.arena === null ? new HeapExpiries() : new ByteExpiries(this.arena, this.expiryHost);
  }

  /** Give the byte store's pages back once every database is empty (after FLUSHALL). */
  releaseIfEmpty(): void {
    const a = this.arena;
    if (a !== null && a.live === 0 && a.pageBytes > 0) a.reset();
  }
}

export class Db {
  /**
   * The keys, one table per slot. A database that never held a key costs a small object: a byte
   * store's per-slot words are one shared array of zeros until its first write.
   */
  store: SlotStore;
  /** Expiry times of the keys that have one, per slot (as `store`). */
  expiries: Expiries;
  /** Number of keys (including logically expired ones not yet removed). */
  size = 0;
  /** Number of keys with an expiry time. */
  expiresSize = 0;
  /**
   * Keys whose string value was modified in place (APPEND, SETRANGE): Redis keeps those in its "raw"
   * encoding whatever their length, and OBJECT ENCODING says so. Usually empty.
   */
  rawKeys = new Set<string>();
  /** Estimated bytes of the keys, values and expiry entries (kept only while ks.track). */
  bytes = 0;
  /** Active expiry cursor (next slot to sample). */
  expireCursor = 0;
  /** Average TTL bookkeeping for INFO keyspace avg_ttl (running estimate, as Redis keeps). */
  avgTtl = 0;

  constructor(
    readonly id: number,
    readonly ks: Keyspace,
  ) {
    this.store = ks.newStore();
    this.expiries = ks.newExpiries();
  }

  /**
   * The store that answered the last readBytes() or peekBytes() (entry accessors: kindAt, bytesAt,
   * valueOffset, valueLength, numberAt).
   */
  found: ByteSlots | null = null;

  /**
   * GET's byte path: look up a key given as bytes, src[off, off+len), with no JS string made; counts
   * the hit or miss and records the access as read() does. Returns the entry (in `found`), 0 if the
   * key is absent, or -1 when this answer needs the string path (read()): the heap store, a key whose
   * expiry time has passed, keymiss events, a value held as a JS object (an aggregate: WRONGTYPE).
   */
  readBytes(src: Uint8Array, off: number, len: number): number {
    const ks = this.ks;
    if (ks.arena === null) return -1;
    const slot = hashSlot(src, off, off + len);
    if (this.expiresSize > 0 && this.expiredBytes(slot, src, off, len)) return -1;
    const t = this.store as ByteSlots;
    const e = t.findBytes(slot, src, off, len);
    if (e === 0) {
      if (ks.notifyNewOrMiss) return -1;
      ks.misses++;
      return 0;
    }
    if (t.kindAt(e) === KIND_OBJ) return -1;
    t.touchAt(e, ks.clock());
    ks.hits++;
    this.found = t;
    return e;
  }

  /**
   * The entry of a key given as bytes, src[off, off+len), as peek() finds it (no expiry check, no
   * access recorded, no hit counted): 0 if absent, -1 when only the string path can tell (the heap
   * store), else the entry (in `found`; its kind by found.kindAt()). The undo journal of a script
   * in a shard looks its keys up this way before their first write.
   */
  peekBytes(src: Uint8Array, off: number, len: number): number {
    if (this.ks.arena === null) return -1;
    const t = this.store as ByteSlots;
    const e = t.findBytes(hashSlot(src, off, off + len), src, off, len);
    if (e !== 0) this.found = t;
    return e;
  }

  /**
   * SET key value's byte path: key src[koff, koff+klen), value src[voff, voff+vlen) copied straight
   * into the store, no JS string made. False (nothing done) when it needs the string path (set()):
   * the heap store, a key with an expiry time (SET removes it), raw-marked keys in this database,
   * memory tracking, new-key events, a listener to modified(), a value Redis would int-encode (it may
   * be a canonical integer) or one too long to keep inline. `knownSlot`: the key's hash slot when the
   * caller has it (an RDB load's batches come in runs of one slot), else computed here.
   */
  writeBytes(src: Buffer, koff: number, klen: number, voff: number, vlen: number, knownSlot = -1): boolean {
    const ks = this.ks;
    if (ks.arena === null || this.rawKeys.size > 0 || ks.track || ks.notifyNewOrMiss) return false;
    if (vlen > INLINE_MAX || ks.hooks.unwatched?.() !== true) return false;
    if (vlen > 0 && vlen <= 20) {
      const c0 = src[voff]!;
      if (c0 === 45 || (c0 >= 48 && c0 <= 57)) return false;
    }
    const slot = knownSlot >= 0 ? knownSlot : hashSlot(src, koff, koff + klen);
    if (this.expiresSize > 0 && this.expiryBytes(slot, src, koff, klen) >= 0) return false;
    if ((this.store as ByteSlots).setBytes(slot, src, koff, klen, voff, vlen, ks.clock())) this.size++;
    return true;
  }

  /**
   * INCR/DECR/INCRBY/DECRBY's byte path: add `by` to the integer at the key given as bytes,
   * src[off, off+len) (0 when absent), with no JS string made; records the access as get() then
   * set() do; a key's expiry time stays, as with INCR. Returns the new value, or null (nothing done)
   * when it needs the string path: the conditions of writeBytes() (but a key with an expiry time
   * that has not passed), a value that is not an integer entry, a result past 2^53.
   */
  incrBytes(src: Uint8Array, off: number, len: number, by: number): number | null {
    const ks = this.ks;
    if (ks.arena === null || this.rawKeys.size > 0 || ks.track || ks.notifyNewOrMiss) return null;
    if (ks.hooks.unwatched?.() !== true) return null;
    const slot = hashSlot(src, off, off + len);
    if (this.expiresSize > 0 && this.expiredBytes(slot, src, off, len)) return null;
    const m = this.store as ByteSlots;
    const e = m.findBytes(slot, src, off, len);
    if (e === 0) {
      if (!Number.isSafeInteger(by)) return null;
      m.addNumberBytes(slot, src, off, len, by, ks.clock()); // linked where the lookup above left off
      this.size++;
      return by;
    }
    if (m.kindAt(e) !== KIND_NUM) return null;
    const r = m.numberAt(e) + by;
    if (!Number.isSafeInteger(r)) return null;
    m.touchAt(e, ks.clock());
    m.setNumberAt(e, r);
    return r;
  }

  /** Finish every resize in progress of this database's tables (ByteSlots.finishResize). */
  finishResizes(): void {
    this.store.finishResizes();
    this.expiries.finishResizes();
  }

  /** Expiry time of a key given as bytes in its slot (byte store), or -1 when it has none. */
  private expiryBytes(slot: number, src: Uint8Array, off: number, len: number): number {
    return (this.expiries as ByteExpiries).atBytes(slot, src, off, len);
  }

  /** True if the key given as bytes has an expiry time that has passed (the string path expires it). */
  private expiredBytes(slot: number, src: Uint8Array, off: number, len: number): boolean {
    const at = this.expiryBytes(slot, src, off, len);
    return at >= 0 && at <= this.ks.now;
  }

  /** Raw lookup without expiry checks (for internal use: snapshots, SCAN filtering does its own). */
  peek(key: string): Value | undefined {
    return this.store.get(this.ks.slotOf(key), key);
  }

  /**
   * Look a key up for a command: undefined if absent or logically expired (expiring it on a master).
   * Updates the key's access time unless `touch` is false (EXISTS, TYPE, TTL and OBJECT do not).
   */
  get(key: string, touch = true): Value | undefined {
    const slot = this.ks.slotOf(key);
    const m = this.store;
    // an expired key's access time may be updated before it is removed or hidden: harmless
    const v = touch ? m.getTouch(slot, key, this.ks.clock()) : m.get(slot, key);
    if (v === undefined) return undefined;
    if (this.expiresSize > 0) {
      const at = this.expiries.get(slot, key);
      if (at !== undefined && at <= this.ks.now && this.expireIfNeeded(key, slot)) return undefined;
    }
    return v;
  }

  /** Like get(), counting a keyspace hit or miss (read commands call this). */
  read(key: string, touch = true): Value | undefined {
    const v = this.get(key, touch);
    if (v === undefined) {
      this.ks.misses++;
      if (this.ks.notifyNewOrMiss) this.ks.hooks.notify(this.id, 'keymiss', key);
    } else this.ks.hits++;
    return v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Mark a string value as modified in place (Redis's raw encoding), see rawKeys. */
  markRaw(key: string): void {
    this.rawKeys.add(key);
  }

  isRaw(key: string): boolean {
    return this.rawKeys.size > 0 && this.rawKeys.has(key);
  }

  /** Seconds since the key was last accessed (OBJECT IDLETIME); 0 for an absent key. */
  idleSeconds(key: string): number {
    const t = this.store.accessTime(this.ks.slotOf(key), key);
    return t < 0 ? 0 : Math.max(0, this.ks.clock() - t);
  }

  /** Set the key's last access to `seconds` ago (RESTORE ... IDLETIME). */
  setIdle(key: string, seconds: number): void {
    this.store.setAccessTime(this.ks.slotOf(key), key, this.ks.clock() - seconds);
  }

  /** OBJECT FREQ: the key's LFU counter after decay (meaningful under an LFU policy only). */
  lfuFreq(key: string): number {
    const d = this.store.accessTime(this.ks.slotOf(key), key);
    return d < 0 ? 0 : lfuDecayed(d, this.ks.clock());
  }

  /** RESTORE ... FREQ: set the key's LFU counter. */
  setLfuFreq(key: string, freq: number): void {
    this.store.setAccessData(this.ks.slotOf(key), key, lfuData(freq, this.ks.clock()));
  }

  /** True (and the key deleted on a master) if the key is logically expired. */
  private expireIfNeeded(key: string, slot: number): boolean {
    const ks = this.ks;
    if (ks.replica) return !ks.applyingMasterStream;
    this.removeAt(key, slot);
    ks.expiredKeys++;
    ks.hooks.expired(this.id, key);
    ks.hooks.modified(this.id, key);
    return true;
  }

  /** Expiry time (ms since epoch) of a key, or -1 if it has none. Does not check existence. */
  getExpire(key: string): number {
    if (this.expiresSize === 0) return -1;
    const at = this.expiries.get(this.ks.slotOf(key), key);
    return at === undefined ? -1 : at;
  }

  /** Bytes the key's expiry time counts for (MEMORY USAGE, maxmemory), 0 if it has none. */
  expireCost(key: string): number {
    if (this.expiresSize === 0) return 0;
    const e = this.expiries;
    return e.has(this.ks.slotOf(key), key) ? e.cost(key) : 0;
  }

  /**
   * Set a key's value. Existing expiry is removed unless keepTtl. Signals modification, and readiness
   * for blocked clients when a list or sorted set is created.
   */
  set(key: string, value: Value, keepTtl = false): void {
    const slot = this.ks.slotOf(key);
    if (this.expiresSize > 0 && !this.ks.replica) {
      // overwriting a logically expired key expires it first (its "expired" event), as Redis's lookupKeyWrite
      const at = this.expiries.get(slot, key);
      if (at !== undefined && at <= this.ks.now && this.store.get(slot, key) !== undefined) this.expireIfNeeded(key, slot);
    }
    const m = this.store;
    if (this.ks.track) this.account(slot, key, value);
    if (m.set(slot, key, value, this.ks.clock())) {
      this.size++;
      if (this.ks.notifyNewOrMiss) this.ks.hooks.notify(this.id, 'new', key);
      if (isAggregate(value) && value.blockable) this.ks.hooks.ready(this.id, key);
    } else if (this.rawKeys.size > 0) this.rawKeys.delete(key);
    if (!keepTtl && this.expiresSize > 0) this.removeExpire(key, slot);
    this.ks.hooks.modified(this.id, key);
  }

  /** Add a key known to be absent (after get() returned undefined). */
  add(key: string, value: Value): void {
    this.set(key, value, false);
  }

  /** Replace the value object of an existing key in place without touching its TTL. */
  replace(key: string, value: Value): void {
    this.set(key, value, true);
  }

  /** Delete a key; true if it existed (logically expired keys count as absent). */
  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    this.removeAt(key, this.ks.slotOf(key));
    this.ks.hooks.modified(this.id, key);
    return true;
  }

  /** Insert a key without signals (keys shipped in from another shard for one command). */
  installRaw(key: string, value: Value, expireAt: number): void {
    const slot = this.ks.slotOf(key);
    if (this.ks.track) this.account(slot, key, value);
    if (this.store.set(slot, key, value, this.ks.clock())) this.size++;
    if (expireAt >= 0) {
      const e = this.expiries;
      if (e.setTime(slot, key, expireAt)) {
        this.expiresSize++;
        if (this.ks.track) this.bytes += e.cost(key);
      }
    }
  }

  /** Remove without expiry checks or signals (internal). */
  removeAt(key: string, slot: number): void {
    const m = this.store;
    if (this.ks.track) {
      const old = m.get(slot, key);
      if (old !== undefined) this.bytes -= this.cost(key, old);
    }
    // (a slot's table left empty gives its bucket array back to the arena)
    if (!m.delete(slot, key)) return;
    this.size--;
    if (this.rawKeys.size > 0) this.rawKeys.delete(key);
    if (this.expiresSize > 0) this.removeExpire(key, slot);
  }

  /** Remove the key's expiry time; true if it had one. */
  private removeExpire(key: string, slot: number): boolean {
    const e = this.expiries;
    if (!e.delete(slot, key)) return false;
    this.expiresSize--;
    if (this.ks.track) this.bytes -= e.cost(key);
    return true;
  }

  /** Set an absolute expiry (ms) on an existing key. */
  setExpire(key: string, at: number): void {
    const e = this.expiries;
    if (e.setTime(this.ks.slotOf(key), key, at)) {
      this.expiresSize++;
      if (this.ks.track) this.bytes += e.cost(key);
    }
    this.ks.hooks.modified(this.id, key);
  }

  /** Remove a key's expiry; true if it had one. */
  persist(key: string): boolean {
    if (this.expiresSize === 0 || !this.removeExpire(key, this.ks.slotOf(key))) return false;
    this.ks.hooks.modified(this.id, key);
    return true;
  }

  /** Signal that a value was modified in place (e.g. LPUSH onto an existing list). */
  modified(key: string): void {
    if (this.ks.track) {
      const v = this.store.get(this.ks.slotOf(key), key);
      if (v !== undefined && isAggregate(v)) {
        const before = v.est;
        this.bytes += measure(v) - before;
      }
    }
    this.ks.hooks.modified(this.id, key);
  }

  /** Byte accounting of a set(): the key's previous value out, the new one in. */
  private account(slot: number, key: string, value: Value): void {
    const old = this.store.get(slot, key);
    if (old !== undefined) this.bytes -= this.cost(key, old);
    if (isAggregate(value)) {
      value.est = 0;
      measure(value);
    }
    this.bytes += this.cost(key, value);
  }

  /**
   * What a key with value v counts for (its estimate last recorded, for an aggregate): on the byte
   * store its entry's size class and bucket slot, plus the heap size of a value held as a JS object;
   * on the heap store a Map entry, the key string and the value.
   */
  private cost(key: string, v: Value): number {
    if (this.ks.arena === null) return keyEst(key) + estOf(v);
    return entryBytes(key, v) + (isInline(v) ? 0 : estOf(v));
  }

  /** Recompute `bytes` from every key (when tracking starts). */
  recount(): void {
    let n = 0;
    const e = this.expiries;
    const m = this.store;
    for (let s = 0; s < SLOTS; s++) {
      e.forEachAt(s, (_, key) => (n += e.cost(key)));
      m.forEach(s, (v, k) => {
        if (isAggregate(v)) {
          v.est = 0;
          measure(v);
        }
        n += this.cost(k, v);
      });
    }
    this.bytes = n;
  }

  /** Remove every key. Returns how many there were. */
  flush(): number {
    const n = this.size;
    this.store.clear();
    this.expiries.clear();
    this.rawKeys.clear();
    this.size = 0;
    this.expiresSize = 0;
    this.bytes = 0;
    this.ks.releaseIfEmpty();
    return n;
  }

  /** Number of keys not logically expired would need a scan; Redis's DBSIZE counts all stored keys. */
  dbsize(): number {
    return this.size;
  }

  /** Iterate the keys of one slot (including expired ones; callers filter with isExpired()). */
  slotKeys(slot: number): IterableIterator<string> | undefined {
    return this.store.size(slot) === 0 ? undefined : this.store.keys(slot);
  }

  /** True if the key is logically expired now (no side effects). */
  isExpired(key: string): boolean {
    if (this.expiresSize === 0) return false;
    const at = this.expiries.get(this.ks.slotOf(key), key);
    return at !== undefined && at <= this.ks.now;
  }
}
