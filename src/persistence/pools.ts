/*
 * The persistence service's piscina pools (see Persistence.poolOf): a pool whose thread runs at a
 * lower priority from its very start, and a running CRC64 advanced on a pool, batch by batch.
 */

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Piscina } from 'piscina';

/** One turn of the event loop (the requests that came in meanwhile run first). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Load a CommonJS package (`spec`, resolved from the module at URL `from`) one module file per turn
 * of the event loop, each after the files it requires, and return its exports. A require() loads a
 * whole dependency tree in one go: piscina's first require took the main thread 5 ms of CPU at the
 * start of a save (8-11 ms in a bare process), a stall for every client; file by file, a turn
 * compiles one file (0.2-2 ms), and the package's own require at the end finds them all loaded.
 * Dependencies are found by the require("...") calls in each file's text; one missed only makes its
 * requirer's turn longer.
 */
export async function requireInSlices(spec: string, from: string): Promise<unknown> {
  const req = createRequire(from);
  const main = req.resolve(spec);
  if (req.cache[main] === undefined) {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      let text = '';
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch {
        /* required as it is (its own require reports what is wrong) */
      }
      const local = createRequire(file);
      for (const m of text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
        let dep: string;
        try {
          dep = local.resolve(m[1]!);
        } catch {
          continue; // optional, or not there: its requirer decides
        }
        // built-in modules are part of the binary (and the server has the ones piscina uses)
        if (path.isAbsolute(dep) && dep.endsWith('.js')) await visit(dep);
      }
      order.push(file);
    };
    await visit(main);
    for (const file of order) {
      await turn();
      if (req.cache[file] === undefined) req(file);
    }
  }
  return req(main);
}

/** The ids of this process's threads (Linux; empty elsewhere). */
function threadIds(): Set<string> {
  try {
    return new Set(fs.readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/**
 * A pool whose thread runs at `nice`. The thread sets it itself (rdb-worker.ts), but only once Node
 * has started it and loaded its modules: about 35 ms of CPU at the server's priority at the start of
 * every snapshot (the thread goes after 2 s idle). So when a task makes the pool start its thread,
 * the new thread is found in /proc as soon as it exists (Worker creates it synchronously) and
 * reniced from here.
 *
 * piscina is loaded with the first pool: a server that never saves, loads or syncs never loads it
 * (1.2 MB RSS), so the class is made then.
 */
type PoolOptions = ConstructorParameters<typeof Piscina>[0];
let NicePoolClass: (new (nice: number, options: PoolOptions) => Piscina) | null = null;

/** Load piscina a module file per turn (see requireInSlices), before the first newNicePool. */
let loading: Promise<unknown> | null = null;
export function loadPiscina(): Promise<unknown> {
  return (loading ??= requireInSlices('piscina', import.meta.url));
}

export function newNicePool(nice: number, options: PoolOptions): Piscina {
  if (NicePoolClass === null) {
    const { Piscina: Base } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    NicePoolClass = class NicePool extends Base {
      constructor(
        private readonly nice: number,
        options: PoolOptions,
      ) {
        super(options);
      }

      override run(task: unknown, options?: Parameters<Piscina['run']>[1]): Promise<unknown> {
        if (this.nice <= 0 || this.threads.length > 0) return super.run(task, options);
        const before = threadIds();
        const done = super.run(task, options);
        for (const tid of threadIds()) {
          if (before.has(tid)) continue;
          try {
            os.setPriority(Number(tid), Math.max(os.getPriority(Number(tid)), this.nice));
          } catch {
            /* gone already, or not allowed: the thread sets it itself */
          }
        }
        return done;
      }
    };
  }
  return new NicePoolClass(nice, options);
}

/** Bytes checksummed per pool task by a PoolChecksum. */
const CRC_BATCH_BYTES = 1024 * 1024;

/** A running CRC64 advanced on the pool, a batch at a time, in order (see Persistence.checksumStream). */
export class PoolChecksum {
  private crc = { lo: 0, hi: 0 };
  private chain: Promise<void> = Promise.resolve();
  private batch: Uint8Array[] = [];
  private bytes = 0;

  /** Resolves when the pool is ready (never rejects: a pool that failed fails the first batch). */
  readonly ready: Promise<void>;

  constructor(
    private readonly run: (joined: Buffer, crc: { lo: number; hi: number }) => Promise<{ lo: number; hi: number }>,
    ready: Promise<unknown> = Promise.resolve(),
  ) {
    this.ready = ready.then(
      () => {},
      () => {},
    );
  }

  /** Bytes that follow those given so far (copied before add returns, when a batch is full). */
  add(b: Uint8Array): void {
    if (b.length === 0) return;
    this.batch.push(b);
    this.bytes += b.length;
    if (this.bytes >= CRC_BATCH_BYTES) this.send();
  }

  private send(): void {
    if (this.batch.length === 0) return;
    // copied now (the caller may reuse its buffers); each task continues the previous one's CRC
    const joined = Buffer.concat(this.batch, this.bytes);
    this.batch = [];
    this.bytes = 0;
    this.chain = this.chain.then(async () => {
      this.crc = await this.run(joined, this.crc);
    });
    this.chain.catch(() => {}); // reported by value()
  }

  /** The CRC64 of everything added. */
  async value(): Promise<bigint> {
    this.send();
    await this.chain;
    return (BigInt(this.crc.hi) << 32n) | BigInt(this.crc.lo);
  }
}

