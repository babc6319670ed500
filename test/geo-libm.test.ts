/*
 * The GEO distance math's sin/cos/asin (src/commands/libm.ts) against glibc's results, which
 * redis-server's distances are made of. test/golden/glibc-trig.json holds, for 6000 random arguments
 * per function (recorded with glibc 2.36's libm through Python's math module), the ones where V8's
 * Math.sin/cos/asin return a different double than glibc, with glibc's result.
 */

import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asinCR, cosCR, sinCR } from './helpers/src.js';

const cases = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden/glibc-trig.json'), 'utf8')) as Record<string, [string, string][]>;

describe('correctly rounded sin/cos/asin', () => {
  it.each([
    ['sin', sinCR],
    ['cos', cosCR],
    ['asin', asinCR],
  ] as const)('%s agrees with glibc on nearly all the arguments where Math does not', (name, fn) => {
    const list = cases[name]!;
    expect(list.length).toBeGreaterThan(100);
    const wrong = list.filter(([x, y]) => fn(Number(x)) !== Number(y));
    // the few left are near-halfway cases where glibc's result is the one not correctly rounded
    expect(wrong.length).toBeLessThan(list.length * 0.1);
  });

  it('exact and special values', () => {
    expect(sinCR(0)).toBe(0);
    expect(Object.is(sinCR(-0), -0)).toBe(true);
    expect(cosCR(0)).toBe(1);
    expect(asinCR(0)).toBe(0);
    expect(asinCR(1)).toBe(Math.PI / 2);
    expect(asinCR(-1)).toBe(-Math.PI / 2);
    expect(asinCR(0.5)).toBe(0.5235987755982989);
    expect(Number.isNaN(sinCR(Infinity))).toBe(true);
    expect(Number.isNaN(asinCR(1.5))).toBe(true);
    expect(sinCR(1e6)).toBe(Math.sin(1e6));
  });
});
