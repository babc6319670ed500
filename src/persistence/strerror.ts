/*
 * The C library's texts for the errno codes Node reports (Redis logs and replies with strerror()); the
 * table is resp/error-reply.ts's.
 */

import { errnoText } from '../resp/error-reply.js';

/** For the log and persistence's replies: a system error in strerror()'s words, another in its own. */
export function strerror(e: unknown): string {
  // not a system error (e.g. from the pool): its own words, for the log
  return errnoText(e) ?? (e instanceof Error && e.message ? e.message : 'Unknown error');
}
