/*
 * CLIENT and its subcommands: ID SETNAME GETNAME LIST INFO KILL UNBLOCK REPLY PAUSE UNPAUSE
 * NO-EVICT TRACKING(INFO) GETREDIR SETINFO HELP, with Redis 7.0's formats and errors.
 */

import { CommandError, SYNTAX, UNBLOCKED, subcommandSyntax, unknownClientType, cstr, CLIENT_ID_NOT_POSITIVE, CLIENT_NAME_INVALID, INVALID_CLIENT_ID, NO_SUCH_CLIENT, PAUSE_MODE, TIMEOUT_NEGATIVE, TIMEOUT_NOT_INTEGER, UNBLOCK_REASON, noSuchUser } from '../../resp/errors.js';
import type { Connection } from '../connection.js';
import type { MainCtx, MainHandler, ServerContext } from '../main-ctx.js';
import { Keys, mainCommands } from '../../commands/registry.js';
import { unblockOp } from '../../ipc/control.js';

/** A blocked command's reply to CLIENT UNBLOCK ... ERROR. */
const UNBLOCKED_REPLY = Buffer.from(`-${UNBLOCKED}\r\n`);

export type ClientType = 'normal' | 'master' | 'replica' | 'pubsub';

export function clientType(c: Connection): ClientType {
  if (c.isMaster) return 'master';
  if (c.isReplica) return 'replica';
  if (c.channels.size > 0 || c.patterns.size > 0) return 'pubsub';
  return 'normal';
}

function parseType(name: string): ClientType | null {
  const n = name.toLowerCase();
  if (n === 'normal' || n === 'master' || n === 'pubsub') return n;
  if (n === 'replica' || n === 'slave') return 'replica';
  return null;
}

