/*
 * Ring record layouts and kinds. Numbers here are wire numbers between the main thread and the shards
 * of one process (both sides are built from this file); reply kind 3 is unused; flag bit 4 has a meaning of its own in
 * requests (FLAG_NO_REPLY) and in replies (FLAG_UNSTREAMED).
 *
 * Request record (main -> shard), payload of one ring record (src/ipc/ring.ts), 4-byte words:
 *
 *   word 0  kind u8 | flags u8 << 8 | db u16 << 16
 *   word 1  connection id (0 = the main thread's own coordinator)
 *   word 2  sequence number (per connection; echoed in the reply)
 *   word 3  command id u16 | protocol (2|3) u8 << 16 | aux u8 << 24
 *   word 4  body length in bytes
 *   body    REQ_COMMAND: the request, RESP multibulk, exactly as the client sent it (or re-encoded from
 *           an inline request); REQ_TXN: several such requests back to back (MULTI/EXEC on one shard);
 *           REQ_CONTROL: one RESP multibulk naming an internal operation.
 *
 * Reply record (shard -> main):
 *
 *   word 0  kind u8 | flags u8 << 8 | db u16 << 16     (db: where the propagated writes apply)
 *   word 1  connection id
 *   word 2  sequence number
 *   word 3  reply length in bytes
 *   word 4  propagation length in bytes
 *   body    reply bytes (RESP, ready for the socket), then propagation bytes (RESP commands for the
 *           replication stream, already made deterministic)
 *
 * A message too large for one record is split into several with FLAG_MORE on all but the last; the
 * consumer joins them (request bodies; reply and propagation bytes are appended in order). In a request
 * record with FLAG_MORE, word 3 holds the whole body's length instead (the last record has the real
 * word 3), so the shard can allocate the body once.
 */

export const HEADER_BYTES = 20;

// Request kinds
export const REQ_COMMAND = 1;
export const REQ_TXN = 2;
export const REQ_CONTROL = 3;
/**
 * EVAL / EVALSHA / FCALL (and _RO) sent straight to the shard of its keys (src/scripting/fast-path.ts): the body is
 * the client's request as it came; word 3 holds busy-reply-threshold in ms (u16, 0 = none) |
 * protocol u8 << 16 | flags << 24 (read-only 1, function 2, undivert 4, body 8). Answered with one REP_SCRIPT.
 */
export const REQ_SCRIPT = 4;
/**
 * Several REQ_COMMAND requests of one connection that came one after another (ShardLink.sendCommand):
 * word 2 holds the first one's sequence number (the others follow it), word 3 their count u16 |
 * protocol u8 << 16; the body holds their command ids (u16 each, padded to 4 bytes), then the
 * requests back to back. The shard runs and answers each as if it had come in a record of its own.
 */
export const REQ_RUN = 5;

// Reply kinds
export const REP_REPLY = 1;
/** Propagation only (active expiry, writes done for a blocked client); connection id 0. */
export const REP_PROPAGATE = 2;
/**
 * Keyspace events recorded by the command (or expiry) whose record follows, for the main thread to
 * publish before it handles that record: the reply bytes hold one "*3 db event key" RESP array per
 * event; connection id and sequence are those of the command (0 for expiry outside a command).
 */
export const REP_NOTIFY = 4;
/**
 * The answer to a REQ_SCRIPT, for the client: the reply bytes open with a u32 (little-endian) status
 * (the number of commands the script ran, or SCRIPT_REP_FALLBACK / NO_SCRIPT / DIVERTED: nothing of
 * it happened, the main thread runs it; then the request follows, echoed) and the script's reply
 * follows; the propagation bytes are its writes.
 */
export const REP_SCRIPT = 5;
export const SCRIPT_REP_FALLBACK = 0xffffffff;
export const SCRIPT_REP_NO_SCRIPT = 0xfffffffe;
/** Not run: an earlier script of the connection was given back (it runs after that one). */
export const SCRIPT_REP_DIVERTED = 0xfffffffd;
/**
 * The replies to requests of a REQ_RUN, one after another (src/shard/reply-run.ts): word 2 holds the
 * first one's sequence number (the others follow it), word 3 their bytes' length, word 4 their count
 * u16 | the writes among them nothing streams (FLAG_UNSTREAMED's count) << 16; the body holds their
 * bytes back to back, zero padding to 4 bytes, then each one's length (i32).
 */
export const REP_RUN = 6;

// Flags (both directions): bits of word 0's flags byte
/** More records of this message follow. */
export const FLAG_MORE = 1 << 0;
/** Request: applied from the master's replication stream: no reply, no propagation, not READONLY. */
export const FLAG_REPLICATED = 1 << 1;
/** Request: part of a coordinated multi-shard operation; the reply goes to the coordinator. */
export const FLAG_COORDINATED = 1 << 2;
/** Request: inside MULTI/EXEC (blocking commands do not block). */
export const FLAG_IN_MULTI = 1 << 3;
/**
 * Request: a command of the master's stream that cannot block: it gets no reply record (the main
 * thread discards a master's replies, so it neither counts it in flight nor gives it a seq).
 * Bit 4 means this in a request and FLAG_UNSTREAMED in a reply.
 */
export const FLAG_NO_REPLY = 1 << 4;
/**
 * Reply: the command wrote, and its propagation was left out because nothing takes the replication
 * stream (no backlog, no AOF: ShardConfig.streamWanted); the main thread counts the change
 * (rdb_changes_since_last_save) as if it had fed it. Never on the coordinator's replies.
 * Bit 4 means this in a reply and FLAG_NO_REPLY in a request.
 */
export const FLAG_UNSTREAMED = 1 << 4;
/** Reply: the connection this reply is for is now blocked (the real reply comes later). */
export const FLAG_BLOCKED = 1 << 5;
/**
 * Request: a command of a running script: clients blocked on keys it makes ready are served after the
 * script (by the next request the shard runs), as redis-server serves them after the script.
 */
export const FLAG_DEFER_READY = 1 << 6;
/**
 * Request: the body is not in the ring: the record's body is a 4-byte id of a message on the link's
 * body port carrying { id, sab, off, len } — a huge request the main thread read into shared memory,
 * handed over without copying it (the message is posted before the record is written).
 * Reply: the reply bytes go on with a value in shared memory, the next message on the body port
 * ({ sab, off, len }), then CRLF (GET of a huge value that arrived that way: sent from the value).
 */
export const FLAG_SHARED_BODY = 1 << 7;

export function word0(kind: number, flags: number, db: number): number {
  return kind | (flags << 8) | (db << 16);
}

export function kindOf(w0: number): number {
  return w0 & 0xff;
}

export function flagsOf(w0: number): number {
  return (w0 >>> 8) & 0xff;
}

export function dbOf(w0: number): number {
  return w0 >>> 16;
}
