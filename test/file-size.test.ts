/*
 * No file in src is longer than 600 lines, data tables (`*-data.ts`: rows of Redis's own data, read
 * by code elsewhere) excepted: a longer file is split along its parts.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SRC, tsFiles } from './helpers/src-files.js';

const MAX_LINES = 600;

const lineCount = (file: string): number => readFileSync(file, 'utf8').replace(/\n$/, '').split('\n').length;
const isDataTable = (rel: string): boolean => rel.endsWith('-data.ts');

describe('file sizes in src', () => {
  const sizes = new Map(tsFiles(SRC).map((f) => [path.relative(SRC, f).split(path.sep).join('/'), lineCount(f)]));

  it('reads every file of src (the check sees the files it must)', () => {
    expect(sizes.size).toBeGreaterThan(100);
    expect(sizes.get('server/server.ts')).toBeGreaterThan(100);
    expect(isDataTable('commands/docs-data.ts') && isDataTable('config-data.ts')).toBe(true);
  });

  it(`no file is over ${MAX_LINES} lines but data tables`, () => {
    const over = [...sizes].filter(([rel, n]) => n > MAX_LINES && !isDataTable(rel));
    expect(over.map(([rel, n]) => `${rel}: ${n} lines`)).toEqual([]);
  });
});
