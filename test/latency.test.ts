/*
 * LATENCY against redis-server 7: LATEST / HISTORY / GRAPH / DOCTOR / RESET of the latency monitor's
 * events ("command", "fast-command" above latency-monitor-threshold, timed on the main thread and in
 * the shards), HISTOGRAM from the latency tracking histograms, HELP and every error. The graph and
 * doctor texts are checked against golden text recorded from redis-server 7.0.15.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { corpus, describeCorpus } from './helpers/corpus.js';
import Redis from 'ioredis';
import { haveBinaries, startShardis } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';
import { latencyDoctor, latencyGraph } from './helpers/src.js';
import { LatencyMonitor } from './helpers/src.js';

const haveRedis = haveBinaries('redis-server');
const connect = (port: number): Redis => new Redis({ port, enableReadyCheck: false });

describe('LATENCY GRAPH and DOCTOR texts (golden, redis-server 7.0.15)', () => {
  const T = 1795852623;
  const mon = new LatencyMonitor();
  mon.add('command', T - 2, 11);
  mon.add('command', T - 1, 40);
  mon.add('command', T, 29);

  it('GRAPH: header, 80 dashes, four rows of _o#| steps, age labels underneath', () => {
    const want =
      'command - high 40 ms, low 11 ms (all time high 40 ms)\n' +
      '-'.repeat(80) +
      '\n' +
      ' # \n |o\n ||\n_||\n   \n210\nsss\n';
    expect(latencyGraph('command', mon.events.get('command')!, T)).toBe(want);
  });

  it('GRAPH of one sample', () => {
    const one = new LatencyMonitor();
    one.add('command', T, 50);
    expect(latencyGraph('command', one.events.get('command')!, T)).toBe(`command - high 50 ms, low 50 ms (all time high 50 ms)\n${'-'.repeat(80)}\n \n \n \n_\n \n0\ns\n`);
  });

  it('DOCTOR: spikes per event with average, mean deviation and period, then the advice', () => {
    expect(latencyDoctor(mon, 1, 0, T)).toBe(
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
        '1. command: 3 latency spikes (average 26ms, mean deviation 10ms, period 0.67 sec). Worst all time event 40ms.\n' +
        '\nI have a few advices for you:\n\n' +
        '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n' +
        '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n',
    );
    // the default slow log threshold (10 ms) logs less than a 1 ms latency monitor does
    expect(latencyDoctor(mon, 1, 10000, T)).toContain("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n");
    expect(latencyDoctor(new LatencyMonitor(), 0, 10000, T)).toMatch(/^I'm sorry, Dave, I can't do that\. Latency monitoring is disabled/);
    expect(latencyDoctor(new LatencyMonitor(), 5, 10000, T)).toMatch(/^Dave, no latency spike was observed/);
  });
});

const ERRORS = `
## LATENCY argument errors and unknown subcommands
latency foo
latency history
latency graph nosuch
latency latest 1
latency doctor 1
latency help 1
latency
## LATENCY HELP, and LATEST, HISTORY and RESET with no events
latency help
latency latest
latency history nosuch
latency reset
latency reset a b
## LATENCY DOCTOR disabled as in redis-server; HISTOGRAM of an unknown command
latency doctor
latency histogram nosuchcommand
`;

describe('LATENCY against redis-server', () => {
  const sv = useServers({ shards: 3, args: ['--enable-debug-command', 'yes'], redis: true, redisArgs: ['--enable-debug-command', 'yes'] });

  describeCorpus('latency', corpus(ERRORS), sv);

  it.skipIf(!haveRedis)('a command over latency-monitor-threshold is an event: LATEST, HISTORY, GRAPH, DOCTOR, RESET shaped as redis-server', async () => {
    const a = connect(sv.srv.port);
    const b = connect(sv.ref!.port);
    try {
      const shapes: unknown[] = [];
      for (const r of [a, b]) {
        await r.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
        await r.call('LATENCY', 'RESET');
        await r.call('DEBUG', 'SLEEP', '0.02');
        const latest = (await r.call('LATENCY', 'LATEST')) as [string, number, number, number][];
        const history = (await r.call('LATENCY', 'HISTORY', 'command')) as [number, number][];
        const graph = (await r.call('LATENCY', 'GRAPH', 'command')) as string;
        const doctor = (await r.call('LATENCY', 'DOCTOR')) as string;
        expect(latest.length).toBe(1);
        const [event, time, last, max] = latest[0]!;
        expect(last).toBeGreaterThanOrEqual(1); // the threshold
        expect(max).toBe(last);
        expect(history).toEqual([[time, last]]);
        expect(graph.startsWith(`command - high ${last} ms, low ${last} ms (all time high ${last} ms)\n${'-'.repeat(80)}\n \n \n \n_\n \n`)).toBe(true);
        expect(doctor).toContain(`1. command: 1 latency spikes (average ${last}ms, mean deviation 0ms, period 1.00 sec). Worst all time event ${last}ms.`);
        expect(await r.call('LATENCY', 'RESET', 'command', 'other')).toBe(1);
        shapes.push([event, await r.call('LATENCY', 'LATEST')]);
        await r.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
      }
      expect(shapes[0]).toEqual(shapes[1]);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it.skipIf(!haveRedis)('LATENCY HISTOGRAM: the same commands, calls and cumulative bucket layout as redis-server (subcommands of a container included)', async () => {
    const a = connect(sv.srv.port);
    const b = connect(sv.ref!.port);
    try {
      const got: Record<string, [number, number[]]>[] = [];
      for (const r of [a, b]) {
        await r.call('CONFIG', 'RESETSTAT');
        for (const k of ['a', 'b', 'c', 'd']) await r.call('SET', k, '1');
        await r.call('GET', 'a');
        await r.call('CLIENT', 'ID');
        await r.call('CONFIG', 'GET', 'port');
        const reply = (await r.call('LATENCY', 'HISTOGRAM', 'set', 'GET', 'nosuch', 'config', 'lpush')) as unknown[];
        const out: Record<string, [number, number[]]> = {};
        for (let i = 0; i < reply.length; i += 2) {
          const body = reply[i + 1] as [string, number, string, number[]];
          expect(body[0]).toBe('calls');
          expect(body[2]).toBe('histogram_usec');
          const buckets = body[3];
          // cumulative: non-decreasing counts ending at calls; bucket bounds from 1024 ns doubling
          for (let j = 0; j < buckets.length; j += 2) expect([1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266, 270532, 541065, 1082130]).toContain(buckets[j]);
          expect(buckets[buckets.length - 1]).toBe(body[1]);
          out[reply[i] as string] = [body[1], []];
        }
        got.push(out);
      }
      expect(got[0]).toEqual(got[1]);
      expect(Object.keys(got[0]!).sort()).toEqual(['config|get', 'config|resetstat', 'get', 'set']);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});

describe('LATENCY events timed in the shards', () => {
  it('a keyed command over the threshold (LRANGE of 300000 elements) is a "command" event', async () => {
    const s = await startShardis({ args: ['--shards', '2'] });
    const r = connect(s.port);
    try {
      for (let i = 0; i < 30; i++) await r.rpush('big', ...Array.from({ length: 10000 }, (_, j) => `element-${i}-${j}`));
      await r.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
      await r.lrange('big', 0, -1);
      const latest = (await r.call('LATENCY', 'LATEST')) as [string, number, number, number][];
      expect(latest.map((e) => e[0])).toEqual(['command']);
      expect(latest[0]![2]).toBeGreaterThanOrEqual(1);
    } finally {
      r.disconnect();
      await s.stop();
    }
  });

  it('errors (golden, redis-server 7.0.15)', async () => {
    const s = await startShardis();
    const r = await RawClient.connect(s.port);
    try {
      const cases: [string[], string][] = [
        [['LATENCY', 'FOO'], "-ERR unknown subcommand 'FOO'. Try LATENCY HELP.\r\n"],
        [['LATENCY', 'HISTORY'], "-ERR wrong number of arguments for 'latency|history' command\r\n"],
        [['LATENCY', 'GRAPH', 'nosuch'], "-ERR No samples available for event 'nosuch'\r\n"],
        [['LATENCY', 'LATEST', '1'], "-ERR wrong number of arguments for 'latency|latest' command\r\n"],
        [['LATENCY', 'RESET'], ':0\r\n'],
        [['LATENCY', 'HISTORY', 'nosuch'], '*0\r\n'],
      ];
      for (const [cmd, want] of cases) {
        r.send(...cmd);
        expect(await r.readRaw()).toBe(want);
      }
    } finally {
      r.close();
      await s.stop();
    }
  });
});
