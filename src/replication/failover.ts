/*
 * FAILOVER on a master (Redis 6.2+): writes are paused, and once a replica (the one named with TO,
 * or any) has acknowledged the master's whole offset this server becomes its replica with PSYNC ...
 * FAILOVER, which asks the target to promote itself first. TIMEOUT aborts (or, with FORCE, hands
 * over anyway); FAILOVER ABORT and a refused PSYNC abort it.
 */

import type { ReplicationHost } from './host.js';
import type { ReplicaClient } from './replica-client.js';

/** INFO master_failover_state. */
export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

/** What a failover uses of the replication service (Replication satisfies it). */
export interface FailoverRepl {
  readonly server: ReplicationHost;
  readonly replicas: readonly ReplicaClient[];
  readonly masterOffset: number;
  replicaOf(host: string, port: number): Promise<void>;
  promote(): Promise<void>;
}

export class Failover {
  state: FailoverState = 'no-failover';
  private target: { host: string; port: number } | null = null;
  private end = 0;
  private force = false;

  constructor(private readonly repl: FailoverRepl) {}

  findReplica(host: string, port: number): ReplicaClient | undefined {
    return this.repl.replicas.find((r) => r.ip === host && r.listeningPort === port);
  }

  /** FAILOVER [TO host port [FORCE]] [TIMEOUT ms]: validated by the command; starts waiting. */
  start(target: { host: string; port: number } | null, timeoutMs: number, force: boolean): void {
    const s = this.repl.server;
    this.target = target;
    this.end = timeoutMs > 0 ? Date.now() + timeoutMs : 0;
    this.force = force;
    this.state = 'waiting-for-sync';
    s.log.info(target ? `FAILOVER requested to ${target.host}:${target.port}.` : 'FAILOVER requested to any replica.');
    s.pause.setFailover(true);
  }

  /** From the replication cron: time out, or hand over once the target caught up. */
  update(): void {
    if (this.state !== 'waiting-for-sync') return;
    const repl = this.repl;
    const t = this.target;
    if (this.end !== 0 && this.end <= Date.now()) {
      if (this.force && t) {
        repl.server.log.info(`FAILOVER to ${t.host}:${t.port} time out exceeded, failing over.`);
        this.state = 'failover-in-progress';
        void repl.replicaOf(t.host, t.port);
      } else this.abort('Replica never caught up before timeout');
      return;
    }
    const offset = repl.masterOffset;
    const r = t ? this.findReplica(t.host, t.port) : repl.replicas.find((x) => x.ackOffset === offset);
    if (r && r.ackOffset === offset) {
      this.target = { host: r.ip, port: r.listeningPort };
      this.state = 'failover-in-progress';
      repl.server.log.info(`Failover target ${r.ip}:${r.listeningPort} is synced, failing over.`);
      void repl.replicaOf(r.ip, r.listeningPort);
    }
  }

  /** The failover's PSYNC was answered (+CONTINUE / +FULLRESYNC): done, writes resume (refused now). */
  done(): void {
    if (this.state === 'no-failover') return;
    this.clear();
  }

  abort(why: string): void {
    if (this.state === 'no-failover') return;
    const t = this.target;
    this.repl.server.log.info(`FAILOVER to ${t ? `${t.host}:${t.port}` : 'any replica'} aborted: ${why}`);
    if (this.state === 'failover-in-progress') void this.repl.promote();
    this.clear();
  }

  private clear(): void {
    this.state = 'no-failover';
    this.target = null;
    this.end = 0;
    this.force = false;
    this.repl.server.pause.setFailover(false);
  }
}
