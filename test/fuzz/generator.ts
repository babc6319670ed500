/*
 * RESP fuzzer, input side: a seeded PRNG, a key pool spread over the shards (hashtags checked with the
 * server's own slot function), plausible arguments for every command of the server's command table
 * (read from COMMAND DOCS / COMMAND INFO, which the server builds from src/commands/table.ts), and
 * mutated frames (bad lengths, *-0 / $-0, huge lengths, truncated frames, odd inline whitespace,
 * binary junk, bit flips). Everything here is a pure function of the seed, so a failure replays.
 */

import { hashSlotOfString, slotToShardTable } from '../../src/router/slot.js';

/** mulberry32: small, fast, and the same sequence for the same seed on every run. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** One argument of COMMAND DOCS, reduced to what generation needs. */
export interface ArgSpec {
  name: string;
  type: string;
  token?: string;
  optional: boolean;
  multiple: boolean;
  multipleToken: boolean;
  args: ArgSpec[];
}

export interface CommandSpec {
  /** Full lower-case name: "get", "client|kill". */
  name: string;
  /** The words that name it on the wire: ["GET"], ["CLIENT", "KILL"]. */
  words: string[];
  arity: number;
  flags: string[];
  tips: string[];
  args: ArgSpec[];
}

/** A fuzz input: a command (argv) or raw bytes. */
export type Input =
  | { kind: 'cmd'; argv: Buffer[]; inline?: Buffer; name: string }
  | { kind: 'own'; argv: Buffer[]; name: string }
  | { kind: 'raw'; bytes: Buffer; what: string };

/** Commands that must run on a connection of their own (they turn it into something else). */
export const OWN_CONNECTION = new Set(['sync', 'psync', 'monitor']);
/** Commands that may remove the per-shard sentinel keys. */
export const DESTRUCTIVE = new Set(['flushall', 'flushdb', 'swapdb']);

/**
 * Not made into mutated frames: a flipped bit or a cut argument count could make them stop the
 * server (SHUTDOWN), turn it into a replica, pause it for ever (FAILOVER), or drop the sentinel keys
 * behind the checker's back.
 */
const NOT_IN_JUNK = new Set([
  'shutdown', 'failover', 'replicaof', 'slaveof', 'debug', 'config|set', 'client|pause', 'psync', 'sync', 'monitor',
  'flushall', 'flushdb', 'swapdb', 'wait', 'client|kill',
]);

/** Parse the ioredis reply of COMMAND DOCS into argument trees. */
function toPairs(a: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (!Array.isArray(a)) return m;
  for (let i = 0; i + 1 < a.length; i += 2) m.set(String(a[i]), a[i + 1]);
  return m;
}

function parseArgs(list: unknown): ArgSpec[] {
  if (!Array.isArray(list)) return [];
  return list.map((raw) => {
    const m = toPairs(raw);
    const flags = Array.isArray(m.get('flags')) ? (m.get('flags') as unknown[]).map(String) : [];
    const token = m.get('token');
    return {
      name: String(m.get('name') ?? ''),
      type: String(m.get('type') ?? 'string'),
      token: token === undefined || token === null ? undefined : String(token),
      optional: flags.includes('optional'),
      multiple: flags.includes('multiple'),
      multipleToken: flags.includes('multiple_token'),
      args: parseArgs(m.get('arguments')),
    };
  });
}

/**
 * Build the command specs from `COMMAND DOCS` and `COMMAND INFO` replies (ioredis form). `list` is
 * COMMAND LIST: every name the table holds, subcommands as "parent|sub".
 */
export function buildSpecs(list: string[], docs: unknown[], info: unknown[]): CommandSpec[] {
  const docArgs = new Map<string, ArgSpec[]>();
  const walkDocs = (arr: unknown): void => {
    if (!Array.isArray(arr)) return;
    for (let i = 0; i + 1 < arr.length; i += 2) {
      const name = String(arr[i]).toLowerCase();
      const m = toPairs(arr[i + 1]);
      docArgs.set(name, parseArgs(m.get('arguments')));
      walkDocs(m.get('subcommands'));
    }
  };
  walkDocs(docs);
  const meta = new Map<string, { arity: number; flags: string[]; tips: string[] }>();
  const walkInfo = (arr: unknown): void => {
    if (!Array.isArray(arr)) return;
    for (const e of arr) {
      if (!Array.isArray(e)) continue;
      meta.set(String(e[0]).toLowerCase(), {
        arity: Number(e[1]),
        flags: (e[2] as unknown[]).map(String),
        tips: Array.isArray(e[7]) ? (e[7] as unknown[]).map(String) : [],
      });
      walkInfo(e[9]);
    }
  };
  walkInfo(info);
  const out: CommandSpec[] = [];
  for (const raw of list) {
    const name = raw.toLowerCase();
    const m = meta.get(name);
    if (!m) continue;
    // a container ("client") is reached through its subcommands, and also sent bare (arity error)
    out.push({ name, words: name.split('|').map((w) => w.toUpperCase()), arity: m.arity, flags: m.flags, tips: m.tips, args: docArgs.get(name) ?? [] });
  }
  return out;
}

