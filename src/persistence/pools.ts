/*
 * The persistence service's piscina pools (see Persistence.poolOf): a pool whose thread runs at a
 * lower priority from its very start, and a running CRC64 advanced on a pool, batch by batch.
 */

import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Piscina } from 'piscina';

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

  constructor(private readonly run: (joined: Buffer, crc: { lo: number; hi: number }) => Promise<{ lo: number; hi: number }>) {}

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

