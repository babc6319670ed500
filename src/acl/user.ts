/*
 * ACL users and selectors: the rules of ACL SETUSER (Redis 7.0's grammar and error texts), the
 * permission bitmaps they build, and the descriptions ACL LIST / GETUSER print (rebuilt from the
 * bitmaps with Redis's category best-fit, so equivalent rule sets print the same way).
 */

import crypto from 'node:crypto';
import type { Command } from '../commands/table.js';
import { BY_CATEGORY, CATEGORIES, UNIVERSE, UNIVERSE_SIZE } from './universe.js';

export const PERM_R = 1;
export const PERM_W = 2;

export interface KeyPattern {
  pat: string;
  flags: number;
}

/** Why a rule failed (Redis's errno, mapped to ACLSetUserStringError's text). */
export class RuleError extends Error {}

const ERR_ENOENT = 'Unknown command or category name in ACL';
const ERR_EINVAL = 'Syntax error';
const ERR_EEXIST =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
const ERR_EISDIR =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
const ERR_ENODEV = 'The password you are trying to remove from the user does not exist';
const ERR_EBADMSG = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
const ERR_ECHILD = 'Allowing first-arg of a subcommand is not supported';

/** A space, NUL or other byte that sdssplitargs would split on is not allowed in patterns. */
function hasSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12) return true;
  }
  return false;
}

export function hashPassword(pw: string): string {
  return crypto.createHash('sha256').update(Buffer.from(pw, 'latin1')).digest('hex');
}

function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

export class Selector {
  allKeys = false;
  keys: KeyPattern[] = [];
  allChannels = false;
  channels: string[] = [];
  /** Every command bit is set (the fast path of the check). */
  allCommands = false;
  /** Can run commands added in the future: set by +@all, cleared only by -@all (the "+@all" of descriptions). */
  future = false;
  allowed = new Uint8Array(UNIVERSE_SIZE);
  /** Allowed first arguments of otherwise blocked commands, by universe id. */
  firstArgs = new Map<number, string[]>();

  constructor(
    readonly root: boolean,
    allChannelsDefault: boolean,
  ) {
    this.allChannels = allChannelsDefault;
  }

