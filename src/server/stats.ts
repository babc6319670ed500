/*
 * ServerStats: the counters INFO stats reports (main-thread side; shards report keyspace hits,
 * misses and expired keys through the "stats" control op), and the instantaneous rates Redis samples
 * every 100 ms over 16 samples.
 */

import { MainIntrospection } from './stats/main-intro.js';

const SAMPLES = 16;

class RateSampler {
  private samples = new Float64Array(SAMPLES);
  private idx = 0;
  private lastTime = Date.now();
  private lastValue = 0;

  sample(value: number): void {
    const now = Date.now();
    const dt = now - this.lastTime;
    if (dt <= 0) return;
    this.samples[this.idx] = ((value - this.lastValue) * 1000) / dt;
    this.idx = (this.idx + 1) % SAMPLES;
    this.lastTime = now;
    this.lastValue = value;
  }

  rate(): number {
    let sum = 0;
    for (const v of this.samples) sum += v;
    return sum / SAMPLES;
  }
}

export class ServerStats {
  /** INFO total_commands_processed (rejected calls and error replies: intro.commands). */
  commandsProcessed = 0;
  /** INFO total_connections_received, rejected_connections (maxclients). */
  connectionsReceived = 0;
  rejectedConnections = 0;
  /** INFO total_net_input_bytes, total_net_output_bytes: every client's bytes. */
  netInputBytes = 0;
  netOutputBytes = 0;
  /** Bytes read from our master (payload and stream) and written to our replicas: INFO's net_repl. */
  netReplInputBytes = 0;
  netReplOutputBytes = 0;
  /** INFO sync_full, sync_partial_ok, sync_partial_err: the PSYNCs our replicas asked for. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** Per-command stats of main-thread commands, slow log, latency monitor (stats/introspect.ts). */
  readonly intro = new MainIntrospection();
  private ops = new RateSampler();
  private inBytes = new RateSampler();
  private outBytes = new RateSampler();

  sample(): void {
    this.ops.sample(this.commandsProcessed);
    this.inBytes.sample(this.netInputBytes);
    this.outBytes.sample(this.netOutputBytes);
  }

  opsPerSec(): number {
    return Math.round(this.ops.rate());
  }

  inputKbps(): number {
    return this.inBytes.rate() / 1024;
  }

  outputKbps(): number {
    return this.outBytes.rate() / 1024;
  }

  /** CONFIG RESETSTAT: every counter (each number field of this object) back to 0, and the command stats. */
  reset(): void {
    const fields = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(fields)) if (typeof fields[k] === 'number') fields[k] = 0;
    this.intro.commands.reset();
  }
}
