/*
 * Random identifiers: the server's run id (INFO run_id), replication ids (master_replid) and the
 * EOF mark of a diskless full sync. 40 hex characters from the operating system's CSPRNG, as Redis's
 * getRandomHexChars: ids that must not repeat across restarts or collide between servers.
 */

import { randomBytes } from 'node:crypto';

/** `n` random lower-case hex characters. */
export function randomHex(n: number): string {
  return randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
}
