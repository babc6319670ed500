/*
 * Runs of requests (REQ_RUN, src/ipc/records.ts): the requests of one input that go one after another
 * to the same shard travel as one ring record, and the shard answers each as if it had come alone.
 * Every case is a pipeline sent in one write, answered byte for byte as redis-server answers it.
 */

import { describe, expect, it } from 'vitest';
import { useServers } from './helpers/fixture.js';
import { pipelineThenFin, type Request } from './helpers/pipeline.js';
import { waitFor } from './helpers/wait.js';

async function same(s: ReturnType<typeof useServers>, reqs: Request[]): Promise<void> {
  const ours = await pipelineThenFin(s.srv.port, reqs, 60_000);
  const ref = await pipelineThenFin(s.ref!.port, reqs, 60_000);
  expect(ours.length).toBe(ref.length);
  expect(ours).toBe(ref);
}

const keys = Array.from({ length: 24 }, (_, i) => `run:${i}`); // over every shard

describe.each([
  ['a 1 MB ring', []],
  ['a 64 kB ring (runs cut by its record size, and queued while it is full)', ['--ring-size', '65536']],
])('runs of requests with %s', (_name, args) => {
  const s = useServers({ shards: 3, redis: true, args });

  it('a pipeline mixing keys on several shards with main-thread commands is answered in order', async () => {
    const reqs: Request[] = [['FLUSHALL']];
    for (const k of keys) reqs.push(['SET', k, `v-${k}`], ['INCR', `${k}:n`], ['GET', k]);
    reqs.push(['DBSIZE'], ['PING'], ['ECHO', 'x']);
    for (const k of keys) reqs.push(['APPEND', k, '!'], ['DBSIZE'], ['GET', k], ['SELECT', '1'], ['SET', k, 'one'], ['GET', k], ['SELECT', '0'], ['GET', k]);
    reqs.push(['FLUSHALL']);
    await same(s, reqs);
  });

  it('a blocking command inside a run of requests blocks, then the requests after it run', async () => {
    await same(s, [['DEL', 'run:l'], ['LPUSH', 'run:l', 'a'], ['BLPOP', 'run:l', '0'], ['RPUSH', 'run:l', 'b', 'c'], ['BLPOP', 'run:l', '0'], ['LRANGE', 'run:l', '0', '-1'], ['DEL', 'run:l']]);
  });

  it('CLIENT REPLY SKIP / OFF / ON and MULTI/EXEC inside runs of requests', async () => {
    await same(s, [
      ['SET', 'run:a', '1'], ['CLIENT', 'REPLY', 'SKIP'], ['INCR', 'run:a'], ['INCR', 'run:a'],
      ['CLIENT', 'REPLY', 'OFF'], ['INCR', 'run:a'], ['GET', 'run:a'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'run:a'],
      ['MULTI'], ['INCR', 'run:a'], ['GET', 'run:a'], ['EXEC'], ['GET', 'run:a'], ['DEL', 'run:a'],
    ]);
  });

  it('a write inside a run that serves a blocked client: both get their replies, the run\'s in order', async () => {
    const b = s.client();
    const served = b.blpop('run:bl', 0);
    await waitFor(async () => /blocked_clients:1/.test(await s.io.info('clients')), { what: 'BLPOP to block' });
    const out = await pipelineThenFin(s.srv.port, [['SET', 'run:x', '1'], ['LPUSH', 'run:bl', 'a'], ['SET', 'run:y', '2'], ['GET', 'run:x'], ['LLEN', 'run:bl'], ['DEL', 'run:x', 'run:y']]);
    expect(out).toBe('+OK\r\n:1\r\n+OK\r\n$1\r\n1\r\n:0\r\n:2\r\n');
    expect(await served).toEqual(['run:bl', 'a']);
  });

  it('thousands of pipelined writes and reads of one connection, over a run\'s count and byte limits', async () => {
    const reqs: Request[] = [];
    for (let i = 0; i < 3000; i++) reqs.push(['SET', `run:p:${i % 5}`, `${i}-${'x'.repeat(i % 300)}`], ['GET', `run:p:${(i * 7) % 5}`]);
    for (let i = 0; i < 5; i++) reqs.push(['DEL', `run:p:${i}`]);
    await same(s, reqs);
  });
});
