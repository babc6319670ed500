/*
 * HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST, with redis-server 7.0's replies,
 * errors and propagation (an HLL is a string value in Redis's byte layout, see values/hll.ts).
 * PFCOUNT of one key stores the recomputed cardinality in the header, as Redis does, and is
 * propagated then so that replicas hold the same bytes. Multi-key PFCOUNT / PFMERGE over several
 * shards run here with the other keys shipped in by the coordinator.
 */

import { NOTIFY_STRING } from '../../commands/keyspace-events.js';
import { CommandError, HLL_INVALID, HLL_CORRUPTED, PFDEBUG_NO_KEY, PFDEBUG_NOT_SPARSE, pfdebugUnknown, pfselftestError, pfselftestHash, pfselftestRegister } from '../../resp/errors.js';
import type { ShardCtx, ShardHandler } from '../context.js';
import { getString, strOf } from './util.js';
import { HLL_DENSE, HLL_DENSE_SIZE, HLL_HDR_SIZE, HLL_REGISTERS, Hll, denseGet, estimate, hllCount, hllMerge, isHll, murmur64, murmur64a, patLen, rawHistogram } from '../values/hll.js';
import { shardCommands } from '../../commands/registry.js';

/** The HLL at key (undefined when absent); WRONGTYPE for other types or strings that are no HLL. */
function getHll(c: ShardCtx, key: string, read: boolean): Hll | undefined {
  const v = getString(c, key, read);
  if (v === undefined) return undefined;
  const s = strOf(v);
  if (typeof v === 'number' || !isHll(s)) throw new CommandError(HLL_INVALID);
  return Hll.fromString(s);
}

function store(c: ShardCtx, key: string, h: Hll, existed: boolean): void {
  if (existed) c.db.set(key, h.toString(), true);
  else c.db.add(key, h.toString());
  c.db.markRaw(key);
}

function sparseMax(c: ShardCtx): number {
  return c.config.hllSparseMaxBytes;
}

/**
 * PFADD's fast path: the key holds a dense HLL and no element raises a register, read straight from
 * the stored string (a large HLL is usually saturated: most adds change nothing).
 */
function denseUnchanged(c: ShardCtx, key: string): boolean {
  const v = c.db.get(key);
  if (typeof v !== 'string' || v.length !== HLL_DENSE_SIZE || !isHll(v) || v.charCodeAt(4) !== HLL_DENSE) return false;
  for (let j = 2; j < c.argc; j++) {
    const [index, count] = patLen(c.args.bytes(j));
    const bit = index * 6;
    const byte = HLL_HDR_SIZE + (bit >> 3);
    const fb = bit & 7;
    const b1 = byte + 1 < v.length ? v.charCodeAt(byte + 1) : 0;
    const reg = ((v.charCodeAt(byte) >> fb) | (b1 << (8 - fb))) & 63;
    if (count > reg) return false;
  }
  return true;
}

