/*
 * Keyspace notification classes (notify-keyspace-events): the flag bits, parsing the config string and
 * printing it back as Redis does (CONFIG GET shows the canonical form, e.g. "AKE"). Shared by the
 * main thread (which publishes) and the shards (which record events only for enabled classes).
 */

export const NOTIFY_KEYSPACE = 1; // K
export const NOTIFY_KEYEVENT = 2; // E
export const NOTIFY_GENERIC = 4; // g
export const NOTIFY_STRING = 8; // $
export const NOTIFY_LIST = 16; // l
export const NOTIFY_SET = 32; // s
export const NOTIFY_HASH = 64; // h
export const NOTIFY_ZSET = 128; // z
export const NOTIFY_EXPIRED = 256; // x
export const NOTIFY_EVICTED = 512; // e
export const NOTIFY_STREAM = 1024; // t
export const NOTIFY_KEY_MISS = 2048; // m
export const NOTIFY_MODULE = 8192; // d
export const NOTIFY_NEW = 16384; // n
/** "A": every class but key-miss and new-key. */
export const NOTIFY_ALL =
  NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const CLASS_CHARS: [string, number][] = [
  ['g', NOTIFY_GENERIC],
  ['$', NOTIFY_STRING],
  ['l', NOTIFY_LIST],
  ['s', NOTIFY_SET],
  ['h', NOTIFY_HASH],
  ['z', NOTIFY_ZSET],
  ['x', NOTIFY_EXPIRED],
  ['e', NOTIFY_EVICTED],
  ['t', NOTIFY_STREAM],
  ['d', NOTIFY_MODULE],
  ['n', NOTIFY_NEW],
];

/** Flags of a notify-keyspace-events string, or -1 if it holds a character that is no class. */
export function parseKeyspaceEvents(s: string): number {
  let flags = 0;
  for (const ch of s) {
    switch (ch) {
      case 'A': flags |= NOTIFY_ALL; break;
      case 'K': flags |= NOTIFY_KEYSPACE; break;
      case 'E': flags |= NOTIFY_KEYEVENT; break;
      case 'm': flags |= NOTIFY_KEY_MISS; break;
      default: {
        const c = CLASS_CHARS.find(([k]) => k === ch);
        if (c === undefined) return -1;
        flags |= c[1];
      }
    }
  }
  return flags;
}

/** The canonical string (as Redis 7.0 prints it: with "A", an "n" is not shown) of a set of flags (what CONFIG GET notify-keyspace-events shows). */
export function keyspaceEventsToString(flags: number): string {
  let s = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) s += 'A';
  else for (const [ch, bit] of CLASS_CHARS) if (flags & bit) s += ch;
  if (flags & NOTIFY_KEYSPACE) s += 'K';
  if (flags & NOTIFY_KEYEVENT) s += 'E';
  if (flags & NOTIFY_KEY_MISS) s += 'm';
  return s;
}

/**
 * The class flags a shard records events for: none unless K or E is on (nothing would be published).
 * Key-miss and new-key are classes of their own.
 */
export function shardNotifyFlags(flags: number): number {
  return flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) ? flags & ~(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) : 0;
}
