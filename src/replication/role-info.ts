/*
 * INFO replication and ROLE: this server's role, its master link or its replicas, the history (replid,
 * offsets) and the backlog, as redis-server 7.0 reports them.
 */

import type { RespWriter } from '../resp/writer.js';
import type { ReplicationBacklog } from './backlog.js';
import type { ReplicationHost } from './host.js';
import type { MasterLink } from './master-link.js';
import { type ReplicaClient, ReplicaState } from './replica-client.js';

/** What INFO and ROLE read of the replication service (Replication satisfies it). */
export interface InfoRepl {
  readonly server: ReplicationHost;
  readonly link: MasterLink | null;
  readonly replicas: readonly ReplicaClient[];
  readonly backlog: ReplicationBacklog | null;
  readonly replid: string;
  readonly replid2: string;
  readonly masterOffset: number;
  readonly secondOffset: number;
  readonly failoverState: string;
  goodReplicas(): number;
}

/** INFO replication's lines. */
export function replicationInfo(repl: InfoRepl): string[] {
  const s = repl.server;
  const cfg = s.config;
  const lines: string[] = [];
  const link = repl.link;
  lines.push(`role:${link ? 'slave' : 'master'}`);
  if (link) lines.push(...link.info());
  lines.push(`connected_slaves:${repl.replicas.length}`);
  if (cfg.int('min-replicas-to-write') > 0 && cfg.int('min-replicas-max-lag') > 0) lines.push(`min_slaves_good_slaves:${repl.goodReplicas()}`);
  const now = Date.now();
  repl.replicas.forEach((r, i) => {
    const lag = r.state === ReplicaState.Online ? Math.floor(now / 1000) - Math.floor(r.ackTime / 1000) : 0;
    lines.push(`slave${i}:ip=${r.ip},port=${r.listeningPort},state=${r.stateName()},offset=${r.ackOffset},lag=${lag}`);
  });
  const b = repl.backlog;
  lines.push(
    `master_failover_state:${repl.failoverState}`,
    `master_replid:${repl.replid}`,
    `master_replid2:${repl.replid2}`,
    `master_repl_offset:${repl.masterOffset}`,
    `second_repl_offset:${repl.secondOffset}`,
    `repl_backlog_active:${b ? 1 : 0}`,
    `repl_backlog_size:${cfg.int('repl-backlog-size')}`,
    `repl_backlog_first_byte_offset:${b ? b.firstByteOffset : 0}`,
    `repl_backlog_histlen:${b ? b.histlen : 0}`,
  );
  return lines;
}

/** ROLE's reply. */
export function roleReply(repl: InfoRepl, w: RespWriter): void {
  const link = repl.link;
  if (link === null) {
    const online = repl.replicas.filter((r) => r.state === ReplicaState.Online);
    w.array(3);
    w.bulk('master');
    w.int(repl.masterOffset);
    w.array(online.length);
    for (const r of online) {
      w.array(3);
      w.bulk(r.ip);
      w.bulk(String(r.listeningPort));
      w.bulk(String(r.ackOffset));
    }
    return;
  }
  w.array(5);
  w.bulk('slave');
  w.bulk(link.host);
  w.int(link.port);
  w.bulk(link.roleState());
  w.int(link.connected() ? link.offset : -1);
}
