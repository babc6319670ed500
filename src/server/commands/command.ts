/*
 * COMMAND and its subcommands (COUNT INFO DOCS LIST GETKEYS GETKEYSANDFLAGS), answered from the
 * command table in Redis 7.0's reply shapes.
 */

import { CommandError, SYNTAX, GETKEYS_BAD_ARGS, GETKEYS_BAD_ARITY, GETKEYS_INVALID_COMMAND, GETKEYS_NO_KEYS } from '../../resp/errors.js';
import { F, arityOk, keyPositions, type Command } from '../../commands/table.js';
import { sortKeyPositions } from './sort.js';
import type { KeySpecData } from '../../commands/spec-data.js';
import { globMatch } from '../../commands/glob.js';
import { commandDoc, type DocArg } from '../../commands/docs.js';
import type { RespWriter } from '../../resp/writer.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { Keys, declare, mainCommands } from '../../commands/registry.js';

/** Flags COMMAND INFO shows, in Redis's order (may_replicate, sentinel, protected are hidden). */
const SHOWN_FLAGS: [number, string][] = [
  [F.WRITE, 'write'],
  [F.READONLY, 'readonly'],
  [F.DENYOOM, 'denyoom'],
  [F.ADMIN, 'admin'],
  [F.PUBSUB, 'pubsub'],
  [F.NOSCRIPT, 'noscript'],
  [F.BLOCKING, 'blocking'],
  [F.LOADING, 'loading'],
  [F.STALE, 'stale'],
  [F.SKIP_MONITOR, 'skip_monitor'],
  [F.SKIP_SLOWLOG, 'skip_slowlog'],
  [F.ASKING, 'asking'],
  [F.FAST, 'fast'],
  [F.NO_AUTH, 'no_auth'],
  [F.NO_MANDATORY_KEYS, 'no_mandatory_keys'],
  [F.NO_ASYNC_LOADING, 'no_async_loading'],
  [F.NO_MULTI, 'no_multi'],
  [F.MOVABLE_KEYS, 'movablekeys'],
  [F.ALLOW_BUSY, 'allow_busy'],
];

const KEY_FLAG_ORDER = ['RO', 'RW', 'OW', 'RM', 'ACCESS', 'UPDATE', 'INSERT', 'DELETE', 'NOT_KEY', 'INCOMPLETE', 'VARIABLE_FLAGS'];

function keyFlags(w: RespWriter, flags: string): void {
  const set = new Set(flags.split(' ').filter(Boolean));
  const shown = KEY_FLAG_ORDER.filter((f) => set.has(f));
  w.set(shown.length);
  for (const f of shown) w.simple(f.length === 2 ? f : f.toLowerCase());
}

/** A key spec's begin_search or find_keys field: {type, spec: {fields}}. */
function searchSpec(w: RespWriter, name: string, type: string, spec: readonly (readonly [string, string | number])[]): void {
  w.bulk(name);
  w.map(2);
  w.fields([['type', type]]);
  w.bulk('spec');
  w.map(spec.length);
  w.fields(spec);
}

function keySpecs(w: RespWriter, specs: readonly KeySpecData[]): void {
  w.set(specs.length);
  for (const s of specs) {
    w.map(s.n !== undefined ? 4 : 3);
    if (s.n !== undefined) {
      w.bulk('notes');
      w.bulk(s.n);
    }
    w.bulk('flags');
    keyFlags(w, s.f);
    const b = s.b;
    if (b[0] === 'i') searchSpec(w, 'begin_search', 'index', [['index', b[1]]]);
    else if (b[0] === 'k') searchSpec(w, 'begin_search', 'keyword', [['keyword', b[1]], ['startfrom', b[2]]]);
    else searchSpec(w, 'begin_search', 'unknown', []);
    const k = s.k;
    if (k[0] === 'r') searchSpec(w, 'find_keys', 'range', [['lastkey', k[1]], ['keystep', k[2]], ['limit', k[3]]]);
    else if (k[0] === 'n') searchSpec(w, 'find_keys', 'keynum', [['keynumidx', k[1]], ['firstkey', k[2]], ['keystep', k[3]]]);
    else searchSpec(w, 'find_keys', 'unknown', []);
  }
}

