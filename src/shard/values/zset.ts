/*
 * ZSetValue: a sorted set. Members are binary strings ordered by (score, member bytes). Three views of
 * the same nodes:
 *
 *   dict:  Map member -> node                       O(1) ZSCORE / membership
 *   list:  skiplist with spans (below)              O(log n) rank, by-rank, by-score, by-lex, insert,
 *                                                   delete; O(1) step to the next/previous node
 *   nodes: array of nodes, node.idx = position      O(1) random member, and a ZSCAN cursor that never
 *                                                   misses a member (removal moves the last node into
 *                                                   the hole, so nodes only move to lower indexes and
 *                                                   the scan walks indexes downwards)
 *
 * Skiplist: level i of a node links to the next node having at least i+1 levels; span[i] is how many
 * level-0 steps that link skips, so summing spans along a search path gives a rank.
 *
 *   head -L2------------------------------> n4
 *   head -L1----------> n2 ---------------> n4
 *   head -L0--> n1 --> n2 --> n3 ---------> n4 --> null
 *
 * Encoding reported as redis-server 7.0 would: "listpack" while small (zset-max-listpack-entries /
 * -value), else "skiplist"; conversion is one way except where Redis converts store results back.
 * A listpack sorted set is also kept packed, [tag][count] then each member (its length, its bytes)
 * and its score (float64), in order: a byte store keeps those bytes in the key's entry
 * (store/packed.ts). Decoded from there, ZSCORE and membership scan the bytes; anything else builds
 * the nodes first (at most zset-max-listpack-entries of them), and each change packs them again.
 */

import { CompactAggregate } from './types.js';
import { limits } from './limits.js';
import { PackWriter, TAG_ZSET, elementIs, elementSize, elementString, packedCount, readDouble, registerPacked, varSize } from '../../store/packed.js';

const MAX_LEVEL = 32;

export class ZNode {
  next: (ZNode | null)[];
  span: number[];
  backward: ZNode | null = null;
  idx = 0;
  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.next = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A score interval; minex/maxex make a bound exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** A lexicographic interval; kind -1 is "-" (below everything), 1 is "+" (above everything). */
export interface LexRange {
  min: string;
  max: string;
  minex: boolean;
  maxex: boolean;
  minKind: -1 | 0 | 1;
  maxKind: -1 | 0 | 1;
}

export function scoreGteMin(s: number, r: ScoreRange): boolean {
  return r.minex ? s > r.min : s >= r.min;
}
export function scoreLteMax(s: number, r: ScoreRange): boolean {
  return r.maxex ? s < r.max : s <= r.max;
}
export function lexGteMin(m: string, r: LexRange): boolean {
  if (r.minKind !== 0) return r.minKind < 0;
  return r.minex ? m > r.min : m >= r.min;
}
export function lexLteMax(m: string, r: LexRange): boolean {
  if (r.maxKind !== 0) return r.maxKind > 0;
  return r.maxex ? m < r.max : m <= r.max;
}

/** False when the score interval is certainly empty. */
export function scoreRangeNonEmpty(r: ScoreRange): boolean {
  return !(r.min > r.max || (r.min === r.max && (r.minex || r.maxex)));
}

/** False when the lex interval is certainly empty. */
export function lexRangeNonEmpty(r: LexRange): boolean {
  if (r.minKind === 1 || r.maxKind === -1) return false;
  if (r.minKind === -1 || r.maxKind === 1) return true;
  return !(r.min > r.max || (r.min === r.max && (r.minex || r.maxex)));
}

/** (score, member) of a is before b. */
function before(score: number, member: string, n: ZNode): boolean {
  return n.score < score || (n.score === score && n.member < member);
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < 0.25) level++;
  return level;
}

// scratch arrays for insert/delete paths (one shard = one thread, never re-entered)
const update: ZNode[] = new Array<ZNode>(MAX_LEVEL);
const rankAt: number[] = new Array<number>(MAX_LEVEL).fill(0);

export class SkipList {
  readonly head = new ZNode('', 0, MAX_LEVEL);
  tail: ZNode | null = null;
  length = 0;
  level = 1;

