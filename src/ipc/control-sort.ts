/*
 * Control operations for SORT, which runs on the main thread holding the shards it reads
 * (src/server/commands/sort.ts): the value to sort, the BY/GET lookups, whether a STORE target exists.
 * Shard side: src/shard/control-sort.ts.
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';
import { numArg, readCount, type ControlArgv } from './control-common.js';

/** The database and key of a request `<op> <db> <key>` (shard side). */
const dbKeyOf = (a: Args): { db: number; key: string } => ({ db: numArg(a, 1), key: a.str(2) });

/** The value SORT sorts: undefined when absent, else its type and (for list, set, zset) elements. */
export type SortSource = { type: string; elems: readonly string[] } | undefined;

/** sortsrc <db> <key> -> SortSource (sorted-set members in score order) */
export const sortSourceOp = {
  request: (db: number, key: string): ControlArgv => ['sortsrc', db, key],
  args: dbKeyOf,
  write(w: RespWriter, src: SortSource): void {
    if (src === undefined) {
      w.nullArray();
      return;
    }
    w.array(1 + src.elems.length);
    w.bulk(src.type);
    for (const e of src.elems) w.bulk(e);
  },
  read(reply: Buffer): SortSource {
    const r = new ReplyReader(reply);
    const n = r.array();
    if (n < 0) return undefined;
    const type = r.str();
    const elems: string[] = [];
    for (let i = 1; i < n; i++) elems.push(r.str());
    return { type, elems };
  },
};

/** A SORT BY/GET lookup: a string key, or a hash key's field. */
export interface SortRef {
  key: string;
  field: string | null;
}

/** sortget <db> (<key> <hasField 0|1> <field>)... -> each value, or null (absent, other type, no field) */
export const sortGetOp = {
  request(db: number, refs: readonly SortRef[]): ControlArgv {
    const argv: ControlArgv = ['sortget', db];
    for (const r of refs) argv.push(r.key, r.field === null ? '0' : '1', r.field ?? '');
    return argv;
  },
  /** The database and lookups of a request (shard side). */
  args(a: Args): { db: number; refs: SortRef[] } {
    const refs: SortRef[] = [];
    for (let i = 2; i + 2 < a.argc; i += 3) refs.push({ key: a.str(i), field: a.str(i + 1) === '1' ? a.str(i + 2) : null });
    return { db: numArg(a, 1), refs };
  },
  write(w: RespWriter, values: readonly (string | number | Uint8Array | null)[]): void {
    w.array(values.length);
    for (const v of values) {
      if (v === null) w.nullBulk();
      else w.bulkValue(v);
    }
  },
  read: (reply: Buffer): (string | null)[] => new ReplyReader(reply).bulks(),
};

/** sortexists <db> <key> -> whether the key exists (SORT ... STORE of nothing deletes only then) */
export const sortExistsOp = {
  request: (db: number, key: string): ControlArgv => ['sortexists', db, key],
  args: dbKeyOf,
  write: (w: RespWriter, exists: boolean): void => w.int(exists ? 1 : 0),
  read: (reply: Buffer): boolean => readCount(reply) === 1,
};