  clone(): Selector {
    const s = new Selector(this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.keys = this.keys.map((k) => ({ ...k }));
    s.channels = [...this.channels];
    s.allCommands = this.allCommands;
    s.future = this.future;
    s.allowed = this.allowed.slice();
    for (const [k, v] of this.firstArgs) s.firstArgs.set(k, [...v]);
    return s;
  }

  private setPerm(cmd: Command, allow: boolean): void {
    this.allowed[cmd.id] = allow ? 1 : 0;
    this.firstArgs.delete(cmd.id);
    if (cmd.subcommands) for (const sub of cmd.subcommands.values()) this.allowed[sub.id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  private setCategory(cat: string, allow: boolean): boolean {
    const cmds = BY_CATEGORY.get(cat.toLowerCase());
    if (!cmds) return false;
    for (const c of cmds) {
      if (c.parent === null) this.setPerm(c, allow);
      else {
        this.allowed[c.id] = allow ? 1 : 0;
        if (!allow) this.allCommands = false;
      }
    }
    return true;
  }

  /** allkeys / resetkeys: every key or none, and no key patterns. */
  private allOrNoKeys(all: boolean): void {
    this.allKeys = all;
    this.keys = [];
  }

  /** allchannels / resetchannels: every channel or none, and no channel patterns. */
  private allOrNoChannels(all: boolean): void {
    this.allChannels = all;
    this.channels = [];
  }

  /** allcommands / nocommands: every command (also those added later) or none, no first-arg rules. */
  private allOrNoCommands(all: boolean): void {
    this.allowed.fill(all ? 1 : 0);
    this.allCommands = all;
    this.future = all;
    this.firstArgs.clear();
  }

  /** Apply one selector rule (ACLSetSelector); throws RuleError. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') this.allOrNoKeys(true);
    else if (lower === 'resetkeys') this.allOrNoKeys(false);
    else if (lower === 'allchannels' || op === '&*') this.allOrNoChannels(true);
    else if (lower === 'resetchannels') this.allOrNoChannels(false);
    else if (lower === 'allcommands' || lower === '+@all') this.allOrNoCommands(true);
    else if (lower === 'nocommands' || lower === '-@all') this.allOrNoCommands(false);
    else if (op[0] === '~' || op[0] === '%') {
      if (this.allKeys) throw new RuleError(ERR_EEXIST);
      let flags = 0;
      let offset = 1;
      if (op[0] === '%') {
        for (; offset < op.length; offset++) {
          const ch = op[offset]!.toUpperCase();
          if (ch === 'R' && !(flags & PERM_R)) flags |= PERM_R;
          else if (ch === 'W' && !(flags & PERM_W)) flags |= PERM_W;
          else if (op[offset] === '~') {
            offset++;
            break;
          } else throw new RuleError(ERR_EINVAL);
        }
      } else {
        flags = PERM_R | PERM_W;
      }
      const pat = op.slice(offset);
      if (hasSpaces(pat)) throw new RuleError(ERR_EINVAL);
      const found = this.keys.find((k) => k.pat === pat);
      if (found) found.flags |= flags;
      else this.keys.push({ pat, flags });
      this.allKeys = false;
    } else if (op[0] === '&') {
      if (this.allChannels) throw new RuleError(ERR_EISDIR);
      const pat = op.slice(1);
      if (hasSpaces(pat)) throw new RuleError(ERR_EINVAL);
      if (!this.channels.includes(pat)) this.channels.push(pat);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      const name = op.slice(1).toLowerCase();
      const bar = name.lastIndexOf('|');
      if (bar < 0) {
        const cmd = UNIVERSE.byName.get(name);
        if (!cmd) throw new RuleError(ERR_ENOENT);
        this.setPerm(cmd, true);
      } else {
        const parentName = name.slice(0, bar);
        const sub = op.slice(1 + bar + 1);
        const cmd = UNIVERSE.byName.get(parentName);
        if (!cmd) throw new RuleError(ERR_ENOENT);
        if (cmd.parent) throw new RuleError(ERR_ECHILD);
        if (sub.length === 0) throw new RuleError(ERR_EINVAL);
        if (cmd.subcommands) {
          const subcmd = UNIVERSE.byName.get(name);
          if (!subcmd) throw new RuleError(ERR_ENOENT);
          this.setPerm(subcmd, true);
        } else {
          const list = this.firstArgs.get(cmd.id) ?? [];
          if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub.toLowerCase());
          this.firstArgs.set(cmd.id, list);
        }
      }
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = UNIVERSE.byName.get(op.slice(1).toLowerCase());
      if (!cmd) throw new RuleError(ERR_ENOENT);
      this.setPerm(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      if (!this.setCategory(op.slice(2), op[0] === '+')) throw new RuleError(ERR_ENOENT);
    } else {
      throw new RuleError(ERR_EINVAL);
    }
  }

  /** The command rules as ACLDescribeSelectorCommandRules prints them. */
  describeCommands(): string {
    const rules: string[] = [];
    const additive = !this.future;
    const fake = new Selector(false, false);
    fake.apply(additive ? '-@all' : '+@all');
    rules.push(additive ? '-@all' : '+@all');
    const temp = new Selector(false, false);
    temp.allowed = this.allowed.slice();
    const applied = new Set<string>();
    for (;;) {
      let best: string | null = null;
      let mindiff = Number.MAX_SAFE_INTEGER;
      let maxsame = 0;
      for (const cat of CATEGORIES) {
        if (applied.has(cat)) continue;
        let on = 0;
        let off = 0;
        for (const c of BY_CATEGORY.get(cat)!) {
          if (temp.allowed[c.id]) on++;
          else off++;
        }
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
          best = cat;
          mindiff = diff;
          maxsame = same;
        }
      }
      if (best === null) break;
      fake.apply((additive ? '+@' : '-@') + best);
      temp.apply((additive ? '-@' : '+@') + best);
      rules.push((additive ? '+@' : '-@') + best);
      applied.add(best);
    }
    for (const cmd of UNIVERSE.byId) {
      const bit = this.allowed[cmd.id]!;
      if (bit !== fake.allowed[cmd.id]) {
        rules.push((bit ? '+' : '-') + cmd.name);
        if (cmd.parent === null) fake.setPerm(cmd, bit === 1);
        else fake.allowed[cmd.id] = bit;
      }
      const fa = this.firstArgs.get(cmd.id);
      if (!bit && fa) for (const a of fa) rules.push(`+${cmd.name}|${a}`);
    }
    return rules.join(' ');
  }

  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keys.map(patternString).join(' ');
  }

  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => '&' + c).join(' ');
  }

  /** The whole selector as ACL LIST prints it (ACLDescribeSelector). */
  describe(): string {
    let res = '';
    if (this.allKeys) res += '~* ';
    else for (const k of this.keys) res += patternString(k) + ' ';
    if (this.allChannels) res += '&* ';
    else {
      res += 'resetchannels ';
      for (const c of this.channels) res += '&' + c + ' ';
    }
    return res + this.describeCommands();
  }
}

function patternString(k: KeyPattern): string {
  if (k.flags === (PERM_R | PERM_W)) return '~' + k.pat;
  if (k.flags === PERM_R) return '%R~' + k.pat;
  if (k.flags === PERM_W) return '%W~' + k.pat;
  return '~' + k.pat;
}

