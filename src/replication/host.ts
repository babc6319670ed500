/*
 * What the replication service uses of the server, as an interface (so that src/replication depends
 * on no module that depends back on it: Server satisfies this structurally). It extends what
 * persistence uses, since a replica loads its master's payload through src/persistence/load.ts.
 */

import type { FunctionLibraries, PersistHost } from '../persistence/host.js';
import type { ServerStats } from '../server/stats.js';

export interface ReplicationHost extends PersistHost {
  readonly stats: ServerStats;
  /** The port this server listens on (REPLCONF listening-port). */
  readonly port: number;
  /** The function libraries sent with a full sync; the pool that checksums its payload. */
  readonly persistence: { readonly functions: FunctionLibraries | null; checksumStream(): { add(b: Uint8Array): void; value(): Promise<bigint> } };
  scheduleTick(): void;
  /** Send the shards their configuration again (the stream's takers changed). */
  pushShardConfig(): void;
}
