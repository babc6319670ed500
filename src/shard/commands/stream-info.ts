/*
 * XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS in redis-server 7.0's shapes (maps in RESP3, flat
 * arrays in RESP2), including the radix-tree figures: radix-tree-keys is the number of nodes, and
 * radix-tree-nodes the node count of a radix tree holding the nodes' 16-byte master IDs (compressed
 * chains, branching nodes and key leaves, as Redis's rax lays them out).
 */

import { CommandError, NO_SUCH_KEY, WRONGTYPE, streamNoGroup, subcommandSyntax } from '../../resp/errors.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { formatId, ID_MAX, idMs, idSeq, StreamValue, type PendingEntry, type StreamGroup } from '../values/stream.js';
import { writeEntry } from './stream-args.js';
import { shardCommands } from '../../commands/registry.js';
import type { RespWriter } from '../../resp/writer.js';

function key16(id: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(idMs(id), 0);
  b.writeBigUInt64BE(idSeq(id), 8);
  return b;
}

/** Nodes of a rax holding these sorted, distinct 16-byte keys. */
export function raxNodeCount(keys: Buffer[]): number {
  if (keys.length === 0) return 1;
  const count = (lo: number, hi: number, d: number): number => {
    if (d === 16) return 1;
    // common prefix of keys[lo..hi) from depth d (sorted: compare first and last)
    const a = keys[lo]!;
    const b = keys[hi - 1]!;
    let e = d;
    while (e < 16 && a[e] === b[e]) e++;
    let n = 0;
    if (e > d) n++; // a compressed node
    if (e === 16) return n + 1; // the key leaf
    n++; // the branching node
    let i = lo;
    while (i < hi) {
      const c = keys[i]![e];
      let j = i + 1;
      while (j < hi && keys[j]![e] === c) j++;
      n += count(i, j, e + 1);
      i = j;
    }
    return n;
  };
  return count(0, keys.length, 0);
}

function streamOf(c: ShardCtx): StreamValue {
  const v = c.db.read(c.args.str(2));
  if (v === undefined) throw new CommandError(NO_SUCH_KEY);
  if (!(v instanceof StreamValue)) throw new CommandError(WRONGTYPE);
  return v;
}

function entriesRead(g: StreamGroup): number | null {
  return g.entriesRead === -1 ? null : g.entriesRead;
}

function xinfoStream(c: ShardCtx): void {
  const s = streamOf(c);
  let full = false;
  let count = 10;
  const optc = c.argc - 3;
  if (optc > 0) {
    if ((optc !== 1 && optc !== 3) || !c.args.is(3, 'full')) throw new CommandError(subcommandSyntax(c.args.str(1), 'xinfo'));
    full = true;
    if (optc === 3) {
      if (!c.args.is(4, 'count')) throw new CommandError(subcommandSyntax(c.args.str(1), 'xinfo'));
      const n = c.args.int64(5);
      count = n < 0n ? 10 : n > 0x7fffffffn ? 0x7fffffff : Number(n);
    }
  }
  const w = c.w;
  w.map(full ? 9 : 10);
  w.fields([
    ['length', s.length],
    ['radix-tree-keys', s.nodes.length],
    ['radix-tree-nodes', raxNodeCount(s.nodes.map((n) => key16(n.master)))],
    ['last-generated-id', formatId(s.lastId)],
    ['max-deleted-entry-id', formatId(s.maxDeletedId)],
    ['entries-added', s.entriesAdded],
    ['recorded-first-entry-id', formatId(s.firstId)],
  ]);
  if (!full) {
    w.fields([['groups', s.groups ? s.groups.size : 0]]);
    const first = s.range(0n, ID_MAX, 1, false)[0];
    w.bulk('first-entry');
    if (first) writeEntry(w, first);
    else w.nullBulk();
    const last = s.range(0n, ID_MAX, 1, true)[0];
    w.bulk('last-entry');
    if (last) writeEntry(w, last);
    else w.nullBulk();
    return;
  }
  w.bulk('entries');
  const es = s.range(0n, ID_MAX, count, false);
  w.array(es.length);
  for (const e of es) writeEntry(w, e);
  w.bulk('groups');
  replyMaps(
    w,
    s.sortedGroups(),
    (g) => [
      ['name', g.name],
      ['last-delivered-id', formatId(g.lastId)],
      ['entries-read', entriesRead(g)],
      ['lag', s.lag(g)],
      ['pel-count', g.pel.size],
    ],
    {
      entries: 2,
      write: (g) => {
        w.bulk('pending');
        writePending(w, g.pending(), count, true);
        w.bulk('consumers');
        replyMaps(
          w,
          g.sortedConsumers(),
          (cons) => [
            ['name', cons.name],
            ['seen-time', cons.seenTime],
            ['pel-count', cons.pel.size],
          ],
          {
            entries: 1,
            write: (cons) => {
              w.bulk('pending');
              writePending(w, g.pending(0n, ID_MAX, cons), count, false);
            },
          },
        );
      },
    },
  );
}

/**
 * XINFO STREAM FULL: pending entries (the first `count`, all when 0), each [id, consumer name (of a
 * group's entries), delivery time, delivery count].
 */
function writePending(w: RespWriter, pel: readonly PendingEntry[], count: number, withConsumer: boolean): void {
  const n = count ? Math.min(count, pel.length) : pel.length;
  w.array(n);
  for (let i = 0; i < n; i++) {
    const p = pel[i]!;
    w.array(withConsumer ? 4 : 3);
    w.bulk(formatId(p.id));
    if (withConsumer) w.bulk(p.consumer.name);
    w.int(p.deliveryTime);
    w.int(p.deliveryCount);
  }
}

/**
 * An array of maps, one per item (XINFO GROUPS, XINFO CONSUMERS, XINFO STREAM FULL's groups and
 * consumers): the fields `fields` names, then `more.entries` entries `more.write` writes.
 */
function replyMaps<T>(w: RespWriter, items: readonly T[], fields: (item: T) => (readonly [string, string | number | null])[], more?: { entries: number; write: (item: T) => void }): void {
  w.array(items.length);
  for (const item of items) {
    const f = fields(item);
    w.map(f.length + (more?.entries ?? 0));
    w.fields(f);
    more?.write(item);
  }
}

export const commands = shardCommands<ShardHandler>({
  'xinfo|stream': xinfoStream,

  'xinfo|groups'(c) {
    const s = streamOf(c);
    replyMaps(c.w, s.sortedGroups(), (g) => [
      ['name', g.name],
      ['consumers', g.consumers.size],
      ['pending', g.pel.size],
      ['last-delivered-id', formatId(g.lastId)],
      ['entries-read', entriesRead(g)],
      ['lag', s.lag(g)],
    ]);
  },

  'xinfo|consumers'(c) {
    const s = streamOf(c);
    const g = s.group(c.args.str(3));
    if (!g) throw new CommandError(streamNoGroup(c.args.str(3), c.args.str(2)));
    replyMaps(c.w, g.sortedConsumers(), (cons) => [
      ['name', cons.name],
      ['pending', cons.pel.size],
      ['idle', Math.max(0, c.now - cons.seenTime)],
    ]);
  },
});