  insert(score: number, member: string): ZNode {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1]!;
      let n = x.next[i];
      while (n && before(score, member, n)) {
        rankAt[i]! += x.span[i]!;
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.next[i] = u.next[i]!;
      u.next[i] = node;
      node.span[i] = u.span[i]! - (rankAt[0]! - rankAt[i]!);
      u.span[i] = rankAt[0]! - rankAt[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.head ? null : update[0]!;
    if (node.next[0]) node.next[0].backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Unlink x given the update path computed for it. */
  private unlink(x: ZNode): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.next[i] === x) {
        u.span[i]! += x.span[i]! - 1;
        u.next[i] = x.next[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (x.next[0]) x.next[0].backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** Remove the node holding (score, member); true if found. */
  delete(score: number, member: string): boolean {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && before(score, member, n)) {
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const t = x.next[0];
    if (t && t.score === score && t.member === member) {
      this.unlink(t);
      return true;
    }
    return false;
  }

  /** 1-based rank of (score, member), 0 if absent. */
  rank(score: number, member: string): number {
    let x = this.head;
    let r = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && (n.score < score || (n.score === score && n.member <= member))) {
        r += x.span[i]!;
        x = n;
        n = x.next[i];
      }
      if (x !== this.head && x.member === member) return r;
    }
    return 0;
  }

  /** Node at 1-based rank r (1 <= r <= length). */
  byRank(r: number): ZNode | null {
    let x = this.head;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] && traversed + x.span[i]! <= r) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      if (traversed === r) return x;
    }
    return null;
  }

  first(): ZNode | null {
    return this.head.next[0]!;
  }

  /**
   * The last node for which `before` holds (the head when none does), searching from the top level
   * down: `before` must hold for a prefix of the list (the nodes before a range, or up to its end).
   */
  private lastWhere(before: (n: ZNode) => boolean): ZNode {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && before(n)) {
        x = n;
        n = x.next[i];
      }
    }
    return x;
  }

  /** The first node in a range: gteMin / lteMax test a node against its bounds. */
  private firstIn(gteMin: (n: ZNode) => boolean, lteMax: (n: ZNode) => boolean): ZNode | null {
    const f = this.lastWhere((n) => !gteMin(n)).next[0];
    return f && lteMax(f) ? f : null;
  }

  /** The last node in a range (as firstIn). */
  private lastIn(gteMin: (n: ZNode) => boolean, lteMax: (n: ZNode) => boolean): ZNode | null {
    const x = this.lastWhere(lteMax);
    return x !== this.head && gteMin(x) ? x : null;
  }

  firstInScore(r: ScoreRange): ZNode | null {
    return scoreRangeNonEmpty(r) ? this.firstIn((n) => scoreGteMin(n.score, r), (n) => scoreLteMax(n.score, r)) : null;
  }

  lastInScore(r: ScoreRange): ZNode | null {
    return scoreRangeNonEmpty(r) ? this.lastIn((n) => scoreGteMin(n.score, r), (n) => scoreLteMax(n.score, r)) : null;
  }

  firstInLex(r: LexRange): ZNode | null {
    return lexRangeNonEmpty(r) ? this.firstIn((n) => lexGteMin(n.member, r), (n) => lexLteMax(n.member, r)) : null;
  }

  lastInLex(r: LexRange): ZNode | null {
    return lexRangeNonEmpty(r) ? this.lastIn((n) => lexGteMin(n.member, r), (n) => lexLteMax(n.member, r)) : null;
  }
}

export class ZSetValue extends CompactAggregate {
  readonly type = 'zset' as const;
  override readonly blockable = true;
  // the nodes: made at once, or by load() for a value decoded from packed bytes
  private sl!: SkipList;
  private byMember!: Map<string, ZNode>;
  private all!: ZNode[];
  /** listpack: the members packed, kept current; null as a skiplist. */
  private lp: Uint8Array | null;
  /** False while only lp holds the members (decoded from an entry, nodes not built yet). */
  private loaded = true;

  /** listpack: the encoding a new sorted set starts with (Redis decides from the first member). */
  constructor(listpack = true, bytes: Uint8Array | null = null) {
    super();
    this.compact = listpack;
    this.lp = bytes ?? (listpack ? EMPTY : null);
    if (bytes === null) this.init();
    else this.loaded = false;
  }

  private init(): void {
    this.sl = new SkipList();
    this.byMember = new Map<string, ZNode>();
    this.all = [];
  }

  /** A listpack sorted set on its packed bytes (as packed() gave them). */
  static fromPacked(bytes: Uint8Array): ZSetValue {
    return new ZSetValue(true, bytes);
  }

  /** The skiplist (do not change it: set() and delete() do). */
  get list(): SkipList {
    if (!this.loaded) this.load();
    return this.sl;
  }

  get dict(): ReadonlyMap<string, ZNode> {
    if (!this.loaded) this.load();
    return this.byMember;
  }

  /** The nodes by position (node.idx). */
  get nodes(): readonly ZNode[] {
    if (!this.loaded) this.load();
    return this.all;
  }

  override packed(): Uint8Array | null {
    return this.compact ? this.lp : null;
  }

  /** Build a sorted set (RESTORE, RDB load, tests): encoding chosen from the current thresholds. */
  static from(pairs: Iterable<[string, number]>): ZSetValue {
    const z = new ZSetValue(true);
    let maxlen = 0;
    for (const [m, s] of pairs) {
      z.set(m, s);
      if (m.length > maxlen) maxlen = m.length;
    }
    z.convertToListpackIfNeeded(maxlen);
    return z;
  }

