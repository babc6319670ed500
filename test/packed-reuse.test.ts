/*
 * A small aggregate decoded from its byte-store entry owns a copy of the entry's bytes. The arena's
 * pages are Buffers, whose slice() is a view: a decoding on such a view kept reading the entry's
 * memory after the entry was freed (RENAME, DEL) and that memory was given to another key, so the
 * value changed under the command holding it (found by test/reliability-fuzz.test.ts: "internal
 * error in 'ship'" when a renamed small list was read back).
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { Arena, ByteTable, HashValue, ListValue } from './helpers/src.js';

/** Fill the arena with strings of every small entry size, so a freed entry of any class is reused. */
function reuseFreedEntries(t: ByteTable): void {
  for (let n = 0; n < 120; n++) t.set(`x${n % 10}`.padEnd(4, '_') + n, 'REPLACE'.repeat(1 + (n % 9)).slice(0, n % 60), 0);
}

describe('a decoded small value owns its bytes', () => {
  it('a small list decoded from its entry keeps its elements after the entry is freed and its memory reused', () => {
    const t = new ByteTable(new Arena());
    t.set('{a}1', ListValue.from(['3', 'COUNT', '-5', 'PX']), 0);
    t.set('other', ListValue.from(['x']), 0);
    t.get('other'); // the table's last decoded value is another key's: the next get decodes the entry
    const l = t.get('{a}1') as ListValue;
    t.delete('{a}1');
    reuseFreedEntries(t);
    expect(l.toArray()).toEqual(['3', 'COUNT', '-5', 'PX']);
  });

  it('a small hash decoded from its entry keeps its fields after the entry is freed and its memory reused', () => {
    const t = new ByteTable(new Arena());
    t.set('h', HashValue.from([['f', 'v'], ['g', 'w']]), 0);
    t.set('other', HashValue.from([['x', 'y']]), 0);
    t.get('other');
    const h = t.get('h') as HashValue;
    t.delete('h');
    reuseFreedEntries(t);
    expect([...h.entries()]).toEqual([['f', 'v'], ['g', 'w']]);
  });
});

describe('a renamed small value over the wire', () => {
  const s = useServers({ shards: 1 });

  it('RENAME of a small list to a longer key, then writes of other keys: LRANGE still gives the list', async () => {
    const c = s.io;
    await c.rpush('{a}1', '3', 'COUNT', '-5', 'PX');
    await c.rpush('{a}other', 'x'); // the shard's last decoded value is another key's: RENAME decodes the entry
    await c.rename('{a}1', '{a}renamed-to-a-longer-name');
    for (let n = 0; n < 60; n++) await c.set(`other:${n}`, 'REPLACE'.repeat(1 + (n % 9)).slice(0, n));
    expect(await c.lrange('{a}renamed-to-a-longer-name', 0, -1)).toEqual(['3', 'COUNT', '-5', 'PX']);
    expect(await c.type('{a}renamed-to-a-longer-name')).toBe('list');
  });
});
