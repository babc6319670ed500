/*
 * SORT and SORT_RO, run by the main thread because their BY and GET patterns name keys that may live
 * on any shard (Redis's own semantics, not cluster mode's refusal). The handler holds the shards it
 * reads (all of them when a pattern reads other keys; inside EXEC the transaction already holds
 * them), fetches the elements from the source's shard and the pattern values from their shards (the
 * sortsrc / sortget control ops, one round trip per shard: BY values of every element, then GET values
 * of the elements output), sorts here, and replies, or stores the result list with `import`.
 * No other command runs on the locked shards in between, so SORT is atomic to every observer.
 *
 * Replies, errors and their order follow redis-server 7.0's sortCommandGeneric. SORT ... STORE is
 * propagated as DEL + RPUSH (or DEL alone) in MULTI/EXEC: deterministic on any replica.
 */

import { NOTIFY_GENERIC, NOTIFY_LIST } from '../../commands/keyspace-events.js';
import { notifyFromMain } from '../keyspace-notify.js';
import { CommandError, NOT_INTEGER, SORT_BY_ACL, SORT_GET_ACL, SORT_SCORE_NOT_DOUBLE, SYNTAX, WRONGTYPE } from '../../resp/errors.js';
import { hasUnrestrictedKeyRead } from '../../acl/acl.js';
import { importOp, sortExistsOp, sortGetOp, sortSourceOp, type SortRef, type SortSource } from '../../ipc/control.js';
import { encodeCommand } from '../../resp/writer.js';
import { createDumpPayload } from '../../codec/dump.js';
import { ListValue } from '../../shard/values/list.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { execRunning, propagateMain } from './transactions.js';
import { mainCommands } from '../../commands/registry.js';

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  store: string | null;
  by: string | null;
  dontsort: boolean;
  gets: string[];
}

function parseOptions(c: MainCtx, readonly: boolean): SortOptions {
  const a = c.args;
  let fullKeyAccess: boolean | null = null;
  const mayReadAll = (): boolean => (fullKeyAccess ??= hasUnrestrictedKeyRead(c.conn.aclUser ?? c.server.acl.defaultUser, c.cmd, a.all()));
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, store: null, by: null, dontsort: false, gets: [] };
  for (let j = 2; j < c.argc; j++) {
    const left = c.argc - j - 1;
    if (a.is(j, 'asc')) o.desc = false;
    else if (a.is(j, 'desc')) o.desc = true;
    else if (a.is(j, 'alpha')) o.alpha = true;
    else if (a.is(j, 'limit') && left >= 2) {
      o.limitStart = a.int(j + 1, NOT_INTEGER);
      o.limitCount = a.int(j + 2, NOT_INTEGER);
      j += 2;
    } else if (!readonly && a.is(j, 'store') && left >= 1) {
      o.store = a.str(++j);
    } else if (a.is(j, 'by') && left >= 1) {
      o.by = a.str(++j);
      // a BY pattern without '*' means: do not sort
      o.dontsort = !o.by.includes('*');
      if (!o.dontsort && !mayReadAll()) throw new CommandError(SORT_BY_ACL);
    } else if (a.is(j, 'get') && left >= 1) {
      if (!mayReadAll()) throw new CommandError(SORT_GET_ACL);
      o.gets.push(a.str(++j));
    } else throw new CommandError(SYNTAX);
  }
  return o;
}

/** Where a pattern leads for one element: the element itself, a key (and hash field), or nothing. */
type Target = { self: true } | { key: string; field: string | null } | null;

function patternTarget(pattern: string, subst: string): Target {
  if (pattern === '#') return { self: true };
  const p = pattern.indexOf('*');
  if (p < 0) return null;
  const f = pattern.indexOf('->', p + 1);
  if (f >= 0 && f + 2 < pattern.length) {
    return { key: pattern.slice(0, p) + subst + pattern.slice(p + 1, f), field: pattern.slice(f + 2) };
  }
  return { key: pattern.slice(0, p) + subst + pattern.slice(p + 1), field: null };
}

type Ref = SortRef;

/** The strings (or hash fields) that refs name, nil where absent or of another type: one op per shard. */
async function lookup(c: MainCtx, db: number, refs: readonly Ref[]): Promise<(string | null)[]> {
  const s = c.server;
  const out = new Array<string | null>(refs.length).fill(null);
  if (refs.length === 0) return out;
  const byShard = new Map<number, number[]>();
  refs.forEach((r, i) => {
    const sh = s.shardOfKey(r.key);
    let g = byShard.get(sh);
    if (!g) byShard.set(sh, (g = []));
    g.push(i);
  });
  await Promise.all(
    [...byShard].map(async ([sh, idxs]) => {
      const argv = sortGetOp.request(db, idxs.map((i) => refs[i]!));
      const vals = sortGetOp.read((await s.oneShard(sh, argv, db)).reply);
      idxs.forEach((i, j) => (out[i] = vals[j] ?? null));
    }),
  );
  return out;
}

