/*
 * WAIT's waiting clients on a master: each waits until enough replicas acknowledged an offset, its
 * timeout passes, CLIENT UNBLOCK ends it or its connection closes; each then answers the number of
 * replicas that acknowledged so far. Owns the list of waiters; Replication says when ACKs arrive.
 */

import type { Connection } from '../server/connection.js';

interface AckWaiter {
  offset: number;
  need: number;
  resolve: (n: number) => void;
  /** The client whose WAIT this is (CLIENT UNBLOCK finds it by it). */
  conn: Connection | null;
  timer: NodeJS.Timeout | null;
}

export class AckWaits {
  private list: AckWaiter[] = [];

  /** `acked(offset)`: how many replicas acknowledged the offset. */
  constructor(private readonly acked: (offset: number) => number) {}

  /** Wait until `need` replicas acknowledged `offset`, or the timeout (0 = forever). */
  wait(offset: number, need: number, timeoutMs: number, conn: Connection | null): Promise<number> {
    return new Promise((resolve) => {
      const w: AckWaiter = { offset, need, resolve, conn, timer: null };
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.list = this.list.filter((x) => x !== w);
          resolve(this.acked(offset));
        }, timeoutMs);
      }
      this.list.push(w);
    });
  }

  /** End a client's WAIT now with the count so far. False if the client is not waiting. */
  end(conn: Connection): boolean {
    const w = this.list.find((x) => x.conn === conn);
    if (w === undefined) return false;
    this.list = this.list.filter((x) => x !== w);
    if (w.timer) clearTimeout(w.timer);
    w.resolve(this.acked(w.offset));
    return true;
  }

  /** Whether a client waits with a timeout (INFO clients_in_timeout_table). */
  hasTimeout(conn: Connection): boolean {
    return this.list.some((w) => w.conn === conn && w.timer !== null);
  }

  /** Answer the waiters whose count is reached (after ACKs arrived). */
  check(): void {
    if (this.list.length === 0) return;
    this.list = this.list.filter((w) => {
      const n = this.acked(w.offset);
      if (n < w.need) return true;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(n);
      return false;
    });
  }
}
