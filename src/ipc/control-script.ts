/*
 * The reply of a script or function run in a shard (src/scripting/fast-path.ts sends it there,
 * src/scripting/shard-script.ts runs it and writes this reply).
 */

import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';

/** What a script or function run in a shard came to (status: shard-script.ts SCRIPT_*). */
export interface ScriptRunReply {
  status: number;
  /** The script's reply (RESP), when it ran here. */
  reply: Buffer;
  /** Commands it called. */
  calls: number;
  /** redis.log lines: the level digit, then the message. */
  logs: string[];
}

/** script / fcall ... -> ScriptRunReply */
export const scriptRunOp = {
  write(w: RespWriter, status: number, reply: Uint8Array, calls: number, logs: readonly string[]): void {
    w.array(4);
    w.int(status);
    w.bulkBytes(reply);
    w.int(calls);
    w.array(logs.length);
    for (const l of logs) w.bulk(l);
  },
  /** The status alone, without decoding the rest (-1: not a script reply, e.g. an error). */
  status(reply: Buffer): number {
    // "*4\r\n:<status>\r\n..." (statuses are one digit)
    return reply[0] === 0x2a && reply[4] === 0x3a ? reply[5]! - 48 : -1;
  },
  read(reply: Buffer): ScriptRunReply | { error: string } {
    const r = new ReplyReader(reply);
    const error = r.error();
    if (error !== null) return { error };
    r.array();
    const status = r.int();
    const bytes = r.bytes() ?? Buffer.alloc(0);
    const calls = r.int();
    const logs: string[] = [];
    for (let i = r.array(); i > 0; i--) logs.push(r.str());
    return { status, reply: bytes, calls, logs };
  },
};
