/*
 * ClientPause: CLIENT PAUSE / UNPAUSE and FAILOVER's write pause. A paused command holds its
 * connection (Hold.Stalled) until the pause ends; the master's stream and replicas are never paused.
 */

import { F, type Command } from '../commands/table.js';
import { Hold, type Connection } from './connection.js';
import type { ServerContext } from './main-ctx.js';

export class ClientPause {
  /** CLIENT PAUSE: until (ms epoch, 0 = unpaused) and mode. */
  until = 0;
  mode: 'write' | 'all' = 'all';
  /** FAILOVER holds writes while the target replica catches up (apart from CLIENT PAUSE). */
  failover = false;
  private timer: NodeJS.Timeout | null = null;
  /** Connections held by a pause. */
  private readonly held = new Set<Connection>();

  constructor(private readonly s: ServerContext) {}

  /** CLIENT PAUSE until (ms epoch) in a mode; 0 unpauses. */
  pause(until: number, mode: 'write' | 'all'): void {
    if (until === 0) {
      this.until = 0;
    } else {
      // an active ALL pause is not weakened to WRITE by a later call (as Redis)
      if (!(this.mode === 'all' && this.until > Date.now())) this.mode = mode;
      else if (mode === 'all') this.mode = 'all';
      this.until = Math.max(until, this.until);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.until > 0) {
      this.timer = setTimeout(() => this.pause(0, 'all'), Math.max(0, this.until - Date.now()));
    } else this.releaseAll();
  }

  /** FAILOVER's write pause on or off. */
  setFailover(on: boolean): void {
    this.failover = on;
    if (!on && this.until === 0) this.releaseAll();
  }

  /** Every held connection continues (one still paused by the other pause is held again). */
  private releaseAll(): void {
    for (const c of this.held) {
      if (c.hold === Hold.Stalled) c.hold = Hold.None;
      this.s.pump.resume(c);
    }
    this.held.clear();
    this.s.pump.scheduleTick();
  }

  /** If this command must wait for the pause to end, hold the connection and return true. */
  holds(conn: Connection, cmd: Command): boolean {
    if (this.until === 0 && !this.failover) return false;
    if (!this.pausedFor(conn, cmd)) return false;
    conn.hold = Hold.Stalled;
    this.held.add(conn);
    return true;
  }

  private pausedFor(conn: Connection, cmd: Command): boolean {
    if (conn.isMaster || conn.isReplica) return false;
    if (this.failover && (cmd.flags & (F.WRITE | F.MAY_REPLICATE)) !== 0) return true;
    if (this.until === 0) return false;
    if (this.until <= Date.now()) return false;
    if (this.mode === 'all') return true;
    return (cmd.flags & (F.WRITE | F.MAY_REPLICATE)) !== 0;
  }
}
