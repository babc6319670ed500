/*
 * INFO text helpers for the introspection tests: fields of one section as a map.
 */

import type Redis from 'ioredis';

export async function infoFields(r: Redis, section: string): Promise<Record<string, string>> {
  const text = (await r.call('INFO', section)) as string;
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** "a=1,b=2" -> { a: '1', b: '2' } */
export function kv(s: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const p of s.split(',')) {
    const i = p.indexOf('=');
    o[p.slice(0, i)] = p.slice(i + 1);
  }
  return o;
}
