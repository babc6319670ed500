/*
 * What the typed control operations (control-*.ts, listed in control.ts) share: a request's argv and
 * the readers of the reply shapes several operations use.
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';

/** A control request as the main thread sends it: the operation's name, then its arguments. */
export type ControlArgv = (string | number | Uint8Array)[];

/** Replies that are one integer used as a count. */
export function readCount(reply: Buffer): number {
  return new ReplyReader(reply).int();
}

/** A record of integer fields as an array of its values in `fields` order. */
export function writeInts<T extends { [K in keyof T]: number }>(w: RespWriter, rec: T, fields: readonly (keyof T)[]): void {
  w.array(fields.length);
  for (const f of fields) w.int(rec[f]);
}

/** The record writeInts wrote (a field past the array's end reads as 0). */
export function readInts<T extends { [K in keyof T]: number }>(r: ReplyReader, fields: readonly (keyof T)[]): T {
  const n = r.array();
  const rec = {} as T;
  fields.forEach((f, i) => (rec[f] = (i < n ? r.int() : 0) as T[keyof T]));
  return rec;
}

/** Argument i of a request as a number (shard side; numbers travel as decimal text). */
export function numArg(a: Args, i: number): number {
  return Number(a.str(i));
}

/** The arguments of a request from `from` to its end, as strings (shard side): keys, mostly. */
export function strsFrom(a: Args, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < a.argc; i++) out.push(a.str(i));
  return out;
}
