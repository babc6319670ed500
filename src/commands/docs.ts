/*
 * COMMAND DOCS data: expands the compact argument form of docs-data.ts into argument trees (once per
 * command, on first use) in the shape Redis 7.0 replies with.
 */

import { DOCS_DATA, type DocData } from './docs-data.js';

export interface DocArg {
  name: string;
  type: string;
  keySpecIndex?: number;
  token?: string;
  since?: string;
  deprecatedSince?: string;
  /** "optional" | "multiple" | "multiple_token", in Redis's order */
  flags: string[];
  args?: DocArg[];
}

const TYPES: Record<string, string> = {
  k: 'key',
  i: 'integer',
  d: 'double',
  p: 'pattern',
  u: 'unix-time',
  t: 'pure-token',
  o: 'oneof',
  b: 'block',
};

const ITEM = /^([?*+]*)(?:=([^\s@~^()]+)|([^\s%=@~^()]+)(?:%([a-z]))?(?:=(~(?=[\s)]|$)|[^\s@~^()]+))?)(?:@(\d+))?(?:~([\d.]+))?(?:\^([\d.]+))?/;

/** Parses a list of argument items starting at `pos`; stops at ')' or the end. */
function parseList(src: string, pos: { i: number }): DocArg[] {
  const out: DocArg[] = [];
  for (;;) {
    while (src[pos.i] === ' ') pos.i++;
    if (pos.i >= src.length || src[pos.i] === ')') return out;
    const m = ITEM.exec(src.slice(pos.i));
    if (!m || m[0].length === 0) throw new Error(`docs: bad argument form at "${src.slice(pos.i)}"`);
    pos.i += m[0].length;
    const [, fl, selfToken, name, type, token, ksi, since, dep] = m;
    const flags: string[] = [];
    if (fl!.includes('?')) flags.push('optional');
    if (fl!.includes('*')) flags.push('multiple');
    if (fl!.includes('+')) flags.push('multiple_token');
    const arg: DocArg =
      selfToken !== undefined
        ? { name: selfToken.toLowerCase(), type: 'pure-token', token: selfToken, flags }
        : { name: name!, type: type ? TYPES[type]! : 'string', flags };
    if (token !== undefined) arg.token = token;
    if (ksi !== undefined) arg.keySpecIndex = Number(ksi);
    if (since !== undefined) arg.since = since;
    if (dep !== undefined) arg.deprecatedSince = dep;
    if (src[pos.i] === '(') {
      pos.i++;
      arg.args = parseList(src, pos);
      if (src[pos.i] !== ')') throw new Error(`docs: unbalanced parentheses in "${src}"`);
      pos.i++;
    }
    out.push(arg);
  }
}

export function parseDocArgs(src: string): DocArg[] {
  const pos = { i: 0 };
  const args = parseList(src, pos);
  if (pos.i !== src.length) throw new Error(`docs: trailing text in "${src}"`);
  return args;
}

export interface CommandDoc {
  data: DocData;
  args: DocArg[] | null;
}

const cache = new Map<string, CommandDoc | null>();

/** The documentation of a command by full lower-case name ("get", "client|kill"), or null. */
export function commandDoc(name: string): CommandDoc | null {
  let doc = cache.get(name);
  if (doc === undefined) {
    const data = Object.prototype.hasOwnProperty.call(DOCS_DATA, name) ? DOCS_DATA[name]! : undefined;
    doc = data ? { data, args: data.a !== undefined ? parseDocArgs(data.a) : null } : null;
    cache.set(name, doc);
  }
  return doc;
}
