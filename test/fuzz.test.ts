/*
 * The RESP fuzzer in the suite (issue #20): a bounded run of random valid commands (every command of
 * the table, keys on both shards of a 2-shard server) mixed with mutated frames, checked after every
 * batch (server alive, fresh PONG, sentinel keys intact, no hang, no leaked JavaScript error); and a
 * differential run against redis-server that must not crash or hang shardis (its differences are
 * printed, not asserted). `npm run fuzz -- --inputs 200000` runs the long version (test/fuzz/cli.mjs).
 *
 * Environment: FUZZ_INPUTS, FUZZ_DIFF_INPUTS, FUZZ_SEED, FUZZ_FIRST_BATCH, FUZZ_BATCH, FUZZ_SHARDS, FUZZ_LANES,
 * FUZZ_FOCUS=mget,mset,... (only those commands, e.g. to stress the multi-shard coordinator),
 * FUZZ_COORD_INPUTS (the multi-shard run over 8 connections, default 40000),
 * FUZZ_AVOID_KNOWN=1 (leave out inputs that hit the bugs already known in issue #20; not for CI),
 * FUZZ_PORT (fuzz a server started by hand instead), FUZZ_DUMP=file (on a hang, write the stuck
 * connection's commands there as JSON byte arrays, and the whole batch to file.txt).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { haveBinaries, startRedis, startShardis, type Proc } from './helpers/server.js';
import { buildSpecs, Generator, KeyPool, Rng, OWN_CONNECTION, type CommandSpec } from './fuzz/generator.js';
import { runDiff, runFuzz, showDifferences } from './fuzz/runner.js';

const env = process.env;
const INPUTS = Number(env.FUZZ_INPUTS ?? 20_000);
const DIFF_INPUTS = Number(env.FUZZ_DIFF_INPUTS ?? 4_000);
const SEED = Number(env.FUZZ_SEED ?? 20_2026);
const FIRST_BATCH = Number(env.FUZZ_FIRST_BATCH ?? 0);
const BATCH = Number(env.FUZZ_BATCH ?? 200);
const SHARDS = Number(env.FUZZ_SHARDS ?? 2);
const AVOID_KNOWN = env.FUZZ_AVOID_KNOWN === '1';
const LANES = Number(env.FUZZ_LANES ?? 3);
const FOCUS = env.FUZZ_FOCUS ? env.FUZZ_FOCUS.split(',') : undefined;
// about 1 ms an input here, with a wide margin for a shared machine
const LONG = Math.max(300_000, INPUTS * 20);
const hasRedis = haveBinaries('redis-server');

let server: Proc;
let specs: CommandSpec[];

async function loadSpecs(port: number): Promise<CommandSpec[]> {
  const c = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await c.connect();
  const list = (await c.call('COMMAND', 'LIST')) as string[];
  const docs = (await c.call('COMMAND', 'DOCS')) as unknown[];
  const info = (await c.call('COMMAND', 'INFO')) as unknown[];
  c.disconnect();
  return buildSpecs(list, docs, info);
}

const alive = (p: Proc) => (): boolean => p.proc.exitCode === null && p.proc.signalCode === null;

describe('RESP fuzzer', () => {
  beforeAll(async () => {
    // FUZZ_PORT: fuzz a server started by hand (its process is not watched)
    server = env.FUZZ_PORT ? ({ port: Number(env.FUZZ_PORT), proc: { exitCode: null, signalCode: null }, output: () => '', kill: async () => {} } as unknown as Proc) : await startShardis({ shards: SHARDS });
    specs = await loadSpecs(server.port);
  });
  afterAll(async () => {
    await server?.kill();
  });

  it('generates every command of the table, with keys on every shard', () => {
    const pool = new KeyPool(SHARDS);
    const gen = new Generator(specs, pool);
    const rng = new Rng(SEED);
    const seen = new Set<string>();
    const shardsHit = new Set<number>();
    for (let i = 0; i < 50_000; i++) {
      const input = gen.input(rng, 0);
      if (input.kind === 'raw') continue;
      seen.add(input.name);
      for (const a of input.argv) {
        const s = a.toString('latin1');
        if (s.startsWith('{t') || s.startsWith('k:')) shardsHit.add(pool.shardOf(s));
      }
    }
    const names = specs.map((s) => s.name);
    expect(names.length).toBeGreaterThan(150);
    expect(names.filter((n) => !seen.has(n))).toEqual([]);
    expect([...shardsHit].sort()).toEqual(Array.from({ length: SHARDS }, (_, i) => i));
    // the key pool's hashtags really land on the shard they are filed under
    pool.tags.forEach((tags, s) => tags.forEach((t) => expect(pool.shardOf(`{${t}}x`)).toBe(s)));
    expect(OWN_CONNECTION.size).toBeGreaterThan(0);
  });

  it(
    `survives ${INPUTS} valid and mutated inputs on ${SHARDS} shards: alive, PONG, sentinel keys intact, no hang, no leaked JS error`,
    async () => {
      const gen = new Generator(specs, new KeyPool(SHARDS), { avoidKnown: AVOID_KNOWN, focus: FOCUS });
      if (FOCUS) console.warn(`\n!!!!! FUZZ_FOCUS: only ${FOCUS.join(' ')} !!!!!\n`);
      if (AVOID_KNOWN) console.warn('\n!!!!! FUZZ_AVOID_KNOWN=1: inputs that hit the bugs known in issue #20 are left out !!!!!\n');
      const started = Date.now();
      const r = await runFuzz({
        port: server.port,
        alive: alive(server),
        gen,
        seed: SEED,
        inputs: INPUTS,
        batchSize: BATCH,
        firstBatch: FIRST_BATCH,
        lanes: LANES,
        log: (s) => console.log(s),
      });
      const top = [...r.errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
      console.log(
        `fuzz seed ${SEED}: ${r.inputs} inputs in ${r.batches} checked batches, ${r.connections} connections, ${Math.round((Date.now() - started) / 1000)} s\n` +
          `most frequent error replies:\n${top.map(([e, n]) => `  ${n}x ${JSON.stringify(e)}`).join('\n')}`,
      );
      if (r.failure) console.log(`FUZZ FAILURE\n${r.failure}\nserver output (tail):\n${server.output().slice(-3000)}`);
      expect(r.failure, r.failure ?? '').toBeNull();
      expect(r.inputs).toBe(INPUTS);
    },
    LONG,
  );
});

/** Commands the coordinator splits or ships between shards, and plain ones on the same keys. */
const MULTI_SHARD = 'mget,mset,msetnx,del,exists,unlink,touch,rename,renamenx,copy,smove,lmove,rpoplpush,sunionstore,sinterstore,sdiffstore,zunionstore,zinterstore,zdiffstore,zrangestore,multi,exec,discard,watch,get,set,incr,sadd,rpush,zadd'.split(',');
const COORD_INPUTS = Number(env.FUZZ_COORD_INPUTS ?? 40_000);

