/*
 * The watchdog's thread (see watchdog.ts for the heartbeat layout): checks the main thread's
 * heartbeat every few milliseconds; on a stall longer than the period it logs
 * "--- WATCHDOG TIMER EXPIRED ---", pauses the main thread through the inspector to read the stack
 * it is stuck in, resumes it, and logs the stack and "--------". Once per stall: it re-arms when the
 * heartbeat moves again. It logs through its own synchronous pino destination (the worker's
 * process.stdout would be relayed by the very main thread that is stalled).
 */

import inspector from 'node:inspector';
import { workerData } from 'node:worker_threads';
import { createLogger } from '../log.js';
import type { WatchdogLogTarget } from './watchdog.js';

interface CallFrame {
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

interface ScriptParsed {
  params: { scriptId: string; url: string };
}

const { beat, target } = workerData as { beat: Float64Array; target: WatchdogLogTarget };
const log = createLogger(target.loglevel, target.logfile);
const CHECK_MS = 20;
/** Heartbeat value of the stall already reported (0 = none). */
let reported = 0;

setInterval(() => {
  const period = beat[1]!;
  const last = beat[0]!;
  if (period <= 0 || last === reported) return;
  const stalled = Date.now() - last;
  if (stalled <= period) return;
  reported = last;
  log.warn(`--- WATCHDOG TIMER EXPIRED --- (main thread stalled for ${stalled} ms)`);
  captureMainStack();
}, CHECK_MS);

/** Pause the main thread once, log the stack it was running, resume it. */
function captureMainStack(): void {
  const session = new inspector.Session();
  try {
    session.connectToMainThread();
  } catch (e) {
    log.warn(`watchdog: cannot read the main thread's stack: ${(e as Error).message}`);
    log.warn('--------');
    return;
  }
  // Debugger.enable reports every loaded script: call frames name their script by id
  const urls = new Map<string, string>();
  session.on('Debugger.scriptParsed', (m: ScriptParsed) => urls.set(m.params.scriptId, m.params.url));
  session.once('Debugger.paused', (m: { params: { callFrames: CallFrame[] } }) => {
    const frames = m.params.callFrames.map((f) => `    at ${f.functionName || '<anonymous>'} (${f.url || urls.get(f.location.scriptId) || '?'}:${f.location.lineNumber + 1}:${f.location.columnNumber + 1})`);
    session.post('Debugger.resume', () => {
      session.post('Debugger.disable', () => session.disconnect());
    });
    log.warn({ stack: frames }, `main thread stack:\n${frames.join('\n')}`);
    log.warn('--------');
  });
  session.post('Debugger.enable', (err) => {
    if (err) {
      log.warn(`watchdog: cannot read the main thread's stack: ${err.message}`);
      session.disconnect();
      return;
    }
    session.post('Debugger.pause');
  });
}
