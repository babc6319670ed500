/*
 * A script or function run in a shard: the request (src/scripting/fast-path.ts sends it there),
 * its options as the shard reads them and the reply (src/scripting/shard-script.ts runs it and
 * writes this reply).
 */

import type { Args } from '../commands/args.js';
import { ReplyReader } from '../resp/reply-reader.js';
import type { RespWriter } from '../resp/writer.js';
import type { ControlArgv } from './control-common.js';

/** A script or function to run in a shard (its keys all there). */
export interface ScriptRunRequest {
  /** The script's sha1, or a function's library's code sha1. */
  id: string;
  /** The body (a function's library code) when the shard may not have it yet, else ''. */
  body: string;
  /** The function's name (FCALL), or null for a script. */
  fn: string | null;
  db: number;
  proto: number;
  readOnly: boolean;
  /** Why writes are refused right now, or null. */
  denied: string | null;
  /** busy-reply-threshold, ms. */
  busyMs: number;
  numkeys: number;
  /** KEYS, then ARGV. */
  args: readonly string[];
}

/** How a shard runs it: the request's fields after the script's (or function's) name. */
export interface ScriptRunOptions {
  db: number;
  proto: 2 | 3;
  readOnly: boolean;
  denied: string | null;
  busyMs: number;
  numkeys: number;
  /** The index of the first key (then the arguments). */
  keysAt: number;
}

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

/**
 * script <sha1> <body|""> <db> <proto> <read-only 0|1> <denied|""> <busy-ms> <numkeys> <key>... <arg>...
 * fcall <library code sha1> <code|""> <function> <db> ... (the same) -> ScriptRunReply
 */
export const scriptRunOp = {
  request(r: ScriptRunRequest): ControlArgv {
    const head: ControlArgv = r.fn === null ? ['script', r.id, r.body] : ['fcall', r.id, r.body, r.fn];
    return [...head, r.db, r.proto, r.readOnly ? 1 : 0, r.denied ?? '', r.busyMs, r.numkeys, ...r.args];
  },
  /** The run's options (shard side), read from the request's argument `at` (the database) on. */
  options(a: Args, at: number): ScriptRunOptions {
    const denied = a.str(at + 3);
    return {
      db: Number(a.str(at)),
      proto: a.str(at + 1) === '3' ? 3 : 2,
      readOnly: a.str(at + 2) === '1',
      denied: denied === '' ? null : denied,
      busyMs: Number(a.str(at + 4)) || Infinity,
      numkeys: Number(a.str(at + 5)),
      keysAt: at + 6,
    };
  },
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

/**
 * script-warm -> +OK: load the script runner and make the Lua VM now (sent to every shard by the
 * main thread's first script, while it makes its own VM, so the script's run in a shard need not
 * wait for that shard's).
 */
export const scriptWarmOp = { request: (): ControlArgv => ['script-warm'] };
