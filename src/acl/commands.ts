/*
 * The ACL command (SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT LOG GENPASS DRYRUN SAVE LOAD HELP),
 * on the main thread, and ACL LOAD / SAVE of the aclfile.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import { CommandError, NOT_INTEGER, errText, wrongArity } from '../resp/errors.js';
import * as E from '../resp/errors.js';
import type { MainCtx, MainHandler, ServerContext } from '../server/main-ctx.js';
import { arityOk } from '../commands/table.js';
import { globMatch } from '../commands/glob.js';
import { parseInt64 } from '../commands/numbers.js';
import { Acl, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, checkCommand } from './acl.js';
import { BY_CATEGORY, CATEGORIES, UNIVERSE } from './universe.js';
import { RuleError, User, mergeSelectorArgs, type Selector } from './user.js';
import { Keys, mainCommands } from '../commands/registry.js';

function hasSpacesOrNul(s: string): boolean {
  return /[\x00 \t\r\n\v\f]/.test(s);
}

/** Close every client authenticated as one of `users` (the caller's own connection after its reply). */
export function killUserClients(s: ServerContext, c: MainCtx | null, users: Set<User>): void {
  for (const conn of [...s.conns.values()]) {
    if (conn.aclUser === null || !users.has(conn.aclUser)) continue;
    if (c !== null && conn === c.conn) conn.closeAfterReply = true;
    else s.closeConnection(conn);
  }
}

/**
 * After ACL SETUSER: when the user lost channel rights (ACLKillPubsubClientsIfNeeded), close its
 * subscribed clients whose channels, patterns or shard channels are no longer all allowed.
 */
function killRevokedSubscribers(c: MainCtx, before: User, after: User): void {
  if (after.selectors.some((s) => s.allChannels)) return;
  const upcoming = after.selectors.flatMap((s) => s.channels);
  const kept = before.selectors.every((s) => !s.allChannels && s.channels.every((ch) => upcoming.includes(ch)));
  if (kept) return;
  const allowed = (ch: string): boolean => upcoming.some((p) => globMatch(p, ch));
  for (const conn of [...c.server.conns.values()]) {
    if ((conn.aclUser ?? c.server.acl.defaultUser) !== after || conn.subscriptionCount() === 0) continue;
    let kill = false;
    for (const p of conn.patterns) if (!upcoming.includes(p)) kill = true;
    for (const ch of conn.channels) if (!kill && !allowed(ch)) kill = true;
    for (const ch of conn.shardChannels) if (!kill && !allowed(ch)) kill = true;
    if (!kill) continue;
    if (conn === c.conn) conn.closeAfterReply = true;
    else c.server.closeConnection(conn);
  }
}

function selectorFields(c: MainCtx, s: Selector): void {
  c.w.bulk('commands');
  c.w.bulk(s.describeCommands());
  c.w.bulk('keys');
  c.w.bulk(s.describeKeys());
  c.w.bulk('channels');
  c.w.bulk(s.describeChannels());
}

const REASONS: Record<number, string> = { 1: 'command', 2: 'key', 3: 'auth', 4: 'channel' };

/** Parse an aclfile into a new user set; throws the error text of ACL LOAD. */
export function parseAclFile(acl: Acl, filename: string, text: string): Map<string, User> {
  const users = new Map<string, User>();
  let errors = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    const linenum = i + 1;
    if (line === '') continue;
    const argv = line.split(' ').filter((a) => a !== '');
    if (argv.length === 0) continue;
    if (argv[0] !== 'user' || argv.length < 2) {
      errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
      continue;
    }
    const name = argv[1]!;
    if (hasSpacesOrNul(name)) {
      errors += `'${filename}:${linenum}: username '${name}' contains invalid characters. `;
      continue;
    }
    if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
      continue;
    }
    const u = new User(name, acl.pubsubDefault());
    users.set(name, u);
    const merged = mergeSelectorArgs(argv.slice(2));
    if (typeof merged === 'number') {
      errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
      continue;
    }
    let syntax = false;
    for (const op of merged) {
      try {
        u.apply(op.replace(/^[\t\r\n]+|[\t\r\n]+$/g, ''), acl.pubsubDefault());
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        if (e.message === 'Unknown command or category name in ACL') {
          errors += `${filename}:${linenum}: Error in applying operation '${op}': ${e.message}. `;
        } else if (!syntax) {
          errors += `${filename}:${linenum}: ${e.message}. `;
          syntax = true;
        }
      }
    }
  }
  if (errors !== '') {
    throw new Error(errors + 'WARNING: ACL errors detected, no change to the previously active ACL rules was performed');
  }
  return users;
}

