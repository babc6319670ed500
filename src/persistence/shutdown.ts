/*
 * Stopping with a final save, as Redis's prepareForShutdown: SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE],
 * SIGTERM / SIGINT (shutdown-on-sigterm / shutdown-on-sigint). A background save in progress is
 * abandoned (its temp file removed); without NOW, writes pause and replicas get shutdown-timeout
 * seconds to catch up (SHUTDOWN ABORT cancels); the final save runs when save points are set or SAVE
 * is given, not with NOSAVE; when it fails the server keeps running unless FORCE.
 */

import type { PersistHost } from './host.js';
import { snapshotLock } from './snapshot-lock.js';
import { Persistence } from './persistence.js';

/** The SHUTDOWN waiting for its replicas, if any (SHUTDOWN ABORT cancels it). */
let pending: { abort: () => void } | null = null;

/** SHUTDOWN ABORT: true when a shutdown was waiting and is now cancelled. */
export function abortShutdown(): boolean {
  if (pending === null) return false;
  pending.abort();
  return true;
}

/**
 * Redis 7's shutdown grace: writes are paused and the replicas get up to shutdown-timeout seconds
 * to acknowledge everything (so that after a restart from the final save they continue with a
 * partial resync). False when SHUTDOWN ABORT came meanwhile.
 */
async function waitForReplicas(s: PersistHost): Promise<boolean> {
  const repl = s.replication;
  const online = repl.replicas.filter((r) => r.state === 2);
  const timeout = s.config.int('shutdown-timeout');
  if (online.length === 0 || timeout === 0) return true;
  s.log.info('Waiting for replicas before shutting down.');
  s.pause.setFailover(true);
  let aborted = false;
  try {
    repl.flush();
    const offset = repl.masterOffset;
    await new Promise<void>((resolve) => {
      pending = {
        abort: () => {
          aborted = true;
          resolve();
        },
      };
      void repl.waitForAcks(offset, online.length, timeout * 1000).then(() => resolve());
    });
    if (aborted) return false;
    for (const r of online) {
      if (r.ackOffset < offset) s.log.warn(`Lagging replica ${r.ip}:${r.listeningPort} reported offset ${r.ackOffset} behind master, lag=${offset - r.ackOffset}, state=online.`);
    }
    return true;
  } finally {
    pending = null;
    if (aborted) s.pause.setFailover(false);
  }
}

export interface ShutdownFlags {
  save: boolean;
  nosave: boolean;
  now: boolean;
  force: boolean;
}

/** Save if asked or configured, then stop the server. False (still running) when the save failed. */
export async function shutdownWithSave(s: PersistHost, f: ShutdownFlags): Promise<boolean> {
  const p = Persistence.of(s);
  if (pending !== null) return false; // a SHUTDOWN is already waiting for its replicas
  if (!f.now && !s.loading && !(await waitForReplicas(s))) {
    s.log.warn('Shutdown manually aborted.');
    return false;
  }
  if (p.bgsaveInProgress()) {
    s.log.warn('There is a child saving an .rdb. Killing it!');
    await p.abortBgsave();
  }
  // a server still loading its data has nothing of its own to save (as Redis)
  const save = !s.loading && !f.nosave && (f.save || p.savePoints().length > 0);
  if (save) {
    if (snapshotLock.owner === 'sync') {
      // a replication full sync holds the snapshot: its replicas are dropped (Redis kills the child)
      s.log.warn('There is a child saving an .rdb. Killing it!');
      for (const r of s.replication.replicas) if (r.state === 1) s.closeConnection(r.conn);
    }
    s.log.info('Saving the final RDB snapshot before exiting.');
    const ok = await p.saveWhenFree();
    if (!ok) {
      if (!f.force) {
        s.log.warn("Error trying to save the DB, can't exit.");
        s.pause.setFailover(false);
        return false;
      }
      s.log.warn('Error trying to save the DB. Exit anyway.');
    }
  }
  await s.shutdown(0);
  return true;
}

/** The flags a signal stands for (shutdown-on-sigterm / shutdown-on-sigint: default|save|nosave|now|force). */
export function signalFlags(setting: string): ShutdownFlags {
  const words = setting.split(/\s+/);
  return { save: words.includes('save'), nosave: words.includes('nosave'), now: words.includes('now'), force: words.includes('force') };
}
