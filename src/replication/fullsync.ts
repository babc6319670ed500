/*
 * FullSync: the master side of a full resynchronization.
 *
 *   1. Replicas asking for one wait repl-diskless-sync-delay seconds (newline keep-alives each second)
 *      so that several can share one snapshot, as Redis's diskless sync does.
 *   2. The cut: the coordinator locks every shard (no client request reaches a shard meanwhile and no
 *      multi-shard operation is half done), each shard gets "snapshot-begin" behind the requests it
 *      already has, and when every shard answered, every write before the cut has been fed to the
 *      backlog and none after it: master_repl_offset now is the snapshot's offset. Unlock. The stall
 *      is one round trip to the shards, independent of the keyspace size.
 *   3. +FULLRESYNC <replid> <offset>, then the RDB file: header and aux fields, then the shards'
 *      chunks ("snapshot-next", copy-on-write per slot, see shard/snapshot.ts) each behind a SELECTDB,
 *      then EOF and the CRC64 (computed on a persistence pool thread at the normal priority, as the
 *      payload's end waits for it, so the main thread only forwards bytes). With capa eof the payload streams as "$EOF:<mark>" and ends with the mark; otherwise
 *      it is built first and sent as "$<length>".
 *   4. Writes after the cut wait in each replica's buffer (bounded by client-output-buffer-limit) and
 *      follow the payload; after an EOF-marked payload they start with the replica's first ACK.
 * Pulling a chunk only when the replica sockets drained keeps the snapshot at the replicas' speed.
 */

import { REDIS_VERSION } from '../config.js';
import { snapshotAbortOp, snapshotBeginOp, snapshotNextOp } from '../ipc/control.js';
import { randomHex } from '../server/ids.js';
import { RDB_OPCODE, RdbWriter, rdbHeader } from '../codec/rdb.js';
import { ReplicaState, type ReplicaClient } from './replica-client.js';
import type { ReplicationHost } from './host.js';
import { snapshotLock } from '../persistence/snapshot-lock.js';
import { Pacer, SNAPSHOT_SHARE } from '../persistence/pacer.js';

/** Output (bytes queued on a replica socket) above which the next chunk waits for 'drain'. */
const SOCKET_HIGH_WATER = 4 * 1024 * 1024;

/** What a full sync uses of the replication service (Replication satisfies it). */
export interface FullSyncRepl {
  readonly server: ReplicationHost;
  readonly replid: string;
  readonly masterOffset: number;
  /** Database of the last command in the stream (-1: the next one must be preceded by SELECT). */
  lastDb: number;
  /** Write this tick's stream to the replicas. */
  flush(): void;
}

export class FullSync {
  /** Replicas waiting for the next snapshot. */
  private waiting: ReplicaClient[] = [];
  /** Replicas receiving the current snapshot. */
  private group: ReplicaClient[] = [];
  private running = false;
  private waitingSince = 0;
  /** Statistics of the last snapshot (for tests and logs). */
  lastKeys = 0;

  constructor(private readonly repl: FullSyncRepl) {}

  request(r: ReplicaClient): void {
    if (this.waiting.length === 0) this.waitingSince = Date.now();
    this.waiting.push(r);
    this.maybeStart();
  }

  dropped(r: ReplicaClient): void {
    this.waiting = this.waiting.filter((x) => x !== r);
    this.group = this.group.filter((x) => x !== r);
  }

  abortAll(): void {
    this.waiting = [];
    this.group = [];
  }

  cron(): void {
    this.maybeStart();
  }

  private maybeStart(): void {
    if (this.running || this.waiting.length === 0) return;
    // an RDB save holds the shards' snapshot: start when it ended (cron retries)
    if (snapshotLock.owner !== null) return;
    const cfg = this.repl.server.config;
    const delay = cfg.int('repl-diskless-sync-delay') * 1000;
    const max = cfg.int('repl-diskless-sync-max-replicas');
    if (Date.now() - this.waitingSince < delay && !(max > 0 && this.waiting.length >= max)) {
      return; // cron retries
    }
    this.running = true;
    snapshotLock.owner = 'sync';
    this.group = this.waiting;
    this.waiting = [];
    this.run().then(
      () => {
        this.running = false;
        snapshotLock.owner = null;
        this.maybeStart();
      },
      (e: unknown) => {
        this.running = false;
        snapshotLock.owner = null;
        this.repl.server.log.error({ err: e }, 'full sync failed');
        for (const r of this.group) this.repl.server.closeConnection(r.conn);
        this.group = [];
        this.maybeStart();
      },
    );
  }