/** Keys grouped by the shard they land on, via the server's slot function. */
export class KeyPool {
  /** tags[s] = hashtags whose slot is on shard s. */
  readonly tags: string[][];
  readonly sentinels: string[];
  readonly shardOf: (key: string) => number;
  constructor(readonly shards: number, perShard = 3) {
    const table = slotToShardTable(shards);
    this.shardOf = (key) => table[hashSlotOfString(key)]!;
    this.tags = Array.from({ length: shards }, () => []);
    for (let i = 0; this.tags.some((t) => t.length < perShard); i++) {
      const tag = `t${i}`;
      const s = this.shardOf(`{${tag}}`);
      if (this.tags[s]!.length < perShard) this.tags[s]!.push(tag);
    }
    this.sentinels = this.tags.map((t) => `fzsentinel:{${t[0]}}`);
  }
  /** A key with the given tag ("{t3}a") or, tag null, an untagged key. */
  key(rng: Rng, tag: string | null): string {
    const suffix = rng.pick(['a', 'b', 'c', 'd', 'e']);
    return tag === null ? `k:${suffix}${rng.int(4)}` : `{${tag}}${suffix}`;
  }
  anyTag(rng: Rng): string {
    return rng.pick(rng.pick(this.tags));
  }
}

const INTS = [
  '0', '1', '-1', '2', '3', '5', '-2', '-5', '10', '-10', '100', '1000', '-1000', '65536', '2147483647', '-2147483648',
  '4294967296', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '-9223372036854775809',
  '-4611686018427387904', '1.5', 'abc', '', '+1', '-0', '1e3', '0x1', ' 1',
];
const SMALL_INTS = ['0', '1', '2', '3', '-1', '5', '10'];
const DOUBLES = ['0', '1', '-1', '1.5', '-2.5', '3.0e2', 'inf', '-inf', '+inf', 'nan', '1e308', '1e309', '-1e-300', 'abc', '', '0x10', '(1', '17179869184'];
const STRINGS = [
  '', 'a', 'b', 'hello', 'm1', 'm2', 'm3', 'f1', 'f2', 'f3', '0', '1', '-1', '3.14', 'inf', '-inf', 'nan', '(1', '[a', '(a', '-', '+',
  '9223372036854775807', '-9223372036854775808', '99999999999999999999', ' 1', '1 ', 'x y', 'ä', '*', 'a*', '?', '[', '\\',
];
const PATTERNS = ['*', 'k:*', '{t*', '*a', '?', '[a-c]*', '[', '\\', 'fz*', '*[^a]*', 'h?llo', ''];
/** Seconds for blocking commands: never 0 (that blocks for ever), sometimes invalid. */
const BLOCK_SECONDS = ['0.01', '0.005', '0.02', '0.001', '-1', 'abc', '-0.5'];
/** Milliseconds for WAIT and CLIENT PAUSE: short, sometimes invalid. */
const SHORT_MS = ['1', '2', '5', '-1', 'x', '3'];
/** Relative expiry in differential mode: long enough not to expire between the two servers' replies. */
const LONG_TTLS = ['100000', '86400', '0', '-1', 'abc', '9223372036854775807', '253402300799000'];
const UNIX_TIMES = ['0', '1', '1700000000', '4102444800', '9223372036854775807', '-1', '253402300799000'];
/** Offsets: up to moderately large; the too-large ones are those Redis refuses (512 MB). */
const OFFSETS = ['0', '1', '5', '100', '1000', '65536', '536870912', '9223372036854775807', '-1', 'x'];
const CONFIG_SET = [
  ['hz', '10'], ['hz', '100'], ['hz', '0'], ['slowlog-log-slower-than', '10000'], ['maxmemory-policy', 'noeviction'],
  ['bogus-param', '1'], ['databases', '20'], ['hash-max-listpack-entries', '2'], ['hash-max-listpack-entries', '128'],
  ['set-max-intset-entries', '4'], ['set-max-intset-entries', '512'], ['zset-max-listpack-entries', '3'],
  ['zset-max-listpack-entries', '128'], ['list-max-listpack-size', '-2'], ['list-max-listpack-size', '4'], ['port', 'x'],
  ['hz'], ['timeout', 'abc'],
];