/** The source value: undefined when absent, else its type and elements. */
async function fetchSource(c: MainCtx, db: number, key: string): Promise<SortSource> {
  return sortSourceOp.read((await c.server.oneShard(c.server.shardOfKey(key), sortSourceOp.request(db, key), db)).reply);
}

/** Resolve the targets of one pattern lookup round: targets that need no key resolve in place. */
async function resolveAll(c: MainCtx, db: number, targets: readonly Target[], elems: readonly string[]): Promise<(string | null)[]> {
  const refs: Ref[] = [];
  const at: number[] = [];
  const out = targets.map((t, i) => {
    if (t === null) return null;
    if ('self' in t) return elems[i]!;
    at.push(i);
    refs.push(t);
    return null;
  });
  const vals = await lookup(c, db, refs);
  at.forEach((i, j) => (out[i] = vals[j]!));
  return out;
}

const SIMPLE_INT = /^-?[0-9]+$/;

/** strtod() as SORT uses it: the whole string must convert (an empty one is 0); NaN and ERANGE fail. */
function sortScore(s: string): number | null {
  if (s.length === 0) return 0;
  if (s.length <= 15 && SIMPLE_INT.test(s)) return Number(s);
  const nul = s.indexOf('\0');
  if (nul === 0) return 0;
  const t = nul > 0 ? s.slice(0, nul) : s;
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?)|(nan(?:\([0-9A-Za-z_]*\))?)|0[xX]([0-9a-fA-F]+)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))$/i.exec(t);
  if (!m) return null;
  const neg = m[1] === '-';
  if (m[3] !== undefined) return null;
  if (m[2] !== undefined) return neg ? -Infinity : Infinity;
  let v: number;
  if (m[4] !== undefined) v = parseInt(m[4], 16);
  else {
    v = Number(m[5]);
    const mant = m[5]!.replace(/[eE].*$/, '');
    if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(mant))) return null; // ERANGE
  }
  if (!Number.isFinite(v)) return null;
  return neg ? -v : v;
}

function cmpBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Item {
  obj: string;
  score: number;
  cmp: string | null;
}

/** The elements of the value to sort, loaded as sortCommandGeneric loads them; [items, start, end]. */
function loadItems(src: SortSource, o: SortOptions): [Item[], number, number] {
  const kind = src?.type ?? 'list';
  const elems = src?.elems ?? [];
  const len = elems.length;
  let start = o.limitStart < 0 ? 0 : o.limitStart;
  let end = o.limitCount < 0 ? len - 1 : start + o.limitCount - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  const mk = (obj: string): Item => ({ obj, score: 0, cmp: null });
  if (o.dontsort && kind !== 'set') {
    const n = start !== 0 || end !== len - 1 ? end - start + 1 : len;
    if (kind === 'list' && end < start) return [[], start, end];
    const items: Item[] = [];
    for (let i = 0; i < n; i++) items.push(mk(o.desc ? elems[len - 1 - start - i]! : elems[start + i]!));
    return [items, 0, end - start];
  }
  return [elems.map(mk), start, end];
}

