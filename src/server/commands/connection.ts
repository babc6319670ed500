/*
 * Connection commands on the main thread: PING ECHO QUIT SELECT HELLO AUTH RESET.
 */

import { CommandError, DB_INDEX_OUT_OF_RANGE, helloSyntax, HELLO_NOAUTH, INT_OUT_OF_RANGE, NOT_INTEGER, NOAUTH, WRONGPASS, AUTH_NOT_CONFIGURED, SYNTAX, CLIENT_NAME_INVALID, NOPROTO, PROTO_VERSION_NOT_INTEGER, wrongArity } from '../../resp/errors.js';
import { REDIS_VERSION } from '../../config.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { DENIED_AUTH } from '../../acl/acl.js';
import { clientInfoLine } from './client.js';
import { Keys, X, declare, mainCommands } from '../../commands/registry.js';

/** AUTH / HELLO AUTH: switch the connection to the user, or log the failure (ACL LOG reason auth). */
function authenticate(c: MainCtx, name: string, pass: string): boolean {
  const acl = c.server.acl;
  const u = acl.authenticate(name, pass);
  if (u === null) {
    acl.addLog(DENIED_AUTH, c.conn.multi !== null ? 'multi' : 'toplevel', c.args.str(0), name, clientInfoLine(c.server, c.conn));
    return false;
  }
  c.conn.authenticated = true;
  c.conn.framer.unauthenticated = false;
  c.conn.aclUser = u === acl.defaultUser ? null : u;
  c.conn.user = u.name;
  return true;
}

export const commands = mainCommands<MainHandler>({
  ping: declare((c) => {
    const subscribed = c.conn.subscriptionCount() > 0;
    if (c.argc > 2) throw new CommandError(wrongArity('ping'));
    if (subscribed && c.conn.proto === 2) {
      c.w.array(2);
      c.w.bulk('pong');
      c.w.bulk(c.argc === 2 ? c.args.str(1) : '');
      return;
    }
    if (c.argc === 2) c.w.bulk(c.args.str(1));
    else c.w.simple('PONG');
  }, { keys: Keys.None, x: X.PUBSUB_CONTEXT }),

  echo: declare((c) => {
    c.w.bulk(c.args.str(1));
  }, { keys: Keys.None }),

  quit: declare((c) => {
    c.w.ok();
    c.conn.closeAfterReply = true;
  }, { keys: Keys.None, x: X.PUBSUB_CONTEXT | X.NOT_QUEUED }),

  select: declare((c) => {
    // as Redis: a long long, then an int, then a database index
    const id = c.args.int(1, NOT_INTEGER);
    if (id < -0x80000000 || id > 0x7fffffff) throw new CommandError(INT_OUT_OF_RANGE);
    if (id < 0 || id >= c.server.config.int('databases')) throw new CommandError(DB_INDEX_OUT_OF_RANGE);
    c.conn.db = id;
    c.w.ok();
  }, { keys: Keys.None }),

  auth: declare((c) => {
    if (c.argc > 3) throw new CommandError(SYNTAX);
    const acl = c.server.acl;
    acl.syncRequirepass();
    if (c.argc === 2 && acl.defaultUser.nopass) throw new CommandError(AUTH_NOT_CONFIGURED);
    const user = c.argc === 3 ? c.args.str(1) : 'default';
    if (!authenticate(c, user, c.args.str(c.argc - 1))) throw new CommandError(WRONGPASS);
    c.w.ok();
  }, { keys: Keys.None }),

  hello: declare((c) => {
    let proto = c.conn.proto as number;
    let i = 1;
    if (c.argc >= 2) {
      const v = c.args.str(1);
      if (!/^-?[0-9]+$/.test(v)) throw new CommandError(PROTO_VERSION_NOT_INTEGER);
      proto = Number(v);
      i = 2;
      if (proto < 2 || proto > 3) throw new CommandError(NOPROTO);
    }
    let authUser: string | null = null;
    let authPass: string | null = null;
    let name: string | null = null;
    for (; i < c.argc; i++) {
      const more = c.argc - 1 - i;
      if (c.args.is(i, 'auth') && more >= 2) {
        authUser = c.args.str(i + 1);
        authPass = c.args.str(i + 2);
        i += 2;
      } else if (c.args.is(i, 'setname') && more >= 1) {
        name = c.args.str(i + 1);
        i += 1;
      } else {
        throw new CommandError(helloSyntax(c.args.str(i)));
      }
    }
    if (authUser !== null && !authenticate(c, authUser, authPass!)) throw new CommandError(WRONGPASS);
    if (!c.conn.authenticated) throw new CommandError(HELLO_NOAUTH);
    if (name !== null) {
      if (/[ \n]/.test(name) || /[^\x21-\x7e]/.test(name)) throw new CommandError(CLIENT_NAME_INVALID);
      c.conn.name = name;
    }
    c.conn.proto = proto === 3 ? 3 : 2;
    c.w.proto = c.conn.proto;
    const role = c.server.replication.isReplica() ? 'replica' : 'master';
    c.w.map(7);
    c.w.bulk('server');
    c.w.bulk('redis');
    c.w.bulk('version');
    c.w.bulk(REDIS_VERSION);
    c.w.bulk('proto');
    c.w.int(c.conn.proto);
    c.w.bulk('id');
    c.w.int(c.conn.id);
    c.w.bulk('mode');
    c.w.bulk('standalone');
    c.w.bulk('role');
    c.w.bulk(role);
    c.w.bulk('modules');
    c.w.array(0);
  }, { keys: Keys.None }),

  reset: declare((c) => {
    const conn = c.conn;
    conn.multi = null;
    conn.multiError = false;
    conn.db = 0;
    conn.proto = 2;
    conn.name = '';
    conn.replyOn(c.seq, false);
    c.server.monitor.clients.delete(conn);
    conn.aclUser = null;
    conn.user = 'default';
    if (c.server.acl.authRequired()) {
      conn.authenticated = false;
      conn.framer.unauthenticated = true;
    }
    c.pubsub.dropAll(conn);
    void c.server.unwatchAll(conn);
    c.w.proto = 2;
    c.w.simple('RESET');
  }, { x: X.PUBSUB_CONTEXT | X.NOT_QUEUED }),
});

export { NOAUTH };
