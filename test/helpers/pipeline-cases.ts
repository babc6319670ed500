/*
 * Recorded pipeline cases: each case a pipeline of requests and the bytes redis-server 7.0.15 sent
 * back for it (recorded in the test file or test/golden). One vitest case per case and shard count
 * against shardis; where redis-server is installed, one more case checks that it still sends the
 * recorded bytes (so a recording that went stale is caught).
 */

import { describe, expect, it } from 'vitest';
import { hasRedisServer, useServers } from './fixture.js';
import { pipelineThenFin, type Request } from './pipeline.js';

export interface PipelineCase {
  name: string;
  reqs: Request[];
  golden: string;
}

/** `title` with %i for the shard count; `reset` runs before each case (e.g. FLUSHALL, ACL LOG RESET). */
export function describePipelineCases(title: string, cases: readonly PipelineCase[], reset: Request, shardCounts: readonly number[]): void {
  describe.each([...shardCounts])(title, (shards) => {
    const s = useServers({ shards });
    for (const c of cases) {
      it(c.name, async () => {
        await pipelineThenFin(s.srv.port, [reset]);
        expect(await pipelineThenFin(s.srv.port, c.reqs)).toBe(c.golden);
      });
    }
  });

  describe.skipIf(!hasRedisServer())(`${title.replace('%i', shardCounts.join('/'))}: the recording against redis-server`, () => {
    const s = useServers({ redis: true });
    it('redis-server gives the recorded replies', async () => {
      for (const c of cases) {
        await pipelineThenFin(s.ref!.port, [reset]);
        expect({ name: c.name, got: await pipelineThenFin(s.ref!.port, c.reqs) }).toEqual({ name: c.name, got: c.golden });
      }
    });
  });
}
