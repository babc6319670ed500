/*
 * Replication commands on the main thread: REPLICAOF / SLAVEOF, ROLE, WAIT, and the replica-to-master
 * protocol commands REPLCONF, PSYNC, SYNC (src/replication/replication.ts does the work).
 */

import { CommandError, UNBLOCKED, FAILOVER_FORCE_ARGS, FAILOVER_IN_PROGRESS, FAILOVER_NO_REPLICAS, FAILOVER_ON_REPLICA, FAILOVER_TARGET_OFFLINE, FAILOVER_TARGET_UNKNOWN, FAILOVER_TIMEOUT, INVALID_MASTER_PORT, NOT_INTEGER, NOT_VALID_FOR_REPLICA_CLIENT, NO_FAILOVER, PSYNC_FAILOVER_REPLID, PSYNC_FAILOVER_TO_MASTER, REPLICAOF_WHILE_FAILOVER, SYNC_WHILE_FAILOVER, SYNTAX, TIMEOUT_NEGATIVE, TIMEOUT_NOT_INTEGER, WAIT_ON_REPLICA } from '../../resp/errors.js';
import { ReplicaState } from '../../replication/replica-client.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { execRunning } from './transactions.js';
import { Keys, X, declare, mainCommands } from '../../commands/registry.js';

