/*
 * The shard's idle collection (src/shard/idle-gc.ts): one full collection when the shard has been
 * idle for IDLE_MS with SLACK_BYTES of old-space pages beyond its objects, none while it works, and
 * no second one until the heap has grown by GROWTH_BYTES. The policy is checked with a stand-in
 * for V8's figures and gc(); a real shard running it is every server test.
 */

import { describe, expect, it } from 'vitest';
import { GROWTH_BYTES, IDLE_MS, IdleCollector, SLACK_BYTES, type OldSpace } from './helpers/src.js';

const MB = 1024 * 1024;

function collector(space: OldSpace): { c: IdleCollector; gcs: () => number } {
  let gcs = 0;
  const c = new IdleCollector(
    () => ({ ...space }),
    () => () => {
      gcs++;
      // what a compacting collection does to the stand-in heap
      space.physical = space.used + MB;
    },
  );
  return { c, gcs: () => gcs };
}

describe('shard idle collection', () => {
  it('collects once when the shard has been idle for IDLE_MS with SLACK_BYTES of old-space slack, not while it works', () => {
    const space = { physical: 23 * MB, used: 13 * MB };
    const { c, gcs } = collector(space);
    c.worked(1000);
    c.idle(1000 + IDLE_MS - 1);
    expect(gcs()).toBe(0);
    c.worked(1000 + IDLE_MS);
    c.idle(1000 + 2 * IDLE_MS - 1);
    expect(gcs()).toBe(0);
    c.idle(1000 + 2 * IDLE_MS);
    expect(gcs()).toBe(1);
    expect(space.physical).toBe(14 * MB);
    c.idle(1000 + 10 * IDLE_MS);
    expect(gcs()).toBe(1);
  });

  it('does not collect without enough slack, nor again until the heap has grown by GROWTH_BYTES', () => {
    const space = { physical: 13 * MB, used: 13 * MB - SLACK_BYTES + 1 };
    const { c, gcs } = collector(space);
    c.worked(0);
    c.idle(IDLE_MS);
    expect(gcs()).toBe(0);
    space.physical = 30 * MB;
    space.used = 20 * MB;
    c.worked(IDLE_MS);
    c.idle(2 * IDLE_MS);
    expect(gcs()).toBe(1); // physical now 21 MB
    // more garbage, but the pages grew by less than GROWTH_BYTES since: no second collection
    space.physical = 21 * MB + GROWTH_BYTES - 1;
    space.used = 12 * MB;
    c.worked(3 * IDLE_MS);
    c.idle(4 * IDLE_MS);
    expect(gcs()).toBe(1);
    space.physical = 21 * MB + GROWTH_BYTES;
    c.worked(5 * IDLE_MS);
    c.idle(6 * IDLE_MS);
    expect(gcs()).toBe(2);
  });

  it('a shard that never received a request never collects', () => {
    const { c, gcs } = collector({ physical: 40 * MB, used: 10 * MB });
    c.idle(1e9);
    expect(gcs()).toBe(0);
  });
});
