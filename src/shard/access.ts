/*
 * What a key's access slot (SlotTable row, next to the value) holds, as in Redis's 24-bit `lru` field:
 * under an LRU (or no) policy the last access time in whole seconds; under an LFU maxmemory policy
 * Redis's LFU data instead: the last decrement time in minutes (16 bits, wrapping) << 8 | a
 * logarithmic 8-bit access counter. Switching policy at run time does not convert the slots (Redis
 * neither): they adjust as keys are accessed.
 *
 * The mode is per thread (each shard sets it from its configuration).
 */

export const ACCESS = {
  /** true under an LFU maxmemory policy */
  lfu: false,
  /** lfu-log-factor */
  logFactor: 10,
  /** lfu-decay-time (minutes per counter decrement; 0 = never) */
  decayTime: 1,
};

/** Counter of a new key (Redis's LFU_INIT_VAL): new keys are not evicted before they can be used. */
export const LFU_INIT_VAL = 5;

function minutes(nowSec: number): number {
  return Math.floor(nowSec / 60) & 0xffff;
}

/** The counter of LFU data after the decay due since its last decrement time. */
export function lfuDecayed(data: number, nowSec: number): number {
  const counter = data & 0xff;
  if (ACCESS.decayTime === 0) return counter;
  const ldt = (data >>> 8) & 0xffff;
  const now = minutes(nowSec);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = Math.floor(elapsed / ACCESS.decayTime);
  return periods > counter ? 0 : counter - periods;
}

/** Logarithmic increment: the higher the counter, the less likely an access raises it. */
export function lfuLogIncr(counter: number): number {
  if (counter >= 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  const p = 1 / (base * ACCESS.logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}

/** LFU data after one access at nowSec. */
export function lfuTouch(data: number, nowSec: number): number {
  return (minutes(nowSec) << 8) | lfuLogIncr(lfuDecayed(data, nowSec));
}

/** LFU data for a counter value set now (new keys, RESTORE ... FREQ). */
export function lfuData(counter: number, nowSec: number): number {
  return (minutes(nowSec) << 8) | counter;
}

/** The access slot of a key being created now. */
export function accessNew(nowSec: number): number {
  return ACCESS.lfu ? lfuData(LFU_INIT_VAL, nowSec) : nowSec;
}

/** The access slot after a lookup at nowSec. */
export function accessTouch(old: number, nowSec: number): number {
  return ACCESS.lfu ? lfuTouch(old, nowSec) : nowSec;
}
