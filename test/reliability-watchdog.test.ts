/*
 * The watchdog (Redis's watchdog-period, off by default): a main-thread stall longer than the period
 * logs "--- WATCHDOG TIMER EXPIRED ---" with the stack the main thread was stuck in. DEBUG SLEEP
 * stalls the main thread on purpose (as it stops redis-server).
 */

import { afterAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { startShardis, waitFor, type Proc } from './helpers/server.js';

const procs: Proc[] = [];
const clients: Redis[] = [];

afterAll(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(procs.splice(0).map((p) => p.kill()));
});

async function start(args: string[] = []): Promise<{ p: Proc; c: Redis }> {
  const p = await startShardis({ args: ['--enable-debug-command', 'yes', ...args], shards: 2 });
  procs.push(p);
  const c = new Redis({ port: p.port, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  clients.push(c);
  return { p, c };
}

describe('watchdog-period', () => {
  it('CONFIG SET watchdog-period makes a main-thread stall log WATCHDOG TIMER EXPIRED with the stack it was stuck in', async () => {
    const { p, c } = await start();
    await c.debug('SLEEP', '0.6');
    expect(p.output()).not.toContain('WATCHDOG TIMER EXPIRED'); // off by default
    expect(await c.config('SET', 'watchdog-period', '50')).toBe('OK');
    // as redis-server: a period under two cron intervals (2 * 1000 / hz) is raised to that
    expect(await c.config('GET', 'watchdog-period')).toEqual(['watchdog-period', '200']);
    // a stall far longer than the period: on a loaded machine the watchdog thread itself may get the
    // CPU late (seen: detected after 1 s, stack read 0.7 s later), and the stack must still be DEBUG's
    await c.debug('SLEEP', '6');
    await waitFor(() => p.output().includes('"msg":"--------"'), 'the watchdog report', 20_000);
    const out = p.output();
    expect(out).toContain('--- WATCHDOG TIMER EXPIRED ---');
    // the stack names the handler that stalled (DEBUG's, in dist/server/commands/server.js)
    expect(out).toMatch(/at debug \(file:[^)]*server\/commands\/server\.js:\d+:\d+\)/);
    // the server carries on
    expect(await c.ping()).toBe('PONG');
    expect(await c.config('SET', 'watchdog-period', '0')).toBe('OK');
    const reports = out.split('WATCHDOG TIMER EXPIRED').length;
    await c.debug('SLEEP', '0.6');
    expect(await c.ping()).toBe('PONG');
    expect(p.output().split('WATCHDOG TIMER EXPIRED').length).toBe(reports);
  });

  it('watchdog-period from the command line reports each stall once', async () => {
    const { p, c } = await start(['--watchdog-period', '300']);
    await c.debug('SLEEP', '1');
    await c.debug('SLEEP', '1');
    // one stack per DEBUG SLEEP (a load spike elsewhere could add a report, never one in DEBUG)
    const debugStacks = (): number => p.output().split('\n').filter((l) => /"stack":\[[^\]]*at debug \(/.test(l)).length;
    await waitFor(() => debugStacks() >= 2, 'two watchdog reports', 20_000);
    await c.ping();
    expect(debugStacks()).toBe(2);
  });
});
