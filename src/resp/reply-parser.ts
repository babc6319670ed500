/*
 * Parse complete RESP replies (RESP2 and RESP3) into JS values, for the main thread's own use:
 * combining shard replies (MGET across shards, DBSIZE sums) and reading control-op results.
 * Bulk strings become binary strings (latin1); errors become ReplyErrorValue; nulls become null.
 */

export class ReplyErrorValue {
  constructor(readonly message: string) {}
}

export type ReplyValue = string | number | bigint | null | boolean | ReplyErrorValue | ReplyValue[] | Map<ReplyValue, ReplyValue>;

/** Parse one reply at buf[pos]; returns [value, nextPos] or null when incomplete. */
export function parseReply(buf: Buffer, pos = 0): [ReplyValue, number] | null {
  if (pos >= buf.length) return null;
  const type = buf[pos]!;
  const nl = buf.indexOf(13, pos);
  if (nl < 0 || nl + 1 >= buf.length) return null;
  const line = buf.latin1Slice(pos + 1, nl);
  const next = nl + 2;
  switch (type) {
    case 0x2b: // +
      return [line, next];
    case 0x2d: // -
      return [new ReplyErrorValue(line), next];
    case 0x3a: {
      // :
      const n = Number(line);
      return [Number.isSafeInteger(n) ? n : BigInt(line), next];
    }
    case 0x2c: // ,
      return [line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line), next];
    case 0x23: // #
      return [line === 't', next];
    case 0x5f: // _
      return [null, next];
    case 0x28: // ( big number
      return [BigInt(line), next];
    case 0x24: // $
    case 0x3d: {
      // = verbatim
      const len = Number(line);
      if (len < 0) return [null, next];
      if (next + len + 2 > buf.length) return null;
      let s = buf.latin1Slice(next, next + len);
      if (type === 0x3d) s = s.slice(4);
      return [s, next + len + 2];
    }
    case 0x2a: // *
    case 0x7e: // ~ set
    case 0x3e: {
      // > push
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: ReplyValue[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === null) return null;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    case 0x25: {
      // % map
      const n = Number(line);
      const m = new Map<ReplyValue, ReplyValue>();
      let p = next;
      for (let i = 0; i < n; i++) {
        const k = parseReply(buf, p);
        if (k === null) return null;
        const v = parseReply(buf, k[1]);
        if (v === null) return null;
        m.set(k[0], v[0]);
        p = v[1];
      }
      return [m, p];
    }
    default:
      throw new Error(`bad RESP type byte 0x${type.toString(16)}`);
  }
}

/** Parse a buffer holding exactly one reply. */
export function parseOne(buf: Buffer): ReplyValue {
  const r = parseReply(buf, 0);
  if (r === null) throw new Error('incomplete reply');
  return r[0];
}

/** Byte length of the reply starting at pos (without building values), or -1 if incomplete. */
export function replyLength(buf: Buffer, pos = 0): number {
  const r = parseReply(buf, pos);
  return r === null ? -1 : r[1] - pos;
}
