/*
 * Stopping with a final save, as Redis's prepareForShutdown: SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE],
 * SIGTERM / SIGINT (shutdown-on-sigterm / shutdown-on-sigint). A background save in progress is
 * abandoned (its temp file removed); the final save runs when save points are set or SAVE is given,
 * not with NOSAVE; when it fails the server keeps running unless FORCE.
 */

import type { PersistHost } from './host.js';
import { Persistence } from './persistence.js';

export interface ShutdownFlags {
  save: boolean;
  nosave: boolean;
  now: boolean;
  force: boolean;
}

/** Save if asked or configured, then stop the server. False (still running) when the save failed. */
export async function shutdownWithSave(s: PersistHost, f: ShutdownFlags): Promise<boolean> {
  const p = Persistence.of(s);
  if (p.bgsaveInProgress()) {
    s.log.warn('There is a child saving an .rdb. Killing it!');
    await p.abortBgsave();
  }
  // a server still loading its data has nothing of its own to save (as Redis)
  const save = !s.loading && !f.nosave && (f.save || p.savePoints().length > 0);
  if (save) {
    s.log.info('Saving the final RDB snapshot before exiting.');
    const ok = await p.saveWhenFree();
    if (!ok) {
      if (!f.force) {
        s.log.warn("Error trying to save the DB, can't exit.");
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
