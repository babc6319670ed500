/*
 * GEO commands over sorted sets, with redis-server 7.0's replies, errors and propagation:
 *   GEOADD (NX XX CH) GEODIST GEOHASH GEOPOS GEOSEARCH GEOSEARCHSTORE GEORADIUS GEORADIUS_RO
 *   GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO (WITHCOORD WITHDIST WITHHASH COUNT [ANY] ASC DESC STORE
 *   STOREDIST).
 *
 * A geo set is a plain sorted set whose scores are 52-bit geohashes (geohash.ts does the math). GEOADD
 * is ZADD with computed scores and propagates as that ZADD, as Redis does; the searches scan the score
 * ranges of the nine covering cells, filter by exact distance, then sort as Redis does (a stable sort
 * of all matches, or Redis's partial quicksort when COUNT keeps fewer), so ties come out in the same
 * order. STORE variants propagate as received. Keys on other shards (STORE destinations) are shipped in
 * by the coordinator like any multi-key command.
 */

import { NOTIFY_GENERIC, NOTIFY_ZSET } from '../../commands/keyspace-events.js';
import { CommandError, SYNTAX, COUNT_NOT_POSITIVE, GEO_ANY_NEEDS_COUNT, GEO_MEMBER_UNDECODABLE, GEO_BAD_UNIT, GEO_NEGATIVE_RADIUS, GEO_NEGATIVE_BOX, geoInvalidPair, geoStoreWithOptions, geoNeedFrom, geoNeedBy, GEO_NEED_RADIUS, GEO_NEED_WIDTH, GEO_NEED_HEIGHT } from '../../resp/errors.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { ZSetValue } from '../values/zset.js';
import { getTyped } from './util.js';
import {
  GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, cellScores, decodeScore, distance, distanceIfWithin, distanceText, encodeScore, fixed,
  humanCoord, sameCell, searchCells, standardGeohash, type GeoShape,
} from '../../commands/geohash.js';
import { partialSort } from './geo-sort.js';
import { shardCommands } from '../../commands/registry.js';

function getZset(c: ShardCtx, key: string, read = true): ZSetValue | undefined {
  return getTyped(c, key, ZSetValue, read);
}

/** Longitude and latitude at arguments i, i+1, validated against the WGS84 limits. */
function lonLatArg(c: ShardCtx, i: number): [number, number] {
  const lon = c.args.float(i);
  const lat = c.args.float(i + 1);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new CommandError(geoInvalidPair(fixed(lon, 6), fixed(lat, 6)));
  }
  return [lon, lat];
}

/** Metres per unit (m, km, ft, mi, any case). */
function unitArg(c: ShardCtx, i: number): number {
  if (c.args.is(i, 'm')) return 1;
  if (c.args.is(i, 'km')) return 1000;
  if (c.args.is(i, 'ft')) return 0.3048;
  if (c.args.is(i, 'mi')) return 1609.34;
  throw new CommandError(GEO_BAD_UNIT);
}

/** A coordinate as addReplyHumanLongDouble sends it: a bulk string in RESP2, a double in RESP3. */
function replyCoord(c: ShardCtx, x: number): void {
  const s = humanCoord(x);
  if (c.w.proto === 3) c.w.rawString(',' + s + '\r\n');
  else c.w.bulk(s);
}

// ---- GEOADD -------------------------------------------------------------------------------------