/** Replace the server's users by the file's (the default user object is kept, its rules replaced). */
export function loadAclFile(s: ServerContext, c: MainCtx | null): string | null {
  const acl = s.acl;
  const filename = s.config.get('aclfile');
  let text: string;
  try {
    text = fs.readFileSync(filename, 'latin1');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `Error loading ACLs, opening file '${filename}': ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}`;
  }
  let users: Map<string, User>;
  try {
    users = parseAclFile(acl, filename, text);
  } catch (e) {
    return (e as Error).message;
  }
  const old = new Set(acl.users.values());
  old.delete(acl.defaultUser);
  const def = users.get('default') ?? acl.freshDefault();
  acl.defaultUser.copyFrom(def);
  users.set('default', acl.defaultUser);
  acl.users.clear();
  for (const [k, v] of users) acl.users.set(k, v);
  killUserClients(s, c, old);
  return null;
}

export function aclListLines(acl: Acl): string[] {
  return acl.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
}

// keyless: none of these touches a key (inside EXEC they need no shard locked)
export const commands = mainCommands<MainHandler>({
  'acl|setuser'(c) {
    const name = c.args.str(2);
    if (hasSpacesOrNul(name)) throw new CommandError(E.ACL_USERNAME_SPACES);
    const rules: string[] = [];
    for (let i = 3; i < c.argc; i++) rules.push(c.args.str(i));
    const before = c.server.acl.users.get(name)?.clone();
    const r = c.server.acl.setUser(name, rules);
    if (r.error !== null) throw new CommandError(errText(r.error));
    if (before !== undefined) killRevokedSubscribers(c, before, r.user!);
    c.w.ok();
  },

  'acl|deluser'(c) {
    const acl = c.server.acl;
    for (let i = 2; i < c.argc; i++) if (c.args.str(i) === 'default') throw new CommandError(E.ACL_DEFAULT_UNDELETABLE);
    const gone = new Set<User>();
    for (let i = 2; i < c.argc; i++) {
      const u = acl.users.get(c.args.str(i));
      if (u === undefined) continue;
      acl.users.delete(u.name);
      gone.add(u);
    }
    killUserClients(c.server, c, gone);
    c.w.int(gone.size);
  },

  'acl|getuser'(c) {
    const u = c.server.acl.users.get(c.args.str(2));
    if (u === undefined) {
      c.w.nullBulk();
      return;
    }
    c.w.map(6);
    c.w.bulk('flags');
    const flags = u.flags();
    c.w.set(flags.length);
    for (const f of flags) c.w.bulk(f);
    c.w.bulk('passwords');
    c.w.array(u.passwords.length);
    for (const p of u.passwords) c.w.bulk(p);
    selectorFields(c, u.root);
    c.w.bulk('selectors');
    c.w.array(u.selectors.length - 1);
    for (const s of u.selectors.slice(1)) {
      c.w.map(3);
      selectorFields(c, s);
    }
  },

  'acl|list'(c) {
    c.w.bulkArray(aclListLines(c.server.acl));
  },

  'acl|users'(c) {
    c.w.bulkArray(c.server.acl.sortedUsers().map((u) => u.name));
  },

  'acl|whoami'(c) {
    c.w.bulk((c.conn.aclUser ?? c.server.acl.defaultUser).name);
  },

  'acl|cat'(c) {
    if (c.argc === 2) {
      c.w.bulkArray([...CATEGORIES]);
      return;
    }
    if (c.argc !== 3) throw new CommandError(E.subcommandSyntax(c.args.str(1), 'acl'));
    const cat = c.args.str(2);
    const cmds = BY_CATEGORY.get(cat.toLowerCase());
    if (cmds === undefined) throw new CommandError(E.aclUnknownCategory(cat));
    c.w.bulkArray(cmds.map((x) => x.name));
  },

  'acl|genpass'(c) {
    let bits = 256;
    if (c.argc === 3) {
      // any int64 (as string2l: not "-0"), then the range check: -4611686018427387904 is a bad bit count
      const n = parseInt64(c.args.str(2));
      if (n === null) throw new CommandError(NOT_INTEGER);
      bits = Number(n);
    } else if (c.argc > 3) throw new CommandError(E.subcommandSyntax(c.args.str(1), 'acl'));
    if (bits <= 0 || bits > 4096) throw new CommandError(E.ACL_GENPASS_BITS);
    const chars = Math.floor((bits + 3) / 4);
    c.w.bulk(crypto.randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
  },

  'acl|log'(c) {
    const acl = c.server.acl;
    let count = 10;
    if (c.argc === 3) {
      const s = c.args.str(2);
      if (s.toLowerCase() === 'reset') {
        acl.log.length = 0;
        c.w.ok();
        return;
      }
      if (!/^-?(0|[1-9][0-9]*)$/.test(s) || !Number.isSafeInteger(Number(s))) throw new CommandError(NOT_INTEGER);
      count = Math.max(0, Number(s));
    } else if (c.argc > 3) throw new CommandError(E.subcommandSyntax(c.args.str(1), 'acl'));
    count = Math.min(count, acl.log.length);
    const now = Date.now();
    c.w.array(count);
    for (let i = 0; i < count; i++) {
      const e = acl.log[i]!;
      c.w.map(7);
      c.w.bulk('count');
      c.w.int(e.count);
      c.w.bulk('reason');
      c.w.bulk(REASONS[e.reason] ?? 'unknown');
      c.w.bulk('context');
      c.w.bulk(e.context);
      c.w.bulk('object');
      c.w.bulk(e.object);
      c.w.bulk('username');
      c.w.bulk(e.username);
      c.w.bulk('age-seconds');
      c.w.double((now - e.ctime) / 1000);
      c.w.bulk('client-info');
      c.w.bulk(e.cinfo);
    }
  },

  'acl|dryrun'(c) {
    const u = c.server.acl.users.get(c.args.str(2));
    if (u === undefined) throw new CommandError(E.aclUserNotFound(c.args.str(2)));
    const argv: string[] = [];
    for (let i = 3; i < c.argc; i++) argv.push(c.args.str(i));
    let cmd = UNIVERSE.byName.get(argv[0]!.toLowerCase());
    if (cmd !== undefined && cmd.subcommands !== null && argv.length >= 2) cmd = cmd.subcommands.get(argv[1]!.toLowerCase());
    if (cmd === undefined) throw new CommandError(E.aclCommandNotFound(argv[0]!));
    if (!arityOk(cmd, argv.length)) throw new CommandError(wrongArity(cmd.name));
    const d = checkCommand(u, cmd, argv);
    if (d === null) {
      c.w.ok();
      return;
    }
    if (d.reason === DENIED_CMD) c.w.bulk(`This user has no permissions to run the '${cmd.name}' command`);
    else if (d.reason === DENIED_KEY) c.w.bulk(`This user has no permissions to access the '${argv[d.pos]}' key`);
    else if (d.reason === DENIED_CHANNEL) c.w.bulk(`This user has no permissions to access the '${argv[d.pos]}' channel`);
  },

  'acl|save'(c) {
    const file = c.server.config.get('aclfile');
    if (file === '') throw new CommandError(E.ACL_NO_FILE);
    const body = aclListLines(c.server.acl).map((l) => l + '\n').join('');
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    try {
      fs.writeFileSync(tmp, body, 'latin1');
      fs.renameSync(tmp, file);
    } catch (e) {
      c.server.log.warn({ err: (e as Error).message }, 'Failed to save the ACL file');
      try {
        fs.unlinkSync(tmp);
      } catch {
        // nothing to clean
      }
      throw new CommandError(E.ACL_SAVE_FAILED);
    }
    c.w.ok();
  },

  'acl|load'(c) {
    if (c.server.config.get('aclfile') === '') throw new CommandError(E.ACL_NO_FILE);
    const err = loadAclFile(c.server, c);
    if (err !== null) throw new CommandError(errText(err));
    c.w.ok();
  },

  'acl|help'(c) {
    c.w.helpLines([
      'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'CAT [<category>]',
      '    List all commands that belong to <category>, or all command categories',
      '    when no category is specified.',
      'DELUSER <username> [<username> ...]',
      '    Delete a list of users.',
      'DRYRUN <username> <command> [<arg> ...]',
      '    Returns whether the user can execute the given command without executing the command.',
      'GETUSER <username>',
      "    Get the user's details.",
      'GENPASS [<bits>]',
      '    Generate a secure 256-bit user password. The optional `bits` argument can',
      '    be used to specify a different size.',
      'LIST',
      '    Show users details in config file format.',
      'LOAD',
      '    Reload users from the ACL file.',
      'LOG [<count> | RESET]',
      '    Show the ACL log entries.',
      'SAVE',
      '    Save the current config to the ACL file.',
      'SETUSER <username> <attribute> [<attribute> ...]',
      '    Create or modify a user with the specified attributes.',
      'USERS',
      '    List all the registered usernames.',
      'WHOAMI',
      '    Return the current connection username.',
      'HELP',
      '    Prints this help.',
    ]);
  },
}, { keys: Keys.None });