export const commands = shardCommands<ShardHandler>({
  pfadd(c) {
    const key = c.args.str(1);
    if (denseUnchanged(c, key)) {
      c.w.int(0);
      return;
    }
    let h = getHll(c, key, false);
    const existed = h !== undefined;
    let updated = 0;
    if (h === undefined) {
      h = Hll.create();
      updated++;
    }
    for (let j = 2; j < c.argc; j++) {
      const r = h.add(c.args.bytes(j), sparseMax(c));
      if (r === 1) updated++;
      else if (r === -1) {
        // what was added before the corruption was found stays, as in Redis
        if (updated > 0) store(c, key, h, existed);
        throw new CommandError(HLL_CORRUPTED);
      }
    }
    if (updated > 0) {
      h.invalidateCache();
      store(c, key, h, existed);
      c.notify(NOTIFY_STRING, 'pfadd', key);
      c.propagate();
    }
    c.w.int(updated > 0 ? 1 : 0);
  },

  pfcount(c) {
    if (c.argc > 2) {
      const max = new Uint8Array(HLL_REGISTERS);
      for (let j = 1; j < c.argc; j++) {
        const h = getHll(c, c.args.str(j), true);
        if (h === undefined) continue;
        if (!hllMerge(max, h)) throw new CommandError(HLL_CORRUPTED);
      }
      c.w.int(estimate(rawHistogram(max)));
      return;
    }
    const key = c.args.str(1);
    const h = getHll(c, key, true);
    if (h === undefined) {
      c.w.int(0);
      return;
    }
    if (h.validCache()) {
      c.w.bigint(h.cachedCard());
      return;
    }
    const card = hllCount(h);
    if (card === null) throw new CommandError(HLL_CORRUPTED);
    h.setCachedCard(card);
    store(c, key, h, true);
    c.propagate();
    c.w.int(card);
  },

  pfmerge(c) {
    const max = new Uint8Array(HLL_REGISTERS);
    let dense = false;
    for (let j = 1; j < c.argc; j++) {
      const h = getHll(c, c.args.str(j), true);
      if (h === undefined) continue;
      if (h.encoding === HLL_DENSE) dense = true;
      if (!hllMerge(max, h)) throw new CommandError(HLL_CORRUPTED);
    }
    const key = c.args.str(1);
    let h = getHll(c, key, false);
    const existed = h !== undefined;
    if (h === undefined) h = Hll.create();
    if (dense && !h.toDense()) throw new CommandError(HLL_CORRUPTED);
    for (let j = 0; j < HLL_REGISTERS; j++) {
      if (max[j] === 0) continue;
      h.set(j, max[j]!, sparseMax(c));
    }
    h.invalidateCache();
    store(c, key, h, existed);
    c.notify(NOTIFY_STRING, 'pfadd', key);
    c.propagate();
    c.w.ok();
  },

  pfdebug(c) {
    const sub = c.args.str(1);
    const key = c.args.str(2);
    const h = getHll(c, key, false);
    if (h === undefined) throw new CommandError(PFDEBUG_NO_KEY);
    const lower = sub.toLowerCase();
    if (lower === 'getreg') {
      if (h.encoding !== HLL_DENSE) {
        if (!h.toDense()) throw new CommandError(HLL_CORRUPTED);
        store(c, key, h, true);
        c.propagate();
      }
      c.w.array(HLL_REGISTERS);
      for (let j = 0; j < HLL_REGISTERS; j++) c.w.int(denseGet(h.buf, HLL_HDR_SIZE, j));
    } else if (lower === 'decode') {
      if (h.encoding === HLL_DENSE) throw new CommandError(PFDEBUG_NOT_SPARSE);
      const parts: string[] = [];
      const b = h.buf;
      for (let p = HLL_HDR_SIZE; p < h.len; ) {
        const op = b[p]!;
        if ((op & 0xc0) === 0) {
          parts.push(`z:${(op & 0x3f) + 1}`);
          p++;
        } else if ((op & 0xc0) === 0x40) {
          parts.push(`Z:${(((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1}`);
          p += 2;
        } else {
          parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
          p++;
        }
      }
      c.w.bulk(parts.join(' '));
    } else if (lower === 'encoding') {
      c.w.simple(h.encoding === HLL_DENSE ? 'dense' : 'sparse');
    } else if (lower === 'todense') {
      let conv = 0;
      if (h.encoding !== HLL_DENSE) {
        if (!h.toDense()) throw new CommandError(HLL_CORRUPTED);
        conv = 1;
        store(c, key, h, true);
        c.propagate();
      }
      c.w.int(conv);
    } else {
      throw new CommandError(pfdebugUnknown(sub));
    }
  },

  pfselftest(c) {
    // the dense register accessors, the hash, then the estimate's relative error on a growing set
    const h = Hll.create();
    const d = Hll.create();
    if (!d.toDense()) throw new CommandError(HLL_CORRUPTED);
    let err = '';
    for (let i = 0; i < HLL_REGISTERS && !err; i++) {
      const v = (i * 7 + 3) & 63;
      d.set(i, v, 0);
      if (denseGet(d.buf, HLL_HDR_SIZE, i) !== v) err = pfselftestRegister(i);
    }
    // the 32-bit hash against the plain 64-bit reference
    for (let len = 0; len < 64 && !err; len++) {
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = (i * 131 + len * 7) & 0xff;
      if (murmur64(b) !== murmur64a(b)) err = pfselftestHash(len);
    }
    const buf = Buffer.alloc(8);
    for (let n = 1; n <= 20000 && !err; n++) {
      buf.writeUInt32LE(n, 0);
      buf.writeUInt32LE(0x5eed, 4);
      h.add(buf, 3000);
      if (n % 1000 === 0) {
        const card = hllCount(h) ?? -1;
        const rel = Math.abs(card - n) / n;
        if (rel > 0.05) err = pfselftestError(card, Math.abs(card - n));
      }
    }
    if (err) throw new CommandError(err);
    c.w.ok();
  },
});