export interface GenOptions {
  /** Differential mode: keys of one hashtag only, no commands whose output is not deterministic. */
  deterministic?: boolean;
  /**
   * Steer clear of bugs already known and being fixed elsewhere (issue #20: odd-argument MSET,
   * huge negative *RANDMEMBER/HRANDFIELD counts, *-0 / $-0, inline \v \f, CLIENT REPLY SKIP), so a
   * long run can look for new ones. Never used by the CI test.
   */
  avoidKnown?: boolean;
  /** Only these commands (full names), e.g. the multi-shard ones to stress the coordinator. */
  focus?: string[];
}

export class Generator {
  readonly specs: CommandSpec[];
  constructor(
    specs: CommandSpec[],
    readonly pool: KeyPool,
    readonly opts: GenOptions = {},
  ) {
    this.specs = opts.deterministic ? specs.filter((s) => deterministicSafe(s)) : specs;
    if (opts.focus) this.specs = this.specs.filter((s) => opts.focus!.includes(s.name));
    this.junkSpecs = this.specs.filter((s) => !NOT_IN_JUNK.has(s.name.split('|')[0]!) && !NOT_IN_JUNK.has(s.name));
  }

  /** Commands mutated frames are made from: none that a flipped bit could turn into a server stop. */
  private readonly junkSpecs: CommandSpec[];

