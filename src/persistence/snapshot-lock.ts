/*
 * The one snapshot a server takes at a time: the shards hold a single copy-on-write snapshot (see
 * shard/snapshot.ts), shared by the replication full sync and the RDB save. Whoever starts one holds
 * this until its last chunk is pulled (Redis likewise runs one RDB child at a time).
 */

export type SnapshotOwner = 'sync' | 'save' | null;

export const snapshotLock = {
  owner: null as SnapshotOwner,
};
