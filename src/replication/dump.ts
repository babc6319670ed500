/*
 * DUMP / RESTORE payloads and the form in which values move between shards (cross-shard RENAME,
 * COPY, SMOVE, SUNIONSTORE ...).
 *
 * INTERIM FORMAT: a JSON encoding of every value type, tagged with a magic prefix so RESTORE can tell
 * it from garbage. It is NOT yet Redis's DUMP format (RDB value + version + CRC64), so a payload does not
 * move to or from redis-server yet; the RDB codec (issue #2/#4) replaces it behind these two functions.
 */

import type { Value } from '../shard/values/types.js';
import { ListValue } from '../shard/values/list.js';
import { HashValue } from '../shard/values/hash.js';
import { SetValue } from '../shard/values/set.js';
import { ZSetValue } from '../shard/values/zset.js';

const MAGIC = '\u0000shardis-dump-1\u0000';

type Encoded = { s: string } | { n: number } | { l: string[] } | { h: [string, string][] } | { e: string[] } | { z: [string, string][] };

function encode(v: Value): Encoded {
  if (typeof v === 'string') return { s: v };
  if (typeof v === 'number') return { n: v };
  if (v instanceof ListValue) return { l: v.toArray() };
  if (v instanceof HashValue) return { h: [...v.entries()] };
  if (v instanceof SetValue) return { e: [...v.members()] };
  if (v instanceof ZSetValue) return { z: [...v.entries()].map(([m, s]) => [m, String(s)]) };
  throw new Error(`cannot serialize a ${v.type}`);
}

export function createDumpPayload(v: Value): Buffer {
  return Buffer.from(MAGIC + JSON.stringify(encode(v)), 'latin1');
}

export function parseDumpPayload(b: Uint8Array): Value | null {
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  if (!text.startsWith(MAGIC)) return null;
  try {
    const j = JSON.parse(text.slice(MAGIC.length)) as Partial<Record<'s' | 'n' | 'l' | 'h' | 'e' | 'z', unknown>>;
    if (typeof j.s === 'string') return j.s;
    if (typeof j.n === 'number') return j.n;
    if (Array.isArray(j.l)) return ListValue.from(j.l as string[]);
    if (Array.isArray(j.h)) return HashValue.from(j.h as [string, string][]);
    if (Array.isArray(j.e)) return SetValue.from(j.e as string[]);
    if (Array.isArray(j.z)) return ZSetValue.from((j.z as [string, string][]).map(([m, s]) => [m, Number(s)] as [string, number]));
    return null;
  } catch {
    return null;
  }
}
