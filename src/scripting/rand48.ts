/*
 * Redis's rand48 (redisLrand48/redisSrand48) behind Lua's math.random and math.randomseed, so
 * scripts draw the same numbers as on redis-server: one generator for the server's life, seeded
 * like lrand48's default, reseeded by math.randomseed(n).
 */

const A = 0x5deece66dn;
const C = 0xbn;
const MASK = (1n << 48n) - 1n;
export const RAND48_MAX = 2147483647;

export class Rand48 {
  private x = 0x1234abcd330en;

  seed(n: number): void {
    this.x = ((BigInt(n | 0) & 0xffffffffn) << 16n) | 0x330en;
  }

  /** A 31-bit non-negative integer. */
  next(): number {
    this.x = (this.x * A + C) & MASK;
    return Number(this.x >> 17n);
  }
}
