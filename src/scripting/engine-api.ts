/*
 * The EVAL engine's type apart from its class (eval.ts ScriptEngine): its whole surface as FUNCTION
 * (functions.ts), the kill checks and EVAL's handlers use it, the cached script, and how each server
 * finds its engine. The server's context sees only the service (service.ts).
 */

import type { MainCtx, ServerContext } from '../server/main-ctx.js';
import type { FastPathState, FunctionCatalog, ScriptingService } from './service.js';
import type { LuaVm } from './vm.js';

export interface CachedScript {
  ref: number;
  /** Body length (used_memory_scripts_eval). */
  bytes: number;
  /** From the shebang: no-writes. */
  noWrites: boolean;
  /** It opens with a shebang (then *_RO commands require no-writes). */
  shebang: boolean;
  /** It declares it may write (a shebang without no-writes): *_RO and read-only replicas refuse it. */
  declaresWrites: boolean;
  /** The in-shard fast path's bookkeeping (fast-path.ts). */
  fast: FastPathState;
}

/** The script or function running on the main thread, as SCRIPT KILL / FUNCTION KILL see it. */
export interface RunningScript {
  /** It has written (then it cannot be killed). */
  readonly wrote: boolean;
  killed: boolean;
}

/** What runs (FUNCTION STATS, FUNCTION KILL / SCRIPT KILL). */
export interface RunningInfo {
  name: string;
  command: string[];
  started: number;
  fn: boolean;
}

export interface ScriptEngineApi extends ScriptingService {
  readonly lua: LuaVm;
  readonly running: RunningScript | null;
  readonly runningInfo: RunningInfo | null;
  /** FUNCTION's engine (functions.ts sets it when it makes it). */
  functionEngine: FunctionCatalog | null;
  has(sha: string): boolean;
  get(sha: string): CachedScript | undefined;
  /** Cache a script body (compiling it); its sha1, or an error text. */
  load(body: string): { sha: string; script: CachedScript } | { error: string };
  flush(): void;
  /** EVAL/EVALSHA: in the shard of its keys if it stays there, else on the main thread. */
  runScript(c: MainCtx, sha: string, script: CachedScript, numkeys: number, readOnly: boolean): Promise<void>;
  /** A script or (with `fn`, its name; `id` is then its library's code sha1) a function. */
  runFast(c: MainCtx, id: string, fast: FastPathState, ref: number, numkeys: number, readOnly: boolean, fn: string | null): Promise<void>;
}

/** Each server's engine (one per server: main.ts builds it with the server). */
const engines = new WeakMap<ServerContext, ScriptEngineApi>();

export function registerEngine(server: ServerContext, engine: ScriptEngineApi): void {
  engines.set(server, engine);
}

/** The scripting engine of this server. */
export function engineOf(server: ServerContext): ScriptEngineApi {
  return engines.get(server)!;
}
