/*
 * The ACL registry of a server: its users (the default user's password follows requirepass), the
 * permission check every request goes through (checkCommand, also the hook for scripts), AUTH, and
 * the ACL log.
 */

import { keyPositions, type Command, type CommandTable } from '../commands/table.js';
import { globMatch } from '../commands/glob.js';
import type { Config } from '../config.js';
import * as E from '../resp/errors.js';
import { PERM_R, PERM_W, RuleError, Selector, User, mergeSelectorArgs } from './user.js';
import { UNIVERSE } from './universe.js';

export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

/** A failed check: reason and the argument index at fault (key or channel). */
export interface Denial {
  reason: number;
  pos: number;
}

export interface LogEntry {
  count: number;
  reason: number;
  context: string;
  object: string;
  username: string;
  ctime: number;
  cinfo: string;
}

/** Channel arguments by command: [first, last (-1 = to the end), pattern]. Only publish/subscribe are checked. */
const CHANNEL_ARGS: Record<string, [number, number, boolean]> = {
  subscribe: [1, -1, false],
  ssubscribe: [1, -1, false],
  psubscribe: [1, -1, true],
  publish: [1, 1, false],
  spublish: [1, 1, false],
};

function keySpecPerm(flags: string): number {
  let p = 0;
  if (flags.includes('ACCESS')) p |= PERM_R;
  if (flags.includes('INSERT') || flags.includes('DELETE') || flags.includes('UPDATE')) p |= PERM_W;
  return p;
}

/** SET and BITFIELD decide their key's access from their arguments (VARIABLE_FLAGS, as their getkeys procs). */
function variablePerm(name: string, argv: readonly string[]): number {
  if (name === 'set') {
    for (let i = 3; i < argv.length; i++) if (argv[i]!.toLowerCase() === 'get') return PERM_R | PERM_W;
    return PERM_W;
  }
  // bitfield: read-only when only GET / OVERFLOW operations
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    const rem = argv.length - i - 1;
    if (a === 'get' && rem >= 2) i += 2;
    else if (a === 'overflow' && rem >= 1) i += 1;
    else return PERM_R | PERM_W;
  }
  return PERM_R;
}

const keyOut: number[] = [];
const specOut: number[] = [];

/** SORT's keys as sortGetKeys finds them: the sorted key (read) and the STORE destination (write). */
function sortKeys(argv: readonly string[]): number[] {
  const out = [1, PERM_R];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < argv.length) {
      store = i + 1;
      i += 1;
    }
  }
  if (store > 0) out.push(store, PERM_W);
  return out;
}

/** Key argument positions with the access each needs: [pos, perm, pos, perm ...]. */
function keysOf(cmd: Command, argv: readonly string[]): number[] {
  if (cmd.name === 'sort' || cmd.name === 'sort_ro') return sortKeys(argv);
  const out: number[] = [];
  const pos = keyPositions(cmd, argv.length, (i) => argv[i]!, keyOut, specOut);
  if (pos === null) return out;
  for (let j = 0; j < pos.length; j++) {
    const flags = cmd.keySpecs[specOut[j]!]!.f;
    out.push(pos[j]!, flags.includes('VARIABLE_FLAGS') ? variablePerm(cmd.name, argv) : keySpecPerm(flags));
  }
  return out;
}

function selectorCheck(s: Selector, cmd: Command, uid: number, argv: readonly string[]): Denial | null {
  if (!s.allCommands && !(cmd.flags & (1 << 13)) /* NO_AUTH */) {
    if (!s.allowed[uid]) {
      const fa = argv.length >= 2 ? s.firstArgs.get(uid) : undefined;
      const idx = cmd.parent ? 2 : 1;
      if (fa === undefined || argv.length <= idx || !fa.includes(argv[idx]!.toLowerCase())) return { reason: DENIED_CMD, pos: 0 };
    }
  }
  if (!s.allKeys && cmd.keySpecs.length > 0) {
    const keys = keysOf(cmd, argv);
    for (let j = 0; j < keys.length; j += 2) {
      const key = argv[keys[j]!]!;
      const need = keys[j + 1]!;
      let ok = false;
      for (const k of s.keys) {
        if ((k.flags & need) !== need) continue;
        if (globMatch(k.pat, key)) {
          ok = true;
          break;
        }
      }
      if (!ok) return { reason: DENIED_KEY, pos: keys[j]! };
    }
  }
  const ch = s.allChannels ? undefined : CHANNEL_ARGS[cmd.name];
  if (ch !== undefined) {
    const last = ch[1] < 0 ? argv.length - 1 : Math.min(ch[1], argv.length - 1);
    for (let i = ch[0]; i <= last; i++) {
      const c = argv[i]!;
      const ok = ch[2] ? s.channels.includes(c) : s.channels.some((p) => globMatch(p, c));
      if (!ok) return { reason: DENIED_CHANNEL, pos: i };
    }
  }
  return null;
}

/**
 * Whether `user` may run `cmd` (a command of any table; looked up by full name) with `argv`
 * (argv[0] the command name). Null when allowed; otherwise the first failure of the root selector
 * unless a later selector allows it (ACLCheckAllUserCommandPerm). This is the hook scripts call for
 * redis.call under ACLs.
 */
