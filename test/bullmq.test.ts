/*
 * BullMQ 5 (a real job-queue library that runs all its queue logic as Lua scripts, uses streams for
 * events and blocking commands for workers) completing a few thousand jobs against a 4-shard shardis
 * with several workers: plain, delayed, prioritized, retried-then-successful and finally-failed jobs,
 * a FlowProducer parent/child flow and a job scheduler (repeatable job); job progress and logs; a
 * QueueEvents reader (XREAD BLOCK on the events stream) seeing every completion and final failure;
 * obliterate leaving no key behind. Every job must complete
 * exactly once with its return value, the failures must be exactly the intended ones, the queue's
 * counts must end as expected and no worker/queue may emit an error. The same scenario runs against
 * redis-server 7 as the reference, so a difference in behaviour shows up as a differing summary.
 *
 * BULLMQ_JOBS=200 npx vitest run test/bullmq.test.ts  runs it with fewer jobs.
 */

import { FlowProducer, Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { haveBinaries, startRedis, startShardis, waitFor, type Proc } from './helpers/server.js';

const haveRedis = haveBinaries('redis-server');
const JOBS = Number(process.env.BULLMQ_JOBS ?? 3000);
const WORKERS = 3;
const CONCURRENCY = 5;

interface JobData {
  i: number;
  /** Attempts that throw before the job succeeds (Infinity: every attempt throws). */
  failTimes: number;
}

/** What each job index is: plain, delayed, prioritized, retried (fails twice, then succeeds) or doomed. */
function kind(i: number): { delay?: number; priority?: number; attempts?: number; failTimes: number } {
  if (i % 100 === 7) return { attempts: 2, failTimes: Infinity }; // fails for good after 2 attempts
  if (i % 50 === 3) return { attempts: 3, failTimes: 2 }; // fails twice, succeeds on the third
  if (i % 10 === 1) return { delay: 20 + (i % 7) * 30, failTimes: 0 };
  if (i % 10 === 5) return { priority: 1 + (i % 4), failTimes: 0 };
  return { failTimes: 0 };
}

interface Summary {
  completed: number;
  failedForGood: number;
  failedEvents: number;
  duplicates: string[];
  wrongValues: string[];
  flowParentValue: unknown;
  schedulerRuns: number;
  counts: Record<string, number>;
  /** 'completed' and 'failed' events the QueueEvents reader saw on the events stream (XREAD BLOCK). */
  streamCompleted: number;
  streamFailed: number;
  /** Progress updates and log lines of job j0. */
  progress: unknown;
  logs: string[];
  /** Keys left under the queue's prefix after obliterate. */
  keysAfterObliterate: number;
  errors: string[];
}

async function scenario(port: number, jobs: number): Promise<Summary> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const name = 'work';
  const errors: string[] = [];
  const completions = new Map<string, number>();
  const wrongValues: string[] = [];
  let failedEvents = 0;
  const failedForGood = new Set<string>();
  let schedulerRuns = 0;

  const queue = new Queue(name, { connection });
  queue.on('error', (e) => errors.push(`queue: ${e.message}`));
  const events = new QueueEvents(name, { connection });
  events.on('error', (e) => errors.push(`queue events: ${e.message}`));
  let streamCompleted = 0;
  let streamFailed = 0;
  events.on('completed', () => streamCompleted++);
  events.on('failed', () => streamFailed++);
  const flow = new FlowProducer({ connection });
  flow.on('error', (e) => errors.push(`flow: ${(e as Error).message}`));

  const processor = async (job: Job): Promise<unknown> => {
    if (job.name === 'tick') {
      schedulerRuns++;
      return 'tick';
    }
    if (job.name === 'parent') {
      const children = await job.getChildrenValues();
      return Object.values(children as Record<string, number>).reduce((a, b) => a + b, 0);
    }
    if (job.name === 'child') return (job.data as { v: number }).v;
    const d = job.data as JobData;
    if (d.i === 0) {
      await job.updateProgress({ step: 1 });
      await job.updateProgress(50);
      await job.log('first line');
      await job.log('second line');
    }
    // attemptsMade counts the attempts before this one
    if (job.attemptsMade < (d.failTimes === -1 ? Infinity : d.failTimes)) throw new Error(`intended failure ${d.i}`);
    return { double: d.i * 2 };
  };

  const workers: Worker[] = [];
  for (let w = 0; w < WORKERS; w++) {
    const worker = new Worker(name, processor, { connection, concurrency: CONCURRENCY });
    worker.on('error', (e) => errors.push(`worker ${w}: ${e.message}`));
    worker.on('completed', (job, value) => {
      completions.set(job.id!, (completions.get(job.id!) ?? 0) + 1);
      if (job.name === 'job') {
        const d = job.data as JobData;
        if (JSON.stringify(value) !== JSON.stringify({ double: d.i * 2 })) wrongValues.push(`${job.id}: ${JSON.stringify(value)}`);
      }
    });
    worker.on('failed', (job, err) => {
      failedEvents++;
      if (!err.message.startsWith('intended failure')) errors.push(`job ${job?.id} failed unexpectedly: ${err.message}`);
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) failedForGood.add(job.id!);
    });
    workers.push(worker);
  }

  try {
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    await events.waitUntilReady();
    // the jobs, in bulk batches
    let expectFailedForGood = 0;
    let expectFailedEvents = 0;
    for (let start = 0; start < jobs; start += 500) {
      const batch = [];
      for (let i = start; i < Math.min(jobs, start + 500); i++) {
        const k = kind(i);
        if (k.failTimes === Infinity) {
          expectFailedForGood++;
          expectFailedEvents += k.attempts!;
        } else expectFailedEvents += k.failTimes;
        batch.push({
          name: 'job',
          data: { i, failTimes: k.failTimes === Infinity ? -1 : k.failTimes },
          opts: {
            jobId: `j${i}`,
            delay: k.delay,
            priority: k.priority,
            attempts: k.attempts,
            backoff: k.attempts ? { type: 'fixed', delay: 10 } : undefined,
          },
        });
      }
      await queue.addBulk(batch);
    }
    // a parent/child flow: the parent's value is the sum of its children's
    await flow.add({
      name: 'parent',
      queueName: name,
      opts: { jobId: 'flow-parent' },
      children: [1, 2, 3, 4].map((v) => ({ name: 'child', queueName: name, data: { v }, opts: { jobId: `flow-child-${v}` } })),
    });
    // a job scheduler producing 3 jobs
    await queue.upsertJobScheduler('ticker', { every: 50, limit: 3 }, { name: 'tick' });

    const expectCompleted = jobs - expectFailedForGood + 5 + 3;
    await waitFor(
      () => completions.size >= expectCompleted && failedForGood.size >= expectFailedForGood,
      { what: `${expectCompleted} completions and ${expectFailedForGood} failures (have ${completions.size}, ${failedForGood.size})`, ceilingMs: 600_000 },
    );
    // let stray duplicate completions (there must be none) show up
    await new Promise((r) => setTimeout(r, 300));
    if (process.env.BULLMQ_DEBUG) console.log('jobs done');
    const flowParent = await queue.getJob('flow-parent');
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children', 'paused');
    if (process.env.BULLMQ_DEBUG) console.log('counts', counts);
    const j0 = await queue.getJob('j0');
    const logs = (await queue.getJobLogs('j0')).logs;
    await waitFor(() => streamCompleted >= expectCompleted && streamFailed >= expectFailedForGood, {
      what: `queue events: ${streamCompleted} completed, ${streamFailed} failed`,
      ceilingMs: 600_000,
    });
    if (process.env.BULLMQ_DEBUG) console.log('stream events done');
    await Promise.all(workers.map((w) => w.close()));
    if (process.env.BULLMQ_DEBUG) console.log('workers closed');
    await queue.obliterate({ force: true });
    const client = await queue.client;
    const keysAfterObliterate = (await client.keys(`bull:${name}:*`)).length;
    return {
      completed: completions.size,
      failedForGood: failedForGood.size,
      failedEvents,
      duplicates: [...completions].filter(([, n]) => n !== 1).map(([id, n]) => `${id}x${n}`),
      wrongValues,
      flowParentValue: flowParent?.returnvalue,
      schedulerRuns,
      counts,
      streamCompleted,
      streamFailed,
      progress: j0?.progress,
      logs,
      keysAfterObliterate,
      errors,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await queue.close();
    await events.close();
    await flow.close();
  }
}

