/*
 * The stream value (XADD & co.): entries in ID order, kept in nodes that mirror redis-server's radix
 * tree of listpacks, because that layout shows through the interface: approximate trimming (~) drops
 * whole nodes only, a node holds at most stream-node-max-entries entries (live + deleted) and
 * stream-node-max-bytes bytes of listpack, deleted entries stay as tombstones until their node empties,
 * and XINFO counts nodes. Also the stream's counters (entries-added, max-deleted-entry-id,
 * recorded first ID) and its consumer groups with their pending entries lists.
 *
 * An ID is one 128-bit bigint: ms << 64 | seq, so comparison and successor are plain arithmetic.
 *
 *   StreamValue ── nodes[] (ascending master ID)
 *                    └─ StreamNode: master ID, master fields, entries[] (live or tombstone), bytes
 *               ── groups (by name) ── StreamGroup: last ID, entries-read, PEL (id -> PendingEntry),
 *                                                   consumers (name -> StreamConsumer: seen time, PEL)
 */

import { Aggregate } from './types.js';

export const U64 = (1n << 64n) - 1n;
export const ID_MAX = (1n << 128n) - 1n;

export function idOf(ms: bigint, seq: bigint): bigint {
  return (ms << 64n) | seq;
}
export function idMs(id: bigint): bigint {
  return id >> 64n;
}
export function idSeq(id: bigint): bigint {
  return id & U64;
}
export function formatId(id: bigint): string {
  return `${id >> 64n}-${id & U64}`;
}

export interface StreamEntry {
  id: bigint;
  /** field, value, field, value ... */
  fv: string[];
  deleted: boolean;
}

export interface StreamNode {
  master: bigint;
  masterFields: string[];
  entries: StreamEntry[];
  live: number;
  /** Bytes of the listpack redis-server would hold for this node. */
  bytes: number;
}

export interface PendingEntry {
  id: bigint;
  deliveryTime: number;
  deliveryCount: number;
  consumer: StreamConsumer;
}

/**
 * A pending entries list: entries by ID, also kept in ID order (as Redis's rax), so range reads
 * (XPENDING, XAUTOCLAIM, history reads) seek in O(log n) instead of sorting. New deliveries have the
 * highest IDs and append.
 */
export class PelIndex {
  private readonly map = new Map<bigint, PendingEntry>();
  private readonly order: PendingEntry[] = [];

  get size(): number {
    return this.map.size;
  }
  get(id: bigint): PendingEntry | undefined {
    return this.map.get(id);
  }
  has(id: bigint): boolean {
    return this.map.has(id);
  }
  set(id: bigint, p: PendingEntry): void {
    const o = this.order;
    if (this.map.has(id)) o[lowerBound(o, id)] = p;
    else if (o.length === 0 || o[o.length - 1]!.id < id) o.push(p);
    else o.splice(lowerBound(o, id), 0, p);
    this.map.set(id, p);
  }
  delete(id: bigint): boolean {
    if (!this.map.delete(id)) return false;
    this.order.splice(lowerBound(this.order, id), 1);
    return true;
  }
  /** Entries in ID order. */
  values(): IterableIterator<PendingEntry> {
    return this.order.values();
  }
  keys(): bigint[] {
    return this.order.map((p) => p.id);
  }
  /** Entries with min <= id <= max, in ID order, without copying. */
  *iterate(min: bigint, max: bigint): Generator<PendingEntry> {
    const o = this.order;
    for (let i = lowerBound(o, min); i < o.length && o[i]!.id <= max; i++) yield o[i]!;
  }
  first(): PendingEntry | undefined {
    return this.order[0];
  }
  last(): PendingEntry | undefined {
    return this.order[this.order.length - 1];
  }
  /** Entries with min <= id <= max, in ID order. */
  range(min: bigint, max: bigint): PendingEntry[] {
    if (min > max) return [];
    return this.order.slice(lowerBound(this.order, min), lowerBound(this.order, max + 1n));
  }
}

export class StreamConsumer {
  readonly pel = new PelIndex();
  constructor(readonly name: string, public seenTime: number) {}
}

export class StreamGroup {
  readonly pel = new PelIndex();
  readonly consumers = new Map<string, StreamConsumer>();
  constructor(readonly name: string, public lastId: bigint, public entriesRead: number) {}

  /** PEL entries in ID order between min and max (inclusive). */
  pending(min = 0n, max = ID_MAX, consumer?: StreamConsumer): PendingEntry[] {
    return (consumer ? consumer.pel : this.pel).range(min, max);
  }

  sortedConsumers(): StreamConsumer[] {
    return [...this.consumers.values()].sort((a, b) => byteCompare(a.name, b.name));
  }
}

