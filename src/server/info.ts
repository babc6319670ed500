/*
 * INFO: the sections and field names redis-server 7.0 prints (server, clients, memory, persistence,
 * stats, replication, cpu, modules, errorstats, cluster, keyspace), "# Section" headers, CRLF line
 * ends. Shards report their keyspace sizes, hit/miss/expiry counters and memory through control ops;
 * used_memory is the whole process's heaps and external memory (main thread and every shard).
 */

import os from 'node:os';
import { REDIS_VERSION, SHARDIS_VERSION } from '../config.js';
import { functionCounts } from '../scripting/functions.js';
import { execRunning } from './commands/transactions.js';
import type { Connection } from './connection.js';
import type { ServerContext } from './main-ctx.js';
import { commandstatsLines, errorstatsLines, gatherStats, infoPercentiles, latencystatsLines } from './stats/introspect.js';
import { keyspaceOp, memoryOp, statsOp } from '../ipc/control.js';

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];
/** Every section, in the order redis-server prints them whatever order they were asked in. */
const ALL_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];

let peakMemory = 0;

function human(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

/** Fields redis-server prints that are always 0 here (no forks, defrag, I/O threads ...): "name:0" each. */
function zeros(...names: string[]): string[] {
  return names.map((n) => `${n}:0`);
}

export interface ShardStatsTotals {
  hits: number;
  misses: number;
  expired: number;
  blocked: number;
  /** Of those, blocked with a timeout (INFO clients_in_timeout_table). */
  timed: number;
  keyspace: [number, number][]; // per db: keys, expires
}

/**
 * Counters and key counts summed over the shards. The key counts are read at one moment no shard is
 * locked (never half of a multi-shard transaction or script), at once if the caller holds the locks.
 */
export async function shardTotals(server: ServerContext, locked = false): Promise<ShardStatsTotals> {
  const all = server.links.map((_, shard) => shard);
  const [stats, ks] = await Promise.all([
    server.allShards(statsOp.request()),
    server.coordinator.cut(all.map((shard) => ({ shard, argv: keyspaceOp.request(), db: 0 })), locked),
  ]);
  const t: ShardStatsTotals = { hits: 0, misses: 0, expired: 0, blocked: 0, timed: 0, keyspace: [] };
  for (const r of stats) {
    const st = statsOp.read(r.reply);
    t.timed += st.timedBlocked;
    t.hits += st.hits;
    t.misses += st.misses;
    t.expired += st.expired;
    t.blocked += st.blocked;
  }
  for (const r of ks) {
    keyspaceOp.read(r.reply).forEach(({ keys, expires }, i) => {
      const cur = t.keyspace[i] ?? [0, 0];
      t.keyspace[i] = [cur[0] + keys, cur[1] + expires];
    });
  }
  return t;
}

/**
 * used: the main thread's heap and external memory, the rings it shares with the shards, and every
 * shard's heap and external memory (as each shard reports it; a shard's arena pages are external
 * memory). Buffers and ArrayBuffers are already part of an isolate's external memory
 * (process.memoryUsage().arrayBuffers is a subset, not an addition); SharedArrayBuffers are not, so
 * the rings are added once, here. dataset: the bytes the shards' keyspace entries take (keys,
 * values, expiry times; shard/control.ts), the rest of `used` being overhead.
 */
/** Bytes waiting in the replicas' output buffers (left out of the memory maxmemory counts, as in Redis). */
function replicaOutputBytes(server: ServerContext): number {
  let n = 0;
  for (const r of server.replication.replicas) n += r.conn.socket.writableLength + r.pendingBytes;
  return n;
}

/** Measure the main thread's memory again for the maxmemory board (see MemoryGate.sampleMain). */
export function sampleMainMemory(server: ServerContext): void {
  let shared = 0;
  for (const l of server.links) shared += l.requests.sab.byteLength + l.replies.sab.byteLength;
  server.memGate.sampleMain(shared, replicaOutputBytes(server));
}

/**
 * used_memory and used_memory_dataset. used_memory is the figure maxmemory is compared with (the
 * eviction board's sum, each thread measured again now: see src/shard/eviction.ts) plus what that
 * leaves out (mem_not_counted_for_evict: replicas' output buffers), as Redis's used_memory.
 */
export async function memoryFigures(server: ServerContext): Promise<{ used: number; dataset: number; notCounted: number }> {
  let dataset = 0;
  // each shard measures itself again and writes its row of the board before it answers
  for (const r of await server.allShards(memoryOp.request())) dataset += memoryOp.read(r.reply).dataset;
  const notCounted = replicaOutputBytes(server);
  if (server.memGate.due(true)) sampleMainMemory(server);
  const used = server.memGate.counted() + notCounted;
  return { used, dataset: Math.min(dataset, used), notCounted };
}

export async function buildInfo(server: ServerContext, requested: string[], conn: Connection | null): Promise<string> {
  let sections: string[];
  if (requested.length === 0 || requested.includes('default')) sections = DEFAULT_SECTIONS;
  else if (requested.includes('all') || requested.includes('everything')) sections = ALL_SECTIONS;
  else sections = ALL_SECTIONS.filter((x) => requested.includes(x));
  const want = new Set(sections);
  const needShards = want.has('stats') || want.has('keyspace') || want.has('clients');
  const totals = needShards ? await shardTotals(server, conn !== null && execRunning.has(conn)) : null;
  const needCmd = want.has('stats') || want.has('commandstats') || want.has('errorstats') || want.has('latencystats');
  const cs = needCmd ? await gatherStats(server) : null;
  const cfg = server.config;
  const out: string[] = [];
  const now = Date.now();
  const uptime = Math.floor((now - server.startedAt) / 1000);
  const mem = process.memoryUsage();
  const { used, dataset, notCounted } = want.has('memory') ? await memoryFigures(server) : { used: 0, dataset: 0, notCounted: 0 };
  if (used > peakMemory) peakMemory = used;
  const cpu = process.cpuUsage();

  const section = (name: string, lines: string[]): void => {
    if (out.length > 0) out.push('');
    out.push(`# ${name}`, ...lines);
  };

  for (const s of sections) {
    switch (s) {
      case 'server':
        section('Server', [
          `redis_version:${REDIS_VERSION}`,
          `redis_git_sha1:00000000`,
          `redis_git_dirty:0`,
          `redis_build_id:shardis-${SHARDIS_VERSION}`,
          `redis_mode:standalone`,
          `os:${os.type()} ${os.release()} ${os.arch()}`,
          `arch_bits:64`,
          `monotonic_clock:POSIX clock_gettime`,
          `multiplexing_api:epoll`,
          `atomicvar_api:c11-builtin`,
          `gcc_version:0.0.0`,
          `process_id:${process.pid}`,
          `process_supervised:no`,
          `run_id:${server.runId}`,
          `tcp_port:${server.port}`,
          `server_time_usec:${now * 1000}`,
          `uptime_in_seconds:${uptime}`,
          `uptime_in_days:${Math.floor(uptime / 86400)}`,
          `hz:${cfg.int('hz')}`,
          `configured_hz:${cfg.int('hz')}`,
          `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
          `executable:${process.argv[1] ?? ''}`,
          `config_file:${cfg.configFile ?? ''}`,
          `io_threads_active:0`,
          `shardis_version:${SHARDIS_VERSION}`,
          `shardis_shards:${server.links.length}`,
          `shardis_admin_port:${cfg.int('admin-announce-port') || cfg.int('admin-port')}`,
        ]);
        break;
      case 'clients': {
        let pubsub = 0;
        let maxIn = 0;
        let maxOut = 0;
        // blocked clients the shards do not see: keys on several shards (the coordinator retries
        // them) and WAIT; Redis counts both
        let blockedMain = 0;
        let timedMain = 0;
        for (const c of server.conns.values()) {
          if (c.channels.size || c.patterns.size) pubsub++;
          if ((c.blockedAcrossShards && c.unblockReply === null) || c.blockedInWait) {
            blockedMain++;
            if (server.coordinator.blockedWithTimeout(c) || (c.blockedInWait && server.replication.waitHasTimeout(c))) timedMain++;
          }
          maxIn = Math.max(maxIn, c.pendingInput());
          maxOut = Math.max(maxOut, c.socket.writableLength);
        }
        void pubsub;
        section('Clients', [
          `connected_clients:${server.clients.normalCount()}`,
          `cluster_connections:0`,
          `maxclients:${cfg.int('maxclients')}`,
          `client_recent_max_input_buffer:${maxIn}`,
          `client_recent_max_output_buffer:${maxOut}`,
          `blocked_clients:${(totals ? totals.blocked : 0) + blockedMain}`,
          `tracking_clients:${server.tracking.clients.size}`,
          `clients_in_timeout_table:${(totals ? totals.timed : 0) + timedMain}`,
        ]);
        break;
      }
      case 'memory': {
        const total = os.totalmem();
        const maxmem = cfg.int('maxmemory');
        section('Memory', [
          `used_memory:${used}`,
          `used_memory_human:${human(used)}`,
          `used_memory_rss:${mem.rss}`,
          `used_memory_rss_human:${human(mem.rss)}`,
          `used_memory_peak:${peakMemory}`,
          `used_memory_peak_human:${human(peakMemory)}`,
          `used_memory_peak_perc:${((used / Math.max(1, peakMemory)) * 100).toFixed(2)}%`,
          `used_memory_overhead:${used - dataset}`,
          `used_memory_startup:0`,
          `used_memory_dataset:${dataset}`,
          `used_memory_dataset_perc:${((dataset / Math.max(1, used)) * 100).toFixed(2)}%`,
          `allocator_allocated:${used}`,
          `allocator_active:${mem.heapTotal}`,
          `allocator_resident:${mem.rss}`,
          `total_system_memory:${total}`,
          `total_system_memory_human:${human(total)}`,
          `used_memory_lua:0`,
          `used_memory_vm_eval:0`,
          `used_memory_lua_human:0B`,
          `used_memory_scripts_eval:${server.scripting.bodyBytes}`,
          `number_of_cached_scripts:${server.scripting.count}`,
          `number_of_functions:${functionCounts(server.scripting).functions}`,
          `number_of_libraries:${functionCounts(server.scripting).libraries}`,
          `used_memory_vm_functions:0`,
          `used_memory_vm_total:0`,
          `used_memory_vm_total_human:0B`,
          `used_memory_functions:0`,
          `used_memory_scripts:${server.scripting.bodyBytes}`,
          `used_memory_scripts_human:${human(server.scripting.bodyBytes)}`,
          `maxmemory:${maxmem}`,
          `maxmemory_human:${human(maxmem)}`,
          `maxmemory_policy:${cfg.get('maxmemory-policy')}`,
          `allocator_frag_ratio:1.00`,
          `allocator_frag_bytes:0`,
          `allocator_rss_ratio:1.00`,
          `allocator_rss_bytes:0`,
          `rss_overhead_ratio:1.00`,
          `rss_overhead_bytes:0`,
          `mem_fragmentation_ratio:${(mem.rss / Math.max(1, used)).toFixed(2)}`,
          `mem_fragmentation_bytes:${mem.rss - used}`,
          // maxmemory counts the shards' dataset estimates (src/shard/eviction.ts): the rest is not counted
          `mem_not_counted_for_evict:${notCounted}`,
          `mem_replication_backlog:${server.replication.backlogBytes()}`,
          `mem_total_replication_buffers:${server.replication.backlogBytes()}`,
          `mem_clients_slaves:0`,
          `mem_clients_normal:0`,
          `mem_cluster_links:0`,
          `mem_aof_buffer:0`,
          `mem_allocator:v8`,
          `active_defrag_running:0`,
          `lazyfree_pending_objects:0`,
          `lazyfreed_objects:0`,
        ]);
        break;
      }
      case 'persistence':
        section('Persistence', server.persistence.info());
        break;
      case 'stats': {
        const st = server.stats;
        section('Stats', [
          `total_connections_received:${st.connectionsReceived}`,
          `total_commands_processed:${st.commandsProcessed}`,
          `instantaneous_ops_per_sec:${st.opsPerSec()}`,
          `total_net_input_bytes:${st.netInputBytes}`,
          `total_net_output_bytes:${st.netOutputBytes}`,
          `total_net_repl_input_bytes:${st.netReplInputBytes}`,
          `total_net_repl_output_bytes:${st.netReplOutputBytes}`,
          `instantaneous_input_kbps:${st.inputKbps().toFixed(2)}`,
          `instantaneous_output_kbps:${st.outputKbps().toFixed(2)}`,
          `instantaneous_input_repl_kbps:0.00`,
          `instantaneous_output_repl_kbps:0.00`,
          `rejected_connections:${st.rejectedConnections}`,
          `sync_full:${st.syncFull}`,
          `sync_partial_ok:${st.syncPartialOk}`,
          `sync_partial_err:${st.syncPartialErr}`,
          `expired_keys:${totals!.expired}`,
          `expired_stale_perc:0.00`,
          ...zeros('expired_time_cap_reached_count', 'expire_cycle_cpu_milliseconds'),
          `evicted_keys:${server.memGate.evicted()}`,
          `evicted_clients:0`,
          `total_eviction_exceeded_time:${server.memGate.exceeded()[0]}`,
          `current_eviction_exceeded_time:${server.memGate.exceeded()[1]}`,
          `keyspace_hits:${totals!.hits}`,
          `keyspace_misses:${totals!.misses}`,
          `pubsub_channels:${server.pubsub.channels.size}`,
          `pubsub_patterns:${server.pubsub.patterns.size}`,
          `pubsubshard_channels:${server.pubsub.shardChannels.size}`,
          ...zeros('latest_fork_usec', 'total_forks', 'migrate_cached_sockets', 'slave_expires_tracked_keys'),
          ...zeros('active_defrag_hits', 'active_defrag_misses', 'active_defrag_key_hits', 'active_defrag_key_misses', 'total_active_defrag_time', 'current_active_defrag_time'),
          `tracking_total_keys:${server.tracking.trackedKeys}`,
          `tracking_total_items:${server.tracking.trackedItems}`,
          `tracking_total_prefixes:${server.tracking.prefixCount}`,
          `unexpected_error_replies:0`,
          `total_error_replies:${cs!.errorTotal}`,
          ...zeros('dump_payload_sanitizations', 'total_reads_processed', 'total_writes_processed'),
          ...zeros('io_threaded_reads_processed', 'io_threaded_writes_processed', 'reply_buffer_shrinks', 'reply_buffer_expands'),
        ]);
        break;
      }
      case 'replication':
        section('Replication', server.replication.info());
        break;
      case 'cpu':
        section('CPU', [
          `used_cpu_sys:${(cpu.system / 1e6).toFixed(6)}`,
          `used_cpu_user:${(cpu.user / 1e6).toFixed(6)}`,
          `used_cpu_sys_children:0.000000`,
          `used_cpu_user_children:0.000000`,
          `used_cpu_sys_main_thread:${(cpu.system / 1e6).toFixed(6)}`,
          `used_cpu_user_main_thread:${(cpu.user / 1e6).toFixed(6)}`,
        ]);
        break;
      case 'modules':
        section('Modules', []);
        break;
      case 'commandstats':
        section('Commandstats', commandstatsLines(server.table, cs!));
        break;
      case 'errorstats':
        section('Errorstats', errorstatsLines(cs!));
        break;
      case 'latencystats':
        section('Latencystats', latencystatsLines(server.table, cs!, infoPercentiles(server)));
        break;
      case 'cluster':
        section('Cluster', ['cluster_enabled:0']);
        break;
      case 'keyspace': {
        const lines: string[] = [];
        totals!.keyspace.forEach(([keys, expires], i) => {
          if (keys > 0) lines.push(`db${i}:keys=${keys},expires=${expires},avg_ttl=0`);
        });
        section('Keyspace', lines);
        break;
      }
      default:
        break;
    }
  }
  void conn;
  return out.join('\r\n') + (out.length ? '\r\n' : '');
}
