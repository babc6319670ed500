/*
 * The README's "Layout" section matches the tree: every folder of the repository's code (src and its
 * subfolders, the top-level folders, test's subfolders) has a line there, and every path named first
 * on a line exists. A line names a path relative to the repository (`src/server/`), or, indented by
 * two spaces, relative to the folder of the last unindented line (`  server.ts`); deeper indentation
 * continues the line above.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Not the project's code: git's own and what .gitignore names (generated, installed or local). */
const NOT_CODE = new Set([
  '.git',
  ...readFileSync(path.join(ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#') && !l.includes('*')),
]);

/** The paths the Layout section's lines name (relative to the repository). */
function layoutPaths(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Layout'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const out: string[] = [];
  let folder = '';
  for (const line of block.split('\n')) {
    const m = /^( {0,2})(\S+)/.exec(line);
    if (m === null) continue;
    const name = m[2]!;
    if (m[1] === '') {
      out.push(name);
      folder = name.endsWith('/') ? name : path.dirname(name) + '/';
    } else out.push(folder + name);
  }
  return out;
}

/** Folders (with a trailing slash) under `dir`, recursively, relative to the repository. */
function folders(dir: string, deep: boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (!e.isDirectory() || NOT_CODE.has(e.name)) continue;
    const rel = dir === '' ? `${e.name}/` : `${dir}${e.name}/`;
    out.push(rel);
    if (deep) out.push(...folders(rel, true));
  }
  return out;
}

describe('README layout section', () => {
  const paths = layoutPaths(readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

  it('reads the section (the check sees the lines it must)', () => {
    expect(paths).toContain('src/main.ts');
    expect(paths).toContain('src/server/server.ts');
  });

  it('names only paths that exist', () => {
    expect(paths.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });

  it('has a line for every folder of src, every top-level folder and every folder of test', () => {
    const want = [...folders('', false), ...folders('src/', true), ...folders('test/', false)];
    expect(want.filter((f) => !paths.includes(f))).toEqual([]);
  });
});
