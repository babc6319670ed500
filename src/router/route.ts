/*
 * ShardRouter: sends a keyed request to the shard owning its keys' hash slot (copying the request's
 * bytes straight from the connection's input into the shard's request ring), or to the coordinator
 * when its keys span shards. A shard that is locked (a script, a coordinated command) or whose ring
 * is full holds the connection until it frees up.
 */

import type { Args } from '../commands/args.js';
import { F, keyPositions, type Command } from '../commands/table.js';
import { FLAG_NO_REPLY, FLAG_REPLICATED, REQ_COMMAND } from '../ipc/records.js';
import { RespWriter } from '../resp/writer.js';
import { Hold, type Connection } from '../server/connection.js';
import type { ServerContext } from '../server/main-ctx.js';
import { hashSlot } from './slot.js';

export class ShardRouter {
  constructor(private readonly s: ServerContext) {}

  /** Route a keyed command to its shard, or to the coordinator when its keys span shards. */
  route(conn: Connection, cmd: Command, args: Args): boolean {
    const s = this.s;
    const f = conn.framer;
    let shard = -1;
    let multi = false;
    let positions: number[] | null = null;
    if (s.links.length === 1) {
      // one shard holds every key: nothing to hash, nothing to coordinate
      shard = 0;
    } else if (!(cmd.flags & F.MOVABLE_KEYS) && (cmd.firstKey <= 0 || cmd.step <= 0)) {
      // a command without key arguments (a step of 0 would never end the loop below): shard 0
    } else if (!(cmd.flags & F.MOVABLE_KEYS) && !args.strings && !f.inline) {
      const argc = args.argc;
      const last = cmd.lastKey < 0 ? argc + cmd.lastKey : Math.min(cmd.lastKey, argc - 1);
      const starts = f.argStart;
      const lens = f.argLen;
      const buf = conn.inBuf;
      const shardOfSlot = s.shardOfSlot;
      for (let i = cmd.firstKey; i <= last; i += cmd.step) {
        const st = starts[i]!;
        const sh = shardOfSlot[hashSlot(buf, st, st + lens[i]!)]!;
        if (shard < 0) shard = sh;
        else if (sh !== shard) multi = true;
      }
      if (multi) positions = rangePositions(cmd.firstKey, last, cmd.step);
    } else {
      positions = keyPositions(cmd, args.argc, (i) => args.str(i));
      if (positions !== null) {
        for (const i of positions) {
          const sh = s.shardOfKey(args.str(i));
          if (shard < 0) shard = sh;
          else if (sh !== shard) multi = true;
        }
      }
    }
    if (shard < 0) shard = 0;
    if (multi) {
      conn.busySlow = (cmd.flags & F.BLOCKING) !== 0;
      conn.crossShardBlocking = conn.busySlow;
      return s.coordinator.start(conn, cmd, args, positions!);
    }
    const link = s.links[shard]!;
    if (link.lockedBy !== null && cmd.flags & F.BLOCKING) {
      // FIFO with the coordinator's lock waiters, so a stream of scripts cannot starve it (XREAD
      // BLOCK ... $ overtaken by scripts would resolve "$" past their XADDs)
      conn.hold = Hold.Stalled;
      s.coordinator.afterLocks([shard], () => {
        if (conn.hold !== Hold.Stalled) return;
        conn.hold = Hold.None;
        if (!conn.closed) s.dispatcher.processInput(conn);
      });
      return false;
    }
    if (link.lockedBy !== null || link.congested) {
      s.pump.stallOn(conn, link);
      return false;
    }
    s.stats.commandsProcessed++;
    conn.lastCmd = cmd.name;
    // the master's stream: a command that cannot block gets no reply (its reply would be discarded),
    // so it takes no seq and is not in flight (nothing to poll for)
    const noReply = conn.isMaster && !(cmd.flags & F.BLOCKING);
    const seq = noReply ? conn.nextSeq : conn.nextSeq++;
    const flags = conn.isMaster ? (noReply ? FLAG_REPLICATED | FLAG_NO_REPLY : FLAG_REPLICATED) : 0;
    const w3 = cmd.id | (conn.proto << 16);
    if (f.inline) {
      const w = new RespWriter(256);
      w.command(args.all());
      link.send(REQ_COMMAND, flags, conn.db, conn.id, seq, w3, w.buf, 0, w.len);
    } else if (cmd.flags & F.BLOCKING || conn.inputStable()) {
      link.send(REQ_COMMAND, flags, conn.db, conn.id, seq, w3, conn.inBuf, conn.inStart, f.end - conn.inStart, conn.inputStable());
    } else {
      // joined to the requests of this input before it for the same shard (one record: REQ_RUN)
      link.sendCommand(flags, conn.db, conn.id, seq, cmd.id, conn.proto, conn.inBuf, conn.inStart, f.end - conn.inStart);
    }
    if (noReply) {
      s.pump.scheduleTick(); // (the request ring is published at the end of the tick)
      return true;
    }
    conn.inflight++;
    link.inflight++;
    if (cmd.flags & F.BLOCKING) {
      conn.hold = Hold.Busy;
      conn.busySeq = seq;
      conn.busySlow = false;
      conn.blockingShard = shard;
    }
    s.pump.scheduleTick();
    return true;
  }
}

function rangePositions(first: number, last: number, step: number): number[] {
  const out: number[] = [];
  for (let i = first; i <= last; i += step) out.push(i);
  return out;
}
