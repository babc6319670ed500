import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { newNicePool } from './helpers/src.js';
import { requireInSlices } from '../src/persistence/pools.js';

// The pool behind snapshots (BGSAVE's encoding and writing, a full sync's checksum, a replica's
// payload walk) runs at nice 10. Its thread used to set that itself once Node had started it and
// loaded its modules: ~35 ms of CPU at the server's priority at the start of every snapshot.
describe('background pool', () => {
  it.skipIf(process.platform !== 'linux')("its thread is at nice 10 before the thread's first module line runs", async () => {
    const pool = newNicePool(10, { filename: fileURLToPath(new URL('./helpers/nice-at-start-worker.mjs', import.meta.url)), minThreads: 0, maxThreads: 1, idleTimeout: 1000 });
    try {
      const first = (await pool.run({})) as { tid: number; atStart: number; now: number };
      expect(first.atStart).toBe(10);
      expect(first.now).toBe(10);
      // the same thread serves the next task (no new thread to renice)
      const second = (await pool.run({})) as { tid: number; atStart: number };
      expect(second.tid).toBe(first.tid);
    } finally {
      await pool.destroy();
    }
  });
});

// piscina loaded at the start of a save blocked the main thread 5 ms of CPU at once; it is loaded
// a module file per turn of the event loop instead (requireInSlices).
describe('loading a package in slices', () => {
  it('loads one module file per turn of the event loop, each after the files it requires, and returns its exports', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardis-slices-'));
    const g = globalThis as unknown as { sliceLog: [string, number][]; sliceTurn: number };
    g.sliceLog = [];
    g.sliceTurn = 0;
    const mod = (name: string, deps: string[]): void =>
      fs.writeFileSync(path.join(dir, `${name}.js`), `${deps.map((d) => `require(${JSON.stringify(d)});`).join('\n')}\nglobalThis.sliceLog.push([${JSON.stringify(name)}, globalThis.sliceTurn]);\nmodule.exports = ${JSON.stringify(name)};\n`);
    mod('index', ['./a', './b', 'node:os']);
    mod('a', ['./c']);
    mod('b', ['./c', './a.js']);
    mod('c', []);
    let on = true;
    const tick = (): void => {
      g.sliceTurn++;
      if (on) setImmediate(tick);
    };
    setImmediate(tick);
    try {
      const exported = await requireInSlices(path.join(dir, 'index.js'), pathToFileURL(path.join(dir, 'from.js')).href);
      expect(exported).toBe('index');
      expect(g.sliceLog.map(([name]) => name)).toEqual(['c', 'a', 'b', 'index']);
      const turns = g.sliceLog.map(([, t]) => t);
      expect(new Set(turns).size).toBe(turns.length);
    } finally {
      on = false;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
