/*
 * Geohash math of the GEO commands, computing what redis-server 7.0 computes, operation for operation
 * in IEEE doubles, so that scores, coordinates and search cells come out bit for bit the same (and
 * distances nearly always: they go through sin/cos/asin, see libm.ts): 26 steps per axis (52-bit scores, latitude bits even, longitude bits odd), latitudes limited
 * to +/-85.05112878 (Web Mercator), haversine distances on a sphere of radius 6372797.560856 m, and the
 * centre cell + 8 neighbours that cover a circle or box search.
 *
 * A cell is kept as its two axis indexes (lat, lon) rather than the interleaved 64-bit word: moving to
 * a neighbour is then +/-1 modulo 2^step on one axis, and interleaving is only needed to produce
 * sorted-set scores (done in two 32-bit halves; values past 2^53 through bigints).
 */

import { asinCR, cosCR, sinCR } from './libm.js';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;
const TWO32 = 4294967296;

export interface GeoRange {
  min: number;
  max: number;
}

const WGS84_LON: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const WGS84_LAT: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The ranges of the standard geohash alphabet strings (GEOHASH's output). */
export const STD_LON: GeoRange = WGS84_LON;
export const STD_LAT: GeoRange = { min: -90, max: 90 };

/** A geohash cell: axis indexes at `step` bits each. `zero` is a neighbour excluded from a search. */
export interface GeoCell {
  lat: number;
  lon: number;
  step: number;
  zero: boolean;
}

export interface GeoArea {
  latMin: number;
  latMax: number;
  lonMin: number;
  lonMax: number;
}

// ---- bit interleaving ---------------------------------------------------------------------------

/** Spread the low 16 bits of v over the even bits of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

/** Gather the even bits of a 32-bit word into 16 bits. */
function squash16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** Interleave lat (even bits) and lon (odd bits), each < 2^32: [high word, low word]. */
function interleave(lat: number, lon: number, out: [number, number]): [number, number] {
  out[1] = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  out[0] = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  return out;
}

const words: [number, number] = [0, 0];

/** The interleaved word of a cell as a bigint. */
function cellBits(c: GeoCell): bigint {
  interleave(c.lat, c.lon, words);
  return (BigInt(words[0]) << 32n) | BigInt(words[1]);
}

// ---- encode / decode ----------------------------------------------------------------------------

/** The cell of (lon, lat) at `step` bits per axis, or null outside the WGS84 limits. */
export function encode(lonRange: GeoRange, latRange: GeoRange, lon: number, lat: number, step: number): GeoCell | null {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return null;
  if (lat < latRange.min || lat > latRange.max || lon < lonRange.min || lon > lonRange.max) return null;
  let latOffset = (lat - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (lon - lonRange.min) / (lonRange.max - lonRange.min);
  const scale = 2 ** step;
  latOffset *= scale;
  lonOffset *= scale;
  // C converts the offsets to uint32_t: truncation
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(lonOffset) >>> 0, step, zero: false };
}

/** The area a cell covers. */
export function decodeArea(lonRange: GeoRange, latRange: GeoRange, c: GeoCell): GeoArea {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const div = 2 ** c.step;
  return {
    latMin: latRange.min + ((c.lat * 1.0) / div) * latScale,
    latMax: latRange.min + (((c.lat + 1) * 1.0) / div) * latScale,
    lonMin: lonRange.min + ((c.lon * 1.0) / div) * lonScale,
    lonMax: lonRange.min + (((c.lon + 1) * 1.0) / div) * lonScale,
  };
}

/** The centre of an area, clamped to the WGS84 limits: [lon, lat]. */
function areaCentre(a: GeoArea, xy: [number, number]): [number, number] {
  let x = (a.lonMin + a.lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (a.latMin + a.latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  xy[0] = x;
  xy[1] = y;
  return xy;
}

/**
 * A score converted to uint64 as C's (uint64_t) cast does on x86-64 (truncation; negative values wrap
 * as two's complement; beyond the range: 2^63 below, 0 above), as [high word, low word].
 */
function scoreWords(score: number, out: [number, number]): [number, number] {
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.trunc(score);
    out[1] = t >>> 0;
    out[0] = (t - out[1]) / TWO32;
    return out;
  }
  if (Number.isNaN(score) || score <= -9223372036854775808 - 1) {
    out[0] = 0x80000000;
    out[1] = 0;
    return out;
  }
  if (score >= 18446744073709551616) {
    out[0] = 0;
    out[1] = 0;
    return out;
  }
  let b = BigInt(Math.trunc(score));
  if (b < 0n) b += 1n << 64n;
  out[0] = Number(b >> 32n);
  out[1] = Number(b & 0xffffffffn);
  return out;
}

/** Decode a sorted-set score (a 52-bit geohash) to [lon, lat], as decodeGeohash does. */
export function decodeScore(score: number, xy: [number, number] = [0, 0]): [number, number] {
  scoreWords(score, words);
  const hi = words[0];
  const lo = words[1];
  const lat = (squash16(lo) | (squash16(hi) << 16)) >>> 0;
  const lon = (squash16(lo >>> 1) | (squash16(hi >>> 1) << 16)) >>> 0;
  return areaCentre(decodeArea(WGS84_LON, WGS84_LAT, { lat, lon, step: GEO_STEP_MAX, zero: false }), xy);
}

/**
 * The score of a point (coordinates already validated): returns the score and, for GEOADD's ZADD
 * propagation, its exact decimal (the 64-bit integer Redis prints, before rounding to a double).
 */
export function encodeScore(lon: number, lat: number): { score: number; text: string } {
  const c = encode(WGS84_LON, WGS84_LAT, lon, lat, GEO_STEP_MAX)!;
  interleave(c.lat, c.lon, words);
  const score = words[0] * TWO32 + words[1];
  const text = words[0] < 0x200000 ? String(score) : ((BigInt(words[0]) << 32n) | BigInt(words[1])).toString();
  return { score, text };
}

/** The 11-character standard geohash (latitude range -90..90) of a decoded position. */
export function standardGeohash(xy: readonly [number, number]): string {
  const c = encode(STD_LON, STD_LAT, xy[0], xy[1], GEO_STEP_MAX);
  const bits = c === null ? 0n : cellBits(c);
  const alphabet = '0123456789bcdefghjkmnpqrstuvwxyz';
  let s = '';
  for (let i = 0; i < 10; i++) s += alphabet[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return s + '0';
}

// ---- distances ----------------------------------------------------------------------------------

function degRad(a: number): number {
  return a * D_R;
}

function radDeg(a: number): number {
  return a / D_R;
}

export function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/**
 * Haversine distance in metres. `precise` evaluates sin/cos/asin correctly rounded (libm.ts), which is
 * what glibc returns nearly always; the fast form (V8's Math) is within an ulp: it serves searches,
 * whose replies print 4 decimals, and only STOREDIST recomputes the distances it stores precisely.
 */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number, precise = true): number {
  const sin = precise ? sinCR : Math.sin;
  const cos = precise ? cosCR : Math.cos;
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = sin((lat2r - lat1r) / 2);
  const a = u * u + cos(lat1r) * cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * (precise ? asinCR : Math.asin)(Math.sqrt(a));
}

// ---- search areas -------------------------------------------------------------------------------

/** A search: centre, circle (radius) or box (width, height), in units of `conversion` metres. */
export interface GeoShape {
  circle: boolean;
  lon: number;
  lat: number;
  radius: number;
  width: number;
  height: number;
  conversion: number;
}

/**
 * The distance from the centre when the point [lon, lat] is inside the shape, else -1. Computed with
 * V8's Math (within an ulp of glibc's); callers that store the full-precision distance recompute it
 * with distance().
 */
export function distanceIfWithin(s: GeoShape, lon: number, lat: number): number {
  if (s.circle) {
    const d = distance(s.lon, s.lat, lon, lat, false);
    return d > s.radius * s.conversion ? -1 : d;
  }
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  if (latDistance(lat, s.lat) > heightM / 2) return -1;
  if (distance(lon, lat, s.lon, lat, false) > widthM / 2) return -1;
  return distance(s.lon, s.lat, lon, lat, false);
}

function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** [minLon, minLat, maxLon, maxLat] of the shape (the box widens towards the pole side). */
function boundingBox(s: GeoShape): [number, number, number, number] {
  const height = s.conversion * (s.circle ? s.radius : s.height / 2);
  const width = s.conversion * (s.circle ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cosCR(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cosCR(degRad(s.lat - latDelta)));
  const south = s.lat < 0;
  return [
    south ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop,
    s.lat - latDelta,
    south ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop,
    s.lat + latDelta,
  ];
}

function move(c: GeoCell, dlon: number, dlat: number): GeoCell {
  const mod = 2 ** c.step;
  return {
    lat: dlat === 0 ? c.lat : (((c.lat + dlat) % mod) + mod) % mod,
    lon: dlon === 0 ? c.lon : (((c.lon + dlon) % mod) + mod) % mod,
    step: c.step,
    zero: false,
  };
}

/**
 * The nine cells to scan for a search, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW; cells
 * that cannot hold a match are marked zero.
 */
export function searchCells(s: GeoShape): GeoCell[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  const radiusMeters = (s.circle ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2))) * s.conversion;
  let steps = estimateSteps(radiusMeters, s.lat);
  let centre = encode(WGS84_LON, WGS84_LAT, s.lon, s.lat, steps)!;
  const around = (c: GeoCell): GeoCell[] => [move(c, 0, 1), move(c, 0, -1), move(c, 1, 0), move(c, -1, 0), move(c, 1, 1), move(c, -1, 1), move(c, 1, -1), move(c, -1, -1)];
  let n = around(centre);
  const north = decodeArea(WGS84_LON, WGS84_LAT, n[0]!);
  const south = decodeArea(WGS84_LON, WGS84_LAT, n[1]!);
  const east = decodeArea(WGS84_LON, WGS84_LAT, n[2]!);
  const west = decodeArea(WGS84_LON, WGS84_LAT, n[3]!);
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    centre = encode(WGS84_LON, WGS84_LAT, s.lon, s.lat, steps)!;
    n = around(centre);
  }
  const area = decodeArea(WGS84_LON, WGS84_LAT, centre);
  if (steps >= 2) {
    // n: 0 N, 1 S, 2 E, 3 W, 4 NE, 5 NW, 6 SE, 7 SW
    const zero = (...i: number[]): void => {
      for (const k of i) n[k]!.zero = true;
    };
    if (area.latMin < minLat) zero(1, 7, 6);
    if (area.latMax > maxLat) zero(0, 4, 5);
    if (area.lonMin < minLon) zero(3, 7, 5);
    if (area.lonMax > maxLon) zero(2, 6, 4);
  }
  return [centre, ...n];
}

