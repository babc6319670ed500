/*
 * Keys deleted by expiry outside a command (active expiry, or a lazy expiry in another database than
 * the command's): their DELs wait here per database and go to the replication stream in batches.
 */

import { RespWriter } from '../resp/writer.js';

export class ExpiredOutside {
  private readonly byDb = new Map<number, string[]>();

  /** Record a key; returns how many keys of its database are waiting. */
  add(db: number, key: string): number {
    let list = this.byDb.get(db);
    if (!list) {
      list = [];
      this.byDb.set(db, list);
    }
    list.push(key);
    return list.length;
  }

  /** Hand each database's DELs to `emit` and forget them. */
  flush(emit: (db: number, w: RespWriter) => void): void {
    if (this.byDb.size === 0) return;
    const w = new RespWriter(4096);
    for (const [db, keys] of this.byDb) {
      w.reset();
      for (const k of keys) w.command(['DEL', k]);
      emit(db, w);
    }
    this.byDb.clear();
  }
}