  /** One input: mostly valid commands, some mutated frames. */
  input(rng: Rng, junkShare = 0.3): Input {
    if (rng.chance(junkShare)) return this.junk(rng);
    const spec = rng.pick(this.specs);
    const argv = this.command(rng, spec);
    if (OWN_CONNECTION.has(spec.name)) return { kind: 'own', argv, name: spec.name };
    const inlineable = argv.every((a) => a.length > 0 && !/[\s"'\\\x00-\x1f\x7f-\xff]/.test(a.toString('latin1')));
    if (inlineable && rng.chance(0.15)) {
      const sep = (): string => rng.pick([' ', '  ', '\t', ' \t ', '   ']);
      let line = (rng.chance(0.3) ? sep() : '') + argv.map((a) => a.toString('latin1')).join(sep()) + (rng.chance(0.3) ? sep() : '');
      line += rng.chance(0.8) ? '\r\n' : '\n';
      return { kind: 'cmd', argv, inline: Buffer.from(line, 'latin1'), name: spec.name };
    }
    return { kind: 'cmd', argv, name: spec.name };
  }

  /** A plausible argv for `spec` (sometimes with an argument too many or too few). */
  command(rng: Rng, spec: CommandSpec): Buffer[] {
    const words = [...spec.words];
    if (rng.chance(0.15)) words[0] = words[0]!.toLowerCase();
    const special = this.special(rng, spec);
    let args: string[] = special ?? this.fromDocs(rng, spec);
    // a container command with no subcommand given, or arity games; not on the guarded commands
    // (SHUTDOWN bogus must keep its bogus argument) nor on blocking ones (an extra "0" would become
    // the timeout, and block for ever, in Redis as here)
    const guarded = special !== null || spec.flags.includes('blocking');
    const r = rng.next();
    if (r < 0.04 && args.length > 0 && !guarded) args = args.slice(0, rng.int(args.length));
    else if (r < 0.08 && !guarded) args.push(rng.pick(STRINGS));
    if (this.opts.avoidKnown) args = this.avoidKnown(spec.name, args);
    const argv = [...words, ...args].map((s) => Buffer.from(s, 'latin1'));
    if (rng.chance(0.02) && argv.length > 1 && !guarded) {
      // a binary argument in a random place
      argv[1 + rng.int(argv.length - 1)] = rng.bytes(rng.int(12));
    }
    return argv;
  }

  private keyChooser(rng: Rng): () => string {
    const pool = this.pool;
    if (this.opts.deterministic) {
      const tag = pool.tags[0]![0]!;
      return () => pool.key(rng, tag);
    }
    const mode = rng.int(10);
    const tag = pool.anyTag(rng);
    const shard = rng.int(pool.shards);
    if (mode < 5) return () => pool.key(rng, tag); // one slot: the fast path
    if (mode < 7) return () => pool.key(rng, rng.pick(pool.tags[shard]!)); // one shard, several slots
    return () => (rng.chance(0.2) ? pool.key(rng, null) : pool.key(rng, pool.anyTag(rng))); // anywhere
  }

  private fromDocs(rng: Rng, spec: CommandSpec): string[] {
    const out: string[] = [];
    const key = this.keyChooser(rng);
    // a numkeys argument is made to agree with the keys that follow it, most of the time
    let numkeysAt = -1;
    const blocking = spec.flags.includes('blocking') || spec.name === 'wait' || spec.name === 'client|pause';
    const emit = (a: ArgSpec, depth: number): void => {
      if (a.type === 'pure-token') {
        out.push(a.token ?? a.name);
        return;
      }
      if (a.token && a.type !== 'block' && a.type !== 'oneof') out.push(a.token);
      switch (a.type) {
        case 'key':
          out.push(key());
          return;
        case 'integer': {
          const n = a.name.toLowerCase();
          if (n.includes('timeout')) out.push(rng.pick(SHORT_MS));
          // differential mode: no expiry so short that it lands between the two servers' replies
          else if (this.opts.deterministic && (n === 'seconds' || n === 'milliseconds')) out.push(rng.pick(LONG_TTLS));
          else if (n.includes('offset') || n === 'start' || n === 'end') out.push(rng.pick(rng.chance(0.5) ? OFFSETS : INTS));
          else if (n.includes('numkeys') || n === 'numreplicas') {
            if (n.includes('numkeys')) numkeysAt = out.length;
            out.push(rng.chance(0.8) ? rng.pick(SMALL_INTS) : rng.pick(INTS));
          }
          else if (n === 'index' && spec.name === 'select') out.push(rng.chance(0.8) ? String(rng.int(16)) : rng.pick(INTS));
          else out.push(rng.pick(INTS));
          return;
        }
        case 'double':
          out.push(a.name.toLowerCase().includes('timeout') || blocking ? rng.pick(BLOCK_SECONDS) : rng.pick(DOUBLES));
          return;
        case 'unix-time':
          out.push(rng.pick(UNIX_TIMES));
          return;
        case 'pattern':
          out.push(rng.pick(PATTERNS));
          return;
        case 'string': {
          const n = a.name.toLowerCase();
          if (n === 'serialized-value') out.push(rng.chance(0.5) ? '\x00\x01a\x0a\x00' : rng.bytes(rng.int(20)).toString('latin1'));
          else if (n.includes('pattern')) out.push(rng.pick(PATTERNS));
          else out.push(this.value(rng));
          return;
        }
        case 'oneof':
          if (a.args.length > 0) emit(rng.pick(a.args), depth + 1);
          return;
        case 'block':
          for (const c of a.args) emitMaybe(c, depth + 1);
          return;
        default:
          out.push(this.value(rng));
      }
    };
    const emitMaybe = (a: ArgSpec, depth: number): void => {
      if (a.optional && rng.chance(0.5)) return;
      const times = a.multiple ? 1 + (rng.chance(0.5) ? rng.int(4) : 0) : 1;
      for (let i = 0; i < times; i++) {
        if (i > 0 && a.multipleToken && a.token) out.push(a.token);
        emit(i > 0 && a.multipleToken ? { ...a, token: undefined } : a, depth);
      }
      if (a.type === 'key' && a.multiple && numkeysAt >= 0) {
        if (rng.chance(0.85)) out[numkeysAt] = String(times);
        numkeysAt = -1;
      }
    };
    for (const a of spec.args) emitMaybe(a, 0);
    return out;
  }

  private avoidKnown(name: string, args: string[]): string[] {
    if ((name === 'mset' || name === 'msetnx') && args.length % 2 === 1) return args.slice(0, -1);
    if (name === 'srandmember' || name === 'zrandmember' || name === 'hrandfield') return args.map((a, i) => (i === 1 && /^-\d{4,}/.test(a) ? '-5' : a));
    if (name === 'client|reply') return args.map((a) => (a.toLowerCase() === 'skip' ? 'ON' : a));
    return args;
  }

  value(rng: Rng): string {
    const r = rng.next();
    if (r < 0.7) return rng.pick(STRINGS);
    if (r < 0.8) return rng.pick(INTS);
    if (r < 0.9) return rng.bytes(rng.int(16)).toString('latin1');
    return 'x'.repeat(1 + rng.int(rng.chance(0.1) ? 3000 : 100));
  }

  /** Arguments for commands whose docs would let them stop the server or leave the fuzz setup. */
  private special(rng: Rng, spec: CommandSpec): string[] | null {
    switch (spec.name) {
      case 'shutdown':
        return [rng.pick(['bogus', 'NOSAVE', 'SAVE', 'NOW', 'FORCE']), rng.pick(['bogus', 'x', '1'])];
      case 'debug':
        return rng.chance(0.5) ? [] : [rng.pick(['help', 'object', 'bogus', 'jmap', 'digest'])];
      case 'replicaof':
      case 'slaveof':
        return rng.pick([['NO', 'ONE'], ['127.0.0.1', 'abc'], ['NO', 'TWO'], ['host', '-1'], ['127.0.0.1', '99999'], []]);
      case 'config|set':
        return rng.pick(CONFIG_SET);
      case 'client|pause':
        return [rng.pick(SHORT_MS), ...(rng.chance(0.5) ? [rng.pick(['WRITE', 'ALL', 'bogus'])] : [])];
      case 'wait':
        return [rng.pick(SMALL_INTS), rng.pick(SHORT_MS)];
      case 'hello':
        return rng.pick([['2'], ['3'], ['4'], ['x'], [], ['3', 'SETNAME', 'fz'], ['2', 'AUTH', 'default', 'x'], ['3', 'BOGUS']]);
      case 'select':
        return [rng.chance(0.8) ? String(rng.int(16)) : rng.pick(INTS)];
      case 'failover':
        // only forms that fail before starting: a PSYNC connection of the fuzzer counts as a replica, and
        // a failover to it turns redis-server into a replica of port 0, or (its replica gone) waits with
        // writes paused for ever, in Redis and shardis alike
        return rng.pick([['ABORT'], ['TO', '127.0.0.1', '1', 'TIMEOUT', '1'], ['FORCE'], ['bogus'], ['TIMEOUT', '-1'], ['TIMEOUT', 'x']]);
      case 'psync':
        return rng.pick([['?', '-1'], ['abc', '10'], ['?']]);
      default:
        return null;
    }
  }

  /** A mutated or hostile frame. */
  junk(rng: Rng): Input {
    const valid = (): Buffer => encode(this.command(rng, rng.pick(this.junkSpecs)));
    let k = rng.int(14);
    if (this.opts.avoidKnown && (k === 0 || k === 1 || k === 7 || k === 12)) k = 4;
    switch (k) {
      case 0:
        return raw(rng.pick(['*-0\r\n', '*-1\r\n', '*0\r\n', '*-5\r\n', '*-0\r\n*1\r\n$4\r\nPING\r\n']), 'negative/zero multibulk count');
      case 1:
        return raw(rng.pick(['*1\r\n$-0\r\n', '*1\r\n$-1\r\n', '*2\r\n$3\r\nGET\r\n$-0\r\n', '*1\r\n$-5\r\n', '*1\r\n$ 3\r\nfoo\r\n', '*1\r\n$3 \r\nfoo\r\n', '*1\r\n$+3\r\nfoo\r\n', '*1\r\n$03\r\nfoo\r\n']), 'odd bulk length');
      case 2:
        return raw(rng.pick(['*1\r\n$2147483648\r\n', '*1\r\n$536870913\r\n', '*1048577\r\n', '*2147483648\r\n', '*9223372036854775807\r\n', '*1\r\n$9223372036854775808\r\n', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nabc']), 'huge length');
      case 3:
        return raw(rng.pick(['*1\r\n$3\r\nPINGX\r\n', '*2\r\n$3\r\nGET\r\n$x\r\n', '*abc\r\n', '$5\r\nhello\r\n', '*1\r\n:5\r\n', '*1\r\n+PING\r\n', '*1\r\n$4\r\nPING\n\n', '*1\r\n$4\r\nPINGxx']), 'bad length or type');
      case 4: {
        const v = valid();
        return raw(v.subarray(0, rng.int(v.length)), 'truncated frame');
      }
      case 5: {
        const v = Buffer.from(valid());
        for (let i = 1 + rng.int(3); i > 0; i--) v[rng.int(v.length)] = rng.int(256);
        return raw(v, 'bit-flipped frame');
      }
      case 6:
        return raw(rng.bytes(1 + rng.int(rng.chance(0.1) ? 5000 : 64)), 'binary junk');
      case 7: {
        const ws = ['\v', '\f', '\t', ' ', '\x00', '\r', '\u00a0'];
        const line = ['PING', 'SET', 'GET', 'ECHO'].map((w) => rng.pick(ws) + w).slice(0, 1 + rng.int(3)).join(rng.pick(ws));
        return raw(Buffer.from(line + rng.pick(['\r\n', '\n', '\r\r\n']), 'latin1'), 'inline with odd whitespace');
      }
      case 8:
        return raw(
          rng.pick(['SET "a b" "c\\x41"\r\n', 'SET "a\r\n', '"abc"def\r\n', "ECHO 'it''s'\r\n", 'ECHO "\\x4"\r\n', '\r\n', '\n\n\n', '   \r\n', 'ECHO "a"b\r\n', 'PING "\r\n']),
          'inline quoting',
        );
      case 9:
        return raw(Buffer.from('A'.repeat(65 * 1024 + rng.int(1000)) + (rng.chance(0.5) ? '\r\n' : '')), 'too big inline request');
      case 10:
        return raw(Buffer.from(`*${2 + rng.int(100000)}\r\n$4\r\nECHO\r\n`), 'multibulk count larger than what follows');
      case 11: {
        const v = valid();
        const s = v.toString('latin1').replace(/\$(\d+)/, (_m, n: string) => `$${Number(n) + rng.pick([-2, -1, 1, 2, 1000])}`);
        return raw(Buffer.from(s, 'latin1'), 'wrong bulk length');
      }
      case 12:
        // valid commands with a mutated one between
        return raw(Buffer.concat([valid(), Buffer.from(rng.pick(['*1\r\n$-0\r\n', '*-0\r\n', '\v\r\n', '*1\r\n$4\r\nPI'])), valid()]), 'junk between valid commands');
      default:
        return raw(Buffer.from(`*1\r\n$${rng.int(20)}\r\n`), 'bulk header then close');
    }
  }
}

function raw(b: Buffer | string, what: string): Input {
  return { kind: 'raw', bytes: Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1'), what };
}

/** argv as a RESP array. */
export function encode(argv: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** The bytes an input puts on the wire. */
export function wire(i: Input): Buffer {
  if (i.kind === 'raw') return i.bytes;
  if (i.kind === 'cmd' && i.inline) return i.inline;
  return encode(i.argv);
}

/** An input shown for a failure report (escaped, shortened). */
export function show(i: Input): string {
  const esc = (b: Buffer): string => JSON.stringify(b.length > 200 ? b.subarray(0, 200).toString('latin1') + `...(${b.length} bytes)` : b.toString('latin1'));
  if (i.kind === 'raw') return `raw ${i.what}: ${esc(i.bytes)}`;
  return `${i.kind === 'own' ? 'own-connection ' : ''}${i.kind === 'cmd' && i.inline ? `inline ${esc(i.inline)}` : i.argv.map(esc).join(' ')}`;
}

/**
 * Commands kept in differential mode: their reply depends only on the data and the arguments.
 * Nondeterministic ones (random members, time, ids, server facts) and commands that change the
 * connection's reply stream (subscriptions, MONITOR, CLIENT REPLY, HELLO) are left out.
 */
const DIFF_EXCLUDED = new Set([
  'debug', 'shutdown', 'sync', 'psync', 'monitor', 'client', 'config', 'info', 'command', 'hello', 'role', 'time',
  'lastsave', 'randomkey', 'scan', 'hscan', 'sscan', 'zscan', 'object', 'failover', 'replicaof', 'slaveof', 'script',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe', 'pubsub', 'dump', 'ttl',
  'pttl', 'expiretime', 'pexpiretime', 'replconf', 'wait', 'reset', 'quit', 'publish', 'spublish', 'restore',
]);

function deterministicSafe(s: CommandSpec): boolean {
  const top = s.name.split('|')[0]!;
  if (DIFF_EXCLUDED.has(top)) return false;
  if (s.tips.includes('nondeterministic_output')) return false;
  if (s.flags.includes('blocking')) return false;
  return true;
}
