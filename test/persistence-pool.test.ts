import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { newNicePool } from './helpers/src.js';

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
