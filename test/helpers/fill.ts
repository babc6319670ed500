/*
 * A keyspace with every type in each of its encodings (small and big lists, intsets and string sets,
 * listpack and hashtable hashes, listpack and skiplist sorted sets with infinite scores, int, embstr,
 * raw and LZF-compressible strings): what the DUMP, RDB and persistence tests write and compare.
 */

import type Redis from 'ioredis';

/** The keys s:*, l:*, set:*, h:* and z:* with every encoding of their type. */
export async function fillEveryEncoding(c: Redis): Promise<void> {
  await c.set('s:small', 'hello');
  await c.set('s:int', '12345');
  await c.set('s:neg', '-70000');
  await c.set('s:big', '123456789012345');
  await c.set('s:bin', Buffer.from([0, 1, 2, 255, 13, 10]));
  await c.set('s:lzf', 'abcabcabc'.repeat(200)); // compressible: Redis stores it LZF-compressed
  await c.rpush('l:small', 'a', '1', '-5', '300', '70000', '5000000000', 'x'.repeat(70));
  await c.rpush('l:big', ...Array.from({ length: 1000 }, (_, i) => `e${i}`), 'y'.repeat(9000));
  await c.sadd('set:int', '1', '2', '-3', '100000', '5000000000');
  await c.sadd('set:str', 'a', 'b', 'c');
  await c.sadd('set:big', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  await c.hset('h:small', 'f1', 'v1', 'f2', '2');
  await c.hset('h:big', Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`])));
  await c.zadd('z:small', 1, 'a', 2.5, 'b', -3, 'c');
  await c.zadd('z:big', ...Array.from({ length: 300 }, (_, i) => [String(i / 3), `m${i}`]).flat());
  await c.zadd('z:inf', 'inf', 'top', '-inf', 'bottom');
}
