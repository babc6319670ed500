/*
 * Configuration, as redis-server has it: every Redis 7.0 parameter (config-data.ts) plus shardis's
 * own (`shards`, `ring-size`, `admin-port`, `optimize-for-size`), loaded from a redis.conf-syntax file and/or command-line
 * `--name value` options, read and changed at run time with CONFIG GET / SET / REWRITE.
 *
 * Values are kept as the strings CONFIG GET prints (memory values in bytes, booleans yes/no); typed
 * accessors parse them. Listeners (onChange) apply changes that need action (port, loglevel, ...).
 * Parameters shardis accepts but does not act on (e.g. appendonly, save) are stored and reported so
 * existing redis.conf files load; the README lists which ones have effect.
 */

import { strerror } from './persistence/strerror.js';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { resolve as resolvePath, dirname } from 'node:path';
import { cpus } from 'node:os';
import { CONFIG_DATA, type ConfigData } from './config-data.js';
import { keyspaceEventsToString, parseKeyspaceEvents } from './commands/keyspace-events.js';

export const REDIS_VERSION = '7.0.15';
export const SHARDIS_VERSION = '0.1.0';

/**
 * Parameters that are shardis's own. The immutable ones are hidden from CONFIG GET patterns (asked by
 * exact name only, as Redis's HIDDEN_CONFIG): tools that CONFIG SET every value CONFIG GET * lists
 * (Redis's own "CONFIG sanity" test) do not trip over them.
 */
const SHARDIS_CONFIG: ConfigData[] = [
  { n: 'shards', t: 'int', f: 'immutable hidden', min: 1, max: 64, d: String(defaultShards()) },
  { n: 'ring-size', t: 'int', f: 'immutable memory hidden', min: 65536, max: 1024 * 1024 * 1024, d: String(1024 * 1024) },
  { n: 'admin-port', t: 'int', f: 'immutable hidden', min: 0, max: 65535, d: '0' },
  // the admin endpoint's address (empty: the first `bind` address) and the port other nodes'
  // dashboards link to (0: admin-port), printed in INFO server as shardis_admin_port
  { n: 'admin-bind', t: 'string', f: 'immutable hidden', d: '' },
  { n: 'admin-announce-port', t: 'int', f: '', min: 0, max: 65535, d: '0' },
  // V8's --optimize-for-size for every isolate (smaller young generation, slower heap growth): about
  // 25% less resident memory for many small keys, at a write-throughput cost (docs/benchmarks.md)
  { n: 'optimize-for-size', t: 'bool', f: 'immutable hidden', d: 'no' },
  // where a shard keeps its keys: `bytes` (keys, strings and integers in ArrayBuffer arenas outside
  // the V8 heap, src/store/) or `heap` (JS strings in Maps, the store before; for A/B comparisons)
  { n: 'keyspace-store', t: 'enum', f: 'immutable hidden', e: ['bytes', 'heap'], d: 'bytes' },
];

function defaultShards(): number {
  return Math.max(1, cpus().length - 1);
}

export class ConfigError extends Error {}

interface Param {
  data: ConfigData;
  flags: Set<string>;
}

/** sdssplitargs: split a line into arguments with Redis's quoting rules; null on unbalanced quotes. */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
  const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return out;
    let cur = '';
    let inq = false;
    let insq = false;
    for (;;) {
      const c = line[i];
      if (inq) {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          i++;
          break;
        } else cur += c;
      } else if (insq) {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return null;
          i++;
          break;
        } else cur += c;
      } else {
        if (c === undefined || isSpace(c)) break;
        if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
      }
      i++;
    }
    out.push(cur);
  }
}

