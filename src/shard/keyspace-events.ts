/*
 * KeyspaceEventLog: the keyspace events a shard recorded since its last reply record, encoded as the
 * body of a REP_NOTIFY record (one RESP array "db event key" per event, in the order they happened).
 * The shard emits it just ahead of the record of the command (or expiry) that caused them, so the
 * main thread publishes the events before it writes that command's reply, as Redis does.
 */

import { RespWriter } from '../resp/writer.js';

export class KeyspaceEventLog {
  count = 0;
  private w: RespWriter | null = null;

  record(db: number, event: string, key: string): void {
    const w = (this.w ??= new RespWriter(1024));
    w.command([db, event, key]);
    this.count++;
  }

  /** The recorded events as a writer to emit now (valid until the next take()); clears the log. */
  take(): RespWriter {
    const w = this.w!;
    const next = (this.spare ??= new RespWriter(1024));
    next.reset();
    this.w = next;
    this.spare = w;
    this.count = 0;
    return w;
  }

  private spare: RespWriter | null = null;
}