export function commandInfo(w: RespWriter, cmd: Command | undefined): void {
  if (!cmd) {
    w.nullBulk();
    return;
  }
  w.array(10);
  w.bulk(cmd.name);
  w.int(cmd.arity);
  const flags = SHOWN_FLAGS.filter(([bit]) => cmd.flags & bit);
  w.set(flags.length);
  for (const [, name] of flags) w.simple(name);
  w.int(cmd.firstKey);
  w.int(cmd.lastKey);
  w.int(cmd.step);
  w.set(cmd.acl.length);
  for (const a of cmd.acl) w.simple(a);
  w.set(cmd.tips.length);
  for (const t of cmd.tips) w.bulk(t);
  keySpecs(w, cmd.keySpecs);
  if (cmd.subcommands) {
    w.array(cmd.subcommands.size);
    for (const sub of cmd.subcommands.values()) commandInfo(w, sub);
  } else {
    w.set(0);
  }
}

/** A map field: its name and how its value is written. */
type Field = [string, (w: RespWriter) => void];

/** Write a RESP map of the fields given (the count is the list's length). */
function writeFields(w: RespWriter, fields: readonly Field[]): void {
  w.map(fields.length);
  for (const [name, value] of fields) {
    w.bulk(name);
    value(w);
  }
}

function docArgs(w: RespWriter, args: readonly DocArg[]): void {
  w.array(args.length);
  for (const a of args) {
    const f: Field[] = [
      ['name', (o) => o.bulk(a.name)],
      ['type', (o) => o.bulk(a.type)],
    ];
    if (a.keySpecIndex !== undefined) f.push(['key_spec_index', (o) => o.int(a.keySpecIndex!)]);
    if (a.token !== undefined) f.push(['token', (o) => o.bulk(a.token!)]);
    if (a.since !== undefined) f.push(['since', (o) => o.bulk(a.since!)]);
    if (a.deprecatedSince !== undefined) f.push(['deprecated_since', (o) => o.bulk(a.deprecatedSince!)]);
    if (a.flags.length > 0) {
      f.push(['flags', (o) => {
        o.set(a.flags.length);
        for (const x of a.flags) o.simple(x);
      }]);
    }
    if (a.args) f.push(['arguments', (o) => docArgs(o, a.args!)]);
    writeFields(w, f);
  }
}

/** One command's COMMAND DOCS map, fields in Redis's order. */
function commandDocs(w: RespWriter, cmd: Command): void {
  const doc = commandDoc(cmd.name);
  const d = doc?.data;
  const f: Field[] = [];
  if (d) f.push(['summary', (o) => o.bulk(d.s)]);
  f.push(['since', (o) => o.bulk(cmd.since)], ['group', (o) => o.bulk(cmd.group)]);
  if (d?.c !== undefined) f.push(['complexity', (o) => o.bulk(d.c!)]);
  const docFlags = d ? (d.d ? ['deprecated'] : []).concat(d.sys ? ['syscmd'] : []) : [];
  if (docFlags.length > 0) {
    f.push(['doc_flags', (o) => {
      o.set(docFlags.length);
      for (const x of docFlags) o.simple(x);
    }]);
  }
  if (d?.d) f.push(['deprecated_since', (o) => o.bulk(d.d![0])], ['replaced_by', (o) => o.bulk(d.d![1])]);
  if (d?.h) {
    f.push(['history', (o) => {
      o.set(d.h!.length);
      for (const [version, change] of d.h!) {
        o.array(2);
        o.bulk(version);
        o.bulk(change);
      }
    }]);
  }
  if (doc?.args) f.push(['arguments', (o) => docArgs(o, doc.args!)]);
  if (cmd.subcommands) {
    const subs = cmd.subcommands;
    f.push(['subcommands', (o) => {
      o.map(subs.size);
      for (const sub of subs.values()) {
        o.bulk(sub.name);
        commandDocs(o, sub);
      }
    }]);
  }
  writeFields(w, f);
}

/** Top-level commands (not subcommands) of the table. */
function topLevel(c: MainCtx): Command[] {
  return c.server.table.byId.filter((x) => x.parent === null);
}

function lookupByFullName(c: MainCtx, name: string): Command | undefined {
  return c.server.table.byName.get(name.toLowerCase());
}

/**
 * The flags of a key for GETKEYSANDFLAGS: its key spec's, except for specs with VARIABLE_FLAGS,
 * where the actual arguments decide (SET: RW ACCESS UPDATE with GET, OW UPDATE without).
 */
function keyFlagsFor(cmd: Command, argv: readonly string[], spec: number): string {
  const f = cmd.keySpecs[spec]?.f ?? '';
  if (!f.includes('VARIABLE_FLAGS')) return f;
  if (cmd.name === 'set') return argv.slice(3).some((a) => a.toLowerCase() === 'get') ? 'RW ACCESS UPDATE' : 'OW UPDATE';
  return f;
}

