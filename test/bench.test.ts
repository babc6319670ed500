/*
 * The benchmark suites work: each runs to completion with --smoke (tiny data, a few iterations) and
 * writes well-formed results: the JSON rows and fields the README and docs/benchmarks.md describe, SVG
 * charts, the printed summary lines. Nothing here looks at a figure beyond "it is a number": these are
 * smoke tests of the scripts, not benchmarks (they write to a temporary BENCH_RESULTS_DIR, never over
 * real results). Needs redis-server, redis-cli and redis-benchmark (required with CI=true).
 */

import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CEILING_MS, ROOT, haveBinaries } from './helpers/server.js';

// the suites drive redis-benchmark against redis-server: without the Debian binaries they cannot run;
// binary() makes that a failure under CI=true and a loud SKIPPING warning elsewhere
const HAVE = haveBinaries('redis-server', 'redis-cli', 'redis-benchmark');

const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-bench-smoke-'));

function run(script: string, args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, script), '--smoke', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_RESULTS_DIR: OUT },
    timeout: 2 * CEILING_MS, // a hang, not a slow machine
  });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status} ${r.signal ?? ''}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function json(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(OUT, name), 'utf8')) as Record<string, unknown>;
}

/** A figure is well formed: a finite, non-negative number. */
function figure(v: unknown, what: string): void {
  expect(typeof v, what).toBe('number');
  expect(Number.isFinite(v) && (v as number) >= 0, `${what} = ${String(v)}`).toBe(true);
}

