/*
 * MainRunner: runs a main-thread command's handler (src/server/commands, src/acl, src/scripting ...)
 * with its MainCtx and delivers its reply in the request's place. A handler may be async (it asks the
 * shards, waits for replicas ...): the connection is then held (Hold.Busy) until it settles, and the
 * handler keeps its own writer and a copy of its arguments. Writers of async handlers come from a
 * small pool: a fresh 16 KB buffer per async command was the hot path's largest allocation.
 */

import { Args } from '../commands/args.js';
import { X, type Command } from '../commands/table.js';
import * as E from '../resp/errors.js';
import { CommandError } from '../resp/errors.js';
import { RespWriter } from '../resp/writer.js';
import { Hold, type Connection } from './connection.js';
import { MainCtx, type ServerContext } from './main-ctx.js';

/** Size a main-thread reply writer starts with. */
const WRITER_BYTES = 16 * 1024;

/**
 * Reply writers for async handlers, reused. At most `max` are kept, and none that grew past
 * `keepBytes` (a large reply's buffer is left to the GC instead of held for good).
 */
export class WriterPool {
  private readonly free: RespWriter[] = [];

  constructor(
    private readonly max = 64,
    private readonly keepBytes = 256 * 1024,
  ) {}

  take(): RespWriter {
    return this.free.pop() ?? new RespWriter(WRITER_BYTES);
  }

  give(w: RespWriter): void {
    if (this.free.length >= this.max || w.buf.length > this.keepBytes) return;
    w.reset();
    this.free.push(w);
  }

  /** Writers waiting for reuse. */
  get size(): number {
    return this.free.length;
  }
}

export class MainRunner {
  /** The writer of synchronous handlers (an async handler takes it and leaves a pooled one here). */
  private writer = new RespWriter(WRITER_BYTES);
  private readonly pool = new WriterPool();

  constructor(private readonly s: ServerContext) {}

  /** Run a main-thread command. False if the connection must hold it (a barrier). */
  run(conn: Connection, cmd: Command, args: Args): boolean {
    const s = this.s;
    if (cmd.x & X.BARRIER && conn.inflight > 0) {
      conn.hold = Hold.Barrier;
      return false;
    }
    const handler = s.mainHandlers[cmd.id];
    if (!handler) return s.dispatcher.reject(conn, E.unknownCommand(cmd.name, []));
    const stats = s.stats;
    stats.commandsProcessed++;
    const t0 = performance.now();
    const e0 = stats.intro.commands.errorTotal;
    conn.lastCmd = cmd.name;
    const seq = conn.nextSeq++;
    const w = this.writer;
    w.reset();
    w.proto = conn.proto;
    const ctx = new MainCtx(s, conn, cmd, args, w, seq);
    let result: void | Promise<void>;
    try {
      result = handler(ctx);
    } catch (e) {
      this.failed(conn, seq, e);
      stats.intro.called(conn, cmd, args, t0, true);
      return true;
    }
    if (result instanceof Promise) {
      // the handler keeps this writer and these arguments; later commands get others. Its
      // arguments are copied out now: the input buffer and the framer's positions are reused.
      this.writer = this.pool.take();
      args.set(Buffer.alloc(0), args.start, args.len, args.argc, args.all(0));
      s.dispatcher.args = new Args();
      conn.hold = Hold.Busy;
      conn.busySeq = -1;
      conn.busySlow = (cmd.x & X.SLOW_ASYNC) !== 0;
      result.then(
        () => {
          // failed if its own reply is an error (errors of other clients' commands meanwhile, or of
          // the commands an EXEC ran, are theirs: Redis counts EXEC failed only for its own error)
          stats.intro.called(conn, cmd, args, t0, w.len > 0 && w.buf[0] === 0x2d);
          s.dispatcher.reply(conn, seq, Buffer.from(w.buf.subarray(0, w.len)));
          this.pool.give(w);
          this.endBusy(conn);
        },
        (e: unknown) => {
          // (the writer is not reused: a failed handler's callbacks may still hold it)
          this.failed(conn, seq, e);
          stats.intro.called(conn, cmd, args, t0, true);
          this.endBusy(conn);
        },
      );
      return true;
    }
    stats.intro.called(conn, cmd, args, t0, stats.intro.commands.errorTotal > e0);
    s.dispatcher.reply(conn, seq, Buffer.from(w.buf.subarray(0, w.len)), ctx.pushing);
    return true;
  }

  /** End a Busy hold and continue parsing. */
  endBusy(conn: Connection): void {
    if (conn.hold === Hold.Busy) {
      conn.hold = Hold.None;
      conn.busySeq = -1;
      conn.busySlow = false;
      conn.blockingShard = -1;
      conn.blockedInWait = false;
      conn.crossShardBlocking = false;
      this.s.pump.resume(conn);
    }
  }

  private failed(conn: Connection, seq: number, e: unknown): void {
    if (e instanceof CommandError) {
      this.s.dispatcher.replyError(conn, seq, e.reply);
    } else {
      this.s.log.error({ err: e }, 'main-thread command failed');
      this.s.dispatcher.replyError(conn, seq, E.internalError(conn.lastCmd));
    }
  }
}
