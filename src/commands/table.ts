/*
 * The command table: one entry per implemented command (and subcommand), as data. Built once per
 * thread from the interface facts in spec-data.ts and the names the server implements, so the main
 * thread and every shard number commands identically (the id travels in ring records).
 *
 * The flags drive routing (keys -> shard), READONLY on replicas, propagation, MULTI queueing,
 * pub/sub context rules and COMMAND INFO. Arity follows redis: positive = exact, negative = at least.
 */

import { COMMAND_DATA, type CommandData, type KeySpecData } from './spec-data.js';
import { Keys, Route, X, type CommandProps } from './registry.js';

/** Command flags (bit values are ours; names are Redis's). */
export const F = {
  WRITE: 1 << 0,
  READONLY: 1 << 1,
  DENYOOM: 1 << 2,
  ADMIN: 1 << 3,
  PUBSUB: 1 << 4,
  NOSCRIPT: 1 << 5,
  BLOCKING: 1 << 6,
  LOADING: 1 << 7,
  STALE: 1 << 8,
  SKIP_MONITOR: 1 << 9,
  SKIP_SLOWLOG: 1 << 10,
  ASKING: 1 << 11,
  FAST: 1 << 12,
  NO_AUTH: 1 << 13,
  MAY_REPLICATE: 1 << 14,
  SENTINEL: 1 << 15,
  ONLY_SENTINEL: 1 << 16,
  NO_MANDATORY_KEYS: 1 << 17,
  PROTECTED: 1 << 18,
  NO_ASYNC_LOADING: 1 << 19,
  NO_MULTI: 1 << 20,
  MOVABLE_KEYS: 1 << 21,
  ALLOW_BUSY: 1 << 22,
  TOUCHES_ARBITRARY_KEYS: 1 << 23,
} as const;

const FLAG_NAMES: Record<string, number> = {
  write: F.WRITE,
  readonly: F.READONLY,
  denyoom: F.DENYOOM,
  admin: F.ADMIN,
  pubsub: F.PUBSUB,
  noscript: F.NOSCRIPT,
  blocking: F.BLOCKING,
  loading: F.LOADING,
  stale: F.STALE,
  skip_monitor: F.SKIP_MONITOR,
  skip_slowlog: F.SKIP_SLOWLOG,
  asking: F.ASKING,
  fast: F.FAST,
  no_auth: F.NO_AUTH,
  may_replicate: F.MAY_REPLICATE,
  sentinel: F.SENTINEL,
  only_sentinel: F.ONLY_SENTINEL,
  no_mandatory_keys: F.NO_MANDATORY_KEYS,
  protected: F.PROTECTED,
  no_async_loading: F.NO_ASYNC_LOADING,
  no_multi: F.NO_MULTI,
  movablekeys: F.MOVABLE_KEYS,
  allow_busy: F.ALLOW_BUSY,
  touches_arbitrary_keys: F.TOUCHES_ARBITRARY_KEYS,
};

export { Route, Keys, X };

export interface Command {
  readonly id: number;
  /** Lower-case full name: "get", "config|get". */
  readonly name: string;
  readonly arity: number;
  readonly flags: number;
  readonly flagNames: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly keySpecs: readonly KeySpecData[];
  readonly acl: readonly string[];
  readonly group: string;
  readonly since: string;
  readonly tips: readonly string[];
  readonly route: Route;
  /** How its keys are found (declared with its handler). */
  readonly keys: Keys;
  /** shardis-specific properties (X flags, declared with its handler). */
  readonly x: number;
  /** Position of a blocking command's timeout argument (negative: from the end); 0 when none. */
  readonly timeoutArg: number;
  readonly parent: Command | null;
  readonly subcommands: Map<string, Command> | null;
  /** Upper-case name as Redis prints it in errors ("CONFIG"). */
  readonly upper: string;
}

export class CommandTable {
  readonly byId: Command[] = [];
  readonly byName = new Map<string, Command>();

  /**
   * @param implemented full names ("get", "config|get") with their declared properties
   *        (registry.ts). A container command ("config") is implemented when any of its subcommands is.
   */
  constructor(implemented: ReadonlyMap<string, CommandProps>) {
    for (const d of COMMAND_DATA) {
      const subs = d.sub?.filter((s) => implemented.has(s.n)) ?? [];
      if (!implemented.has(d.n) && subs.length === 0) continue;
      const parent = this.add(d, implemented.get(d.n) ?? CONTAINER, null, subs.length > 0);
      for (const s of subs) {
        const c = this.add(s, implemented.get(s.n)!, parent, false);
        parent.subcommands!.set(s.n.slice(d.n.length + 1), c);
      }
    }
    for (const name of implemented.keys()) {
      if (!this.byName.has(name)) throw new Error(`command ${name} has a handler but no row in Redis 7.0's command data`);
    }
  }

  private add(d: CommandData, props: CommandProps, parent: Command | null, container: boolean): Command {
    let flags = 0;
    const flagNames: string[] = [];
    for (const f of d.f.split(' ')) {
      if (!f) continue;
      const bit = FLAG_NAMES[f];
      if (bit === undefined) throw new Error(`unknown command flag ${f} in ${d.n}`);
      flags |= bit;
      flagNames.push(f);
    }
    const specs = d.k ?? [];
    const legacy = legacyRange(specs);
    if (legacy.movable && !(flags & F.MOVABLE_KEYS)) {
      flags |= F.MOVABLE_KEYS;
      flagNames.push('movablekeys');
    }
    const cmd: Command = {
      id: this.byId.length,
      name: d.n,
      arity: d.a,
      flags,
      flagNames,
      firstKey: legacy.first,
      lastKey: legacy.last,
      step: legacy.step,
      keySpecs: specs,
      acl: aclCategories(d.c, flags),
      group: d.g,
      since: d.s,
      tips: d.t ? d.t.split(' ') : [],
      route: props.route,
      keys: props.keys,
      x: props.x,
      timeoutArg: props.timeoutArg,
      parent,
      subcommands: container ? new Map() : null,
      upper: d.n.toUpperCase(),
    };
    this.byId.push(cmd);
    this.byName.set(d.n, cmd);
    return cmd;
  }