function getKeys(c: MainCtx, withFlags: boolean): void {
  const argv = c.args.all(2);
  let cmd = c.server.table.byName.get(argv[0]!.toLowerCase());
  if (cmd?.subcommands && argv.length >= 2) cmd = cmd.subcommands.get(argv[1]!.toLowerCase()) ?? undefined;
  if (!cmd) throw new CommandError(GETKEYS_INVALID_COMMAND);
  if (cmd.keySpecs.length === 0) throw new CommandError(GETKEYS_NO_KEYS);
  if (!arityOk(cmd, argv.length)) throw new CommandError(GETKEYS_BAD_ARITY);
  const specOf: number[] = [];
  const pos = cmd.name === 'sort' || cmd.name === 'sort_ro' ? sortKeyPositions(argv, specOf) : keyPositions(cmd, argv.length, (i) => argv[i]!, [], specOf);
  if (pos === null || pos.length === 0) {
    if (cmd.flags & F.NO_MANDATORY_KEYS) {
      c.w.array(0);
      return;
    }
    throw new CommandError(GETKEYS_BAD_ARGS);
  }
  c.w.array(pos.length);
  for (let k = 0; k < pos.length; k++) {
    const p = pos[k]!;
    if (withFlags) {
      c.w.array(2);
      c.w.bulk(argv[p]!);
      keyFlags(c.w, keyFlagsFor(cmd, argv, specOf[k]!));
    } else {
      c.w.bulk(argv[p]!);
    }
  }
}

// keyless: none of these touches a key (inside EXEC they need no shard locked)
export const commands = mainCommands<MainHandler>({
  command: declare((c) => {
    const all = topLevel(c);
    c.w.array(all.length);
    for (const cmd of all) commandInfo(c.w, cmd);
  }, { keys: Keys.All }),

  'command|count'(c) {
    c.w.int(topLevel(c).length);
  },

  'command|info'(c) {
    if (c.argc === 2) {
      const all = topLevel(c);
      c.w.array(all.length);
      for (const cmd of all) commandInfo(c.w, cmd);
      return;
    }
    c.w.array(c.argc - 2);
    for (let i = 2; i < c.argc; i++) commandInfo(c.w, lookupByFullName(c, c.args.str(i)));
  },

  'command|docs'(c) {
    const cmds = c.argc === 2 ? topLevel(c) : c.args.all(2).map((n) => lookupByFullName(c, n)).filter((x): x is Command => x !== undefined);
    c.w.map(cmds.length);
    for (const cmd of cmds) {
      c.w.bulk(cmd.name);
      commandDocs(c.w, cmd);
    }
  },

  'command|list'(c) {
    let filter: ((cmd: Command) => boolean) | null = null;
    for (let i = 2; i < c.argc; i++) {
      const more = c.argc - 1 - i;
      if (c.args.is(i, 'filterby') && more === 2) {
        const arg = c.args.str(i + 2);
        if (c.args.is(i + 1, 'module')) filter = () => false;
        else if (c.args.is(i + 1, 'aclcat')) filter = (cmd) => cmd.acl.includes('@' + arg.toLowerCase());
        else if (c.args.is(i + 1, 'pattern')) filter = (cmd) => globMatch(arg, cmd.name, true);
        else throw new CommandError(SYNTAX);
        i += 2;
      } else throw new CommandError(SYNTAX);
    }
    const names: string[] = [];
    for (const cmd of topLevel(c)) {
      if (!filter || filter(cmd)) names.push(cmd.name);
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) if (!filter || filter(sub)) names.push(sub.name);
    }
    c.w.bulkArray(names);
  },

  'command|getkeys'(c) {
    getKeys(c, false);
  },

  'command|getkeysandflags'(c) {
    getKeys(c, true);
  },

  'command|help'(c) {
    c.w.helpLines([
      'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      '(no subcommand)',
      '    Return details about all Redis commands.',
      'COUNT',
      '    Return the total number of commands in this Redis server.',
      'LIST',
      '    Return a list of all commands in this Redis server.',
      'INFO [<command-name> ...]',
      '    Return details about multiple Redis commands.',
      '    If no command names are given, documentation details for all',
      '    commands are returned.',
      'DOCS [<command-name> ...]',
      '    Return documentation details about multiple Redis commands.',
      '    If no command names are given, documentation details for all',
      '    commands are returned.',
      'GETKEYS <full-command>',
      '    Return the keys from a full Redis command.',
      'GETKEYSANDFLAGS <full-command>',
      '    Return the keys and the access flags from a full Redis command.',
      'HELP',
      '    Print this help.',
    ]);
  },
}, { keys: Keys.None });
