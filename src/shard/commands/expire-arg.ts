/*
 * The expire argument of SET EX/PX/EXAT/PXAT, GETEX, SETEX and PSETEX, read as Redis's
 * getExpireMillisecondsOrReply reads it: a 64-bit integer, positive, seconds that still fit in
 * milliseconds, and no overflow when now is added. Times past 2^53 ms (year 287396 and later) are
 * valid in Redis; they are kept here as the nearest double, as EXPIREAT keeps them.
 */

import { CommandError, NOT_INTEGER, invalidExpireTime } from '../../resp/errors.js';
import { parseInt64 } from '../../commands/numbers.js';
import type { ShardCtx } from '../context.js';
import { UNIT_SECONDS } from './util.js';

const LLONG_MAX = 9223372036854775807n;

/** Absolute expire time in ms; relative (EX/PX) adds now; errors are "invalid expire time in 'cmd'". */
export function expireArgToAbsolute(c: ShardCtx, argIndex: number, unit: number, relative: boolean, cmdName: string): number {
  let v = parseInt64(c.args.str(argIndex));
  if (v === null) throw new CommandError(NOT_INTEGER);
  if (v <= 0n || (unit === UNIT_SECONDS && v > LLONG_MAX / 1000n)) throw new CommandError(invalidExpireTime(cmdName));
  if (unit === UNIT_SECONDS) v *= 1000n;
  // Redis's long long addition wraps to a negative time here, which it refuses
  if (relative) v += BigInt(c.now);
  if (v > LLONG_MAX) throw new CommandError(invalidExpireTime(cmdName));
  return Number(v);
}