export function checkCommand(user: User, cmd: Command, argv: readonly string[]): Denial | null {
  if (user.unrestricted) return null;
  const ucmd = UNIVERSE.byName.get(cmd.name) ?? cmd;
  let relevant: Denial | null = null;
  for (const s of user.selectors) {
    const d = selectorCheck(s, ucmd, ucmd.id, argv);
    if (d === null) return null;
    // the most relevant failure: channel > key > command, then the later argument
    if (relevant === null || d.reason > relevant.reason || (d.reason === relevant.reason && d.pos > relevant.pos)) relevant = d;
  }
  return relevant;
}

/**
 * Whether a selector that allows the command also reads every key (allkeys, or a `*` pattern with
 * read access): Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess, which SORT BY / GET patterns need.
 */
export function hasUnrestrictedKeyRead(user: User, cmd: Command, argv: readonly string[]): boolean {
  if (user.unrestricted) return true;
  const ucmd = UNIVERSE.byName.get(cmd.name) ?? cmd;
  return user.selectors.some((s) => selectorCheck(s, ucmd, ucmd.id, argv) === null && (s.allKeys || s.keys.some((k) => k.pat === '*' && (k.flags & PERM_R) !== 0)));
}

export class Acl {
  readonly users = new Map<string, User>();
  readonly log: LogEntry[] = [];
  private seenRequirepass: string | null = null;
  defaultUser: User;

  constructor(private readonly config: Config) {
    this.defaultUser = this.createDefault();
    this.users.set('default', this.defaultUser);
    this.syncRequirepass();
  }

  /** A default user as Redis creates it (ACL LOAD of a file without one). */
  freshDefault(): User {
    return this.createDefault();
  }

  private createDefault(): User {
    const u = new User('default', this.pubsubDefault());
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(op, true);
    return u;
  }

  /** acl-pubsub-default: new users and selectors start with allchannels? */
  pubsubDefault(): boolean {
    return this.config.get('acl-pubsub-default') === 'allchannels';
  }

  /** Make the default user's password follow requirepass (CONFIG SET requirepass included). */
  syncRequirepass(): void {
    const pass = this.config.get('requirepass');
    if (pass === this.seenRequirepass) return;
    this.seenRequirepass = pass;
    const u = this.defaultUser;
    u.apply('resetpass', true);
    u.apply(pass !== '' ? '>' + pass : 'nopass', true);
  }

  /** Whether a new connection must authenticate (the default user needs a password or is off). */
  authRequired(): boolean {
    this.syncRequirepass();
    const d = this.defaultUser;
    return !d.nopass || !d.enabled;
  }

  /** The user for AUTH name/password, or null (unknown, disabled, wrong password). */
  authenticate(name: string, pass: string): User | null {
    this.syncRequirepass();
    const u = this.users.get(name);
    if (u === undefined || !u.checkPassword(pass)) return null;
    return u;
  }

  /**
   * ACL SETUSER's work: apply the rules to a copy of the user (or a new one), then commit. Returns the
   * error text (without "ERR ") or null.
   */
  setUser(name: string, rules: readonly string[]): { error: string | null; user?: User } {
    const merged = mergeSelectorArgs(rules);
    if (typeof merged === 'number') {
      return { error: `Unmatched parenthesis in acl selector starting at '${rules[merged]}'.` };
    }
    const existing = this.users.get(name);
    const temp = existing ? existing.clone() : new User(name, this.pubsubDefault());
    for (const op of merged) {
      try {
        temp.apply(op, this.pubsubDefault());
      } catch (e) {
        if (e instanceof RuleError) return { error: `Error in ACL SETUSER modifier '${op}': ${e.message}` };
        throw e;
      }
    }
    if (existing) {
      existing.copyFrom(temp);
      return { error: null, user: existing };
    }
    this.users.set(name, temp);
    return { error: null, user: temp };
  }

  /** Sorted users, as the rax iterates them. */
  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Add (or merge into a recent similar) ACL LOG entry, as addACLLogEntry does. */
  addLog(reason: number, context: string, object: string, username: string, cinfo: string): void {
    const now = Date.now();
    const max = this.config.int('acllog-max-len');
    for (let i = 0; i < Math.min(10, this.log.length); i++) {
      const e = this.log[i]!;
      if (e.reason === reason && e.context === context && e.object === object && e.username === username && now - e.ctime < 60000) {
        this.log.splice(i, 1);
        e.cinfo = cinfo;
        e.ctime = now;
        e.count++;
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift({ count: 1, reason, context, object, username, ctime: now, cinfo });
    while (this.log.length > max) this.log.pop();
  }

  /** A table's command ids mapped to nothing: used only to validate the live table is covered. */
  static covers(table: CommandTable): boolean {
    return table.byId.every((c) => UNIVERSE.byName.has(c.name));
  }
}

/** The NOPERM error text of a denial at top level or queue time. */
export function denialError(d: Denial, cmd: Command): string {
  if (d.reason === DENIED_CMD) return E.noPermCommand(cmd.name);
  if (d.reason === DENIED_KEY) return E.NOPERM_KEY;
  return E.NOPERM_CHANNEL;
}
