/*
 * No import cycles in src, in two graphs between the files of src:
 *   - the run-time imports (those left after TypeScript drops the ones used only as types, as in the
 *     built JavaScript): a cycle there makes the load order decide which module sees the other
 *     half-initialised (an `undefined` class or constant at run time);
 *   - every import, type-only ones included (`import type`, `export type ... from`): a cycle there
 *     ties modules that should be layered (a part importing the type of the class that wires it in;
 *     such a part depends on an interface of its own module instead: ServerContext, ShardHost ...).
 *
 * For the first, each file is transpiled on its own (ts.transpileModule, which elides imports used
 * only as types); for the second, the source is read as written. In both, the `import ... from` /
 * `export ... from` / bare `import '...'` lines give a file's edges. Dynamic import() is not an edge
 * (it loads after both modules are initialised).
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SRC, tsFiles } from './helpers/src-files.js';



const IMPORT_LINE = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm;

/** Run-time imports of one file, as paths relative to src (imports of packages are left out). */
function runtimeImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  return importsIn(js, file);
}

/** Every import of one file, type-only ones included, as paths relative to src. */
function allImports(file: string): string[] {
  return importsIn(readFileSync(file, 'utf8'), file);
}

function importsIn(code: string, file: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT_LINE)) {
    const spec = m[1]!;
    if (!spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
    out.push(path.relative(SRC, target));
  }
  return out;
}

/** Every cycle's files in order (one per strongly connected component, Tarjan's algorithm). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

describe('import graph of src', () => {
  const runtime = new Map<string, string[]>();
  const all = new Map<string, string[]>();
  for (const f of tsFiles(SRC)) {
    runtime.set(path.relative(SRC, f), runtimeImports(f));
    all.set(path.relative(SRC, f), allImports(f));
  }

  it('reads the imports of every file (the checks see the edges they must)', () => {
    expect(runtime.size).toBeGreaterThan(100);
    // a value import is an edge of both graphs
    expect(runtime.get('cli.ts')).toContain(path.join('server', 'server.ts'));
    expect(all.get('cli.ts')).toContain(path.join('server', 'server.ts'));
    // a type-only import is an edge of the second graph only
    const probe = path.join(SRC, 'server', 'main-ctx.ts');
    expect(readFileSync(probe, 'utf8')).toMatch(/^import type \{[^}]*\bConnection\b[^}]*\} from '\.\/connection\.js';$/m);
    expect(runtimeImports(probe)).not.toContain(path.join('server', 'connection.ts'));
    expect(allImports(probe)).toContain(path.join('server', 'connection.ts'));
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('has no import cycle at run time', () => {
    expect(cycles(runtime).map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('has no import cycle counting type-only imports', () => {
    expect(cycles(all).map((c) => c.join(' <-> '))).toEqual([]);
  });
});
