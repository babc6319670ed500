/*
 * Main-thread commands of persistence (the service is src/persistence): SAVE, BGSAVE [SCHEDULE],
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], DEBUG RELOAD, and FLUSHALL's save when save points
 * are set (as Redis 7.0's flushAllDataAndResetRDB).
 */

import { AOF_REWRITE_IN_PROGRESS, BGSAVE_IN_PROGRESS, BGSAVE_OTHER_CHILD, RELOAD_FAILED, CommandError, NO_SHUTDOWN_IN_PROGRESS, SAVE_FAILED, SHUTDOWN_ERRORS, SYNTAX } from '../../resp/errors.js';
import type { MainCtx, MainHandler } from '../main-ctx.js';
import { abortShutdown, shutdownWithSave } from '../../persistence/shutdown.js';
import { loadFile } from '../../persistence/load.js';
import { Aof } from '../../persistence/aof.js';
import { execRunning } from './transactions.js';
import { flushAllKeyspaces } from './keyspace.js';
import { X, declare, mainCommands } from '../../commands/registry.js';
import { flushallOp } from '../../ipc/control.js';


/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the keyspace, load the file again. */
export async function debugReload(c: MainCtx): Promise<void> {
  let save = true;
  let flush = true;
  for (let i = 2; i < c.argc; i++) {
    if (c.args.is(i, 'nosave')) save = false;
    else if (c.args.is(i, 'noflush') || c.args.is(i, 'merge')) flush = false;
    else throw new CommandError(SYNTAX);
  }
  const s = c.server;
  const p = s.persistence;
  if (save && !(await p.saveWhenFree())) throw new CommandError(SAVE_FAILED);
  const all = s.links.map((_, i) => i);
  await s.coordinator.lock(all);
  try {
    await s.coordinator.quiesce();
    if (flush) await s.allShards(flushallOp.request());
    const r = await loadFile(s, s.config.get('dbfilename'), false);
    if (r !== true) {
      if (Array.isArray(r)) for (const line of r) s.log.warn(line);
      throw new CommandError(RELOAD_FAILED);
    }
  } finally {
    s.coordinator.unlock(all);
  }
  s.log.warn('DB reloaded by DEBUG RELOAD');
  c.w.ok();
}

export const commands = mainCommands<MainHandler>({
  async save(c) {
    const p = c.persistence;
    if (p.busy()) throw new CommandError(BGSAVE_IN_PROGRESS);
    if (!(await p.save())) throw new CommandError(SAVE_FAILED);
    c.w.ok();
  },

  bgsave(c) {
    if (c.argc > 1 && !(c.argc === 2 && c.args.is(1, 'schedule'))) throw new CommandError(SYNTAX);
    const p = c.persistence;
    // an AOF rewrite is another kind of child in Redis: BGSAVE SCHEDULE waits for it
    if (Aof.of(c.server).rewriteInProgress()) {
      if (!c.args.is(1, 'schedule')) throw new CommandError(BGSAVE_OTHER_CHILD);
      p.scheduled = true;
      c.w.simple('Background saving scheduled');
      return;
    }
    // a replication full sync takes the same snapshot (Redis: its RDB child)
    if (p.busy()) throw new CommandError(BGSAVE_IN_PROGRESS);
    if (execRunning.has(c.conn)) {
      // inside EXEC: started after the transaction (Redis: server.in_exec)
      p.scheduled = true;
      c.w.simple('Background saving scheduled');
      return;
    }
    void p.bgsave();
    c.w.simple('Background saving started');
  },

  bgrewriteaof(c) {
    const aof = Aof.of(c.server);
    if (aof.rewriteInProgress()) throw new CommandError(AOF_REWRITE_IN_PROGRESS);
    if (c.persistence.busy() || execRunning.has(c.conn)) {
      aof.scheduled = true;
      c.w.simple('Background append only file rewriting scheduled');
      return;
    }
    void aof.rewrite();
    c.w.simple('Background append only file rewriting started');
  },

  shutdown: declare(async (c) => {
    const f = { save: false, nosave: false, now: false, force: false };
    let abort = false;
    for (let i = 1; i < c.argc; i++) {
      if (c.args.is(i, 'nosave')) f.nosave = true;
      else if (c.args.is(i, 'save')) f.save = true;
      else if (c.args.is(i, 'now')) f.now = true;
      else if (c.args.is(i, 'force')) f.force = true;
      else if (c.args.is(i, 'abort')) abort = true;
      else throw new CommandError(SYNTAX);
    }
    if ((abort && (f.save || f.nosave || f.now || f.force)) || (f.save && f.nosave)) throw new CommandError(SYNTAX);
    if (abort) {
      if (!abortShutdown()) throw new CommandError(NO_SHUTDOWN_IN_PROGRESS);
      c.w.ok();
      return;
    }
    if (!f.now && execRunning.has(c.conn)) throw new CommandError(SHUTDOWN_ERRORS);
    // no reply on success (nothing written): the connection closes as the server exits
    if (!(await shutdownWithSave(c.server, f))) throw new CommandError(SHUTDOWN_ERRORS);
  }, { x: X.BARRIER | X.SLOW_ASYNC }),

  async flushall(c) {
    await flushAllKeyspaces(c);
    // a background save in progress is of data just dropped: stop it (Redis kills its child)
    const p = c.persistence;
    await p.abortBgsave();
    if (p.savePoints().length > 0) await p.saveWhenFree();
  },
});
