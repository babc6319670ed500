/*
 * Size estimates of keys and values in this store, shared by MEMORY USAGE (introspect.ts) and the
 * dataset byte count each Db keeps for maxmemory (keyspace.ts, eviction.ts).
 */

import { isAggregate, type Aggregate, type StrValue, type Value } from './values/types.js';

// the aggregates' shapes, structurally (importing their classes here would close an import cycle
// through keyspace.ts)
interface ListLike {
  range(start: number, stop: number): Iterable<string>;
}
interface HashLike {
  entries(): Iterable<[string, string]>;
}
interface SetLike {
  members(): Iterable<string>;
}
interface StreamLike {
  nodes: { bytes: number; entries: unknown[] }[];
  groups: Map<string, { pel: { size: number }; consumers: Map<string, unknown> }> | null;
}

/*
 * What a key costs in this store (V8 objects in per-slot Maps), estimated from V8's layouts on 64-bit
 * with pointer compression off: a one-byte string is a 16-byte header plus its bytes, 8-aligned; a
 * Map entry takes about 3 words plus the hash table's spare capacity; numbers outside the small
 * integer range are 16-byte heap numbers. Aggregates add their container and, per element, the
 * element strings and the entry in their index; large ones are sampled as Redis does (SAMPLES n,
 * default 5, 0 = every element) and extrapolated.
 */
export const MAP_ENTRY = 40;
const OBJECT = 64;
/** A Buffer object with its backing store's bookkeeping (large string values). */
const BUFFER = 96;

export function strBytes(s: string): number {
  return (16 + s.length + 7) & ~7;
}

export function scalarBytes(v: StrValue): number {
  if (typeof v === 'string') return strBytes(v);
  if (typeof v !== 'number') return BUFFER + v.length;
  return Number.isInteger(v) && v >= -(2 ** 30) && v < 2 ** 30 ? 0 : 16;
}

function sampled<T>(items: Iterable<T>, size: number, samples: number, cost: (x: T) => number): number {
  if (size === 0) return 0;
  let n = 0;
  let sum = 0;
  for (const x of items) {
    sum += cost(x);
    if (++n === samples) break;
  }
  return n === 0 ? 0 : Math.round((sum / n) * size);
}

export function valueBytes(v: Value, samples: number): number {
  if (!isAggregate(v)) return scalarBytes(v);
  // a small aggregate in its compact encoding: its packed bytes (inline in a byte-store entry)
  const packed = v.packed();
  if (packed !== null) return packed.length;
  const size = v.size;
  const lim = samples === 0 ? Infinity : samples;
  if (v.type === 'list') {
    const items = (v as unknown as ListLike).range(0, Math.min(size, lim) - 1);
    return OBJECT + 8 * size + sampled(items, size, samples, strBytes);
  }
  if (v.type === 'hash') return OBJECT + sampled((v as unknown as HashLike).entries(), size, samples, ([f, x]) => MAP_ENTRY + strBytes(f) + strBytes(x));
  if (v.type === 'set') return OBJECT + sampled((v as unknown as SetLike).members(), size, samples, (m) => MAP_ENTRY + strBytes(m));
  if (v.type === 'stream') return streamBytes(v as unknown as StreamLike, samples);
  // sorted set: a skip-list node (object, score, level pointers) and an index entry per member
  const z = v as unknown as { at(i: number): { member: string } };
  const items: string[] = [];
  for (let i = 0; i < Math.min(size, lim); i++) items.push(z.at(i).member);
  return OBJECT + sampled(items, size, samples, (m) => MAP_ENTRY + 72 + strBytes(m));
}

/**
 * A stream (as Redis's objectComputeSize): its nodes' listpack bytes (sampled: the first `samples`
 * nodes' average times the node count) with a node object and its entries' index each, and its
 * consumer groups with their pending entries and consumers.
 */
function streamBytes(st: StreamLike, samples: number): number {
  const nodes = st.nodes;
  let sum = OBJECT;
  sum += sampled(nodes, nodes.length, samples, (n) => OBJECT + n.bytes + 8 * n.entries.length);
  if (st.groups !== null) for (const g of st.groups.values()) sum += OBJECT + MAP_ENTRY * (g.pel.size + g.consumers.size);
  return sum;
}

/** A heap-store key's own estimate: its Map entry and string. */
export function keyEst(key: string): number {
  return MAP_ENTRY + strBytes(key);
}

/** The estimate last recorded for a value (aggregates remember theirs: they change in place). */
export function estOf(v: Value): number {
  return isAggregate(v) ? v.est : scalarBytes(v);
}

/** Measure an aggregate now (sampled, as MEMORY USAGE's default) and remember the figure. */
export function measure(v: Aggregate): number {
  const n = valueBytes(v, 5);
  v.est = n;
  return n;
}