function geoadd(c: ShardCtx): void {
  let nx = false;
  let xx = false;
  let ch = false;
  let first = 2;
  for (; first < c.argc; first++) {
    if (c.args.is(first, 'nx')) nx = true;
    else if (c.args.is(first, 'xx')) xx = true;
    else if (c.args.is(first, 'ch')) ch = true;
    else break;
  }
  if ((c.argc - first) % 3 !== 0 || (nx && xx)) throw new CommandError(SYNTAX);
  const n = (c.argc - first) / 3;
  const scores: number[] = new Array<number>(n);
  const texts: string[] = new Array<string>(n);
  for (let j = 0; j < n; j++) {
    const [lon, lat] = lonLatArg(c, first + j * 3);
    const e = encodeScore(lon, lat);
    scores[j] = e.score;
    texts[j] = e.text;
  }
  // what follows is ZADD key [options] score member ...
  if (n === 0) throw new CommandError(SYNTAX);
  const key = c.args.str(1);
  let z = getZset(c, key, false);
  if (z === undefined) {
    if (xx) return c.w.int(0);
    z = new ZSetValue(true);
    c.db.add(key, z);
  }
  let added = 0;
  let updated = 0;
  for (let j = 0; j < n; j++) {
    const member = c.args.str(first + j * 3 + 2);
    const s = scores[j]!;
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx || cur === s) continue;
      z.set(member, s);
      updated++;
    } else {
      if (xx) continue;
      z.set(member, s);
      added++;
    }
  }
  if (added + updated > 0) {
    c.db.modified(key);
    c.notify(NOTIFY_ZSET, 'zadd', key);
    const argv: (string | Uint8Array)[] = ['zadd'];
    for (let i = 1; i < first; i++) argv.push(c.args.bytes(i));
    for (let j = 0; j < n; j++) argv.push(texts[j]!, c.args.bytes(first + j * 3 + 2));
    c.propagateCommand(argv);
  }
  c.w.int(ch ? added + updated : added);
}

// ---- GEODIST GEOHASH GEOPOS ---------------------------------------------------------------------

function geodist(c: ShardCtx): void {
  let toMeter = 1;
  if (c.argc === 5) toMeter = unitArg(c, 4);
  else if (c.argc > 5) throw new CommandError(SYNTAX);
  const z = getZset(c, c.args.str(1));
  if (z === undefined) {
    c.w.nullBulk();
    return;
  }
  const s1 = z.score(c.args.str(2));
  const s2 = s1 === undefined ? undefined : z.score(c.args.str(3));
  if (s1 === undefined || s2 === undefined) {
    c.w.nullBulk();
    return;
  }
  const a = decodeScore(s1, [0, 0]);
  const b = decodeScore(s2, [0, 0]);
  c.w.bulk(distanceText(distance(a[0], a[1], b[0], b[1]) / toMeter));
}

function geohash(c: ShardCtx): void {
  const z = getZset(c, c.args.str(1));
  c.w.array(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const s = z?.score(c.args.str(j));
    if (s === undefined) c.w.nullBulk();
    else c.w.bulk(standardGeohash(decodeScore(s)));
  }
}

function geopos(c: ShardCtx): void {
  const z = getZset(c, c.args.str(1));
  c.w.array(c.argc - 2);
  for (let j = 2; j < c.argc; j++) {
    const s = z?.score(c.args.str(j));
    if (s === undefined) {
      c.w.nullArray();
      continue;
    }
    const xy = decodeScore(s);
    c.w.array(2);
    replyCoord(c, xy[0]);
    replyCoord(c, xy[1]);
  }
}

// ---- searches -----------------------------------------------------------------------------------

const COORDS = 1; // GEORADIUS: centre from arguments
const MEMBER = 2; // GEORADIUSBYMEMBER: centre from a member
const NOSTORE = 4; // the _RO variants
const SEARCH = 8; // GEOSEARCH syntax
const SEARCHSTORE = 16; // GEOSEARCHSTORE

/** A match: member, decoded position, distance from the centre (metres, then units), score. */
export interface GeoPoint {
  member: string;
  lon: number;
  lat: number;
  dist: number;
  score: number;
}