function expected(jobs: number): Summary {
  let failed = 0;
  let failedEvents = 0;
  for (let i = 0; i < jobs; i++) {
    const k = kind(i);
    if (k.failTimes === Infinity) {
      failed++;
      failedEvents += k.attempts!;
    } else failedEvents += k.failTimes;
  }
  const completed = jobs - failed + 5 + 3;
  return {
    completed,
    failedForGood: failed,
    failedEvents,
    duplicates: [],
    wrongValues: [],
    flowParentValue: 10,
    schedulerRuns: 3,
    counts: { waiting: 0, active: 0, completed, failed, delayed: 0, prioritized: 0, 'waiting-children': 0, paused: 0 },
    streamCompleted: completed,
    // (QueueEvents gets 'failed' for a job's last attempt only; earlier ones are retried)
    streamFailed: failed,
    progress: 50,
    logs: ['first line', 'second line'],
    keysAfterObliterate: 0,
    errors: [],
  };
}

const procs: Proc[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
});

describe('BullMQ against a 4-shard shardis', () => {
  it(`completes ${JOBS} jobs (delayed, prioritized, retried, failing), a flow and a job scheduler with 3 workers`, async () => {
    const p = await startShardis({ shards: 4 });
    procs.push(p);
    expect(await scenario(p.port, JOBS)).toEqual(expected(JOBS));
  });
});

describe.skipIf(!haveRedis)('BullMQ against redis-server (the reference)', () => {
  it(`completes ${JOBS} jobs the same way on redis-server`, async () => {
    const p = await startRedis();
    procs.push(p);
    expect(await scenario(p.port, JOBS)).toEqual(expected(JOBS));
  });
});
