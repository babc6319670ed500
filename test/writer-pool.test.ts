/*
 * The reply writers of async main-thread commands (src/server/main-runner.ts WriterPool) and the
 * random ids (src/server/ids.ts), unit-tested in process.
 */

import { describe, expect, it } from 'vitest';
import { WriterPool, randomHex } from './helpers/src.js';

describe('WriterPool', () => {
  it('gives back a returned writer, emptied, instead of allocating a new one', () => {
    const pool = new WriterPool();
    const w = pool.take();
    w.simple('OK');
    pool.give(w);
    const again = pool.take();
    expect(again).toBe(w);
    expect(again.len).toBe(0);
  });

  it('does not keep a writer whose buffer grew past the limit', () => {
    const pool = new WriterPool(4, 64 * 1024);
    const w = pool.take();
    w.bulk('x'.repeat(100 * 1024));
    pool.give(w);
    expect(pool.size).toBe(0);
    expect(pool.take()).not.toBe(w);
  });

  it('keeps at most its maximum number of writers', () => {
    const pool = new WriterPool(2);
    const ws = [pool.take(), pool.take(), pool.take()];
    for (const w of ws) pool.give(w);
    expect(pool.size).toBe(2);
  });
});

describe('randomHex', () => {
  it('gives the asked number of lower-case hex characters, different each time', () => {
    const seen = new Set<string>();
    for (const n of [1, 7, 40, 41]) {
      const id = randomHex(n);
      expect(id).toMatch(new RegExp(`^[0-9a-f]{${n}}$`));
    }
    for (let i = 0; i < 1000; i++) seen.add(randomHex(40));
    expect(seen.size).toBe(1000);
  });
});
