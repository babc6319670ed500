/*
 * Key -> hash slot, exactly as Redis Cluster computes it: CRC16 (XMODEM: poly 0x1021, init 0) of the
 * key, or of the part between the first '{' and the next '}' when that part is non-empty, mod 16384.
 * Keys sharing a {hashtag} land in one slot, hence on one shard, which keeps multi-key commands on the
 * single-shard fast path.
 */

export const SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

export function crc16(buf: Uint8Array, from = 0, to = buf.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  return crc;
}

/** Hash slot of the key bytes buf[from, to). */
export function hashSlot(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (buf[i] === 0x7b) {
      // '{'
      for (let j = i + 1; j < to; j++) {
        if (buf[j] === 0x7d) {
          // '}'
          if (j > i + 1) return crc16(buf, i + 1, j) & (SLOTS - 1);
          break;
        }
      }
      break;
    }
  }
  return crc16(buf, from, to) & (SLOTS - 1);
}

function crc16String(s: string, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff]!;
  return crc;
}

/** Hash slot of a key held as a binary (latin1) string. */
export function hashSlotOfString(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16String(key, open + 1, close) & (SLOTS - 1);
  }
  return crc16String(key, 0, key.length) & (SLOTS - 1);
}

/** Slot -> shard: contiguous ranges, so a shard owns slots [i*S/n, (i+1)*S/n). */
export function slotToShardTable(shards: number): Uint8Array {
  const t = new Uint8Array(SLOTS);
  for (let s = 0; s < SLOTS; s++) t[s] = Math.floor((s * shards) / SLOTS);
  return t;
}