export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- listpack sizes (what redis-server's node would take, for the node-full rule) -------------------

const INT_RE = /^(0|-?[1-9][0-9]{0,19})$/;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Listpack element bytes (encoding + backlen) of an integer. */
function lpIntSize(v: bigint): number {
  let enc: number;
  if (v >= 0n && v <= 127n) enc = 1;
  else if (v >= -4096n && v <= 4095n) enc = 2;
  else if (v >= -32768n && v <= 32767n) enc = 3;
  else if (v >= -8388608n && v <= 8388607n) enc = 4;
  else if (v >= -2147483648n && v <= 2147483647n) enc = 5;
  else enc = 9;
  return enc + 1;
}

/** Listpack element bytes of a string (integers are stored as integers). */
export function lpStrSize(s: string): number {
  if (s.length <= 20 && INT_RE.test(s)) {
    const v = BigInt(s);
    if (v >= I64_MIN && v <= I64_MAX) return lpIntSize(v);
  }
  const n = s.length;
  const enc = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return enc + (enc <= 127 ? 1 : enc < 16383 ? 2 : enc < 2097151 ? 3 : enc < 268435455 ? 4 : 5);
}

/** int64 wrap of a difference (listpack stores the ID deltas as signed 64-bit). */
export function toI64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function sameFields(fv: string[], master: string[]): boolean {
  if (fv.length !== master.length * 2) return false;
  for (let i = 0; i < master.length; i++) if (fv[i * 2] !== master[i]) return false;
  return true;
}

function entryBytes(node: StreamNode, id: bigint, fv: string[]): number {
  const nf = fv.length / 2;
  const same = sameFields(fv, node.masterFields);
  let b = 2 /* flags */ + lpIntSize(toI64(idMs(id) - idMs(node.master))) + lpIntSize(toI64(idSeq(id) - idSeq(node.master)));
  if (same) {
    for (let i = 1; i < fv.length; i += 2) b += lpStrSize(fv[i]!);
    b += lpIntSize(BigInt(nf + 3));
  } else {
    b += lpIntSize(BigInt(nf));
    for (const s of fv) b += lpStrSize(s);
    b += lpIntSize(BigInt(nf * 2 + 4));
  }
  return b;
}

export interface StreamLimits {
  nodeMaxBytes: number;
  nodeMaxEntries: number;
}

export class StreamValue extends Aggregate {
  readonly type = 'stream' as const;
  override readonly blockable = true;
  nodes: StreamNode[] = [];
  length = 0;
  lastId = 0n;
  firstId = 0n;
  maxDeletedId = 0n;
  entriesAdded = 0;
  groups: Map<string, StreamGroup> | null = null;

  get size(): number {
    return this.length;
  }
  encoding(): string {
    return 'stream';
  }

  /** Append an entry with an ID known to be greater than lastId. */
  append(id: bigint, fv: string[], limits: StreamLimits): void {
    let node = this.nodes[this.nodes.length - 1];
    if (node) {
      let tot = 0;
      for (const s of fv) tot += s.length;
      const maxBytes = limits.nodeMaxBytes === 0 || limits.nodeMaxBytes > 0x3fffffff ? 0x3fffffff : limits.nodeMaxBytes;
      if (node.bytes + tot >= maxBytes || (limits.nodeMaxEntries && node.entries.length >= limits.nodeMaxEntries)) node = undefined;
    }
    if (!node) {
      const masterFields: string[] = [];
      for (let i = 0; i < fv.length; i += 2) masterFields.push(fv[i]!);
      // header(6) + end(1) + count, deleted, num-fields, fields..., 0
      let bytes = 7 + 2 + 2 + lpIntSize(BigInt(masterFields.length)) + 2;
      for (const f of masterFields) bytes += lpStrSize(f);
      node = { master: id, masterFields, entries: [], live: 0, bytes };
      this.nodes.push(node);
    }
    node.bytes += entryBytes(node, id, fv);
    node.entries.push({ id, fv, deleted: false });
    node.live++;
    this.length++;
    this.lastId = id;
    this.entriesAdded++;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the node that may hold id (last node whose master <= id), or -1. */
  private nodeIndex(id: bigint): number {
    let lo = 0;
    let hi = this.nodes.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid]!.master <= id) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** The live entry with this ID. */
  get(id: bigint): StreamEntry | undefined {
    const ni = this.nodeIndex(id);
    if (ni < 0) return undefined;
    const e = findEntry(this.nodes[ni]!.entries, id);
    return e && !e.deleted ? e : undefined;
  }

  /** Mark an entry deleted (XDEL); drops its node when it was the node's last live entry. */
  delete(id: bigint): boolean {
    const ni = this.nodeIndex(id);
    if (ni < 0) return false;
    const node = this.nodes[ni]!;
    const e = findEntry(node.entries, id);
    if (!e || e.deleted) return false;
    e.deleted = true;
    node.live--;
    this.length--;
    if (node.live === 0) this.nodes.splice(ni, 1);
    return true;
  }

  /** First (or last) live entry ID; ID_MAX (first) / 0 (last) when empty. */
  edgeId(first: boolean): bigint {
    const e = first ? this.range(0n, ID_MAX, 1, false)[0] : this.range(0n, ID_MAX, 1, true)[0];
    return e ? e.id : first ? ID_MAX : 0n;
  }

  /** Live entries with start <= id <= end, ascending (or descending when rev), at most count (0 = all). */
  range(start: bigint, end: bigint, count: number, rev: boolean): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (start > end || this.nodes.length === 0) return out;
    if (!rev) {
      let ni = Math.max(0, this.nodeIndex(start));
      for (; ni < this.nodes.length; ni++) {
        const es = this.nodes[ni]!.entries;
        let i = lowerBound(es, start);
        for (; i < es.length; i++) {
          const e = es[i]!;
          if (e.id > end) return out;
          if (e.deleted) continue;
          out.push(e);
          if (count && out.length >= count) return out;
        }
      }
    } else {
      for (let ni = this.nodeIndex(end); ni >= 0; ni--) {
        const es = this.nodes[ni]!.entries;
        let i = lowerBound(es, end + 1n) - 1;
        for (; i >= 0; i--) {
          const e = es[i]!;
          if (e.id < start) return out;
          if (e.deleted) continue;
          out.push(e);
          if (count && out.length >= count) return out;
        }
      }
    }
    return out;
  }

  /**
   * Trim as streamTrim: by MAXLEN (maxlen) or MINID (minid), approx drops whole nodes only, limit
   * caps the entries removed (0 = none). Returns how many were removed.
   */
  trim(byMaxlen: boolean, maxlen: number, minid: bigint, approx: boolean, limit: number): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (byMaxlen && this.length <= maxlen) break;
      const node = this.nodes[0]!;
      const entries = node.live;
      if (limit && deleted + entries > limit) break;
      const remove = byMaxlen ? this.length - entries >= maxlen : node.entries[node.entries.length - 1]!.id < minid;
      if (remove) {
        this.nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      for (const e of node.entries) {
        if (byMaxlen ? this.length <= maxlen : e.id >= minid) break;
        if (!e.deleted) {
          e.deleted = true;
          node.live--;
          this.length--;
          deleted++;
        }
      }
      break;
    }
    if (this.length === 0) this.firstId = 0n;
    else if (deleted) this.firstId = this.edgeId(true);
    return deleted;
  }

  /** A deep copy (COPY): entries, counters, groups with their PELs and consumers. */
  clone(): StreamValue {
    const s = new StreamValue();
    s.nodes = this.nodes.map((n) => ({ ...n, entries: n.entries.map((e) => ({ ...e })) }));
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    if (this.groups) {
      s.groups = new Map();
      for (const g of this.groups.values()) {
        const ng = new StreamGroup(g.name, g.lastId, g.entriesRead);
        for (const c of g.consumers.values()) ng.consumers.set(c.name, new StreamConsumer(c.name, c.seenTime));
        for (const p of g.pel.values()) {
          const cons = ng.consumers.get(p.consumer.name)!;
          const np: PendingEntry = { id: p.id, deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount, consumer: cons };
          ng.pel.set(p.id, np);
          cons.pel.set(p.id, np);
        }
        s.groups.set(g.name, ng);
      }
    }
    return s;
  }

  group(name: string): StreamGroup | undefined {
    return this.groups?.get(name);
  }

  sortedGroups(): StreamGroup[] {
    return this.groups ? [...this.groups.values()].sort((a, b) => byteCompare(a.name, b.name)) : [];
  }

  /** streamRangeHasTombstones: whether the max deleted ID lies in [start, end]. */
  rangeHasTombstones(start: bigint, end: bigint): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /** The group's lag (XINFO), or null when it cannot be known. */
  lag(g: StreamGroup): number | null {
    if (!this.entriesAdded) return 0;
    if (g.entriesRead !== -1 && !this.rangeHasTombstones(g.lastId, ID_MAX)) return this.entriesAdded - g.entriesRead;
    const er = this.estimateDistance(g.lastId);
    return er === -1 ? null : this.entriesAdded - er;
  }

  /** streamEstimateDistanceFromFirstEverEntry: the logical read counter of id, or -1 when unknown. */
  estimateDistance(id: bigint): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return -1;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }
}

function findEntry(es: StreamEntry[], id: bigint): StreamEntry | undefined {
  const i = lowerBound(es, id);
  const e = es[i];
  return e && e.id === id ? e : undefined;
}

/** First index whose id >= id, in entries or pending entries sorted by id. */
function lowerBound(es: readonly { readonly id: bigint }[], id: bigint): number {
  let lo = 0;
  let hi = es.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (es[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