async function replicaof(c: MainCtx): Promise<void> {
  const r = c.replication;
  if (r.failoverState !== 'no-failover') throw new CommandError(REPLICAOF_WHILE_FAILOVER);
  const host = c.args.str(1);
  const portArg = c.args.str(2);
  if (host.toLowerCase() === 'no' && portArg.toLowerCase() === 'one') {
    if (r.link !== null) {
      await r.promote();
      c.server.log.info(`MASTER MODE enabled (user request from 'id=${c.conn.id} addr=${c.conn.addr}')`);
    }
    c.w.ok();
    return;
  }
  if (c.conn.isReplica) throw new CommandError(NOT_VALID_FOR_REPLICA_CLIENT);
  const port = Number(portArg);
  if (!/^-?[0-9]+$/.test(portArg) || !Number.isSafeInteger(port)) throw new CommandError(INVALID_MASTER_PORT);
  if (port < 0 || port > 65535) throw new CommandError(INVALID_MASTER_PORT);
  if (r.link !== null && r.link.host.toLowerCase() === host.toLowerCase() && r.link.port === port) {
    c.server.log.info('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.w.simple('OK Already connected to specified master');
    return;
  }
  await r.replicaOf(host, port);
  c.server.log.info(`REPLICAOF ${host}:${port} enabled (user request from 'id=${c.conn.id} addr=${c.conn.addr}')`);
  c.w.ok();
}

export const commands = mainCommands<MainHandler>({
  replicaof: declare(replicaof, { keys: Keys.None, x: X.BARRIER | X.SLOW_ASYNC }),
  slaveof: declare(replicaof, { keys: Keys.None, x: X.BARRIER | X.SLOW_ASYNC }),

  role: declare((c) => {
    c.replication.role(c.w);
  }, { keys: Keys.None }),

  wait: declare(async (c) => {
    const r = c.replication;
    if (r.link !== null) {
      throw new CommandError(WAIT_ON_REPLICA);
    }
    const need = c.args.int(1, NOT_INTEGER);
    const timeout = c.args.int(2, TIMEOUT_NOT_INTEGER);
    if (timeout < 0) throw new CommandError(TIMEOUT_NEGATIVE);
    const offset = r.masterOffset;
    const now = r.ackedReplicas(offset);
    if (now >= need || execRunning.has(c.conn)) {
      c.w.int(now);
      return;
    }
    c.conn.blockedInWait = true; // cleared when the command ends
    const n = await r.waitForAcks(offset, need, timeout, c.conn);
    // CLIENT UNBLOCK ... ERROR leaves the error to answer; TIMEOUT answers the count so far
    const unblocked = c.conn.unblockReply;
    c.conn.unblockReply = null;
    if (unblocked !== null) throw new CommandError(UNBLOCKED);
    c.w.int(n);
  }, { keys: Keys.None, x: X.BARRIER | X.SLOW_ASYNC }),

  replconf(c) {
    if (c.argc % 2 === 0) throw new CommandError(SYNTAX);
    const opts: [string, string][] = [];
    for (let i = 1; i + 1 < c.argc; i += 2) opts.push([c.args.str(i), c.args.str(i + 1)]);
    const res = c.replication.replconf(c.conn, opts);
    if (res === 'ok') c.w.ok();
    else if (res !== 'noreply') throw new CommandError(res);
  },

  psync: declare(async (c) => {
    if (c.conn.isReplica) return;
    const r = c.replication;
    const replid = c.args.str(1);
    const offText = c.args.str(2);
    if (c.argc > 3 && c.args.is(3, 'failover')) {
      // a master handing over to us (its FAILOVER): promote ourselves if we follow its history
      c.server.log.warn(`Failover request received for replid ${replid}.`);
      if (r.link === null) throw new CommandError(PSYNC_FAILOVER_TO_MASTER);
      if (replid !== r.replid) throw new CommandError(PSYNC_FAILOVER_REPLID);
      await r.promote();
      c.server.log.info(`MASTER MODE enabled (failover request from 'id=${c.conn.id} addr=${c.conn.addr}')`);
    }
    if (r.failoverState !== 'no-failover') throw new CommandError(SYNC_WHILE_FAILOVER);
    if (!/^-?[0-9]+$/.test(offText)) throw new CommandError(NOT_INTEGER);
    const err = r.psync(c.conn, replid, Number(offText), false);
    if (err !== null) throw new CommandError(err);
  }, { x: X.SLOW_ASYNC }),

  failover: declare((c) => {
    const r = c.replication;
    if (c.argc === 2 && c.args.is(1, 'abort')) {
      if (r.failoverState === 'no-failover') throw new CommandError(NO_FAILOVER);
      r.abortFailover('Failover manually aborted');
      c.w.ok();
      return;
    }
    let timeout = 0;
    let force = false;
    let target: { host: string; port: number } | null = null;
    for (let j = 1; j < c.argc; j++) {
      if (c.args.is(j, 'timeout') && j + 1 < c.argc && timeout === 0) {
        timeout = c.args.int(j + 1, NOT_INTEGER);
        if (timeout <= 0) throw new CommandError(FAILOVER_TIMEOUT);
        j++;
      } else if (c.args.is(j, 'to') && j + 2 < c.argc && target === null) {
        const port = c.args.int(j + 2, NOT_INTEGER);
        target = { host: c.args.str(j + 1), port };
        j += 2;
      } else if (c.args.is(j, 'force') && !force) {
        force = true;
      } else throw new CommandError(SYNTAX);
    }
    if (r.failoverState !== 'no-failover') throw new CommandError(FAILOVER_IN_PROGRESS);
    if (r.link !== null) throw new CommandError(FAILOVER_ON_REPLICA);
    if (r.replicas.length === 0) throw new CommandError(FAILOVER_NO_REPLICAS);
    if (force && (timeout === 0 || target === null)) throw new CommandError(FAILOVER_FORCE_ARGS);
    if (target !== null) {
      const t = r.failover.findReplica(target.host, target.port);
      if (t === undefined) throw new CommandError(FAILOVER_TARGET_UNKNOWN);
      if (t.state !== ReplicaState.Online) throw new CommandError(FAILOVER_TARGET_OFFLINE);
    }
    r.failover.start(target, timeout, force);
    c.w.ok();
  }, { x: X.BARRIER | X.SLOW_ASYNC }),

  sync: declare((c) => {
    if (c.conn.isReplica) return;
    const err = c.replication.psync(c.conn, '?', -1, true);
    if (err !== null) throw new CommandError(err);
  }, { x: X.SLOW_ASYNC }),
});