  get size(): number {
    return this.loaded ? this.all.length : packedCount(this.lp!);
  }

  /** Store results are converted back to listpack when small enough (zsetConvertToListpackIfNeeded). */
  convertToListpackIfNeeded(maxMemberLen: number): void {
    if (!this.compact && this.size <= limits.zsetMaxListpackEntries && maxMemberLen <= limits.zsetMaxListpackValue) {
      this.compact = true;
      this.sync();
    }
  }

  /** Force skiplist encoding (a new set whose first member is too long, or max entries 0). */
  toSkiplist(): void {
    this.compact = false;
    this.sync();
  }

  score(m: string): number | undefined {
    if (this.loaded) return this.byMember.get(m)?.score;
    const lp = this.lp!;
    let p = 1 + varSize(packedCount(lp));
    while (p < lp.length) {
      const next = p + elementSize(lp, p);
      if (elementIs(lp, p, m)) return readDouble(lp, next);
      p = next + 8;
    }
    return undefined;
  }

  has(m: string): boolean {
    return this.score(m) !== undefined;
  }

  /** Build the nodes from the packed members. */
  private load(): void {
    const lp = this.lp!;
    this.loaded = true;
    this.init();
    let p = 1 + varSize(packedCount(lp));
    while (p < lp.length) {
      const m = elementString(lp, p);
      p += elementSize(lp, p);
      this.add(m, readDouble(lp, p));
      p += 8;
    }
  }

  /** After a change: pack the members again while a listpack, and write them back to the entry. */
  private sync(): void {
    if (!this.compact) {
      this.lp = null;
      this.changed();
      return;
    }
    const w = new PackWriter(16 + this.all.length * 16);
    w.byte(TAG_ZSET);
    w.varint(this.all.length);
    for (let x = this.sl.head.next[0]; x; x = x.next[0]!) {
      w.element(x.member);
      w.double(x.score);
    }
    this.lp = w.done();
    this.changed();
  }

  /** Insert or update; true if the member was added. */
  set(m: string, score: number): boolean {
    // a listpack stores -0 as the integer 0 (Redis reads it back as 0)
    if (score === 0 && this.compact) score = 0;
    const node = this.dict.get(m);
    if (node !== undefined) {
      if (node.score === score) return false;
      this.updateScore(node, score);
      this.sync();
      return false;
    }
    if (this.compact && (this.size + 1 > limits.zsetMaxListpackEntries || m.length > limits.zsetMaxListpackValue)) this.compact = false;
    this.add(m, score);
    this.sync();
    return true;
  }

  private add(m: string, score: number): void {
    const n = this.sl.insert(score, m);
    n.idx = this.all.length;
    this.all.push(n);
    this.byMember.set(m, n);
  }

  private updateScore(node: ZNode, score: number): void {
    // stays in place when still between its neighbours
    const b = node.backward;
    const f = node.next[0] ?? null;
    if ((b === null || b.score < score || (b.score === score && b.member < node.member)) && (f === null || f.score > score || (f.score === score && f.member > node.member))) {
      node.score = score;
      return;
    }
    this.sl.delete(node.score, node.member);
    const n = this.sl.insert(score, node.member);
    n.idx = node.idx;
    this.all[n.idx] = n;
    this.byMember.set(node.member, n);
  }

  /** Remove a member; true if it existed. */
  delete(m: string): boolean {
    const node = this.dict.get(m);
    if (node === undefined) return false;
    this.sl.delete(node.score, m);
    this.byMember.delete(m);
    const last = this.all.length - 1;
    if (node.idx !== last) {
      const ln = this.all[last]!;
      ln.idx = node.idx;
      this.all[node.idx] = ln;
    }
    this.all.pop();
    this.sync();
    return true;
  }

  /** 0-based rank of a member, or -1. */
  rank(m: string): number {
    const node = this.dict.get(m);
    return node === undefined ? -1 : this.list.rank(node.score, m) - 1;
  }

  /** Node at 0-based rank i (0 <= i < size). */
  at(i: number): ZNode {
    return this.list.byRank(i + 1)!;
  }

  first(): ZNode | null {
    return this.list.head.next[0]!;
  }

  last(): ZNode | null {
    return this.list.tail;
  }

  /** A uniformly random node (the set must not be empty). */
  random(): ZNode {
    return this.nodes[Math.floor(Math.random() * this.nodes.length)]!;
  }

  *entries(): IterableIterator<[string, number]> {
    for (let x = this.list.head.next[0]; x; x = x.next[0]!) yield [x.member, x.score];
  }
}

const EMPTY = Uint8Array.of(TAG_ZSET, 0);

registerPacked(TAG_ZSET, ZSetValue.fromPacked);
