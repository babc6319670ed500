/*
 * GET /metrics: a Snapshot in Prometheus's text exposition format 0.0.4. Redis-level series take
 * redis_exporter's names and labels (redis_up, redis_connected_clients, redis_db_keys{db="db0"},
 * redis_connected_slave_offset_bytes{slave_ip,slave_port,slave_state}, redis_commands_total{cmd}, ...),
 * with values read from the same INFO text the INFO command prints; shardis's own series (per shard,
 * event-loop delay, replica lag in bytes) are prefixed shardis_.
 */

import { replicaLines, type Snapshot } from './collect.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string | number>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

class Exposition {
  private out: string[] = [];
  private seen = new Set<string>();

  /** One family: HELP and TYPE once, then its samples. */
  family(name: string, help: string, samples: [Labels, number][] | number, type: 'gauge' | 'counter' | 'summary' = 'gauge'): void {
    if (this.seen.has(name)) throw new Error(`metric family ${name} twice`);
    this.seen.add(name);
    const list: [Labels, number][] = typeof samples === 'number' ? [[{}, samples]] : samples;
    if (list.length === 0) return;
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of list) this.out.push(`${name}${labelText(labels)} ${fmt(v)}`);
  }

  /** A sample line of a family already declared (summary _sum/_count). */
  raw(name: string, labels: Labels, v: number): void {
    this.out.push(`${name}${labelText(labels)} ${fmt(v)}`);
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(',')}}`;
}

export function renderMetrics(s: Snapshot, maxclients: number): string {
  const e = new Exposition();
  const info = s.info;
  const num = (section: string, field: string): number => {
    const v = info[section]?.[field];
    return v === undefined ? NaN : Number(v);
  };
  const g = (name: string, help: string, section: string, field: string): void => {
    const v = num(section, field);
    if (!Number.isNaN(v)) e.family(name, help, v);
  };
  /** Gauges of one INFO section, each helped as "<field> metric" (redis_exporter's wording). */
  const gauges = (section: string, names: [name: string, field: string][]): void => {
    for (const [name, field] of names) g(name, `${field} metric`, section, field);
  };
  const c = (name: string, help: string, section: string, field: string): void => {
    const v = num(section, field);
    if (!Number.isNaN(v)) e.family(name, help, v, 'counter');
  };
  const server = info.server ?? {};
  const repl = info.replication ?? {};
  const role = repl.role ?? 'master';

  e.family('redis_up', 'Information about the Redis instance', 1);
  e.family('redis_instance_info', 'Information about the Redis instance', [
    [
      {
        role,
        redis_version: server.redis_version ?? '',
        redis_build_id: server.redis_build_id ?? '',
        redis_mode: server.redis_mode ?? '',
        os: server.os ?? '',
        tcp_port: server.tcp_port ?? '',
        run_id: server.run_id ?? '',
        process_id: server.process_id ?? '',
        shardis_version: server.shardis_version ?? '',
      },
      1,
    ],
  ]);
  g('redis_uptime_in_seconds', 'uptime_in_seconds metric', 'server', 'uptime_in_seconds');
  e.family('redis_start_time_seconds', 'Start time of the Redis instance since unix epoch in seconds.', Math.floor(s.t / 1000) - num('server', 'uptime_in_seconds'));

  g('redis_connected_clients', 'connected_clients metric', 'clients', 'connected_clients');
  g('redis_blocked_clients', 'blocked_clients metric', 'clients', 'blocked_clients');
  e.family('redis_max_clients', 'maxclients metric', maxclients);

  gauges('memory', [
    ['redis_memory_used_bytes', 'used_memory'],
    ['redis_memory_used_rss_bytes', 'used_memory_rss'],
    ['redis_memory_used_peak_bytes', 'used_memory_peak'],
    ['redis_memory_max_bytes', 'maxmemory'],
    ['redis_mem_fragmentation_ratio', 'mem_fragmentation_ratio'],
  ]);

  c('redis_commands_processed_total', 'commands_processed_total metric', 'stats', 'total_commands_processed');
  c('redis_connections_received_total', 'connections_received_total metric', 'stats', 'total_connections_received');
  c('redis_rejected_connections_total', 'rejected_connections_total metric', 'stats', 'rejected_connections');
  g('redis_instantaneous_ops_per_sec', 'instantaneous_ops_per_sec metric', 'stats', 'instantaneous_ops_per_sec');
  c('redis_net_input_bytes_total', 'net_input_bytes_total metric', 'stats', 'total_net_input_bytes');
  c('redis_net_output_bytes_total', 'net_output_bytes_total metric', 'stats', 'total_net_output_bytes');
  c('redis_net_repl_input_bytes_total', 'net_repl_input_bytes_total metric', 'stats', 'total_net_repl_input_bytes');
  c('redis_net_repl_output_bytes_total', 'net_repl_output_bytes_total metric', 'stats', 'total_net_repl_output_bytes');
  c('redis_keyspace_hits_total', 'keyspace_hits_total metric', 'stats', 'keyspace_hits');
  c('redis_keyspace_misses_total', 'keyspace_misses_total metric', 'stats', 'keyspace_misses');
  c('redis_expired_keys_total', 'expired_keys_total metric', 'stats', 'expired_keys');
  c('redis_evicted_keys_total', 'evicted_keys_total metric', 'stats', 'evicted_keys');
  c('redis_total_error_replies', 'total_error_replies metric', 'stats', 'total_error_replies');
  g('redis_pubsub_channels', 'pubsub_channels metric', 'stats', 'pubsub_channels');
  g('redis_pubsub_patterns', 'pubsub_patterns metric', 'stats', 'pubsub_patterns');
  c('redis_sync_full_total', 'sync_full metric', 'stats', 'sync_full');
  c('redis_sync_partial_ok_total', 'sync_partial_ok metric', 'stats', 'sync_partial_ok');
  c('redis_sync_partial_err_total', 'sync_partial_err metric', 'stats', 'sync_partial_err');

  c('redis_cpu_sys_seconds_total', 'used_cpu_sys metric', 'cpu', 'used_cpu_sys');
  c('redis_cpu_user_seconds_total', 'used_cpu_user metric', 'cpu', 'used_cpu_user');

  // keyspace: redis_exporter's db label is "db0"
  const dbKeys: [Labels, number][] = [];
  const dbExp: [Labels, number][] = [];
  const dbTtl: [Labels, number][] = [];
  for (const [db, v] of Object.entries(info.keyspace ?? {})) {
    const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string]));
    dbKeys.push([{ db }, Number(f.keys ?? 0)]);
    dbExp.push([{ db }, Number(f.expires ?? 0)]);
    dbTtl.push([{ db }, Number(f.avg_ttl ?? 0) / 1000]);
  }
  e.family('redis_db_keys', 'Total number of keys by DB', dbKeys);
  e.family('redis_db_keys_expiring', 'Total number of expiring keys by DB', dbExp);
  e.family('redis_db_avg_ttl_seconds', 'Avg TTL in seconds', dbTtl);

  // replication
  gauges('replication', [
    ['redis_connected_slaves', 'connected_slaves'],
    ['redis_master_repl_offset', 'master_repl_offset'],
    ['redis_second_repl_offset', 'second_repl_offset'],
    ['redis_repl_backlog_is_active', 'repl_backlog_active'],
    ['redis_repl_backlog_size_bytes', 'repl_backlog_size'],
    ['redis_repl_backlog_history_bytes', 'repl_backlog_histlen'],
    ['redis_repl_backlog_first_byte_offset', 'repl_backlog_first_byte_offset'],
  ]);
  if (role === 'slave') {
    e.family('redis_master_link_up', 'master_link_up metric', repl.master_link_status === 'up' ? 1 : 0);
    g('redis_master_last_io_seconds_ago', 'Master last io seconds ago', 'replication', 'master_last_io_seconds_ago');
    g('redis_master_sync_in_progress', 'Master sync in progress', 'replication', 'master_sync_in_progress');
    g('redis_slave_repl_offset', 'Slave replication offset', 'replication', 'slave_repl_offset');
    g('redis_slave_priority', 'slave_priority metric', 'replication', 'slave_priority');
    e.family('redis_slave_info', 'Information about the Redis slave', [
      [{ master_host: repl.master_host ?? '', master_port: repl.master_port ?? '', read_only: repl.slave_read_only === '1' ? 'yes' : 'no' }, 1],
    ]);
  }
  const replicas = replicaLines(info);
  const masterOffset = num('replication', 'master_repl_offset');
  const rl = (r: (typeof replicas)[number]): Labels => ({ slave_ip: r.ip, slave_port: r.port, slave_state: r.state });
  e.family('redis_connected_slave_offset_bytes', 'Offset of connected slave', replicas.map((r) => [rl(r), r.offset]));
  e.family('redis_connected_slave_lag_seconds', 'Lag of connected slave', replicas.map((r) => [rl(r), r.lag]));
  e.family(
    'shardis_replica_lag_bytes',
    "How far a replica's acknowledged offset is behind this master's offset, in bytes",
    replicas.map((r) => [rl(r), Math.max(0, masterOffset - r.offset)]),
  );

  // per command and per error prefix: INFO commandstats / errorstats (redis_exporter's families)
  e.family('redis_commands_total', 'Total number of calls per command', s.calls.map(([name, , n]) => [{ cmd: name }, n]), 'counter');
  e.family('redis_commands_duration_seconds_total', 'Total amount of time in seconds spent per command', s.calls.map(([name, , , us]) => [{ cmd: name }, (us ?? 0) / 1e6]), 'counter');
  e.family('redis_commands_rejected_calls_total', 'Total number of errors prior command execution per command', s.calls.map(([name, , , , r]) => [{ cmd: name }, r ?? 0]), 'counter');
  e.family('redis_commands_failed_calls_total', 'Total number of errors within command execution per command', s.calls.map(([name, , , , , f]) => [{ cmd: name }, f ?? 0]), 'counter');
  e.family('redis_errors_total', 'Total number of errors per error type', (s.errors ?? []).map(([err, n]) => [{ err }, n]), 'counter');

  // shardis's own
  e.family('shardis_shards', 'Number of shard worker threads', s.shards.length);
  const per = (f: (x: Snapshot['shards'][number]) => number): [Labels, number][] => s.shards.map((x) => [{ shard: x.index }, f(x)]);
  e.family('shardis_shard_commands_processed_total', 'Requests executed by a shard', per((x) => x.commands), 'counter');
  e.family('shardis_shard_busy_seconds_total', 'Time a shard thread spent working (not asleep waiting for requests)', per((x) => x.busySeconds), 'counter');
  e.family('shardis_shard_inflight_requests', 'Requests sent to a shard whose replies have not arrived', per((x) => x.inflight));
  e.family('shardis_shard_request_ring_used_bytes', 'Bytes queued in the request ring (main thread -> shard)', per((x) => x.requestRingBytes));
  e.family('shardis_shard_reply_ring_used_bytes', 'Bytes queued in the reply ring (shard -> main thread)', per((x) => x.replyRingBytes));
  e.family('shardis_shard_ring_capacity_bytes', 'Capacity of each of a shard ring', per((x) => x.ringCapacity));
  const shardKeys: [Labels, number][] = [];
  for (const x of s.shards) {
    x.keyspace.forEach(([keys], db) => {
      if (keys > 0) shardKeys.push([{ shard: x.index, db: `db${db}` }, keys]);
    });
  }
  e.family('shardis_shard_keys', 'Keys held by a shard, by DB', shardKeys);
  const l = s.loop;
  e.family('shardis_event_loop_delay_seconds', "Main thread event-loop delay (perf_hooks.monitorEventLoopDelay); quantiles over the last second", [
    [{ quantile: '0.5' }, l.p50],
    [{ quantile: '0.9' }, l.p90],
    [{ quantile: '0.99' }, l.p99],
  ], 'summary');
  e.raw('shardis_event_loop_delay_seconds_sum', {}, l.sum);
  e.raw('shardis_event_loop_delay_seconds_count', {}, l.count);
  e.family('shardis_event_loop_delay_max_seconds', 'Largest main thread event-loop delay over the last second', l.max);
  return e.text();
}
