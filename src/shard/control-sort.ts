/*
 * Control ops for SORT, which runs on the main thread (server/commands/sort.ts): read the value to
 * sort, and the strings / hash fields its BY and GET patterns name, as plain RESP (no DUMP encoding:
 * a SORT may read a hundred thousand pattern keys).
 */

import type { Args } from '../commands/args.js';
import type { RespWriter } from '../resp/writer.js';
import type { Keyspace } from './keyspace.js';
import { HashValue } from './values/hash.js';
import { isAggregate, typeName } from './values/types.js';
import { ListValue } from './values/list.js';
import { SetValue } from './values/set.js';
import { ZSetValue } from './values/zset.js';
import { sortExistsOp, sortGetOp, sortSourceOp } from '../ipc/control.js';

interface ControlCtx {
  readonly args: Args;
  readonly w: RespWriter;
  readonly ks: Keyspace;
}

export const SORT_CONTROL_HANDLERS: Record<string, (c: ControlCtx) => void> = {
  /**
   * sortsrc <db> <key> -> nil (absent) | [type] (not sortable) | [type, element...] with 'list',
   * 'set' or 'zset' (sorted-set members in score order)
   */
  sortsrc(c) {
    const { db: dbIndex, key } = sortSourceOp.args(c.args);
    const v = c.ks.db(dbIndex).read(key);
    if (v === undefined) {
      sortSourceOp.write(c.w, undefined);
      return;
    }
    let elems: readonly string[] = [];
    let type: string;
    if (v instanceof ListValue) {
      type = 'list';
      elems = v.toArray();
    } else if (v instanceof SetValue) {
      type = 'set';
      elems = v.list();
    } else if (v instanceof ZSetValue) {
      type = 'zset';
      const out: string[] = [];
      for (const [m] of v.entries()) out.push(m);
      elems = out;
    } else {
      type = typeName(v);
    }
    sortSourceOp.write(c.w, { type, elems });
  },

  /**
   * sortget <db> (<key> <hasField 0|1> <field>)... -> for each: the string value (or the hash field's
   * value) as a bulk string, or nil when the key is absent, of another type, or has no such field
   */
  sortget(c) {
    const req = sortGetOp.args(c.args);
    const db = c.ks.db(req.db);
    const values = req.refs.map(({ key, field }) => {
      const v = db.read(key);
      if (field !== null) return v instanceof HashValue ? (v.get(field) ?? null) : null;
      return v === undefined || isAggregate(v) ? null : v;
    });
    sortGetOp.write(c.w, values);
  },

  /** sortexists <db> <key> -> :1 or :0 (SORT ... STORE of nothing deletes, and propagates, only then) */
  sortexists(c) {
    const { db, key } = sortExistsOp.args(c.args);
    sortExistsOp.write(c.w, c.ks.db(db).get(key, false) !== undefined);
  },
};
