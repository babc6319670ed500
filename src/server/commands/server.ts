/*
 * Server commands on the main thread: INFO CONFIG COMMAND CLIENT TIME LASTSAVE DEBUG (SHUTDOWN, SAVE,
 * BGSAVE and DEBUG RELOAD: persistence.ts).
 */

import { CommandError, SYNTAX, configSetUnknown, strerror, MONITOR_DENY_BLOCKING, configRewriteFailed, configSetFailed, debugUnknownSubcommand, errText, DEBUG_NOT_ALLOWED } from '../../resp/errors.js';
import { ConfigError } from '../../config.js';
import { globMatch } from '../../commands/glob.js';
import type { MainHandler } from '../main-ctx.js';
import { buildInfo } from '../info.js';
import { execRunning } from './transactions.js';
import { debugReload } from './persistence.js';
import { debugPopulate, POPULATE_HELP } from './debug-populate.js';
import { Keys, declare, mainCommands } from '../../commands/registry.js';
import { aclListLines } from '../../acl/commands.js';
import { configOp, crashOp } from '../../ipc/control.js';

export const commands = mainCommands<MainHandler>({
  async info(c) {
    const sections = c.args.all(1).map((s) => s.toLowerCase());
    const text = await buildInfo(c.server, sections, c.conn);
    c.w.verbatim(text);
  },

  time: declare((c) => {
    const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.timeOrigin * 1000 + performance.now() * 1000) % 1000));
    c.w.array(2);
    c.w.bulk(String(us / 1000000n));
    c.w.bulk(String(us % 1000000n));
  }, { keys: Keys.None }),

  lastsave: declare((c) => {
    c.w.int(Math.floor(c.server.lastSave / 1000));
  }, { keys: Keys.None }),

  'config|get': declare((c) => {
    const cfg = c.server.config;
    const seen = new Map<string, string>();
    for (let i = 2; i < c.argc; i++) {
      const pattern = c.args.str(i).toLowerCase();
      for (const [name, value] of cfg.entries()) {
        if (seen.has(name)) continue;
        if (pattern === name || (globMatch(pattern, name, true) && !cfg.isHidden(name))) seen.set(name, value);
      }
    }
    c.w.map(seen.size);
    for (const [k, v] of seen) {
      c.w.bulk(k);
      c.w.bulk(v);
    }
  }, { keys: Keys.None }),

  'config|set': declare((c) => {
    if (c.argc % 2 !== 0) throw new CommandError(SYNTAX);
    const cfg = c.server.config;
    const pairs: [string, string][] = [];
    for (let i = 2; i < c.argc; i += 2) {
      const name = c.args.str(i);
      const canonical = cfg.canonical(name);
      if (!canonical) throw new CommandError(configSetUnknown(name));
      if (pairs.some(([n]) => n === canonical)) throw new CommandError(configSetFailed(name, 'duplicate parameter'));
      pairs.push([canonical, c.args.str(i + 1)]);
    }
    const old = pairs.map(([n]) => [n, cfg.get(n)] as const);
    const local = /^(127\.|::1$|::ffff:127\.)/.test(c.conn.socket.remoteAddress ?? '');
    for (const [name, value] of pairs) {
      try {
        cfg.set(name, [value], true, local);
      } catch (e) {
        for (const [n, v] of old) cfg.setInternal(n, v);
        if (e instanceof ConfigError) {
          const arg = c.args.all(2).find((_, k) => k % 2 === 0 && cfg.canonical(c.args.str(2 + k)) === name) ?? name;
          throw new CommandError(configSetFailed(arg, e.message));
        }
        throw e;
      }
    }
    const oldPort = old.find(([n]) => n === 'port')?.[1];
    if (oldPort !== undefined && oldPort !== cfg.get('port')) {
      // a new port is listened on before the old listeners close; if it cannot be, nothing changes
      return c.server.rebind().then((ok) => {
        if (!ok) {
          for (const [n, v] of old) cfg.setInternal(n, v);
          const arg = c.args.all(2).find((_, k) => k % 2 === 0 && cfg.canonical(c.args.str(2 + k)) === 'port') ?? 'port';
          throw new CommandError(configSetFailed(arg, 'Unable to listen on this port'));
        }
        c.server.configChanged(pairs.map(([n]) => n));
        c.w.ok();
      });
    }
    c.server.configChanged(pairs.map(([n]) => n));
    c.w.ok();
    return undefined;
  }, { keys: Keys.None }),

  'config|resetstat': declare((c) => {
    c.server.resetStats();
    c.w.ok();
  }, { keys: Keys.None }),

  'config|rewrite': declare((c) => {
    try {
      const s = c.server;
      s.config.rewrite(s.config.get('aclfile') !== '' ? null : aclListLines(s.acl));
    } catch (e) {
      if (e instanceof ConfigError) throw new CommandError(errText(e.message));
      throw new CommandError(configRewriteFailed(strerror(e)));
    }
    c.w.ok();
  }, { keys: Keys.None }),

  'config|help': declare((c) => {
    c.w.helpLines([
      'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'GET <pattern>',
      '    Return parameters matching the glob-like <pattern> and their values.',
      'SET <directive> <value>',
      '    Set the configuration <directive> to <value>.',
      'RESETSTAT',
      '    Reset statistics reported by the INFO command.',
      'REWRITE',
      '    Rewrite the configuration file.',
      'HELP',
      '    Prints this help.',
    ]);
  }, { keys: Keys.None }),

  monitor(c) {
    // a client inside EXEC expects one reply per command (Redis: a DENY BLOCKING client)
    if (execRunning.has(c.conn)) throw new CommandError(MONITOR_DENY_BLOCKING);
    // already monitoring, or a replica: ignored, with no reply (as Redis)
    if (c.server.monitor.clients.has(c.conn) || c.conn.isReplica) return;
    c.server.monitor.clients.add(c.conn);
    c.w.ok();
  },

  debug(c) {
    const allow = c.server.config.get('enable-debug-command');
    const local = /^(127\.|::1$|::ffff:127\.)/.test(c.conn.socket.remoteAddress ?? '');
    if (allow === 'no' || (allow === 'local' && !local)) {
      throw new CommandError(DEBUG_NOT_ALLOWED);
    }
    const sub = c.args.lower(1);
    if (sub === 'sleep' && c.argc === 3) {
      const secs = c.args.float(2);
      // DEBUG SLEEP stops the whole server in Redis; stalling the main thread stops every client here
      const until = Date.now() + secs * 1000;
      while (Date.now() < until) {
        /* busy wait, as redis does (debugDelay) */
      }
      c.w.ok();
      return;
    }
    if (sub === 'reload') return debugReload(c);
    if ((sub === 'set-active-expire' || sub === 'pause-cron') && c.argc === 3) {
      // atoi: any non-number is 0
      const on = (Number.parseInt(c.args.str(2), 10) || 0) !== 0;
      const s = c.server;
      if (sub === 'set-active-expire') s.debugFlags.activeExpire = on;
      else s.debugFlags.cronPaused = on;
      void s.allShards(configOp.request(s.shardConfig()));
      c.w.ok();
      return;
    }
    if (sub === 'populate' && c.argc >= 3 && c.argc <= 5) return debugPopulate(c);
    if (sub === 'segfault' && c.argc === 2) {
      // as in Redis, the server crashes: here by killing a shard, which is fatal for the server
      void c.server.oneShard(0, crashOp.request());
      return; // no reply: the server is going down
    }
    if (sub === 'help' && c.argc === 2) {
      c.w.helpLines(['DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:', 'RELOAD [MERGE] [NOFLUSH] [NOSAVE]', '    Save the RDB on disk and reload it back to memory.', 'SEGFAULT', '    Crash the server (a shard dies; the server exits non-zero).', 'SLEEP <seconds>', '    Stop the server for <seconds>. Decimals allowed.', 'SET-ACTIVE-EXPIRE <0|1>', '    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.', 'PAUSE-CRON <0|1>', '    Stop periodic cron job processing.', 'HELP', '    Print this help.', ...POPULATE_HELP]);
      return;
    }
    throw new CommandError(debugUnknownSubcommand(c.args.str(1)));
  },
});

