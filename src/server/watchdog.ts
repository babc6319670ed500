/*
 * Watchdog (Redis's `watchdog-period`, off by default): when the main thread makes no progress for
 * longer than the period, the stack it is stuck in is written to the log, once per stall, as
 * Redis's software watchdog does ("--- WATCHDOG TIMER EXPIRED ---", the stack, "--------").
 *
 * A stalled main thread runs no timers, so the check lives in its own worker thread
 * (watchdog-worker.ts), which exists only while the watchdog is on:
 *
 *   heartbeat SharedArrayBuffer (Float64Array):
 *     [0] last beat, Date.now() ms  written by the main thread every BEAT_MS (a timer: no beat = stall)
 *     [1] period ms (0 = off)       written by the main thread on CONFIG SET; read by the worker
 *
 * The worker reads the stack by pausing the main thread through the inspector
 * (inspector.Session.connectToMainThread, Debugger.pause: V8 services it at the next interrupt
 * check, even inside a loop that never returns to the event loop), then resumes it at once.
 * Like Redis, a period under two cron intervals (2 * 1000 / hz ms) is raised to that.
 */

import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';

/** How often the main thread beats (ms). */
export const BEAT_MS = 50;

export interface WatchdogLogTarget {
  loglevel: string;
  logfile: string;
}

export class Watchdog {
  private readonly beat = new Float64Array(new SharedArrayBuffer(16));
  private worker: Worker | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly config: Config) {}

  /** Apply the configured watchdog-period (at start and after CONFIG SET). */
  apply(): void {
    let period = this.config.int('watchdog-period');
    if (period > 0) {
      const min = Math.floor(1000 / Math.max(1, this.config.int('hz'))) * 2;
      if (period < min) {
        period = min;
        this.config.setInternal('watchdog-period', String(period));
      }
    }
    this.beat[0] = Date.now();
    this.beat[1] = period;
    if (period === 0) return this.stop();
    if (this.worker !== null) return;
    this.timer = setInterval(() => (this.beat[0] = Date.now()), BEAT_MS);
    this.timer.unref();
    const target: WatchdogLogTarget = { loglevel: this.config.get('loglevel'), logfile: this.config.get('logfile') };
    this.worker = new Worker(new URL('./watchdog-worker.js', import.meta.url), { workerData: { beat: this.beat, target } });
    this.worker.unref();
    this.worker.on('error', () => this.stop());
  }

  stop(): void {
    this.beat[1] = 0;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.worker !== null) void this.worker.terminate();
    this.worker = null;
  }
}