/** Members of z inside the shape, scanning the covering cells (stops at `limit` matches when > 0). */
function pointsInShape(z: ZSetValue, shape: GeoShape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const cells = searchCells(shape);
  let last = -1;
  const xy: [number, number] = [0, 0];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (cell.zero) continue;
    if (last >= 0 && sameCell(cell, cells[last]!)) continue;
    if (out.length > 0 && limit > 0 && out.length >= limit) break;
    const [min, max] = cellScores(cell);
    for (let x = z.list.firstInScore({ min, max, minex: false, maxex: true }); x !== null && x.score < max; x = x.next[0] ?? null) {
      decodeScore(x.score, xy);
      const d = distanceIfWithin(shape, xy[0], xy[1]);
      if (d >= 0 || Number.isNaN(d)) out.push({ member: x.member, lon: xy[0], lat: xy[1], dist: d, score: x.score });
      if (out.length > 0 && limit > 0 && out.length >= limit) break;
    }
    last = i;
  }
  return out;
}

function distanceArg(c: ShardCtx, i: number, shape: GeoShape): void {
  const r = c.args.float(i, GEO_NEED_RADIUS);
  if (r < 0) throw new CommandError(GEO_NEGATIVE_RADIUS);
  shape.radius = r;
  shape.conversion = unitArg(c, i + 1);
}

function boxArg(c: ShardCtx, i: number, shape: GeoShape): void {
  const w = c.args.float(i, GEO_NEED_WIDTH);
  const h = c.args.float(i + 1, GEO_NEED_HEIGHT);
  if (h < 0 || w < 0) throw new CommandError(GEO_NEGATIVE_BOX);
  shape.width = w;
  shape.height = h;
  shape.conversion = unitArg(c, i + 2);
}

function memberPosition(z: ZSetValue, member: string, shape: GeoShape): void {
  const s = z.score(member);
  if (s === undefined) throw new CommandError(GEO_MEMBER_UNDECODABLE);
  const xy = decodeScore(s);
  shape.lon = xy[0];
  shape.lat = xy[1];
}