/** Quote a value for a config file line when needed (sdscatrepr-like). */
export function quoteArg(s: string, always = false): string {
  if (!always && s !== '' && /^[\x21-\x7e]+$/.test(s) && !/["'\\]/.test(s)) return s;
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c > 0x7e) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/**
 * memtoull: bytes from "1mb", "10k", "5gb", "100". Null if invalid. As Redis reads the value as a C
 * string, it ends at its first NUL byte ("1\0x" is 1, "2mb\0" is 2 MB), and no digits count as 0.
 */
export function parseMemory(s: string): number | null {
  const z = s.indexOf('\0');
  const m = /^([0-9]*)(b|k|kb|m|mb|g|gb)?$/i.exec(z < 0 ? s : s.slice(0, z));
  if (!m || m[1]!.length >= 128) return null;
  const mul: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 };
  return Number(m[1] || '0') * mul[(m[2] ?? '').toLowerCase()]!;
}

/** A bound as Redis prints it: LLONG_MAX / LLONG_MIN exactly (a double prints 9223372036854776000). */
function boundText(n: number | null | undefined): string {
  if (n === 2 ** 63) return '9223372036854775807';
  if (n === -(2 ** 63)) return '-9223372036854775808';
  return String(n);
}

export type ChangeListener = (name: string, value: string) => void;

export class Config {
  private readonly params = new Map<string, Param>();
  private readonly values = new Map<string, string>();
  /** Absolute path of the config file, when started with one (CONFIG REWRITE target). */
  configFile: string | null = null;
  private readonly listeners: ChangeListener[] = [];
  /** A `save` line was read already (the next ones add save points). */
  private seenSave = false;

  constructor() {
    for (const d of [...CONFIG_DATA, ...SHARDIS_CONFIG]) {
      const p = { data: d, flags: new Set((d.f ?? '').split(' ').filter(Boolean)) };
      this.params.set(d.n, p);
      if (d.a) this.params.set(d.a, p);
      this.values.set(d.n, d.d);
    }
    this.values.set('dir', process.cwd());
  }

  /** All canonical parameter names (not aliases). */
  names(): string[] {
    return [...this.values.keys()];
  }

  /** Canonical name for a name or alias, or undefined. */
  canonical(name: string): string | undefined {
    return this.params.get(name.toLowerCase())?.data.n;
  }

  aliasOf(name: string): string | undefined {
    return this.params.get(name)?.data.a;
  }

  /** Whether the parameter has this flag in its table row (config-data.ts). */
  hasFlag(name: string, flag: string): boolean {
    return this.params.get(name)?.flags.has(flag) ?? false;
  }

  isSensitive(name: string): boolean {
    return this.params.get(name)?.flags.has('sensitive') ?? false;
  }

  /** The notify-keyspace-events classes as set (CONFIG GET's string drops an "n" given with "A"). */
  keyspaceEventFlags = 0;

  get(name: string): string {
    const v = this.values.get(this.params.get(name)?.data.n ?? name);
    if (v === undefined) throw new Error(`no such config ${name}`);
    return v;
  }

  int(name: string): number {
    // the request path reads some settings per request: parsed once per value, not per call
    let v = this.parsed.get(name);
    if (v === undefined) {
      v = Number(this.get(name));
      this.parsed.set(name, v);
    }
    return v;
  }

  bool(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** int() results by the name asked for; cleared whenever a value is set. */
  private readonly parsed = new Map<string, number>();

  onChange(l: ChangeListener): void {
    this.listeners.push(l);
  }

  /**
   * Validate and set one parameter from its arguments (config file / command line / CONFIG SET).
   * Throws ConfigError with Redis's message on a bad value. `fromClient` enforces immutability and
   * enable-protected-configs (`localClient`: the client connected over loopback).
   */
  set(name: string, args: string[], fromClient: boolean, localClient = false): void {
    const p = this.params.get(name.toLowerCase());
    if (!p) throw new ConfigError('Bad directive or wrong number of arguments');
    const d = p.data;
    if (fromClient && p.flags.has('immutable')) throw new ConfigError("can't set immutable config");
    if (fromClient && p.flags.has('protected')) {
      const allow = this.get('enable-protected-configs');
      if (!(allow === 'yes' || (allow === 'local' && localClient))) throw new ConfigError("can't set protected config");
    }
    if (!p.flags.has('multiarg') && args.length !== 1) throw new ConfigError('wrong number of arguments');
    if ((d.n === 'dbfilename' || d.n === 'appendfilename') && args[0]!.includes('/')) throw new ConfigError(`${d.n} can't be a path, just a filename`);
    if (p.flags.has('multiarg') && args.length === 1 && args[0] !== '') {
      const split = splitArgs(args[0]!);
      if (split) args = split;
    }
    const value = this.normalize(d, p.flags, args);
    this.values.set(d.n, value);
    this.parsed.clear();
    for (const l of this.listeners) l(d.n, value);
  }

  /** Set without validation or listeners (internal state such as replicaof after SLAVEOF). */
  setInternal(name: string, value: string): void {
    const p = this.params.get(name);
    this.values.set(p ? p.data.n : name, value);
    this.parsed.clear();
  }

  private normalize(d: ConfigData, flags: Set<string>, args: string[]): string {
    const v = args[0] ?? '';
    switch (d.t) {
      case 'bool': {
        const l = v.toLowerCase();
        if (l !== 'yes' && l !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
        return l;
      }
      case 'int': {
        let n: number | null;
        if (flags.has('memory')) {
          n = parseMemory(v);
          if (n === null) {
            if (flags.has('percent') && /^[0-9]+%$/.test(v)) {
              // Redis stores a percentage as a negative number bounded by the parameter's minimum
              const pct = Number(v.slice(0, -1));
              if (d.min !== undefined && d.min !== null && -pct < d.min) throw new ConfigError('percentage argument must be less or equal to 100');
              return pct === 0 ? '0' : `${pct}%`;
            }
            throw new ConfigError(flags.has('percent') ? 'argument must be a memory or percent value' : 'argument must be a memory value');
          }
        } else if (flags.has('octal')) {
          if (!/^[0-7]+$/.test(v)) throw new ConfigError("argument couldn't be parsed as an octal number");
          n = parseInt(v, 8);
        } else {
          if (!/^-?(0|[1-9][0-9]*)$/.test(v)) throw new ConfigError("argument couldn't be parsed into an integer");
          n = Number(v);
        }
        const min = d.min ?? -Infinity;
        const max = d.max ?? Infinity;
        if (n < min || n > max) {
          throw new ConfigError(`argument must be between ${boundText(d.min)} and ${boundText(d.max)} inclusive`);
        }
        return flags.has('octal') ? v : String(n);
      }
      case 'enum': {
        const allowed = d.e ?? [];
        const vals = flags.has('multiarg') ? args : [v];
        for (const x of vals) {
          if (!allowed.includes(x.toLowerCase())) {
            throw new ConfigError(`argument(s) must be one of the following: ${allowed.join(', ')}`);
          }
        }
        return vals.map((x) => x.toLowerCase()).join(' ');
      }
      case 'string':
        return v;
      case 'special':
        return this.normalizeSpecial(d.n, args);
    }
  }

  private normalizeSpecial(name: string, args: string[]): string {
    switch (name) {
      case 'latency-tracking-info-percentiles': {
        if (args.length === 1 && args[0] === '') return '';
        // each a number in [0, 100], shown as C's "%f" with the trailing zeros trimmed (99.9, 50)
        return args
          .map((a) => {
            if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a)) throw new ConfigError('Invalid latency-tracking-info-percentiles parameters');
            const p = Number(a);
            if (p > 100 || p < 0) throw new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
            return p.toFixed(6).replace(/\.?0+$/, '');
          })
          .join(' ');
      }
      case 'save': {
        if (args.length === 1 && args[0] === '') return '';
        if (args.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
        for (const a of args) if (!/^[0-9]+$/.test(a)) throw new ConfigError('Invalid save parameters');
        return args.join(' ');
      }
      case 'replicaof': {
        if (args.length !== 2) throw new ConfigError('wrong number of arguments');
        if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return '';
        const port = Number(args[1]);
        if (!/^[0-9]+$/.test(args[1]!) || port < 0 || port > 65535) throw new ConfigError('Invalid master port');
        return `${args[0]} ${port}`;
      }
      case 'bind':
        if (args.length > 16) throw new ConfigError('Too many bind addresses specified.');
        return args.join(' ');
      case 'client-output-buffer-limit': {
        if (args.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
        const current = this.parseClientOutputBufferLimits(this.values.get(name) ?? '');
        for (let i = 0; i < args.length; i += 4) {
          let cls = args[i]!.toLowerCase();
          if (cls === 'replica') cls = 'slave';
          if (cls !== 'normal' && cls !== 'slave' && cls !== 'pubsub') throw new ConfigError('Invalid client class specified in buffer limit configuration.');
          const hard = parseMemory(args[i + 1]!);
          const soft = parseMemory(args[i + 2]!);
          const secs = /^[0-9]+$/.test(args[i + 3]!) ? Number(args[i + 3]) : null;
          if (hard === null || soft === null || secs === null) throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
          current.set(cls, [hard, soft, secs]);
        }
        return ['normal', 'slave', 'pubsub'].map((c) => `${c} ${current.get(c)!.join(' ')}`).join(' ');
      }
      case 'notify-keyspace-events': {
        const v = args[0] ?? '';
        const flags = parseKeyspaceEvents(v);
        if (flags < 0) throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
        // the flags themselves: the canonical string hides "n" next to "A", as Redis prints it
        this.keyspaceEventFlags = flags;
        return keyspaceEventsToString(flags);
      }
      case 'dir':
        if (args.length !== 1) throw new ConfigError('wrong number of arguments');
        try {
          process.chdir(args[0]!);
        } catch (e) {
          throw new ConfigError(strerror(e));
        }
        return process.cwd();
      default:
        return args.join(' ');
    }
  }

  /** client-output-buffer-limit parsed: class -> [hard, soft, softSeconds]. */
  parseClientOutputBufferLimits(v: string): Map<string, [number, number, number]> {
    const m = new Map<string, [number, number, number]>();
    const parts = v.split(' ').filter(Boolean);
    for (let i = 0; i + 3 < parts.length; i += 4) m.set(parts[i]!, [Number(parts[i + 1]), Number(parts[i + 2]), Number(parts[i + 3])]);
    return m;
  }

  outputBufferLimit(cls: 'normal' | 'slave' | 'pubsub'): [number, number, number] {
    return this.parseClientOutputBufferLimits(this.get('client-output-buffer-limit')).get(cls) ?? [0, 0, 0];
  }

  /** `user` lines of the config file (name and rules), for the ACL. */
  readonly userLines: string[][] = [];

  /** Load config text (redis.conf syntax); `file` for error messages and relative includes. */
  loadString(text: string, file: string | null): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const fail = (err: string): never => {
        throw new ConfigError(
          `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\nReading the configuration file, at line ${i + 1}\n>>> '${line}'\n${err}`,
        );
      };
      const argv = splitArgs(line);
      if (argv === null) fail('Unbalanced quotes in configuration line');
      if (argv!.length === 0) continue;
      const name = argv![0]!.toLowerCase();
      if (this.params.has(name)) {
        try {
          let args = argv!.slice(1);
          // `save` lines accumulate (save 900 1 / save 300 10 -> "900 1 300 10"), as Redis
          const canon = this.canonical(name);
          if (canon === 'save' && this.seenSave && !(args.length === 1 && args[0] === '')) args = [...this.get('save').split(' ').filter(Boolean), ...args];
          if (canon === 'save') this.seenSave = true;
          this.set(name, args, false);
        } catch (e) {
          fail((e as Error).message);
        }
      } else if ((name === 'list-max-ziplist-entries' || name === 'list-max-ziplist-value' || name === 'lua-replicate-commands') && argv!.length === 2) {
        continue; // deprecated, accepted and ignored as Redis does
      } else if (name === 'include' && argv!.length === 2) {
        const path = file ? resolvePath(dirname(file), argv![1]!) : argv![1]!;
        let inc: string;
        try {
          inc = readFileSync(path, 'utf8');
        } catch (e) {
          throw new ConfigError(`Fatal error, can't open config file '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`);
        }
        this.loadString(inc, path);
      } else if (name === 'user' && argv!.length >= 2) {
        this.userLines.push(argv!.slice(1)); // ACL users, applied at startup (src/acl/boot.ts)
      } else if ((name === 'rename-command' && argv!.length === 3) || (name === 'loadmodule' && argv!.length >= 2)) {
        continue; // accepted; not supported (documented)
      } else {
        fail('Bad directive or wrong number of arguments');
      }
    }
  }

  /**
   * Build from the command line: [configfile] [--name value ...] as redis-server parses it.
   * Returns the config; throws ConfigError with the message to print on bad input.
   */
  static fromArgv(argv: string[]): Config {
    const cfg = new Config();
    let j = 0;
    let file: string | null = null;
    if (argv.length > 0 && !argv[0]!.startsWith('-')) {
      file = resolvePath(argv[0]!);
      j = 1;
    }
    let options = '';
    let handledLast = true;
    for (; j < argv.length; j++) {
      const a = argv[j]!;
      if (handledLast && a.startsWith('--')) {
        if (options) options += '\n';
        options += a.slice(2) + ' ';
        const parts = splitArgs(a) ?? [];
        if (parts.length === 1) {
          handledLast = false;
          if (a.toLowerCase() === '--save' && (j === argv.length - 1 || argv[j + 1]!.startsWith('--'))) {
            options += '""';
            handledLast = true;
          }
        } else handledLast = true;
      } else {
        options += quoteArg(a) + ' ';
        handledLast = true;
      }
    }
    if (file) {
      if (!existsSync(file)) throw new ConfigError(`Fatal error, can't open config file '${file}': No such file or directory`);
      cfg.configFile = file;
      cfg.loadString(readFileSync(file, 'utf8'), file);
    }
    if (options) cfg.loadString(options, null);
    return cfg;
  }

  /** CONFIG GET: parameter names (canonical and aliases) matching a glob, with values. */
  entries(): [string, string][] {
    const out: [string, string][] = [];
    for (const [name, p] of this.params) {
      out.push([name, this.values.get(p.data.n)!]);
    }
    return out;
  }

  /** Hidden parameters (Redis's HIDDEN_CONFIG) answer CONFIG GET by exact name only, never a pattern. */
  isHidden(name: string): boolean {
    return this.params.get(name)?.flags.has('hidden') ?? false;
  }

  /**
   * CONFIG REWRITE: rewrite the config file keeping comments and unknown lines, replacing each known
   * option's first line with its current value (dropping repeats), and appending options that differ
   * from their defaults after "# Generated by CONFIG REWRITE".
   * `users`: the ACL's "user" lines, as Redis writes them: each replaces the file's next "user" line,
   * the rest are appended, old ones left over are dropped; null (an aclfile is used): every "user"
   * line is dropped.
   */
  rewrite(users: string[] | null = null): void {
    const userLines = users === null ? [] : [...users];
    if (!this.configFile) throw new ConfigError('The server is running without a config file');
    let text = '';
    try {
      text = readFileSync(this.configFile, 'utf8');
    } catch {
      text = '';
    }
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const done = new Set<string>();
    const out: string[] = [];
    const marker = '# Generated by CONFIG REWRITE';
    for (const raw of lines) {
      const line = raw.trim();
      if (line === marker) continue;
      if (line === '' || line.startsWith('#')) {
        out.push(raw);
        continue;
      }
      const argv = splitArgs(line);
      if (argv && argv.length > 0 && argv[0]!.toLowerCase() === 'user') {
        const next = userLines.shift();
        if (next !== undefined) out.push(next);
        continue;
      }
      const p = argv && argv.length > 0 ? this.params.get(argv[0]!.toLowerCase()) : undefined;
      if (!p) {
        out.push(raw);
        continue;
      }
      const name = p.data.n;
      if (done.has(name)) continue;
      done.add(name);
      const repl = this.rewriteLines(name);
      out.push(...repl);
    }
    const extra: string[] = [];
    for (const name of this.values.keys()) {
      if (done.has(name)) continue;
      if (this.values.get(name) === this.defaultOf(name)) continue;
      if (name === 'dir') continue;
      extra.push(...this.rewriteLines(name));
    }
    extra.push(...userLines);
    if (extra.length > 0) {
      while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
      out.push(marker, ...extra);
    }
    writeFileSync(this.configFile, out.join('\n') + '\n');
  }

  private defaultOf(name: string): string {
    return this.params.get(name)!.data.d;
  }

  private rewriteLines(name: string): string[] {
    const v = this.values.get(name)!;
    const p = this.params.get(name)!;
    if (name === 'replicaof') return v ? [`replicaof ${v}`] : [];
    if (name === 'save') return v === '' ? ['save ""'] : chunkPairs(v).map((pair) => `save ${pair}`);
    if (name === 'client-output-buffer-limit') {
      const m = this.parseClientOutputBufferLimits(v);
      return [...m].map(([cls, [h, s, t]]) => `client-output-buffer-limit ${cls} ${formatMemory(h)} ${formatMemory(s)} ${t}`);
    }
    if (p.flags.has('memory') && /^\d+$/.test(v)) return [`${name} ${formatMemory(Number(v))}`];
    if (p.flags.has('multiarg')) return [`${name} ${v}`];
    // string options are always quoted (Redis's sdscatrepr), e.g. aclfile "/path"
    return [`${name} ${quoteArg(v, p.data.t === 'string')}`];
  }
}

/** Bytes as CONFIG REWRITE writes them: the largest unit (gb, mb, kb) that divides them exactly. */
function formatMemory(bytes: number): string {
  const kb = 1024;
  const mb = kb * 1024;
  const gb = mb * 1024;
  if (bytes !== 0 && bytes % gb === 0) return `${bytes / gb}gb`;
  if (bytes !== 0 && bytes % mb === 0) return `${bytes / mb}mb`;
  if (bytes !== 0 && bytes % kb === 0) return `${bytes / kb}kb`;
  return String(bytes);
}

function chunkPairs(v: string): string[] {
  const parts = v.split(' ').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push(`${parts[i]} ${parts[i + 1]}`);
  return out;
}
