/*
 * The shards' "snapshot-next" replies (see shard/snapshot.ts and the control op), read in place by
 * the RDB save (persistence.ts) and the replication full sync (replication/fullsync.ts).
 */

/**
 * A "snapshot-next" reply, read in place: *<n> :<complete> (:<db> $<len> <entries>)... The entries
 * are views of the reply (no copy).
 */
export function parseChunk(b: Buffer): { complete: boolean; parts: [number, Buffer][] } {
  let p = 0;
  const line = (): string => {
    const e = b.indexOf(13, p);
    const l = b.latin1Slice(p, e);
    p = e + 2;
    return l;
  };
  const head = line();
  if (head[0] !== '*') throw new Error(`snapshot: unexpected reply ${head.slice(0, 60)}`);
  const n = Number(head.slice(1));
  const complete = line() === ':1';
  const parts: [number, Buffer][] = [];
  for (let i = 1; i + 1 < n; i += 2) {
    const db = Number(line().slice(1));
    const len = Number(line().slice(1));
    parts.push([db, b.subarray(p, p + len)]);
    p += len + 2;
  }
  return { complete, parts };
}
