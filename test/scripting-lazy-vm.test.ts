/*
 * The Lua VM (the scripting modules that need it, and fengari) is loaded by the first script or
 * function, not at start: in the main thread and in each shard. A server that never runs a script
 * does not pay for it. Which modules a thread has loaded is read from a probe preloaded into the
 * server (helpers/module-probe.mjs).
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startShardis, type Proc } from './helpers/server.js';

const PROBE = path.join(path.dirname(new URL(import.meta.url).pathname), 'helpers/module-probe.mjs');

/** The threads ("main", "worker") that have loaded a module whose path ends with one of `tails`. */
function loadedBy(log: string, ...tails: string[]): Set<string> {
  const threads = new Set<string>();
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && tails.some((t) => line.endsWith(t))) threads.add(line.slice(0, sp));
  }
  return threads;
}

/** The threads that have loaded the Lua VM's module (imported, or required with the modules that import it). */
const vmLoadedBy = (log: string): Set<string> => loadedBy(log, '/scripting/vm.js', '/scripting/vm-main.js', '/scripting/shard-script.js');

describe('the Lua VM is loaded on first use', () => {
  let srv: Proc | null = null;
  let io: Redis | null = null;
  afterEach(async () => {
    io?.disconnect();
    await srv?.stop();
  });

  async function start(): Promise<string> {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-probe-')), 'modules.log');
    fs.writeFileSync(log, '');
    const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PROBE}`, MODULE_PROBE_LOG: log };
    srv = await startShardis({ shards: 2, env });
    io = new Redis({ port: srv.port, lazyConnect: true });
    await io.connect();
    return log;
  }

  it('the main thread and the shards load the Lua VM with the first script, not at start', async () => {
    const log = await start();
    // commands that read the scripting state without running a script
    expect(await io!.ping()).toBe('PONG');
    expect(await io!.set('k', '1')).toBe('OK');
    expect(await io!.script('EXISTS', 'a'.repeat(40))).toEqual([0]);
    expect(await io!.call('FUNCTION', 'FLUSH')).toBe('OK');
    expect(await io!.call('FUNCTION', 'LIST')).toEqual([]);
    await expect(io!.call('FUNCTION', 'DELETE', 'nolib')).rejects.toThrow('ERR Library not found');
    expect(await io!.call('FUNCTION', 'STATS')).toEqual(['running_script', null, 'engines', ['LUA', ['libraries_count', 0, 'functions_count', 0]]]);
    await expect(io!.evalsha('b'.repeat(40), 1, 'k')).rejects.toThrow(/^NOSCRIPT/);
    const info = await io!.info('memory');
    expect(info).toContain('number_of_cached_scripts:0');
    expect(info).toContain('used_memory_scripts_eval:0');
    expect(vmLoadedBy(log)).toEqual(new Set());
    expect(loadedBy(log, '/fengari/src/fengari.js')).toEqual(new Set());

    // the first script: compiled on the main thread, run in the shard of its key
    expect(await io!.eval("return redis.call('incr', KEYS[1])", 1, 'k')).toBe(2);
    expect(vmLoadedBy(log)).toEqual(new Set(['main', 'worker']));
    expect(loadedBy(log, '/fengari/src/fengari.js')).toEqual(new Set(['main', 'worker']));
    expect(await io!.info('memory')).toContain('number_of_cached_scripts:1');
  });

  it('FUNCTION LOAD loads the Lua VM on the main thread, and FCALL then runs the function', async () => {
    const log = await start();
    expect(vmLoadedBy(log)).toEqual(new Set());
    const lib = "#!lua name=lazylib\nredis.register_function('lazyf', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)";
    expect(await io!.call('FUNCTION', 'LOAD', lib)).toBe('lazylib');
    expect(vmLoadedBy(log).has('main')).toBe(true);
    expect(await io!.call('FCALL', 'lazyf', 1, 'n', 5)).toBe(5);
    expect(await io!.call('FCALL', 'lazyf', 1, 'n', 5)).toBe(10);
    expect(await io!.info('memory')).toMatch(/number_of_functions:1\r\nnumber_of_libraries:1/);
  });
});
