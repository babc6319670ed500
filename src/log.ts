/*
 * Logging with pino. Redis's loglevels map onto pino's: debug -> debug, verbose -> debug,
 * notice -> info, warning -> warn, nothing -> silent. `logfile ""` logs to standard output.
 */

import pino, { type Logger } from 'pino';

const LEVELS: Record<string, string> = { debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent' };

export function pinoLevel(redisLevel: string): string {
  return LEVELS[redisLevel] ?? 'info';
}

export function createLogger(loglevel: string, logfile: string): Logger {
  const dest = logfile ? pino.destination({ dest: logfile, sync: true, append: true, mkdir: true }) : pino.destination({ fd: 1, sync: true });
  return pino({ level: pinoLevel(loglevel), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}