const FLAG_ORDER = ['on', 'off', 'nopass', 'skip-sanitize-payload', 'sanitize-payload'] as const;

export class User {
  enabled = false;
  disabledFlag = true;
  nopass = false;
  sanitize: '' | 'skip-sanitize-payload' | 'sanitize-payload' = '';
  passwords: string[] = [];
  selectors: Selector[];
  /**
   * True when the user may run every command on every key and channel (one boolean tested per
   * request: the permissive default user costs nothing more).
   */
  unrestricted = false;

  constructor(
    public name: string,
    allChannelsDefault: boolean,
  ) {
    this.selectors = [new Selector(true, allChannelsDefault)];
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  flags(): string[] {
    const out: string[] = [];
    for (const f of FLAG_ORDER) {
      if (f === 'on' && this.enabled) out.push(f);
      else if (f === 'off' && this.disabledFlag) out.push(f);
      else if (f === 'nopass' && this.nopass) out.push(f);
      else if (f === this.sanitize) out.push(f);
    }
    return out;
  }

  clone(): User {
    const u = new User(this.name, false);
    u.copyFrom(this);
    return u;
  }

  copyFrom(o: User): void {
    this.enabled = o.enabled;
    this.disabledFlag = o.disabledFlag;
    this.nopass = o.nopass;
    this.sanitize = o.sanitize;
    this.passwords = [...o.passwords];
    this.selectors = o.selectors.map((s) => s.clone());
    this.refresh();
  }

  /** Recompute the fast-path flag. */
  refresh(): void {
    const r = this.selectors[0]!;
    this.unrestricted = r.allCommands && r.allKeys && r.allChannels;
  }

  /** Apply one user rule (ACLSetUser); throws RuleError. */
  apply(op: string, allChannelsDefault: boolean): void {
    if (op.length === 0) return;
    const lower = op.toLowerCase();
    if (lower === 'on') {
      this.enabled = true;
      this.disabledFlag = false;
    } else if (lower === 'off') {
      this.enabled = false;
      this.disabledFlag = true;
    } else if (lower === 'skip-sanitize-payload' || lower === 'sanitize-payload') {
      this.sanitize = lower;
    } else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      const h = passwordHashOf(op, '>');
      if (!this.passwords.includes(h)) this.passwords.push(h);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      const h = passwordHashOf(op, '<');
      const i = this.passwords.indexOf(h);
      if (i < 0) throw new RuleError(ERR_ENODEV);
      this.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(false, allChannelsDefault);
      const inner = op.slice(1, -1).split(/[ \t\r\n]+/).filter(Boolean);
      for (const o of inner) s.apply(o);
      this.selectors.push(s);
    } else if (lower === 'clearselectors') {
      this.selectors.length = 1;
    } else if (lower === 'reset') {
      this.apply('resetpass', allChannelsDefault);
      this.apply('resetkeys', allChannelsDefault);
      this.apply('resetchannels', allChannelsDefault);
      if (allChannelsDefault) this.apply('allchannels', allChannelsDefault);
      this.apply('off', allChannelsDefault);
      this.apply('sanitize-payload', allChannelsDefault);
      this.apply('clearselectors', allChannelsDefault);
      this.apply('-@all', allChannelsDefault);
    } else {
      this.root.apply(op);
    }
    this.refresh();
  }

  /** The rules as ACL LIST prints them after "user <name> ". */
  describe(): string {
    let res = '';
    for (const f of this.flags()) res += f + ' ';
    for (const p of this.passwords) res += '#' + p + ' ';
    for (const s of this.selectors) {
      if (s.root) res += s.describe();
      else res += ` (${s.describe()})`;
    }
    return res;
  }

  /** The password check of AUTH (a disabled user never authenticates). */
  checkPassword(pw: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const h = Buffer.from(hashPassword(pw));
    for (const p of this.passwords) if (crypto.timingSafeEqual(h, Buffer.from(p))) return true;
    return false;
  }
}

/**
 * Merge selector arguments split by spaces ("(+get", "~x)") back into one rule, as
 * ACLMergeSelectorArguments does. Returns the index of an unmatched "(" as a number.
 */
export function mergeSelectorArgs(argv: readonly string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let cur = '';
  for (let j = 0; j < argv.length; j++) {
    const op = argv[j]!;
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      cur = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      cur += ' ' + op;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(cur);
      }
      continue;
    }
    out.push(op);
  }
  if (open !== -1) return open;
  return out;
}

/** The hash a password rule names: of the clear password after `clear` (>, <), else the hash given (#, !). */
function passwordHashOf(op: string, clear: string): string {
  if (op[0] === clear) return hashPassword(op.slice(1));
  const h = op.slice(1);
  if (!validHash(h)) throw new RuleError(ERR_EBADMSG);
  return h;
}