/** One CLIENT LIST line, in Redis 7.0's field order. */
export function clientInfoLine(server: ServerContext, c: Connection): string {
  let flags = '';
  if (server.monitor.clients.has(c)) flags += 'O';
  if (c.isReplica) flags += 'S';
  if (c.isMaster) flags += 'M';
  if (c.channels.size > 0 || c.patterns.size > 0) flags += 'P';
  if (c.multi !== null) flags += 'x';
  if (c.blockedOn >= 0 || (c.blockedAcrossShards && c.unblockReply === null) || c.blockedInWait) flags += 'b';
  if (c.closeAfterReply) flags += 'c';
  if (flags === '') flags = 'N';
  const now = Date.now();
  const qbuf = c.pendingInput();
  const obl = c.outBytes;
  const omem = c.socket.writableLength;
  const multiMem = c.multi ? c.multi.reduce((a, q) => a + q.body.length, 0) : 0;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} ` +
    `idle=${Math.floor((now - c.lastInteraction) / 1000)} flags=${flags} db=${c.db} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} ` +
    `multi=${c.multi ? c.multi.length : -1} qbuf=${qbuf} qbuf-free=${Math.max(0, c.inBuf.length - c.inEnd)} argv-mem=0 multi-mem=${multiMem} ` +
    `rbs=${c.inBuf.length} rbp=${qbuf} obl=${obl} oll=0 omem=${omem} tot-mem=${qbuf + omem + multiMem + 22000} events=r ` +
    `cmd=${c.lastCmd} user=${c.user} redir=-1 resp=${c.proto}`
  );
}

function validName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function kill(c: MainCtx): void {
  const s = c.server;
  let addr: string | null = null;
  let laddr: string | null = null;
  let type: ClientType | null = null;
  let id = 0;
  let user: string | null = null;
  let skipme = true;
  const oldForm = c.argc === 3;
  if (oldForm) {
    addr = c.args.str(2);
    skipme = false;
  } else if (c.argc > 3) {
    for (let i = 2; i < c.argc; i += 2) {
      const more = c.argc > i + 1;
      if (c.args.is(i, 'id') && more) {
        const v = c.args.str(i + 1);
        if (!/^-?[0-9]+$/.test(v) || Number(v) < 1) throw new CommandError(CLIENT_ID_NOT_POSITIVE);
        id = Number(v);
      } else if (c.args.is(i, 'type') && more) {
        type = parseType(c.args.str(i + 1));
        if (!type) throw new CommandError(unknownClientType(c.args.str(i + 1)));
      } else if (c.args.is(i, 'addr') && more) addr = c.args.str(i + 1);
      else if (c.args.is(i, 'laddr') && more) laddr = c.args.str(i + 1);
      else if (c.args.is(i, 'user') && more) {
        user = c.args.str(i + 1);
        if (!c.server.acl.users.has(user)) throw new CommandError(noSuchUser(cstr(user)));
      } else if (c.args.is(i, 'skipme') && more) {
        if (c.args.is(i + 1, 'yes')) skipme = true;
        else if (c.args.is(i + 1, 'no')) skipme = false;
        else throw new CommandError(SYNTAX);
      } else throw new CommandError(SYNTAX);
    }
  } else throw new CommandError(SYNTAX);

  let killed = 0;
  for (const other of [...s.conns.values()]) {
    if (addr !== null && other.addr !== addr) continue;
    if (laddr !== null && other.laddr !== laddr) continue;
    if (type !== null && clientType(other) !== type) continue;
    if (id !== 0 && other.id !== id) continue;
    if (user !== null && other.user !== user) continue;
    if (other === c.conn && skipme) continue;
    if (other === c.conn) c.conn.closeAfterReply = true;
    else s.closeConnection(other);
    killed++;
  }
  if (oldForm) {
    if (killed === 0) throw new CommandError(NO_SUCH_CLIENT);
    c.w.ok();
  } else c.w.int(killed);
}

// keyless: none of these touches a key (inside EXEC they need no shard locked)
export const commands = mainCommands<MainHandler>({
  'client|id'(c) {
    c.w.int(c.conn.id);
  },

  'client|setname'(c) {
    const name = c.args.str(2);
    if (!validName(name)) throw new CommandError(CLIENT_NAME_INVALID);
    c.conn.name = name;
    c.w.ok();
  },

  'client|getname'(c) {
    if (c.conn.name) c.w.bulk(c.conn.name);
    else c.w.nullBulk();
  },

  'client|list'(c) {
    const s = c.server;
    let list = [...s.conns.values()];
    if (c.argc === 4 && c.args.is(2, 'type')) {
      const t = parseType(c.args.str(3));
      if (!t) throw new CommandError(unknownClientType(c.args.str(3)));
      list = list.filter((x) => clientType(x) === t);
    } else if (c.argc > 3 && c.args.is(2, 'id')) {
      const ids: number[] = [];
      for (let i = 3; i < c.argc; i++) {
        const v = c.args.str(i);
        if (!/^-?[0-9]+$/.test(v)) throw new CommandError(INVALID_CLIENT_ID);
        ids.push(Number(v));
      }
      list = ids.map((id) => list.find((x) => x.id === id)).filter((x): x is Connection => x !== undefined);
    } else if (c.argc !== 2) throw new CommandError(SYNTAX);
    c.w.verbatim(list.map((x) => clientInfoLine(s, x) + '\n').join(''));
  },

  'client|info'(c) {
    c.w.verbatim(clientInfoLine(c.server, c.conn) + '\n');
  },

  'client|kill': kill,

  async 'client|unblock'(c) {
    let mode: 'timeout' | 'error' = 'timeout';
    if (c.argc > 4) throw new CommandError(subcommandSyntax(c.args.str(1), 'client'));
    if (c.argc === 4) {
      if (c.args.is(3, 'timeout')) mode = 'timeout';
      else if (c.args.is(3, 'error')) mode = 'error';
      else throw new CommandError(UNBLOCK_REASON);
    }
    const id = c.args.int(2);
    const target = c.server.conns.get(id);
    // a blocking command over several shards still in its first try: see whether it blocks
    while (target !== undefined && target.crossShardBlocking && !target.blockedAcrossShards && !target.closed) {
      await new Promise((r) => setTimeout(r, 1));
    }
    if (target !== undefined && target.blockedAcrossShards && !target.closed) {
      // keys on several shards: the coordinator's retry loop takes this reply at its next turn
      if (target.unblockReply !== null) return void c.w.int(0);
      target.unblockReply = Buffer.from(mode === 'error' ? `-${UNBLOCKED}\r\n` : target.proto === 3 ? '_\r\n' : '*-1\r\n');
      c.w.int(1);
      return;
    }
    if (target !== undefined && target.blockedInWait && !target.closed) {
      // WAIT: answered now with the replicas acknowledged so far, or the error
      if (mode === 'error') target.unblockReply = UNBLOCKED_REPLY;
      if (c.replication.endWait(target)) return void c.w.int(1);
      target.unblockReply = null;
    }
    // parked on a shard, or sent to one and not answered yet: the shard, which runs requests in
    // order, unblocks it if it blocked (so a client CLIENT LIST shows in a blocking command is found)
    const shard = target === undefined ? -1 : target.blockedOn >= 0 ? target.blockedOn : target.blockingShard;
    if (shard < 0) {
      c.w.int(0);
      return;
    }
    const r = await c.server.oneShard(shard, unblockOp.request(id, mode));
    c.w.int(unblockOp.read(r.reply) ? 1 : 0);
  },

  'client|reply'(c) {
    if (c.args.is(2, 'on')) {
      c.conn.replyOn(c.seq);
      c.w.ok();
    } else if (c.args.is(2, 'off')) {
      c.conn.replyOff(c.seq);
    } else if (c.args.is(2, 'skip')) {
      // the reply to drop is the next command's (this one has none)
      if (!c.conn.repliesOff()) c.conn.skipNext(c.seq);
    } else throw new CommandError(SYNTAX);
  },

  'client|no-evict'(c) {
    if (!c.args.is(2, 'on') && !c.args.is(2, 'off')) throw new CommandError(SYNTAX);
    c.w.ok();
  },

  'client|pause'(c) {
    if (c.argc === 4 && !c.args.is(3, 'write') && !c.args.is(3, 'all')) throw new CommandError(PAUSE_MODE);
    const ms = c.args.int(2, TIMEOUT_NOT_INTEGER);
    if (ms < 0) throw new CommandError(TIMEOUT_NEGATIVE);
    c.server.pause.pause(Date.now() + ms, c.argc === 4 && c.args.is(3, 'write') ? 'write' : 'all');
    c.w.ok();
  },

  'client|unpause'(c) {
    c.server.pause.pause(0, 'all');
    c.w.ok();
  },

  'client|help'(c) {
    c.w.helpLines([
      'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'GETNAME',
      '    Return the name of the current connection.',
      'ID',
      '    Return the ID of the current connection.',
      'INFO',
      '    Return information about the current client connection.',
      'KILL <ip:port>',
      '    Kill connection made from <ip:port>.',
      'KILL <option> <value> [<option> <value> [...]]',
      '    Kill connections. Options are:',
      '    * ADDR (<ip:port>|<unixsocket>:0)',
      '      Kill connections made from the specified address',
      '    * LADDR (<ip:port>|<unixsocket>:0)',
      '      Kill connections made to specified local address',
      '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
      '      Kill connections by type.',
      '    * USER <username>',
      '      Kill connections authenticated by <username>.',
      '    * SKIPME (YES|NO)',
      '      Skip killing current connection (default: yes).',
      'LIST [options ...]',
      '    Return information about client connections. Options:',
      '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
      '      Return clients of specified type.',
      'UNPAUSE',
      '    Stop the current client pause, resuming traffic.',
      'PAUSE <timeout> [WRITE|ALL]',
      '    Suspend all, or just write, clients for <timeout> milliseconds.',
      'REPLY (ON|OFF|SKIP)',
      '    Control the replies sent to the current connection.',
      'SETNAME <name>',
      '    Assign the name <name> to the current connection.',
      'UNBLOCK <clientid> [TIMEOUT|ERROR]',
      '    Unblock the specified blocked client.',
      'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
      '         [OPTIN] [OPTOUT] [NOLOOP]',
      '    Control server assisted client side caching.',
      'TRACKINGINFO',
      '    Report tracking status for the current connection.',
      'NO-EVICT (ON|OFF)',
      '    Protect current client connection from eviction.',
      'HELP',
      '    Prints this help.',
    ]);
  },
}, { keys: Keys.None });
