/*
 * Writes made while nothing takes the replication stream (no replica has connected, no AOF): the
 * shard leaves their propagation out of the reply record (FLAG_UNSTREAMED, src/ipc/records.ts), and
 * the main thread still counts each as one change, as it did when it was fed the bytes.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';

describe('writes nothing streams', () => {
  const s = useServers({ shards: 2 });
  const changes = async (): Promise<number> => Number(/rdb_changes_since_last_save:(\d+)/.exec(await s.io.info('persistence'))![1]);

  it('each write on a shard counts as one change in rdb_changes_since_last_save with no replica and no AOF', async () => {
    const before = await changes();
    await s.io.set('u:a', '1');
    await s.io.incr('u:n');
    await s.io.lpush('u:l', 'x', 'y', 'z');
    await s.io.hset('u:h', 'f', 'v');
    await s.io.set('u:big', 'v'.repeat(2 * 1024 * 1024)); // over the ring's record: several records back
    expect((await changes()) - before).toBe(5);
    // reads and writes that change nothing are not counted
    await s.io.get('u:a');
    await s.io.del('u:missing');
    expect((await changes()) - before).toBe(5);
  });

  it('a pipeline of writes on several shards counts every write', async () => {
    const before = await changes();
    const p = s.io.pipeline();
    for (let i = 0; i < 200; i++) p.set(`u:p:${i}`, String(i));
    for (let i = 0; i < 50; i++) p.incr(`u:c:${i % 7}`);
    await p.exec();
    expect((await changes()) - before).toBe(250);
  });
});
