/*
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL: the script cache (sha1 of
 * the body -> compiled function, one per server) and the running of a script as one indivisible
 * step.
 *
 * Atomicity: a script may touch any key, declared in KEYS or not (BullMQ relies on undeclared
 * ones), so before it starts the coordinator locks every shard; requests of other clients for any
 * shard wait on the main thread until the script ends, while the script's own commands go to the
 * shards as coordinated requests. Inside MULTI/EXEC the transaction already holds every shard.
 * The script's writes are propagated as redis-server 7 does (effects replication): one write as is,
 * several wrapped in MULTI/EXEC, in the database each ran in.
 */

import { createHash } from 'node:crypto';
import * as E from '../resp/errors.js';
import type { MainCtx, MainHandler, ServerContext } from '../server/main-ctx.js';
import { execRunning, propagateForConnection } from '../server/commands/transactions.js';
import type { ScriptRun } from './script-run.js';
import { mustRunOnMain, newFastPathState, tryRunInShard } from './fast-path.js';
import type { LuaVm } from './vm.js';
import { vmMain } from './vm-modules.js';
import { checkMayWrite, killRunning, numkeysOf } from './script-checks.js';
import { mainCommands } from '../commands/registry.js';
import { releaseReadyOp, scriptWarmOp } from '../ipc/control.js';
import type { FastPathState, FunctionCatalog } from './service.js';
import { engineOf, registerEngine, type CachedScript, type RunningInfo, type ScriptEngineApi } from './engine-api.js';

let busyNow: string | null = null;

const SHEBANG_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/** Parse a "#!lua flags=a,b" first line: the flags, or an error text. No shebang: null flags. */
export function shebangFlags(body: string): { flags: Set<string> | null } | { error: string } {
  if (!body.startsWith('#!')) return { flags: null };
  const nl = body.indexOf('\n');
  if (nl < 0) return { error: E.SHEBANG_INVALID };
  const parts = body.slice(0, nl).split(/[ \t\r]+/).filter((p) => p.length > 0);
  if (parts[0] !== '#!lua') return { error: E.shebangEngine(parts[0] ?? '') };
  const flags = new Set<string>();
  for (const p of parts.slice(1)) {
    if (!p.startsWith('flags=')) return { error: E.shebangUnknownOption(p) };
    for (const f of p.slice(6).split(',')) {
      if (f === '') continue;
      if (!SHEBANG_FLAGS.has(f)) return { error: E.shebangFlag(f) };
      flags.add(f);
    }
  }
  return { flags };
}

/** The scripting service: the script cache, the Lua VM (made on first use), the running script. */
export class ScriptEngine implements ScriptEngineApi {
  private vm: LuaVm | null = null;
  /** FUNCTION's libraries (functions.ts), made on first use. */
  functionEngine: FunctionCatalog | null = null;
  private readonly scripts = new Map<string, CachedScript>();
  /** The script running now, if any. */
  running: ScriptRun | null = null;
  /** The running script passed busy-reply-threshold: others get BUSY. */
  busy = false;
  /** What runs (FUNCTION STATS, FUNCTION KILL / SCRIPT KILL). */
  runningInfo: RunningInfo | null = null;

  constructor(private readonly server: ServerContext) {
    registerEngine(server, this);
  }

  /** The Lua VM (made, and its modules loaded, by the first script or function: vm-modules.ts). */
  get lua(): LuaVm {
    if (this.vm === null) {
      // the shards make theirs meanwhile (the first script's run there then need not wait for it)
      for (let sh = 0; sh < this.server.links.length; sh++) this.server.oneShard(sh, scriptWarmOp.request()).catch(() => undefined);
      this.vm = new (vmMain().LuaVm)();
    }
    return this.vm;
  }

  get count(): number {
    return this.scripts.size;
  }

  /** The cached bodies' total length (used_memory_scripts_eval), kept as scripts come and go. */
  bodyBytes = 0;

