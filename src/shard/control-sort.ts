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
    const db = c.ks.db(Number(c.args.str(1)));
    const v = db.read(c.args.str(2));
    if (v === undefined) {
      c.w.nullArray();
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
    c.w.array(1 + elems.length);
    c.w.bulk(type);
    for (const e of elems) c.w.bulk(e);
  },

  /**
   * sortget <db> (<key> <hasField 0|1> <field>)... -> for each: the string value (or the hash field's
   * value) as a bulk string, or nil when the key is absent, of another type, or has no such field
   */
  sortget(c) {
    const db = c.ks.db(Number(c.args.str(1)));
    const n = Math.floor((c.args.argc - 2) / 3);
    c.w.array(n);
    for (let i = 2; i + 2 < c.args.argc; i += 3) {
      const v = db.read(c.args.str(i));
      if (c.args.str(i + 1) === '1') {
        const f = v instanceof HashValue ? v.get(c.args.str(i + 2)) : undefined;
        if (f === undefined) c.w.nullBulk();
        else c.w.bulk(f);
      } else if (v === undefined || isAggregate(v)) c.w.nullBulk();
      else c.w.bulkValue(v);
    }
  },

  /** sortexists <db> <key> -> :1 or :0 (SORT ... STORE of nothing deletes, and propagates, only then) */
  sortexists(c) {
    c.w.int(c.ks.db(Number(c.args.str(1))).get(c.args.str(2), false) === undefined ? 0 : 1);
  },
};