  get(name: string): Command | undefined {
    return this.byName.get(name);
  }
}

/** A container command's row ("config"): its subcommands say where they run. */
const CONTAINER: CommandProps = { route: Route.Main, keys: Keys.All, x: 0, timeoutArg: 0 };

/** Index of a blocking command's timeout argument in a request of argc arguments; -1 when none. */
export function timeoutArgIndex(cmd: Command, argc: number): number {
  const t = cmd.timeoutArg;
  return t === 0 ? -1 : t < 0 ? argc + t : t;
}

/** Arity check with redis's rule. */
export function arityOk(cmd: Command, argc: number): boolean {
  return cmd.arity > 0 ? argc === cmd.arity : argc >= -cmd.arity;
}

function aclCategories(declared: string, flags: number): string[] {
  const cats = new Set(declared.split(' ').filter(Boolean));
  if (flags & F.WRITE) cats.add('write');
  if (flags & F.READONLY && !cats.has('scripting')) cats.add('read');
  if (flags & F.ADMIN) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (flags & F.PUBSUB) cats.add('pubsub');
  if (flags & F.FAST) cats.add('fast');
  if (flags & F.BLOCKING) cats.add('blocking');
  if (!cats.has('fast')) cats.add('slow');
  const order = [
    'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
    'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
    'transaction', 'scripting',
  ];
  return order.filter((c) => cats.has(c)).map((c) => '@' + c);
}

/** The legacy (first, last, step) triple and movablekeys, as populateCommandLegacyRangeSpec computes. */
function legacyRange(specs: readonly KeySpecData[]): { first: number; last: number; step: number; movable: boolean } {
  if (specs.length === 0) return { first: 0, last: 0, step: 0, movable: false };
  const s0 = specs[0]!;
  if (specs.length === 1 && s0.b[0] === 'i' && s0.k[0] === 'r') {
    const pos = s0.b[1];
    const last = s0.k[1];
    return {
      first: pos,
      last: last >= 0 ? pos + last : last,
      step: s0.k[2],
      movable: s0.f.split(' ').includes('INCOMPLETE'),
    };
  }
  let first = Number.MAX_SAFE_INTEGER;
  let last = 0;
  let prevLast = 0;
  let movable = false;
  for (const s of specs) {
    if (s.b[0] !== 'i' || s.k[0] !== 'r') {
      movable = true;
      continue;
    }
    const pos = s.b[1];
    if (s.k[2] !== 1 || (prevLast && prevLast !== pos - 1)) {
      movable = true;
      continue;
    }
    if (s.f.split(' ').includes('INCOMPLETE')) movable = true;
    first = Math.min(first, pos);
    const lastAbs = s.k[1] >= 0 ? s.k[1] + pos : s.k[1];
    // unsigned comparison, as redis does: a negative last key wins
    if (lastAbs >>> 0 > last >>> 0) last = lastAbs;
    prevLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return { first: 0, last: 0, step: 0, movable: true };
  return { first, last, step: 1, movable };
}

/**
 * Positions of the key arguments of a request (argv[0] is the command name), following the key specs
 * as redis's getKeysUsingKeySpecs does (NOT_KEY specs skipped). `argAt(i)` returns argument i as a
 * binary string (only called for keyword and keynum searches). Returns null when the arguments do not
 * fit the specs (numkeys not a number, or past the end): the command then replies with its own error.
 */
export function keyPositions(
  cmd: Command,
  argc: number,
  argAt: (i: number) => string,
  out: number[] = [],
  specOut?: number[],
): number[] | null {
  out.length = 0;
  if (specOut) specOut.length = 0;
  for (let si = 0; si < cmd.keySpecs.length; si++) {
    const spec = cmd.keySpecs[si]!;
    if (spec.f.includes('NOT_KEY')) continue;
    let first = 0;
    const b = spec.b;
    if (b[0] === 'i') {
      first = b[1];
    } else if (b[0] === 'k') {
      const kw = b[1].toLowerCase();
      const from = b[2];
      const start = from > 0 ? from : argc + from;
      const end = from > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argAt(i).toLowerCase() === kw) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else {
      return null;
    }
    const k = spec.k;
    let last: number;
    let step: number;
    if (k[0] === 'r') {
      const [, lastkey, keystep, limit] = k;
      step = keystep;
      if (lastkey >= 0) last = first + lastkey;
      else if (!limit) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    } else if (k[0] === 'n') {
      const [, numIdx, firstKey, keystep] = k;
      step = keystep;
      if (numIdx >= argc || first + numIdx >= argc) return null;
      const s = argAt(first + numIdx);
      if (!/^-?(0|[1-9][0-9]*)$/.test(s)) return null;
      const n = Number(s);
      if (n < 0) return null;
      first += firstKey;
      last = first + n - 1;
    } else {
      return null;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) {
      out.push(i);
      specOut?.push(si);
    }
  }
  return out;
}