  has(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  /** Cache a script body (compiling it); its sha1, or an error text. */
  load(body: string): { sha: string; script: CachedScript } | { error: string } {
    const sha = createHash('sha1').update(Buffer.from(body, 'latin1')).digest('hex');
    const have = this.scripts.get(sha);
    if (have) return { sha, script: have };
    const sb = shebangFlags(body);
    if ('error' in sb) return sb;
    const r = this.lua.compile(Buffer.from(body, 'latin1'));
    if ('error' in r) return { error: E.compileError(r.error) };
    const script = {
      ref: r.ref,
      bytes: body.length,
      noWrites: sb.flags?.has('no-writes') ?? false,
      shebang: sb.flags !== null,
      declaresWrites: sb.flags !== null && !sb.flags.has('no-writes'),
      fast: newFastPathState(body),
    };
    this.scripts.set(sha, script);
    this.bodyBytes += script.bytes;
    return { sha, script };
  }

  flush(): void {
    if (this.vm !== null) for (const s of this.scripts.values()) this.vm.release(s.ref);
    this.scripts.clear();
    this.bodyBytes = 0;
  }

  get(sha: string): CachedScript | undefined {
    // (the fast path asks with the lowercase sha1 it remembered for every EVALSHA: no new string)
    return this.scripts.get(sha) ?? this.scripts.get(sha.toLowerCase());
  }

  /** EVAL/EVALSHA: in the shard of its keys if it stays there (fast-path.ts), else run(). */
  async runScript(c: MainCtx, sha: string, script: CachedScript, numkeys: number, readOnly: boolean): Promise<void> {
    return this.runFast(c, sha, script.fast, script.ref, numkeys, readOnly, null);
  }

  /**
   * A script or (with `fn`, its name; `id` is then its library's code sha1) a function: in the shard
   * of its keys if it stays there, else run().
   */
  async runFast(c: MainCtx, id: string, fast: FastPathState, ref: number, numkeys: number, readOnly: boolean, fn: string | null): Promise<void> {
    if (!execRunning.has(c.conn) && !mustRunOnMain(c) && (await tryRunInShard(c, id, fast, numkeys, readOnly, fn))) return;
    return this.run(c, fn ?? id, ref, numkeys, readOnly, fn !== null);
  }

  /**
   * Run a compiled script or function for a client, holding every shard; its reply goes to c.w.
   * `name` is what error texts call it (the sha1, or the function's name).
   */
  async run(c: MainCtx, name: string, ref: number, numkeys: number, readOnly: boolean, fn = false): Promise<void> {
    const s = this.server;
    const conn = c.conn;
    const argv = c.args.all(3);
    const keys = argv.slice(0, numkeys);
    const args = argv.slice(numkeys);
    const inExec = execRunning.has(conn);
    const all = s.links.map((_, i) => i);
    if (!inExec) {
      await s.coordinator.lock(all);
      execRunning.add(conn);
    }
    // MONITOR shows EVAL/FCALL (flagged skip_monitor, so not fed at dispatch) before its commands
    if (s.monitor.clients.size > 0) s.monitor.feed(conn, c.args.all(0));
    const run: ScriptRun = new (vmMain().ScriptRun)(c, readOnly, () => {
      this.busy = true;
      busyNow = fn ? E.BUSY_FUNCTION : E.BUSY;
    });
    this.running = run;
    this.runningInfo = { name, command: c.args.all(0), started: Date.now(), fn };
    try {
      try {
        await this.lua.run(ref, keys, args, run, c.w, name, fn);
      } catch (e) {
        // a bug on our side: the client gets a plain error, the log the details
        s.log.error({ err: e }, 'script driver failed');
        c.w.reset();
        c.w.error(E.SCRIPT_INTERNAL_ERROR);
      }
      if (run.parts.length > 0) propagateForConnection(s, conn, run.parts);
    } finally {
      // clients blocked on keys the script filled are served now, before anything queued behind it
      // (release-ready ends the hold the script's requests put on each shard it touched)
      for (const sh of run.touched) void s.oneShard(sh, releaseReadyOp.request());
      this.running = null;
      this.runningInfo = null;
      this.busy = false;
      busyNow = null;
      if (!inExec) {
        execRunning.delete(conn);
        s.coordinator.unlock(all);
      }
    }
  }
}

/**
 * While a script runs past busy-reply-threshold, the BUSY error other clients' commands get (null
 * otherwise). Checked for every command, so it reads one module variable (one server per process).
 */
export function scriptBusyReply(_s: ServerContext): string | null {
  return busyNow;
}

function evalBody(readOnly: boolean): MainHandler {
  return (c) => {
    const numkeys = numkeysOf(c);
    const eng = engineOf(c.server);
    const r = eng.load(c.args.str(1));
    if ('error' in r) throw new E.CommandError(r.error);
    if (r.script.shebang && !r.script.noWrites) checkMayWrite(c, readOnly);
    return eng.runScript(c, r.sha, r.script, numkeys, readOnly || r.script.noWrites);
  };
}

function evalSha(readOnly: boolean): MainHandler {
  return (c) => {
    // redis-server: a sha1 of the wrong length is NOSCRIPT at once, then numkeys, then the lookup
    const sha = c.args.str(1).toLowerCase();
    if (sha.length !== 40) throw new E.CommandError(E.NOSCRIPT);
    const numkeys = numkeysOf(c);
    const eng = engineOf(c.server);
    const script = eng.get(sha);
    if (script === undefined) throw new E.CommandError(E.NOSCRIPT);
    if (script.shebang && !script.noWrites) checkMayWrite(c, readOnly);
    return eng.runScript(c, sha, script, numkeys, readOnly || script.noWrites);
  };
}

export const evalCommands = mainCommands<MainHandler>({
  eval: evalBody(false),
  eval_ro: evalBody(true),
  evalsha: evalSha(false),
  evalsha_ro: evalSha(true),

  'script|load'(c) {
    const r = engineOf(c.server).load(c.args.str(2));
    if ('error' in r) throw new E.CommandError(r.error);
    c.w.bulk(r.sha);
  },

  'script|exists'(c) {
    const eng = engineOf(c.server);
    c.w.array(c.argc - 2);
    for (let i = 2; i < c.argc; i++) c.w.int(eng.has(c.args.str(i)) ? 1 : 0);
  },

  'script|flush'(c) {
    if (c.argc > 3 || (c.argc === 3 && !c.args.is(2, 'sync') && !c.args.is(2, 'async'))) throw new E.CommandError(E.SCRIPT_FLUSH_MODE);
    engineOf(c.server).flush();
    c.w.ok();
  },

  'script|debug'(c) {
    if (c.args.is(2, 'no')) return c.w.ok();
    if (c.args.is(2, 'yes') || c.args.is(2, 'sync')) throw new E.CommandError(E.SCRIPT_DEBUG_UNSUPPORTED);
    throw new E.CommandError(E.SCRIPT_DEBUG_USAGE);
  },

  'script|kill'(c) {
    killRunning(c, false);
    c.w.ok();
  },
});
