/*
 * RDB loading on a shard (control op "rdbload-raw", batches from src/persistence/load.ts): install
 * key entries as an RDB file holds them ([EXPIRETIME_MS <ms>] <type> <key> <value>...). A plain
 * string entry (the common case: a length-prefixed key and value, no expiry) is copied from the
 * batch straight into the byte store (Db.writeBytes), no JS string made; any other entry is decoded
 * into a value and set by name. The slot tables the batch creates are sized for the keys per slot
 * the file's RESIZEDB announces.
 *
 *   rdbload-raw <db> <entries> <keys-per-slot> [<slot-runs>]  -> :<keys installed>
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
    const { db: dbIndex, entries: raw, keysPerSlot, slotRuns } = rdbloadOp.args(c.args);
    const db = c.ks.db(dbIndex);
    // the slot tables this batch creates start at the size the file announces (no doublings)
    c.ks.tableHint = keysPerSlot;
    let n = 0;
    try {
      const blob = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
      const r = new In(blob);
      // the batch's runs of one hash slot each, (slot, end) pairs; without them the keys are hashed
      let run = 0;
      let slot = -1;
      let runEnd = slotRuns === null ? blob.length : 0;
      let at = -1;
      while (r.pos < blob.length) {
        if (r.pos >= runEnd) {
          slot = slotRuns!.readInt32LE(run);
          runEnd = slotRuns!.readInt32LE(run + 4);
          run += 8;
        }
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
              if (db.writeBytes(blob, koff, klen, r.pos, vlen, slot)) {
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
    } finally {
      c.ks.tableHint = 0;
    }
    rdbloadOp.write(c.w, n);
  },
};
