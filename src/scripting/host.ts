/*
 * The contract between the Lua VM (vm.ts, redis-lib.ts) and the script execution it serves
 * (script-run.ts): what redis.call hands over and what the running script's host provides.
 */

import { latin1, type LuaJsFunction, type LuaState } from './lua-api.js';

/**
 * A redis.call's arguments as the script passed them: each one's bytes (a Lua string's own bytes,
 * never changed: Lua strings are immutable; a number formatted as Lua 5.1 does), and binary strings
 * made only when asked for.
 */
export class CallArgs {
  private readonly strs: (string | undefined)[] = [];
  readonly bytes: Uint8Array[] = [];

  constructor(bytes: readonly Uint8Array[] = []) {
    for (const b of bytes) this.bytes.push(b);
  }

  /** Strings made by str() since the last reset (strs then needs clearing). */
  private strsMade = false;

  /** Empty it for the next call (a VM keeps one: hosts read a call's arguments before the next call). */
  reset(): void {
    this.bytes.length = 0;
    this.clearStrings();
  }

  /**
   * Make it hold n arguments, set next by the caller as bytes[0..n-1]: a script calls its commands
   * with the same number of arguments time after time, and an array's length changed to the
   * length it has costs nothing (setting it costs more than filling it).
   */
  resize(n: number): void {
    if (this.bytes.length !== n) this.bytes.length = n;
    this.clearStrings();
  }

  private clearStrings(): void {
    if (this.strsMade) {
      this.strs.length = 0;
      this.strsMade = false;
    }
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Argument i as a binary (latin1) string. */
  str(i: number): string {
    let s = this.strs[i];
    if (s === undefined) {
      s = latin1(this.bytes[i]!);
      this.strs[i] = s;
      this.strsMade = true;
    }
    return s;
  }

  /**
   * Argument i lower-cased (a command name). A script passes its command names as string
   * constants, whose bytes are the same object at every call: their names are remembered.
   */
  lower(i: number): string {
    const b = this.bytes[i]!;
    let s = lowerNames.get(b);
    if (s === undefined) {
      s = this.str(i).toLowerCase();
      lowerNames.set(b, s);
    }
    return s;
  }

  /** Every argument as a binary string (a new array). */
  strings(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.bytes.length; i++) out.push(this.str(i));
    return out;
  }
}

const lowerNames = new WeakMap<Uint8Array, string>();

/** What the script's redis.call asked for. */
export interface PendingCall {
  argv: CallArgs;
  raise: boolean;
}

/** The running script's side: checks and executes its commands (script-run.ts). */
export interface RunHost {
  /** The protocol chosen with redis.setresp. */
  resp: 2 | 3;
  /** Set by SCRIPT KILL. */
  killed: boolean;
  /** An error text if the command may not run from this script (checked before it runs). */
  check(argv: CallArgs): string | null;
  /**
   * Run a command; its reply in protocol `resp` (a host that answers at once may return its own
   * buffer, which starts with the reply and may hold more: read before anything else runs).
   */
  execute(argv: CallArgs): Uint8Array | Promise<Uint8Array>;
  /** A host that runs commands synchronously: redis.call calls it in place, without a yield. */
  executeNow?: (argv: CallArgs) => Uint8Array;
  /**
   * Asked before math.random/randomseed use the VM's generator: false if this run may not draw
   * (a shard's: the one generator Redis has for the server's life is the main thread's).
   */
  drawsRandom?(): boolean;
  /** Told of an exception of ours that ends the run (before run()'s promise rejects with it). */
  internalError?(e: unknown): void;
  /** redis.set_repl flags. */
  setRepl(flags: number): void;
  log(level: number, msg: string): void;
  /** True if the command exists (redis.acl_check_cmd); null if not. */
  commandExists(name: string): boolean;
  /** ms after which the script yields now and then (busy-reply-threshold). */
  busyAfterMs: number;
  /** Called once when the script passes busyAfterMs. */
  becameBusy(): void;
}

/** What the redis library needs of the VM. */
export interface RedisLibVm {
  readonly L: LuaState;
  host: RunHost | null;
  pending: PendingCall | null;
  raiseOnResume: boolean;
  /** The coroutine the running script executes in (redis.call can suspend only that one). */
  co: LuaState | null;
  installTable(name: string, fns: Record<string, LuaJsFunction>): void;
}
