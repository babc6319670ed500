/*
 * XREAD / XREADGROUP with BLOCK when their streams live on several shards (the coordinator's retry
 * path): where the BLOCK timeout is, and the "$" IDs pinned to each stream's last entry when the
 * command first finds nothing, so that later retries wait for entries newer than that moment (as
 * redis-server resolves "$" once, when the client blocks).
 */

import { FLAG_COORDINATED } from '../ipc/records.js';
import { ReplyReader } from '../resp/reply-reader.js';
import { RespWriter } from '../resp/writer.js';
import type { CoordinatorHost } from './coordinator-host.js';

/** BLOCK's timeout in ms for XREAD/XREADGROUP (0 = forever), or -1 when not a blocking stream read. */
export function streamBlockMs(name: string, argv: string[]): number {
  if (name !== 'xread' && name !== 'xreadgroup') return -1;
  for (let i = 1; i < argv.length - 1; i++) {
    const a = argv[i]!.toLowerCase();
    if (a === 'streams') break;
    if (a === 'block') return Number(argv[i + 1]);
  }
  return -1;
}

/** Replace the "$" IDs of an XREAD by the ID of each stream's last entry (0-0 when none). */
export async function pinDollarIds(server: CoordinatorHost, db: number, proto: 2 | 3, argv: string[]): Promise<void> {
  let streamsAt = -1;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i]!.toLowerCase() === 'streams') {
      streamsAt = i + 1;
      break;
    }
  }
  if (streamsAt < 0) return;
  const n = (argv.length - streamsAt) / 2;
  const cmd = server.table.get('xrevrange')!;
  const jobs: Promise<void>[] = [];
  for (let k = 0; k < n; k++) {
    const idIdx = streamsAt + n + k;
    if (argv[idIdx] !== '$') continue;
    const key = argv[streamsAt + k]!;
    const w = new RespWriter(64);
    w.command(['XREVRANGE', key, '+', '-', 'COUNT', '1']);
    const link = server.links[server.shardOfKey(key)]!;
    jobs.push(
      link.command(FLAG_COORDINATED, db, cmd.id, proto, w.toBuffer()).then((r) => {
        // [[id, [field, value ...]]] or [] (an error: no stream there, $ means 0-0 as for an empty one)
        const reply = new ReplyReader(r.reply);
        const newest = reply.error() === null && reply.array() > 0 && reply.array() > 0 ? reply.bulk() : null;
        argv[idIdx] = newest ?? '0-0';
      }),
    );
  }
  server.scheduleTick();
  await Promise.all(jobs);
}
