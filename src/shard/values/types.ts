/*
 * The value model. A string value is a binary string (latin1) or a number (canonical int64 decimal
 * that a double holds exactly: Redis's "int" encoding). Every other type is an Aggregate subclass,
 * one file each in this folder.
 */

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

export abstract class Aggregate {
  abstract readonly type: TypeName;
  /** True for types clients can block on (lists, sorted sets). */
  readonly blockable: boolean = false;
  /** Last size estimate of this value (keyspace byte accounting for maxmemory, mem-estimate.ts). */
  est = 0;
  /** Number of elements (LLEN, HLEN, SCARD, ZCARD). */
  abstract get size(): number;
  /** OBJECT ENCODING as redis-server 7.0 would report it. */
  abstract encoding(): string;
}

export type Value = string | number | Aggregate;

export function typeName(v: Value): TypeName {
  return typeof v === 'object' ? v.type : 'string';
}