async function sortGeneric(c: MainCtx, readonly: boolean): Promise<void> {
  const o = parseOptions(c, readonly);
  const s = c.server;
  const db = c.conn.db;
  const key = c.args.str(1);
  // pattern keys can be anywhere: hold every shard then (a BY without '*' reads nothing)
  const lookups = (o.by !== null && !o.dontsort) || o.gets.some((g) => g !== '#' && g.includes('*'));
  const locked = execRunning.has(c.conn);
  const shards = lookups
    ? s.links.map((_, i) => i)
    : [...new Set([s.shardOfKey(key), ...(o.store !== null ? [s.shardOfKey(o.store)] : [])])].sort((x, y) => x - y);
  if (!locked) await s.coordinator.lock(shards);
  try {
    const src = await fetchSource(c, db, key);
    if (src !== undefined && src.type !== 'list' && src.type !== 'set' && src.type !== 'zset') throw new CommandError(WRONGTYPE);
    let by = o.by;
    // a set in hash order is no stable result to store: sort it by its members instead
    if (o.dontsort && src?.type === 'set' && o.store !== null) {
      o.dontsort = false;
      o.alpha = true;
      by = null;
    }
    const [items, start, end] = loadItems(src, o);
    const byTarget = by !== null && !o.dontsort;
    let convError = false;
    if (!o.dontsort) {
      // the BY values of every element, in one round trip per shard
      const byVals = byTarget
        ? await resolveAll(c, db, items.map((it) => patternTarget(by!, it.obj)), items.map((it) => it.obj))
        : null;
      items.forEach((it, j) => {
        let val: string | null;
        if (byVals !== null) {
          val = byVals[j]!;
          if (val === null) return; // a missing BY value sorts as 0 (or first, with ALPHA)
        } else val = it.obj;
        if (o.alpha) {
          if (byTarget) it.cmp = val;
        } else {
          const sc = sortScore(val);
          if (sc === null) convError = true;
          else it.score = sc;
        }
      });
      items.sort((x, y) => {
        let r: number;
        if (!o.alpha) r = x.score > y.score ? 1 : x.score < y.score ? -1 : cmpBytes(x.obj, y.obj);
        else if (byTarget) {
          if (x.cmp === null || y.cmp === null) r = x.cmp === y.cmp ? 0 : x.cmp === null ? -1 : 1;
          else r = cmpBytes(x.cmp, y.cmp);
        } else r = cmpBytes(x.obj, y.obj);
        return o.desc ? -r : r;
      });
    }
    if (convError) throw new CommandError(SORT_SCORE_NOT_DOUBLE);
    let result: (string | null)[];
    const out = start <= end ? items.slice(start, end + 1) : [];
    if (o.gets.length === 0) result = out.map((it) => it.obj);
    else {
      // the GET values of the elements output only
      const targets: Target[] = [];
      const elems: string[] = [];
      for (const it of out) {
        for (const g of o.gets) {
          targets.push(patternTarget(g, it.obj));
          elems.push(it.obj);
        }
      }
      result = await resolveAll(c, db, targets, elems);
    }
    if (o.store === null) {
      c.w.array(result.length);
      for (const r of result) {
        if (r === null) c.w.nullBulk();
        else c.w.bulk(r);
      }
      return;
    }
    await storeList(c, db, o.store, result.map((r) => r ?? ''));
    c.w.int(result.length);
  } finally {
    if (!locked) s.coordinator.unlock(shards);
  }
}

/** Store the result list at dst (delete dst when it is empty) and propagate the change. */
async function storeList(c: MainCtx, db: number, dst: string, elems: string[]): Promise<void> {
  const s = c.server;
  const sh = s.shardOfKey(dst);
  if (elems.length > 0) {
    await s.oneShard(sh, importOp.request(db, [{ key: dst, value: { payload: createDumpPayload(ListValue.from(elems)), expireAt: -1 } }], true), db);
    notifyFromMain(s, NOTIFY_LIST, 'sortstore', dst, db, 0, 0);
    const del = ['DEL', dst];
    const push = ['RPUSH', dst, ...elems];
    if (execRunning.has(c.conn)) {
      propagateMain(c, db, del);
      propagateMain(c, db, push);
    } else {
      s.coordinator.propagate([
        { db, bytes: encodeCommand(del) },
        { db, bytes: encodeCommand(push) },
      ]);
    }
    return;
  }
  const existed = sortExistsOp.read((await s.oneShard(sh, sortExistsOp.request(db, dst), db)).reply);
  if (!existed) return;
  await s.oneShard(sh, importOp.request(db, [{ key: dst, value: null }]), db);
  notifyFromMain(s, NOTIFY_GENERIC, 'del', dst, db, 0, 0);
  propagateMain(c, db, ['DEL', dst]);
}

export const commands = mainCommands<MainHandler>({
  sort(c) {
    return sortGeneric(c, false);
  },
  sort_ro(c) {
    return sortGeneric(c, true);
  },
});

/**
 * Key positions of a SORT / SORT_RO request as COMMAND GETKEYS reports them (Redis's sortGetKeys):
 * the sorted key, then the last STORE destination. specOut gets each key's key-spec index.
 */
export function sortKeyPositions(argv: readonly string[], specOut: number[]): number[] {
  const pos = [1];
  specOut.length = 0;
  specOut.push(0);
  if (argv[0]!.toLowerCase() === 'sort_ro') return pos;
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < argv.length) store = i + 1;
  }
  if (store > 0) {
    pos.push(store);
    specOut.push(2);
  }
  return pos;
}