function search(c: ShardCtx, srcIndex: number, flags: number): void {
  const z = getZset(c, c.args.str(srcIndex));
  let store: string | null = null;
  let storedist = false;
  const shape: GeoShape = { circle: true, lon: 0, lat: 0, radius: 0, width: 0, height: 0, conversion: 1 };
  let base: number;
  if (flags & COORDS) {
    base = 6;
    [shape.lon, shape.lat] = lonLatArg(c, 2);
    distanceArg(c, 4, shape);
  } else if (flags & MEMBER) {
    base = 5;
    if (z !== undefined) {
      memberPosition(z, c.args.str(2), shape);
      distanceArg(c, 3, shape);
    }
  } else {
    base = 2;
    if (flags & SEARCHSTORE) {
      base = 3;
      store = c.args.str(1);
    }
  }
  let withdist = false;
  let withhash = false;
  let withcoord = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = 0; // 1 asc, 2 desc
  let any = false;
  let count = 0;
  const a = c.args;
  for (let i = base; i < c.argc; i++) {
    const left = c.argc - i - 1; // arguments after this one
    if (a.is(i, 'withdist')) withdist = true;
    else if (a.is(i, 'withhash')) withhash = true;
    else if (a.is(i, 'withcoord')) withcoord = true;
    else if (a.is(i, 'any')) any = true;
    else if (a.is(i, 'asc')) sort = 1;
    else if (a.is(i, 'desc')) sort = 2;
    else if (a.is(i, 'count') && left >= 1) {
      count = a.int(i + 1);
      if (count <= 0) throw new CommandError(COUNT_NOT_POSITIVE);
      i++;
    } else if ((a.is(i, 'store') || a.is(i, 'storedist')) && left >= 1 && !(flags & NOSTORE) && !(flags & SEARCH)) {
      storedist = a.is(i, 'storedist');
      store = a.str(i + 1);
      i++;
    } else if (a.is(i, 'storedist') && flags & SEARCH && flags & SEARCHSTORE) {
      storedist = true;
    } else if (a.is(i, 'frommember') && left >= 1 && flags & SEARCH && !fromloc) {
      if (z !== undefined) memberPosition(z, a.str(i + 1), shape);
      frommember = true;
      i++;
    } else if (a.is(i, 'fromlonlat') && left >= 2 && flags & SEARCH && !frommember) {
      [shape.lon, shape.lat] = lonLatArg(c, i + 1);
      fromloc = true;
      i += 2;
    } else if (a.is(i, 'byradius') && left >= 2 && flags & SEARCH && !bybox) {
      distanceArg(c, i + 1, shape);
      shape.circle = true;
      byradius = true;
      i += 2;
    } else if (a.is(i, 'bybox') && left >= 3 && flags & SEARCH && !byradius) {
      boxArg(c, i + 1, shape);
      shape.circle = false;
      bybox = true;
      i += 3;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (store !== null && (withdist || withhash || withcoord)) throw new CommandError(geoStoreWithOptions(flags & SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'));
  if (flags & SEARCH && !(frommember || fromloc)) throw new CommandError(geoNeedFrom(a.str(0)));
  if (flags & SEARCH && !(byradius || bybox)) throw new CommandError(geoNeedBy(a.str(0)));
  if (any && !count) throw new CommandError(GEO_ANY_NEEDS_COUNT);

  if (z === undefined) {
    if (store !== null) {
      if (c.db.delete(store)) {
        c.notify(NOTIFY_GENERIC, 'del', store);
        c.propagate();
      }
      c.w.int(0);
    } else {
      c.w.array(0);
    }
    return;
  }
  if (count !== 0 && sort === 0 && !any) sort = 1;
  const points = pointsInShape(z, shape, any ? count : 0);
  if (points.length === 0 && store === null) {
    c.w.array(0);
    return;
  }
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== 0) {
    const cmp = sort === 1 ? (p: GeoPoint, q: GeoPoint) => (p.dist > q.dist ? 1 : p.dist === q.dist ? 0 : -1) : (p: GeoPoint, q: GeoPoint) => (p.dist > q.dist ? -1 : p.dist === q.dist ? 0 : 1);
    if (returned === points.length) points.sort(cmp);
    else partialSort(points, cmp, returned - 1);
  }
  if (store === null) {
    const options = (withdist ? 1 : 0) + (withcoord ? 1 : 0) + (withhash ? 1 : 0);
    const w = c.w;
    w.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i]!;
      p.dist /= shape.conversion;
      if (options) w.array(options + 1);
      w.bulk(p.member);
      if (withdist) w.bulk(distanceText(p.dist));
      if (withhash) w.int(Math.trunc(p.score));
      if (withcoord) {
        w.array(2);
        replyCoord(c, p.lon);
        replyCoord(c, p.lat);
      }
    }
    return;
  }
  if (returned > 0) {
    const dst = new ZSetValue(true);
    for (let i = 0; i < returned; i++) {
      const p = points[i]!;
      // a stored distance shows all its digits: computed as glibc would (see libm.ts)
      if (storedist) dst.set(p.member, distance(shape.lon, shape.lat, p.lon, p.lat) / shape.conversion);
      else dst.set(p.member, p.score);
    }
    c.db.set(store, dst);
    c.notify(NOTIFY_ZSET, flags & SEARCHSTORE ? 'geosearchstore' : 'georadiusstore', store);
    c.propagate();
  } else if (c.db.delete(store)) {
    c.notify(NOTIFY_GENERIC, 'del', store);
    c.propagate();
  }
  c.w.int(returned);
}

export const commands = shardCommands<ShardHandler>({
  geoadd,
  geodist,
  geohash,
  geopos,
  georadius: (c) => search(c, 1, COORDS),
  georadius_ro: (c) => search(c, 1, COORDS | NOSTORE),
  georadiusbymember: (c) => search(c, 1, MEMBER),
  georadiusbymember_ro: (c) => search(c, 1, MEMBER | NOSTORE),
  geosearch: (c) => search(c, 1, SEARCH),
  geosearchstore: (c) => search(c, 2, SEARCH | SEARCHSTORE),
});