describe('benchmark suites (--smoke)', () => {
  afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

  it('bench/: micro benchmarks and framing write their JSON', () => {
    run('bench/micro.bench.mjs', []);
    const micro = json('micro.json');
    expect(typeof micro.date).toBe('string');
    const results = micro.results as { name: string; ops_per_s?: number; record_per_s?: number }[];
    const names = results.map((r) => r.name);
    for (const n of ['RespWriter: 100 x bulk(16B)', 'ring same-thread batch 16', 'ring cross-thread batch 128', 'RDB entry: string 16B x 1000', 'CRC64 of 1 MB']) expect(names).toContain(n);
    expect(names.some((n) => n.startsWith('keyspace GET'))).toBe(true);
    for (const r of results) figure(r.ops_per_s ?? r.record_per_s, r.name);
    run('bench/framing.bench.mjs', []);
    const rows = json('framing.json').rows as Record<string, unknown>[];
    expect(rows.map((r) => r.value_size)).toEqual([16, 512]);
    for (const r of rows) for (const f of ['shardis_req_per_s', 'redis_parser_req_per_s', 'ratio']) figure(r[f], `framing ${String(r.value_size)} ${f}`);
  });

  it.skipIf(!HAVE)('native-bench/run.mjs: redis-benchmark side by side with the ceiling server, CPU per request by thread', () => {
    const out = run('native-bench/run.mjs', ['--tests', 'set,get', '--rounds', '1']);
    for (const col of ['ratio', 'vs_ceiling', 'ceiling_vs_redis', 'main_us', 'shards_us', 'v8_us', 'main_max_rps', 'vs_redis_main_max']) expect(out).toContain(col);
    type Row = { server: string; test: string; pipeline: number; rps: number; p50_ms: number; cpu_us_per_req: Record<string, number>; main_thread_max_rps: number | null };
    const rows = json('native.json').rows as Row[];
    for (const server of ['shardis', 'redis-server', 'ceiling']) {
      for (const test of ['set', 'get']) {
        for (const pipeline of [1, 16]) {
          const row = rows.find((r) => r.server === server && r.test === test && r.pipeline === pipeline);
          expect(row, `${server} ${test} P${pipeline}`).toBeDefined();
          figure(row!.rps, `${server} ${test} P${pipeline} rps`);
          figure(row!.p50_ms, `${server} ${test} P${pipeline} p50`);
          // CPU per request by thread group, from /proc (0 is possible: a smoke run is a few ticks)
          expect(Object.keys(row!.cpu_us_per_req).sort()).toEqual(['main', 'other', 'shards', 'v8']);
          for (const [g, us] of Object.entries(row!.cpu_us_per_req)) figure(us, `${server} ${test} P${pipeline} cpu ${g}`);
          if (row!.main_thread_max_rps !== null) figure(row!.main_thread_max_rps, `${server} ${test} P${pipeline} main_thread_max_rps`);
        }
      }
    }
    expect(fs.readFileSync(path.join(OUT, 'native.svg'), 'utf8')).toMatch(/^<svg [^]*<\/svg>\n$/);
  });

  it.skipIf(!HAVE)('native-bench/replicas.mjs: the replica-count comparison, the master\'s and the replicas\' CPU per write by thread', () => {
    run('native-bench/replicas.mjs', ['--replicas', '0,1']);
    const rows = json('replicas.json').rows as Record<string, number | string | null>[];
    for (const server of ['shardis', 'redis-server']) {
      for (const k of [0, 1]) {
        const row = rows.find((r) => r.server === server && r.replicas === k)!;
        expect(row, `${server} k=${k}`).toBeDefined();
        for (const f of ['write_rps', 'read_rps', 'lag_ms_p99', 'converge_ms', 'cpu_ms_per_mop_master']) figure(row[f], `${server} k=${k} ${f}`);
        // the master's CPU per write by thread group, from /proc
        for (const g of ['main', 'shards', 'v8', 'other']) figure(row[`master_${g}_us_per_write`], `${server} k=${k} master ${g} µs per write`);
        if (row.master_main_max_write_rps !== null) figure(row.master_main_max_write_rps, `${server} k=${k} master_main_max_write_rps`);
        // the replicas' (mean) by thread group, none without replicas
        for (const g of ['main', 'shards', 'v8', 'other']) {
          if (k === 1) figure(row[`replica_${g}_us_per_write`], `${server} k=1 replica ${g} µs per write`);
          else expect(row[`replica_${g}_us_per_write`]).toBeNull();
        }
        if (k === 1) figure(row.cpu_ms_per_mop_replica, `${server} k=1 cpu_ms_per_mop_replica`);
        else expect(row.cpu_ms_per_mop_replica).toBeNull();
      }
    }
    expect(fs.readFileSync(path.join(OUT, 'replicas.svg'), 'utf8')).toMatch(/^<svg [^]*<\/svg>\n$/);
    // one HTML file with both charts and the table
    const html = fs.readFileSync(path.join(OUT, 'replicas.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(html).toContain('<td>redis-server</td>');
  });

  it('native-bench/report.mjs: the HTML report holds the charts, the tables (escaped) and the metadata', async () => {
    const { htmlReport, lineSvg } = (await import('../native-bench/report.mjs')) as {
      htmlReport: (r: Record<string, unknown>) => string;
      lineSvg: (rows: Record<string, unknown>[], field: string, title: string) => string;
    };
    const rows = [
      { server: 'shardis', replicas: 0, lag_ms_p99: 0 },
      { server: 'shardis', replicas: 2, lag_ms_p99: 3.5 },
      { server: 'redis-server', replicas: 0, lag_ms_p99: null },
      { server: 'redis-server', replicas: 2, lag_ms_p99: 1.25 },
    ];
    const svg = lineSvg(rows, 'lag_ms_p99', 'lag <p99>');
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<polyline /g)?.length).toBe(2);
    const html = htmlReport({ title: 'T', meta: { date: 'd', cpus: 2 }, charts: [{ title: 'Lag', svg }], tables: [{ title: 'rows', rows }] });
    expect(html).toContain('<!doctype html>');
    expect(html).toContain('lag &#60;p99&#62;');
    expect(html).toContain('<td>3.5</td>');
    expect(html).toContain('<td>—</td>');
    expect(html).toContain('<th>cpus</th><td>2</td>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it.skipIf(!HAVE)('native-bench/memory.mjs and sync-stall.mjs', () => {
    const out = run('native-bench/memory.mjs', ['--keys', '2000']);
    expect(out).toMatch(/shardis \/ redis-server resident memory: [\d.]+(, [\d.]+)* \(median [\d.]+\); with optimize-for-size yes: [\d.]+/);
    const m = json('memory.json');
    figure(m.ratio, 'ratio');
    figure(m.ratio_optimize_for_size, 'ratio_optimize_for_size');
    const rows = m.rows as { server: string; optimize_for_size: boolean; keys: number }[];
    expect(rows.map((r) => [r.server, r.optimize_for_size, r.keys])).toEqual([['redis-server', false, 2000], ['shardis', false, 2000], ['shardis', true, 2000]]);
    const s = run('native-bench/sync-stall.mjs', ['--keys', '2000', '--rounds', '1']);
    expect(s).toMatch(/worst write round trip during a full sync: shardis [\d.]+ ms, redis-server [\d.]+ ms/);
    expect(s).toMatch(/full sync duration \(mean\): shardis [\d.]+ s, redis-server [\d.]+ s/);
  });

  it.skipIf(!HAVE)('native-bench/big-value.mjs', () => {
    const out = run('native-bench/big-value.mjs', []);
    expect(out).toMatch(/shardis \/ redis-server \(mean of 1 alternating rounds\): SET time [\d.]+, GET time [\d.]+, peak RSS after SET [\d.]+, peak RSS after GET [\d.]+/);
    const b = json('big-value.json');
    for (const k of ['set_time', 'get_time', 'peak_after_set', 'peak']) figure((b.ratios as Record<string, unknown>)[k], k);
    expect((b.rows as { server: string }[]).map((r) => r.server)).toEqual(['redis-server', 'shardis']);
  });

  it.skipIf(!HAVE)('native-bench/persistence.mjs prints every row of its table', () => {
    const out = run('native-bench/persistence.mjs', ['--keys', '2000', '--load-keys', '2000', '--sync-keys', '2000', '--requests', '500', '--always-requests', '100']);
    for (const row of [
      'BGSAVE of 2,000 keys, time \\(mean\\)',
      'worst SET round trip during it',
      'SET/s, appendonly yes, appendfsync everysec',
      'SET/s, appendonly yes, appendfsync always',
      "startup with redis-server's 2,000-key RDB until PING and DBSIZE answer \\(mean\\)",
      "startup with shardis's 2,000-key RDB",
      'worst SET round trip during the full sync',
    ]) {
      expect(out).toMatch(new RegExp(`\\| ${row}[^|]*\\| [\\d.]+ (s|ms|req/s) \\| [\\d.]+ (s|ms|req/s) \\| [\\d.]+ \\|`));
    }
  });
});