  private async run(): Promise<void> {
    const repl = this.repl;
    const s = repl.server;
    const all = s.links.map((_, i) => i);
    // the CRC64 is computed on the persistence pool, behind the bytes sent; asked for before the cut,
    // which waits for the pool to be made (in slices of the main thread's time: Persistence.readyPool)
    const crc = s.persistence.checksumStream();
    if ('ready' in crc) await crc.ready;

    // 2. the cut
    await s.coordinator.lock(all);
    let offset: number;
    try {
      await s.coordinator.quiesce();
      await s.allShards(snapshotBeginOp.request());
      repl.flush(); // writes before the cut go to the replicas already online
      offset = repl.masterOffset;
      repl.lastDb = -1;
      for (const r of this.group) r.state = ReplicaState.SendBulk;
    } finally {
      s.coordinator.unlock(all);
    }
    s.log.info(`Starting BGSAVE for SYNC with target: replicas sockets (offset ${offset})`);

    // 3. the payload
    const eofMode = this.group.every((r) => r.capaEof);
    const mark = randomHex(40);
    for (const r of this.group) {
      const head = r.preSync ? '' : `+FULLRESYNC ${repl.replid} ${offset}\r\n`;
      r.write(Buffer.from(`${head}${eofMode ? `$EOF:${mark}\r\n` : ''}`));
    }
    const whole: Buffer[] = [];
    const out = async (b: Buffer): Promise<void> => {
      crc.add(b);
      if (!eofMode) {
        whole.push(b);
        return;
      }
      for (const r of this.group) r.write(b);
      await this.drained();
    };
    const functions = s.persistence.functions?.records() ?? Buffer.alloc(0); // the function libraries as of the cut (no await since)
    await out(rdbHeader(REDIS_VERSION, { replid: repl.replid, offset, streamDb: 0 }, false));
    if (functions.length > 0) await out(functions);
    let keys = 0;
    // paced as a background save (pacer.ts): back to back, the pulls kept the shard and main threads
    // busy, and on a loaded machine every request waited for them to get the CPU back
    const pacer = new Pacer(SNAPSHOT_SHARE);
    for (let i = 0; i < s.links.length; i++) {
      for (;;) {
        const pullStart = performance.now();
        const res = await s.oneShard(i, snapshotNextOp.request());
        await pacer.pulled(pullStart);
        const { complete, parts } = snapshotNextOp.read(res.reply); // the entries are views of the reply
        for (const { db, entries } of parts) {
          const w = new RdbWriter(16);
          w.byte(RDB_OPCODE.SELECTDB);
          w.len(db);
          await out(w.done());
          await out(entries);
        }
        if (complete) break;
        if (this.group.length === 0) {
          // every replica went away: stop copying
          await s.allShards(snapshotAbortOp.request());
          await crc.value().catch(() => {});
          return;
        }
      }
    }
    const end = Buffer.from([RDB_OPCODE.EOF]);
    crc.add(end);
    const sum = Buffer.alloc(8);
    sum.writeBigUInt64LE(await crc.value());
    if (eofMode) {
      for (const r of this.group) r.write(Buffer.concat([end, sum, Buffer.from(mark)]));
    } else {
      const body = Buffer.concat([...whole, end, sum]);
      for (const r of this.group) r.write(Buffer.concat([Buffer.from(`$${body.length}\r\n`), body]));
    }
    this.lastKeys = keys;
    s.log.info(`Synchronization with replicas succeeded (payload sent, ${eofMode ? 'EOF-marked' : 'with length'})`);

    // 4. the stream from the cut on
    for (const r of this.group) {
      r.state = ReplicaState.Online;
      r.ackTime = Date.now();
      r.startOnAck = eofMode;
      if (!eofMode) r.release();
    }
    this.group = [];
    void keys;
  }

  /** Resolve when every replica in the group has little unsent output (or went away). */
  private async drained(): Promise<void> {
    for (const r of this.group) {
      const sock = r.conn.socket;
      if (sock.writableLength <= SOCKET_HIGH_WATER || r.conn.closed) continue;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          sock.off('drain', done);
          sock.off('close', done);
          resolve();
        };
        sock.on('drain', done);
        sock.on('close', done);
      });
    }
  }
}

