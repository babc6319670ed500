/*
 * Every error text a client can see comes from src/resp/errors.ts: no string literal elsewhere in src
 * begins with an error code (the first word of a reply such as "ERR ...", "WRONGTYPE ...",
 * "NOMASTERLINK ..."); the table has each text once, and no text that nothing uses. The codes are
 * those errors.ts uses, and Redis's codes that shardis does not reply with yet. The literals are read
 * with TypeScript's parser (strings, and the fixed start of template strings), so comments and log
 * lines that only mention a code do not count.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SRC, tsFiles } from './helpers/src-files.js';

const ERRORS = path.join('resp', 'errors.ts');
/** Redis 7.0's error codes shardis has no reply with (cluster mode). */
const OTHER_CODES = ['CROSSSLOT', 'TRYAGAIN', 'CLUSTERDOWN', 'MOVED', 'ASK'];

interface Literal {
  text: string;
  line: number;
}

/** The string literals of a source text, and the fixed start of each template literal. */
function literals(file: string, code: string): Literal[] {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true);
  const out: Literal[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateHead(n)) {
      out.push({ text: n.text, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The first word of an error reply: a code in capitals followed by a space. */
const codeOf = (text: string): string | null => /^([A-Z]{2,}) /.exec(text)?.[1] ?? null;

describe('error texts', () => {
  const errorsCode = readFileSync(path.join(SRC, ERRORS), 'utf8');
  const codes = new Set([...literals(ERRORS, errorsCode).map((l) => codeOf(l.text)), ...OTHER_CODES]);
  codes.delete(null);

  it('reads the codes errors.ts replies with (the check sees the words it must)', () => {
    for (const c of ['ERR', 'WRONGTYPE', 'NOAUTH', 'NOMASTERLINK', 'MISCONF', 'TESTFAILED', 'NOGROUP']) expect(codes).toContain(c);
  });

  it('finds an error text written outside errors.ts', () => {
    const probe = 'if (x) throw new CommandError(`NOGROUP no such group ${g}`); // ERR in a comment does not count\nlog.warn("MASTER MODE enabled");';
    expect(literals('probe.ts', probe).filter((l) => codes.has(codeOf(l.text)))).toEqual([{ text: 'NOGROUP no such group ', line: 1 }]);
  });

  it('no string literal in src outside resp/errors.ts begins with an error code', () => {
    const found: string[] = [];
    for (const file of tsFiles(SRC)) {
      const rel = path.relative(SRC, file);
      if (rel === ERRORS) continue;
      for (const l of literals(file, readFileSync(file, 'utf8'))) if (codes.has(codeOf(l.text))) found.push(`${rel}:${l.line}: ${l.text}`);
    }
    expect(found).toEqual([]);
  });

  it('every text errors.ts exports is used somewhere else in src (no dead texts)', () => {
    const names = [...errorsCode.matchAll(/^export (?:const|function) (\w+)/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(200);
    const others = tsFiles(SRC)
      .filter((f) => path.relative(SRC, f) !== ERRORS)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(names.filter((n) => !new RegExp(`\\b${n}\\b`).test(others))).toEqual([]);
  });

  it('errors.ts has each fixed text once (one constant per text)', () => {
    const byText = new Map<string, string[]>();
    for (const m of errorsCode.matchAll(/^export const (\w+) =\s*(['"])((?:\\.|(?!\2).)*)\2;$/gm)) {
      byText.set(m[3]!, [...(byText.get(m[3]!) ?? []), m[1]!]);
    }
    expect(byText.size).toBeGreaterThan(200);
    expect([...byText.values()].filter((names) => names.length > 1)).toEqual([]);
  });
});