/** Same cell (bits and step), as the search's duplicate-neighbour check compares them. */
export function sameCell(a: GeoCell, b: GeoCell): boolean {
  return a.lat === b.lat && a.lon === b.lon && a.step === b.step;
}

/** The score interval [min, max) of the members inside a cell. */
export function cellScores(c: GeoCell): [number, number] {
  const shift = BigInt(52 - c.step * 2);
  const bits = cellBits(c);
  const mask = (1n << 64n) - 1n;
  return [Number((bits << shift) & mask), Number(((bits + 1n) << shift) & mask)];
}

// ---- number formatting as the GEO replies print numbers ------------------------------------------

/**
 * printf("%.<d>f", x) with glibc's rounding of the exact binary value (ties to even); toFixed rounds
 * ties up, and a tie at d decimals happens exactly when x * 2^(d+1) is an odd integer.
 */
export function fixed(x: number, d: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s: string;
  if (a >= 1e21) {
    s = BigInt(a).toString() + (d > 0 ? '.' + '0'.repeat(d) : '');
  } else {
    s = a.toFixed(d);
    const y = a * 2 ** (d + 1);
    if (Number.isInteger(y) && y % 2 === 1) {
      const longer = a.toFixed(d + 1);
      const down = longer.slice(0, -1).replace(/\.$/, '');
      const last = down.charCodeAt(down.length - 1) - 48;
      if (last % 2 === 0) s = down;
    }
  }
  return neg ? '-' + s : s;
}

/** addReplyHumanLongDouble's text: "%.17Lf" without trailing zeros (nor a trailing dot); "-0" is "0". */
export function humanCoord(x: number): string {
  let s = fixed(x, 17);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** A distance with 4 decimals as Redis prints it (llrint of d * 10^4, then the digits). */
export function distanceText(d: number): string {
  if (d === 0) return '0.0000';
  const scaled = d * 10000;
  let r = Math.round(scaled);
  if (r - scaled === 0.5 && r % 2 !== 0) r -= 1; // llrint: ties to even
  const neg = r < 0;
  let digits = BigInt(Math.abs(r)).toString();
  if (digits.length < 5) digits = '0'.repeat(5 - digits.length) + digits;
  return (neg ? '-' : '') + digits.slice(0, -4) + '.' + digits.slice(-4);
}
