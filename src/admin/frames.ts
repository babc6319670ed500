/*
 * The dashboard's once-a-second frame (JSON over the WebSocket): this node's replication topology
 * (its master or its replicas, with state, offsets, lag in bytes and seconds, link status and the
 * peers' dashboard addresses when known) and rates computed from two consecutive Snapshots: ops/s
 * in total, per command family (the command table's group) and per shard, plus memory, clients and
 * keys.
 */

import { replicaLines, type Snapshot } from './collect.js';
import type { PeerDirectory } from './peers.js';

export interface ReplicaView {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lagBytes: number;
  lagSeconds: number;
  admin: string | null;
}

export interface Frame {
  t: number;
  node: { role: string; port: number; runId: string; version: string; uptime: number; shards: number };
  master: { host: string; port: number; link: string; lastIo: number; syncing: boolean; offset: number; admin: string | null } | null;
  offset: number;
  replicas: ReplicaView[];
  ops: number;
  families: Record<string, number>;
  shardOps: number[];
  memory: { used: number; rss: number };
  clients: number;
  keys: number;
  dbs: Record<string, number>;
  loopP99Ms: number;
}

function adminUrl(host: string, port: number): string | null {
  if (!(port > 0)) return null;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

export function makeFrame(prev: Snapshot | null, cur: Snapshot, peers: PeerDirectory): Frame {
  const info = cur.info;
  const server = info.server ?? {};
  const repl = info.replication ?? {};
  const role = repl.role ?? 'master';
  const dt = prev ? Math.max(0.001, (cur.t - prev.t) / 1000) : 1;
  const rate = (a: number, b: number | undefined): number => (prev && b !== undefined ? Math.max(0, Math.round((a - b) / dt)) : 0);

  const total = Number(info.stats?.total_commands_processed ?? 0);
  const ops = rate(total, prev ? Number(prev.info.stats?.total_commands_processed ?? 0) : undefined);

  const families: Record<string, number> = {};
  const before = new Map<string, number>();
  if (prev) for (const [name, , n] of prev.calls) before.set(name, n);
  for (const [name, group, n] of cur.calls) {
    const fam = group || 'other';
    families[fam] = (families[fam] ?? 0) + rate(n, prev ? (before.get(name) ?? 0) : undefined);
  }

  const shardOps = cur.shards.map((s, i) => rate(s.commands, prev?.shards[i]?.commands));

  const masterOffset = Number(repl.master_repl_offset ?? 0);
  const replicas = replicaLines(info).map((r) => ({
    ip: r.ip,
    port: r.port,
    state: r.state,
    offset: r.offset,
    lagBytes: Math.max(0, masterOffset - r.offset),
    lagSeconds: r.lag,
    admin: adminUrl(r.ip, peers.adminPort(r.ip, r.port)),
  }));

  let master: Frame['master'] = null;
  if (role === 'slave') {
    const host = repl.master_host ?? '';
    const port = Number(repl.master_port ?? 0);
    master = {
      host,
      port,
      link: repl.master_link_status ?? 'down',
      lastIo: Number(repl.master_last_io_seconds_ago ?? -1),
      syncing: repl.master_sync_in_progress === '1',
      offset: Number(repl.slave_repl_offset ?? 0),
      admin: adminUrl(host, peers.adminPort(host, port)),
    };
  }

  const dbs: Record<string, number> = {};
  let keys = 0;
  for (const [db, v] of Object.entries(info.keyspace ?? {})) {
    const m = /keys=(\d+)/.exec(v);
    const n = m ? Number(m[1]) : 0;
    dbs[db] = n;
    keys += n;
  }

  return {
    t: cur.t,
    node: {
      role,
      port: Number(server.tcp_port ?? 0),
      runId: server.run_id ?? '',
      version: server.shardis_version ?? '',
      uptime: Number(server.uptime_in_seconds ?? 0),
      shards: cur.shards.length,
    },
    master,
    offset: masterOffset,
    replicas,
    ops,
    families,
    shardOps,
    memory: { used: Number(info.memory?.used_memory ?? 0), rss: Number(info.memory?.used_memory_rss ?? 0) },
    clients: Number(info.clients?.connected_clients ?? 0),
    keys,
    dbs,
    loopP99Ms: Math.round(cur.loop.p99 * 1e6) / 1e3,
  };
}
