/*
 * A Shard built in-process with the real command table (no worker thread, no server), and the main
 * thread's ends of its rings: requests go in through its request ring as the main thread writes
 * them, and every record it writes is read back from its reply ring. For the shard's unit tests
 * (test/blocked-unit.test.ts, test/key-signals-unit.test.ts).
 */

import {
  DEFAULT_SHARD_CONFIG,
  HEADER_BYTES,
  REQ_COMMAND,
  REQ_CONTROL,
  RingConsumer,
  RingProducer,
  SHARD_COMMANDS,
  Shard,
  buildCommands,
  createRingBuffer,
  dbOf,
  encodeCommand,
  flagsOf,
  handlersById,
  kindOf,
  word0,
  writeHeader,
} from './src.js';

/** The command table the harness's shards run with. */
export const { table: commandTable } = buildCommands();
const table = commandTable;

/** One record of the reply ring, its reply and propagation bytes as binary strings. */
export interface ShardRecord {
  kind: number;
  flags: number;
  db: number;
  connId: number;
  reply: string;
  prop: string;
}

export class ShardHarness {
  readonly shard: Shard;
  private readonly requests: RingProducer;
  private readonly replies: RingConsumer;
  private seq = 0;

  constructor(config: Partial<typeof DEFAULT_SHARD_CONFIG> = {}) {
    const requestRing = createRingBuffer(1 << 16);
    const replyRing = createRingBuffer(1 << 16);
    this.shard = new Shard({
      index: 0,
      shards: 1,
      databases: 16,
      requestRing,
      replyRing,
      commands: table.byId,
      handlers: handlersById(table.byId, SHARD_COMMANDS),
      config: { ...DEFAULT_SHARD_CONFIG, ...config },
      wakeMain: () => {},
    });
    this.requests = new RingProducer(requestRing);
    this.replies = new RingConsumer(replyRing);
  }

  /** Run one command for connection `connId` in database `db` (RESP2); the records it caused. */
  command(connId: number, db: number, argv: string[]): ShardRecord[] {
    const cmd = table.get(argv[0]!.toLowerCase());
    if (cmd === undefined) throw new Error(`no command ${argv[0]}`);
    return this.send(REQ_COMMAND, connId, db, cmd.id, argv);
  }

  /** Run one control op (what the main thread asks of a shard); the records it caused. */
  control(argv: (string | number)[]): ShardRecord[] {
    return this.send(REQ_CONTROL, 0, 0, 0, argv);
  }

  private send(kind: number, connId: number, db: number, cmdId: number, argv: (string | number)[]): ShardRecord[] {
    const body = encodeCommand(argv);
    const off = this.requests.reserve(HEADER_BYTES + body.length);
    writeHeader(this.requests, off, word0(kind, 0, db), connId, ++this.seq, cmdId | (2 << 16), body.length);
    this.requests.data.set(body, off + HEADER_BYTES);
    this.requests.commit(HEADER_BYTES + body.length);
    this.requests.publish();
    this.shard.drain();
    return this.read();
  }

  /** Records written since the last read (the shard's cron, for one). */
  read(): ShardRecord[] {
    const out: ShardRecord[] = [];
    if (!this.replies.poll()) return out;
    for (let off = this.replies.next(); off >= 0; off = this.replies.next()) {
      const b = off >> 2;
      const i32 = this.replies.i32;
      const [rlen, plen] = [i32[b + 3]!, i32[b + 4]!];
      const text = (from: number, n: number): string => Buffer.from(this.replies.data.subarray(from, from + n)).toString('latin1');
      out.push({
        kind: kindOf(i32[b]!),
        flags: flagsOf(i32[b]!),
        db: dbOf(i32[b]!),
        connId: i32[b + 1]!,
        reply: text(off + HEADER_BYTES, rlen),
        prop: text(off + HEADER_BYTES + rlen, plen),
      });
    }
    this.replies.release();
    return out;
  }
}
