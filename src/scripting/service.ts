/*
 * The scripting service as the server holds it (ServerContext.scripting): what the server's other
 * parts read of it (INFO's counts, the script fast path's lookups). The engine (eval.ts ScriptEngine,
 * with FUNCTION's engine, functions.ts) implements it; the scripting modules use the engine's whole
 * surface (engine-api.ts). This module imports nothing, so the server's context can name the
 * service without depending on the engine, which runs commands through that context.
 */

/** What the fast path keeps per cached script or function (fast-path.ts). */
export interface FastPathState {
  body: string;
  /** Shards that have been sent the body (they compile and keep it). */
  sentTo: Set<number>;
  fastRuns: number;
  fallbacks: number;
}

/** A cached script or a function, as the fast path decides where it runs. */
export interface FastTarget {
  /** It may not write (the no-writes flag). */
  readonly noWrites: boolean;
  /** It declares it may write (a shebang, or a function, without no-writes). */
  readonly declaresWrites: boolean;
  readonly fast: FastPathState;
}

/** FUNCTION's loaded libraries and functions, by name. */
export interface FunctionCatalog {
  readonly libraries: ReadonlyMap<string, unknown>;
  readonly functions: ReadonlyMap<string, FastTarget>;
}

export interface ScriptingService {
  /** Scripts in EVAL's cache (number_of_cached_scripts). */
  readonly count: number;
  /** Their bodies' total length (used_memory_scripts_eval). */
  readonly bodyBytes: number;
  /** FUNCTION's libraries, once made (null: none loaded yet). */
  readonly functionEngine: FunctionCatalog | null;
  /** The cached script of this sha1. */
  get(sha: string): FastTarget | undefined;
}

/** The status of a control op "script" / "fcall" (shard-script.ts): done; no such script there (send the body); run it on the main thread. */
export const SCRIPT_DONE = 0;
export const SCRIPT_NEEDS_BODY = 1;
export const SCRIPT_FALLBACK = 2;
