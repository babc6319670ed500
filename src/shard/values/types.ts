/*
 * The value model. A string value is a binary string (latin1), a number (canonical int64 decimal
 * that a double holds exactly: Redis's "int" encoding) or, from BIG_STRING bytes up, a Buffer of its
 * bytes (a large SET travels and stays as bytes: no JS string of hundreds of MB is ever built). Every
 * other type is an Aggregate subclass, one file each in this folder.
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

/** A string value as stored (a Buffer is never changed in place: writes store a new value). */
export type StrValue = string | number | Buffer;

export type Value = StrValue | Aggregate;

/** String values of at least this many bytes are stored as Buffers. */
export const BIG_STRING = 64 * 1024;

export function isAggregate(v: Value): v is Aggregate {
  return v instanceof Aggregate;
}

export function typeName(v: Value): TypeName {
  return v instanceof Aggregate ? v.type : 'string';
}
