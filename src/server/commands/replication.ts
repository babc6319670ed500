/*
 * Replication commands on the main thread: REPLICAOF / SLAVEOF, ROLE, WAIT, and the replica-to-master
 * protocol commands REPLCONF, PSYNC, SYNC (src/replication/replication.ts does the work).
 */

import { CommandError, UNBLOCKED } from '../../resp/errors.js';
import { ReplicaState } from '../../replication/replica-client.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { execRunning } from './transactions.js';

async function replicaof(c: MainCtx): Promise<void> {
  const r = c.replication;
  if (r.failoverState !== 'no-failover') throw new CommandError('ERR REPLICAOF not allowed while failing over.');
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
  if (c.conn.isReplica) throw new CommandError('ERR Command is not valid when client is a replica.');
  const port = Number(portArg);
  if (!/^-?[0-9]+$/.test(portArg) || !Number.isSafeInteger(port)) throw new CommandError('ERR Invalid master port');
  if (port < 0 || port > 65535) throw new CommandError('ERR Invalid master port');
  if (r.link !== null && r.link.host.toLowerCase() === host.toLowerCase() && r.link.port === port) {
    c.server.log.info('REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.');
    c.w.simple('OK Already connected to specified master');
    return;
  }
  await r.replicaOf(host, port);
  c.server.log.info(`REPLICAOF ${host}:${port} enabled (user request from 'id=${c.conn.id} addr=${c.conn.addr}')`);
  c.w.ok();
}

export const handlers: Record<string, MainHandler> = {
  replicaof,
  slaveof: replicaof,

  role(c) {
    c.replication.role(c.w);
  },

  async wait(c) {
    const r = c.replication;
    if (r.link !== null) {
      throw new CommandError(
        'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
      );
    }
    const need = c.args.int(1, 'ERR value is not an integer or out of range');
    const timeout = c.args.int(2, 'ERR timeout is not an integer or out of range');
    if (timeout < 0) throw new CommandError('ERR timeout is negative');
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
  },

  replconf(c) {
    if (c.argc % 2 === 0) throw new CommandError('ERR syntax error');
    const opts: [string, string][] = [];
    for (let i = 1; i + 1 < c.argc; i += 2) opts.push([c.args.str(i), c.args.str(i + 1)]);
    const res = c.replication.replconf(c.conn, opts);
    if (res === 'ok') c.w.ok();
    else if (res !== 'noreply') throw new CommandError(res);
  },

  async psync(c) {
    if (c.conn.isReplica) return;
    const r = c.replication;
    const replid = c.args.str(1);
    const offText = c.args.str(2);
    if (c.argc > 3 && c.args.is(3, 'failover')) {
      // a master handing over to us (its FAILOVER): promote ourselves if we follow its history
      c.server.log.warn(`Failover request received for replid ${replid}.`);
      if (r.link === null) throw new CommandError("ERR PSYNC FAILOVER can't be sent to a master.");
      if (replid !== r.replid) throw new CommandError('ERR PSYNC FAILOVER replid must match my replid.');
      await r.promote();
      c.server.log.info(`MASTER MODE enabled (failover request from 'id=${c.conn.id} addr=${c.conn.addr}')`);
    }
    if (r.failoverState !== 'no-failover') throw new CommandError("NOMASTERLINK Can't SYNC while failing over");
    if (!/^-?[0-9]+$/.test(offText)) throw new CommandError('ERR value is not an integer or out of range');
    const err = r.psync(c.conn, replid, Number(offText), false);
    if (err !== null) throw new CommandError(err);
  },

  failover(c) {
    const r = c.replication;
    if (c.argc === 2 && c.args.is(1, 'abort')) {
      if (r.failoverState === 'no-failover') throw new CommandError('ERR No failover in progress.');
      r.abortFailover('Failover manually aborted');
      c.w.ok();
      return;
    }
    let timeout = 0;
    let force = false;
    let target: { host: string; port: number } | null = null;
    for (let j = 1; j < c.argc; j++) {
      if (c.args.is(j, 'timeout') && j + 1 < c.argc && timeout === 0) {
        timeout = c.args.int(j + 1, 'ERR value is not an integer or out of range');
        if (timeout <= 0) throw new CommandError('ERR FAILOVER timeout must be greater than 0');
        j++;
      } else if (c.args.is(j, 'to') && j + 2 < c.argc && target === null) {
        const port = c.args.int(j + 2, 'ERR value is not an integer or out of range');
        target = { host: c.args.str(j + 1), port };
        j += 2;
      } else if (c.args.is(j, 'force') && !force) {
        force = true;
      } else throw new CommandError('ERR syntax error');
    }
    if (r.failoverState !== 'no-failover') throw new CommandError('ERR FAILOVER already in progress.');
    if (r.link !== null) throw new CommandError('ERR FAILOVER is not valid when server is a replica.');
    if (r.replicas.length === 0) throw new CommandError('ERR FAILOVER requires connected replicas.');
    if (force && (timeout === 0 || target === null)) throw new CommandError('ERR FAILOVER with force option requires both a timeout and target HOST and IP.');
    if (target !== null) {
      const t = r.findReplica(target.host, target.port);
      if (t === undefined) throw new CommandError('ERR FAILOVER target HOST and PORT is not a replica.');
      if (t.state !== ReplicaState.Online) throw new CommandError('ERR FAILOVER target replica is not online.');
    }
    r.startFailover(target, timeout, force);
    c.w.ok();
  },

  sync(c) {
    if (c.conn.isReplica) return;
    const err = c.replication.psync(c.conn, '?', -1, true);
    if (err !== null) throw new CommandError(err);
  },
};
