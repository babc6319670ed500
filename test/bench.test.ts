/*
 * The benchmark suites work (CI runs their --quick variants; nothing here times anything): each one
 * runs to completion and writes its JSON with the rows the README and docs/benchmarks.md describe.
 * Needs redis-server, redis-cli and redis-benchmark (required with CI=true).
 */

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, haveBinaries } from './helpers/server.js';

// the suites drive redis-benchmark against redis-server: without the Debian binaries they cannot run;
// binary() makes that a failure under CI=true and a loud SKIPPING warning elsewhere
const HAVE = haveBinaries('redis-server', 'redis-cli', 'redis-benchmark');

function run(script: string, args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function json(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'bench-results', name), 'utf8')) as Record<string, unknown>;
}

describe('benchmark suites (--quick)', () => {
  it('bench/: micro benchmarks and framing', () => {
    run('bench/micro.bench.mjs', ['--quick']);
    const names = (json('micro.json').results as { name: string }[]).map((r) => r.name);
    for (const n of ['RespWriter: 100 x bulk(16B)', 'ring cross-thread batch 128', 'RDB entry: string 16B x 1000', 'CRC64 of 1 MB']) expect(names).toContain(n);
    expect(names.some((n) => n.startsWith('keyspace GET'))).toBe(true);
    run('bench/framing.bench.mjs', ['--quick']);
    expect(fs.existsSync(path.join(ROOT, 'bench-results/framing.json'))).toBe(true);
  }, 120_000);

  it.skipIf(!HAVE)('native-bench/run.mjs: redis-benchmark side by side', () => {
    const out = run('native-bench/run.mjs', ['--quick', '--tests', 'set,get', '--rounds', '1']);
    expect(out).toContain('ratio');
    const rows = json('native.json').rows as { server: string; test: string; pipeline: number; rps: number; p50_ms: number }[];
    for (const server of ['shardis', 'redis-server']) {
      for (const test of ['set', 'get']) {
        for (const pipeline of [1, 16]) {
          const row = rows.find((r) => r.server === server && r.test === test && r.pipeline === pipeline);
          expect(row, `${server} ${test} P${pipeline}`).toBeDefined();
          expect(row!.rps).toBeGreaterThan(0);
        }
      }
    }
    expect(fs.readFileSync(path.join(ROOT, 'bench-results/native.svg'), 'utf8')).toContain('<svg');
  }, 120_000);

  it.skipIf(!HAVE)('native-bench/replicas.mjs: the replica-count comparison', () => {
    run('native-bench/replicas.mjs', ['--quick', '--replicas', '0,1']);
    const rows = json('replicas.json').rows as Record<string, number | string | null>[];
    for (const server of ['shardis', 'redis-server']) {
      for (const k of [0, 1]) {
        const row = rows.find((r) => r.server === server && r.replicas === k)!;
        expect(row, `${server} k=${k}`).toBeDefined();
        for (const f of ['write_rps', 'read_rps', 'lag_ms_p99', 'converge_ms', 'cpu_ms_per_mop_master']) expect(typeof row[f], f).toBe('number');
        if (k === 1) expect(typeof row.cpu_ms_per_mop_replica).toBe('number');
      }
    }
    expect(fs.readFileSync(path.join(ROOT, 'bench-results/replicas.svg'), 'utf8')).toContain('<svg');
    // one HTML file with both charts and the table
    const html = fs.readFileSync(path.join(ROOT, 'bench-results/replicas.html'), 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(html).toContain('<td>redis-server</td>');
  }, 240_000);

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
    const out = run('native-bench/memory.mjs', ['--quick']);
    expect(out).toContain('shardis / redis-server resident memory');
    const m = json('memory.json');
    expect(typeof m.ratio).toBe('number');
    expect(typeof m.ratio_optimize_for_size).toBe('number');
    expect(m.rows.map((r: { server: string; optimize_for_size: boolean }) => [r.server, r.optimize_for_size])).toEqual([['redis-server', false], ['shardis', false], ['shardis', true]]);
    const s = run('native-bench/sync-stall.mjs', ['--keys', '20000', '--rounds', '1']);
    expect(s).toMatch(/worst write round trip during a full sync: shardis [\d.]+ ms, redis-server [\d.]+ ms/);
  }, 240_000);
});
