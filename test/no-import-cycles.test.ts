/*
 * No import cycles in src: the graph of run-time imports between the files of src (the imports left
 * after TypeScript drops those used only as types, as in the built JavaScript) has no cycle. A cycle
 * makes the load order decide which module sees the other half-initialised (an `undefined` class or
 * constant at run time), and ties modules that should be layered.
 *
 * Each file is transpiled on its own (ts.transpileModule, which elides imports used only as types),
 * and its `import ... from` / `export ... from` / bare `import '...'` lines give its edges. Dynamic
 * import() is not an edge (it loads after both modules are initialised).
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT_LINE = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm;

/** Run-time imports of one file, as paths relative to src (imports of packages are left out). */
function runtimeImports(file: string): string[] {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  const out: string[] = [];
  for (const m of js.matchAll(IMPORT_LINE)) {
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
  const graph = new Map<string, string[]>();
  for (const f of tsFiles(SRC)) graph.set(path.relative(SRC, f), runtimeImports(f));

  it('reads the run-time imports of every file (the check sees the edges it must)', () => {
    expect(graph.size).toBeGreaterThan(100);
    // a value import is an edge; a type-only import is not
    expect(graph.get('main.ts')).toContain(path.join('server', 'server.ts'));
    const probe = path.join(SRC, 'server', 'main-ctx.ts');
    expect(runtimeImports(probe)).not.toContain(path.join('server', 'server.ts'));
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.join(' <-> '))).toEqual([]);
  });
});