describe('RESP fuzzer, multi-shard commands from many connections', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: SHARDS });
  });
  afterAll(async () => {
    await srv?.kill();
  });

  it(
    `survives ${COORD_INPUTS} inputs of multi-shard commands over 8 concurrent connections: no hang (the coordinator keeps going), no leaked JS error`,
    async () => {
      const s = await loadSpecs(srv.port);
      // odd-argument MSET is left to the general run above, so this one gets to the coordinator's own faults
      const gen = new Generator(s, new KeyPool(SHARDS), { focus: MULTI_SHARD, avoidKnown: true });
      expect(gen.specs.map((x) => x.name).sort()).toEqual([...MULTI_SHARD].sort());
      const r = await runFuzz({ port: srv.port, alive: alive(srv), gen, seed: SEED, inputs: COORD_INPUTS, batchSize: BATCH, lanes: 8, junkShare: 0.1 });
      console.log(`coordinator fuzz seed ${SEED}: ${r.inputs} inputs in ${r.batches} checked batches`);
      if (r.failure) console.log(`FUZZ FAILURE\n${r.failure}\nserver output (tail):\n${srv.output().slice(-3000)}`);
      expect(r.failure, r.failure ?? '').toBeNull();
    },
    LONG,
  );
});

describe.skipIf(!hasRedis)('RESP fuzzer, differential against redis-server', () => {
  let sut: Proc;
  let ref: Proc;
  beforeAll(async () => {
    sut = await startShardis({ shards: SHARDS });
    ref = await startRedis();
  });
  afterAll(async () => {
    await sut?.kill();
    await ref?.kill();
  });

  it(
    `${DIFF_INPUTS} deterministic single-slot inputs on both servers: shardis neither crashes nor hangs (differences printed)`,
    async () => {
      const s = await loadSpecs(sut.port);
      const gen = new Generator(s, new KeyPool(SHARDS), { deterministic: true });
      const r = await runDiff({
        port: sut.port,
        refPort: ref.port,
        alive: alive(sut),
        gen,
        seed: SEED,
        inputs: DIFF_INPUTS,
        batchSize: BATCH,
        firstBatch: FIRST_BATCH,
        log: (x) => console.log(x),
      });
      console.log(`differential seed ${SEED}: ${r.inputs} inputs, ${r.differences.length} differences in ${r.groups.size} groups\n${showDifferences(r)}`);
      expect(r.failure, r.failure ?? '').toBeNull();
      // a JavaScript exception is never a reply (seed and inputs in the message)
      expect(r.leaks, `seed ${SEED}`).toEqual([]);
      // hangs show as "(no reply)" from shardis where redis answered
      const hangs = r.differences.filter((d) => d.shardis.startsWith('(no reply)') && !d.redis.startsWith('(no reply)'));
      expect(hangs.map((d) => d.input)).toEqual([]);
      expect(r.inputs).toBe(DIFF_INPUTS);
    },
    LONG,
  );
});
