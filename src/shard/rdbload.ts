/*
 * RDB loading on a shard (control op "rdbload-raw", batches from src/persistence/load.ts): install
 * key entries as an RDB file holds them ([EXPIRETIME_MS <ms>] <type> <key> <value>...). A plain
 * string entry (the common case: a length-prefixed key and value, no expiry) is copied from the
 * batch straight into the byte store (Db.writeBytes), no JS string made; any other entry is decoded
 * into a value and set by name.
 *
 *   rdbload-raw <db> <entries>  -> :<keys installed>
 */

import { In, RDB_OPCODE, T_STRING, readValue } from '../codec/rdb.js';
import type { Keyspace } from './keyspace.js';
import type { Args } from '../commands/args.js';
import type { RespWriter } from '../resp/writer.js';
import { rdbloadOp } from '../ipc/control.js';

/** What the op needs of the shard (structural: importing Shard would close an import cycle). */
interface RdbloadCtx {
  readonly ks: Keyspace;
  readonly args: Args;
  readonly w: RespWriter;
}

export const RDBLOAD_CONTROL: Record<string, (c: RdbloadCtx) => void> = {
  'rdbload-raw'(c) {
    const { db: dbIndex, entries: raw } = rdbloadOp.args(c.args);
    const db = c.ks.db(dbIndex);
    const blob = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    const r = new In(blob);
    let n = 0;
    let at = -1;
    while (r.pos < blob.length) {
      const t = r.byte();
      if (t === RDB_OPCODE.EXPIRETIME_MS) {
        r.need(8);
        at = Number(blob.readBigInt64LE(r.pos));
        r.pos += 8;
        continue;
      }
      const start = r.pos;
      if (t === T_STRING && at < 0) {
        const klen = r.lenOrEnc();
        if (klen >= 0) {
          r.need(klen);
          const koff = r.pos;
          r.pos += klen;
          const vlen = r.lenOrEnc();
          if (vlen >= 0) {
            r.need(vlen);
            if (db.writeBytes(blob, koff, klen, r.pos, vlen)) {
              r.pos += vlen;
              n++;
              continue;
            }
          }
        }
        r.pos = start;
      }
      const key = r.str();
      db.set(key, readValue(r, t)); // replaces a key of the same name and drops its TTL
      if (at >= 0) db.setExpire(key, at);
      at = -1;
      n++;
    }
    rdbloadOp.write(c.w, n);
  },
};
