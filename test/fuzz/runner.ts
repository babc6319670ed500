/*
 * RESP fuzzer, driving side: sends generated inputs to a server in batches and checks after each batch
 * that the server process is alive, a fresh connection gets PONG, the sentinel key written on every
 * shard before the run is intact, the fuzz connection still answers (no hang) and no reply leaked a
 * JavaScript exception. The differential mode sends the same inputs to redis-server and shardis and
 * records every reply or close-behaviour difference.
 */

import fs from 'node:fs';
import net from 'node:net';
import { replyEnd } from '../helpers/raw.js';
import { sortedElements } from '../helpers/diff.js';
import { DESTRUCTIVE, Generator, Rng, show, wire, type Input } from './generator.js';

/** Error replies that are a JavaScript exception rather than a Redis error text. */
const LEAK = /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read prop|is not a function|is not defined|\bundefined\b|Maximum call stack|Invalid (array|string|typed array) length|\[object |out of memory|Unexpected end/;

/** A socket that keeps what it received (all of it, or a tail) and watches error lines for leaks. */
export class FuzzConn {
  private chunks: Buffer[] = [];
  private size = 0;
  private carry = '';
  closed = false;
  /** Bytes received so far (all of them, kept or not). */
  received = 0;
  /** The fuzz inputs written to this connection (for failure reports). */
  readonly sent: Input[] = [];
  /** Received more than it keeps: the front was dropped. */
  truncated = false;
  leak: string | null = null;
  private waiters: (() => void)[] = [];
  private constructor(
    readonly socket: net.Socket,
    private readonly keepAll: boolean,
  ) {
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.scan(d);
      this.chunks.push(d);
      this.size += d.length;
      const cap = keepAll ? 1 << 24 : 1 << 16;
      while (this.size > cap && this.chunks.length > 1) {
        this.size -= this.chunks.shift()!.length;
        this.truncated = true;
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number, keepAll = false, ms = 10_000): Promise<FuzzConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${port} timed out after ${ms} ms`));
      }, ms);
      s.once('connect', () => {
        clearTimeout(t);
        s.setNoDelay(true);
        resolve(new FuzzConn(s, keepAll));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  private scan(d: Buffer): void {
    const text = this.carry + d.toString('latin1');
    const lines = text.split('\r\n');
    this.carry = (lines.pop() ?? '').slice(-512);
    for (const l of lines) if ((l[0] === '-' || l[0] === '!') && !this.leak && LEAK.test(l)) this.leak = l.slice(0, 300);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(b: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(b);
  }

  buffer(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** The last `n` bytes received, as latin1. */
  tail(n: number): string {
    let out = '';
    for (let i = this.chunks.length - 1; i >= 0 && out.length < n; i--) out = this.chunks[i]!.toString('latin1') + out;
    return out.slice(-n);
  }

  text(): string {
    return this.buffer().toString('latin1');
  }

  /** Wait until pred() holds or the socket closes; false on timeout. */
  async until(pred: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!pred() && !this.closed) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** Wait until `ms` pass with nothing received (or the socket closes, or `max` passes). */
  async idle(ms: number, max: number): Promise<void> {
    const end = Date.now() + max;
    for (;;) {
      const before = this.size;
      await new Promise((r) => setTimeout(r, ms));
      if (this.closed || this.size === before || Date.now() > end) return;
    }
  }

  /** Take one complete RESP reply from the front, or null (incomplete / timeout / closed). */
  async reply(ms: number): Promise<string | null> {
    let end = -1;
    await this.until(() => {
      end = replyEnd(this.buffer(), 0);
      return end >= 0;
    }, ms);
    end = replyEnd(this.buffer(), 0);
    if (end < 0) return null;
    const b = this.buffer();
    const s = b.subarray(0, end).toString('latin1');
    this.chunks = [b.subarray(end)];
    this.size = this.chunks[0]!.length;
    return s;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Seed of batch `b` of a run seeded `seed`: a batch replays alone from (seed, b). */
export function batchSeed(seed: number, b: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(b + 1, 0xc2b2ae35)) >>> 0;
}

export interface FuzzOptions {
  port: number;
  /** True while the server process runs. */
  alive: () => boolean;
  gen: Generator;
  seed: number;
  inputs: number;
  batchSize?: number;
  /** First batch (to replay a failing batch alone). */
  firstBatch?: number;
  junkShare?: number;
  /** Connections the valid commands are spread over (default 3). */
  lanes?: number;
  /** How long a check may take before it counts as a hang. */
  timeoutMs?: number;
  log?: (s: string) => void;
}

export interface FuzzResult {
  inputs: number;
  batches: number;
  connections: number;
  /** Distinct error replies seen (first 60 chars) with counts. */
  errors: Map<string, number>;
  failure: string | null;
}

function countErrors(text: string, into: Map<string, number>): void {
  for (const l of text.split('\r\n')) if (l[0] === '-') into.set(l.slice(0, 60), (into.get(l.slice(0, 60)) ?? 0) + 1);
}

/** Run the fuzzer against one server. Stops at the first failed check. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const batchSize = o.batchSize ?? 200;
  const timeout = o.timeoutMs ?? 10_000;
  const log = o.log ?? (() => {});
  const pool = o.gen.pool;
  const res: FuzzResult = { inputs: 0, batches: 0, connections: 0, errors: new Map(), failure: null };
  const setup = new Rng(o.seed);
  const sentinelValue = pool.sentinels.map((k) => `${k}=${setup.int(1e9)}`);
  const setSentinels = async (): Promise<void> => {
    const c = await FuzzConn.open(o.port);
    for (let i = 0; i < pool.sentinels.length; i++) c.write(wire({ kind: 'cmd', name: 'set', argv: [Buffer.from('SET'), Buffer.from(pool.sentinels[i]!), Buffer.from(sentinelValue[i]!)] }));
    await c.until(() => (c.text().match(/\+OK/g) ?? []).length === pool.sentinels.length, timeout);
    c.close();
  };
  await setSentinels();
  const laneCount = o.lanes ?? 3;
  const firstBatch = o.firstBatch ?? 0;
  for (let b = firstBatch; res.inputs < o.inputs; b++) {
    const rng = new Rng(batchSeed(o.seed, b));
    const n = Math.min(batchSize, o.inputs - res.inputs);
    const batch: Input[] = [];
    for (let i = 0; i < n; i++) batch.push(o.gen.input(rng, o.junkShare));
    const fail = (why: string): FuzzResult => {
      res.failure =
        `${why}\n  seed ${o.seed}, batch ${b} (inputs ${res.inputs - n}..${res.inputs - 1}); replay: npm run fuzz -- --seed ${o.seed} --inputs ${res.inputs} --diff-inputs 0 (the batch alone, without the state earlier batches left: --first-batch ${b} --inputs ${batchSize})\n` +
        `  last inputs of the batch:\n${batch.slice(-25).map((i) => '    ' + show(i)).join('\n')}`;
      return res;
    };
    let junk: FuzzConn | null = null;
    const retired: FuzzConn[] = [];
    // fresh fuzz connections ("lanes", commands spread over them so that multi-shard commands of
    // different clients interleave), holding all they receive, so a hang can be pinned on a command
    const lanes: FuzzConn[] = [];
    for (let l = 0; l < laneCount; l++) lanes.push(await FuzzConn.open(o.port, true));
    res.connections += laneCount;
    const validConns = new Set<FuzzConn>(lanes);
    const newLane = async (l: number): Promise<void> => {
      retired.push(lanes[l]!);
      lanes[l] = await FuzzConn.open(o.port, true);
      validConns.add(lanes[l]!);
      res.connections++;
    };
    const own: Promise<void>[] = [];
    let destructive = false;
    for (const input of batch) {
      if (input.kind === 'cmd') {
        if (DESTRUCTIVE.has(input.name)) destructive = true;
        const l = laneCount > 1 ? rng.int(laneCount) : 0;
        if (lanes[l]!.closed) await newLane(l);
        const c = lanes[l]!;
        c.write(wire(input));
        c.sent.push(input);
        // the connection may be gone; carry on with a new one
        if (input.name === 'quit' || input.name === 'client|kill') await newLane(l);
      } else if (input.kind === 'own') {
        const c = await FuzzConn.open(o.port);
        res.connections++;
        c.write(wire(input));
        c.sent.push(input);
        own.push(c.idle(20, 200).then(() => c.close()));
      } else {
        if (!junk || junk.closed || rng.chance(0.5)) {
          if (junk) retired.push(junk);
          junk = await FuzzConn.open(o.port);
          res.connections++;
        }
        const bytes = wire(input);
        junk.sent.push(input);
        if (bytes.length > 4 && rng.chance(0.3)) {
          const cut = 1 + rng.int(bytes.length - 1);
          junk.write(bytes.subarray(0, cut));
          await new Promise((r) => setImmediate(r));
          junk.write(bytes.subarray(cut));
        } else {
          junk.write(bytes);
        }
      }
    }
    res.inputs += n;
    // every lane must still answer: RESET leaves MULTI, subscriptions, RESP3 and CLIENT REPLY
    const marker = `fz-marker-${b}-${rng.int(1e9)}`;
    for (const c of lanes) c.write(Buffer.from(`*1\r\n$5\r\nRESET\r\n*2\r\n$4\r\nECHO\r\n$${marker.length}\r\n${marker}\r\n`));
    const answered = await Promise.all(lanes.map((c) => c.until(() => c.tail(marker.length + 64).includes(marker), timeout)));
    await Promise.all(own);
    for (const c of [...lanes, junk, ...retired]) {
      if (!c) continue;
      countErrors(c.text(), res.errors);
      if (c.leak) {
        let culprit = '';
        if (validConns.has(c) && !c.truncated) {
          const buf = c.buffer();
          for (let p = 0, i = 0; p >= 0 && p < buf.length; i++) {
            const e = replyEnd(buf, p);
            if (e < 0) break;
            if (LEAK.test(buf.subarray(p, e).toString('latin1')) && c.sent[i]) {
              // replies and commands pair up unless CLIENT REPLY, subscriptions or MONITOR intervened
              culprit = ` in reply #${i}, to ${show(c.sent[i]!)} if replies and commands pair up; the commands around it:\n${c.sent
                .slice(Math.max(0, i - 6), i + 4)
                .map((x) => '      ' + show(x))
                .join('\n')}\n `;
              break;
            }
            p = e;
          }
        } else if (!validConns.has(c)) culprit = ` on a connection that was sent:\n${c.sent.map((i) => '      ' + show(i)).join('\n')}\n `;
        return fail(`a reply leaked a JavaScript error${culprit}: ${JSON.stringify(c.leak)}`);
      }
    }
    for (const c of [junk, ...retired]) c?.close();
    const stuck = lanes.find((_c, l) => !answered[l]);
    for (const c of lanes) if (c !== stuck) c.close();
    if (stuck) {
      // count the complete replies: the first command without one is the likely culprit
      const buf = stuck.buffer();
      let replies = 0;
      for (let p = 0; ; replies++) {
        p = replyEnd(buf, p);
        if (p < 0) break;
      }
      if (process.env.FUZZ_DUMP) {
        fs.writeFileSync(process.env.FUZZ_DUMP, JSON.stringify(stuck.sent.map((i) => [...wire(i)])));
        fs.writeFileSync(process.env.FUZZ_DUMP + '.txt', batch.map(show).join('\n') + '\n');
      }
      let state = '';
      try {
        const d = await FuzzConn.open(o.port, true, 2000);
        d.write(Buffer.from('*2\r\n$6\r\nCLIENT\r\n$4\r\nLIST\r\n*3\r\n$4\r\nINFO\r\n$7\r\nclients\r\n$11\r\nreplication\r\n*1\r\n$4\r\nPING\r\n'));
        await d.until(() => d.text().includes('+PONG'), 2000);
        for (const k of pool.sentinels) d.write(Buffer.from(`*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`));
        d.write(Buffer.from('*2\r\n$4\r\nECHO\r\n$4\r\nDONE\r\n'));
        await d.until(() => d.text().includes('DONE'), 2000);
        state = d.text();
        d.close();
      } catch (e) {
        state = String(e);
      }
      const suspect = stuck.truncated ? undefined : stuck.sent[replies];
      const others = lanes.filter((c) => c !== stuck).map((c) => c.sent.slice(-5).map((i) => '      ' + show(i)).join('\n'));
      stuck.close();
      return fail(
        `a fuzz connection got no reply to RESET+ECHO within ${timeout} ms (hang): it answered ${replies} of the ${stuck.sent.length} commands sent on it; ` +
          `the first unanswered: ${suspect ? show(suspect) : '(RESET/ECHO)'}\n  last bytes received: ${JSON.stringify(stuck.tail(300))}\n` +
          `  a fresh connection then saw (CLIENT LIST, INFO clients replication, PING, GET of each shard's sentinel, ECHO DONE): ${JSON.stringify(state.slice(0, 2500))}\n` +
          `  commands sent on that connection (last 15):\n${stuck.sent.slice(-15).map((i) => '    ' + show(i)).join('\n')}\n` +
          `  the other lanes' last commands:\n${others.join('\n    --\n')}`,
      );
    }
    // the checks
    if (!o.alive()) return fail('the server process died');
    let check: FuzzConn;
    try {
      check = await FuzzConn.open(o.port, true, timeout);
    } catch (e) {
      return fail(`a fresh connection failed: ${String(e)}`);
    }
    check.write(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    for (const k of pool.sentinels) check.write(Buffer.from(`*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`));
    const replies: (string | null)[] = [];
    for (let i = 0; i <= pool.sentinels.length; i++) replies.push(await check.reply(timeout));
    check.close();
    if (replies[0] !== '+PONG\r\n') return fail(`a fresh connection got ${JSON.stringify(replies[0])} to PING instead of +PONG`);
    for (let i = 0; i < pool.sentinels.length; i++) {
      const want = `$${sentinelValue[i]!.length}\r\n${sentinelValue[i]}\r\n`;
      const got = replies[i + 1];
      if (got === null) return fail(`GET ${pool.sentinels[i]} (shard ${i}) got no reply within ${timeout} ms`);
      if (got !== want && !destructive) return fail(`the sentinel key ${pool.sentinels[i]} on shard ${i} changed: ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    }
    if (destructive) await setSentinels();
    res.batches++;
    if (res.batches % 50 === 0) log(`fuzz: ${res.inputs} inputs, ${res.batches} batches, ${res.connections} connections`);
  }
  return res;
}

export interface Difference {
  input: string;
  redis: string;
  shardis: string;
}

/** The differential run takes the plain run's options (no lanes: one connection per server) and the reference's port. */
export interface DiffOptions extends Omit<FuzzOptions, 'lanes'> {
  refPort: number;
}

export interface DiffResult {
  inputs: number;
  differences: Difference[];
  /** Differences grouped by command (or junk kind) and the first lines of both replies. */
  groups: Map<string, { count: number; first: Difference }>;
  /** Replies from shardis that leaked a JavaScript error (input => error line). */
  leaks: string[];
  failure: string | null;
}

const cut = (s: string): string => (s.length > 300 ? s.slice(0, 300) + `...(${s.length})` : s);

/** Send the same inputs to redis-server and shardis; collect the differences. */
export async function runDiff(o: DiffOptions): Promise<DiffResult> {
  const batchSize = o.batchSize ?? 200;
  const timeout = o.timeoutMs ?? 10_000;
  const log = o.log ?? (() => {});
  const res: DiffResult = { inputs: 0, differences: [], groups: new Map(), leaks: [], failure: null };
  const record = (group: string, d: Difference): void => {
    res.differences.push(d);
    const key = `${group} | ${d.redis.split('\r\n')[0]!.slice(0, 50)} | ${d.shardis.split('\r\n')[0]!.slice(0, 50)}`;
    const g = res.groups.get(key);
    if (g) g.count++;
    else res.groups.set(key, { count: 1, first: d });
  };
  const tips = new Map(o.gen.specs.map((s) => [s.name, s.tips]));
  // every batch starts from empty databases, so a difference in one batch does not echo in the next
  const flushBoth = async (): Promise<void> => {
    for (const port of [o.refPort, o.port]) {
      const c = await FuzzConn.open(port, true);
      c.write(Buffer.from('*1\r\n$8\r\nFLUSHALL\r\n'));
      await c.reply(timeout);
      c.close();
    }
  };
  for (let b = o.firstBatch ?? 0; res.inputs < o.inputs; b++) {
    const rng = new Rng(batchSeed(o.seed, b));
    const n = Math.min(batchSize, o.inputs - res.inputs);
    const proto = rng.chance(0.3) ? 3 : 2;
    await flushBoth();
    const pair = async (db = 0): Promise<[FuzzConn, FuzzConn]> => {
      const a = await FuzzConn.open(o.refPort, true);
      const s = await FuzzConn.open(o.port, true);
      const setup: string[] = [];
      if (proto === 3) setup.push('*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n');
      if (db > 0) setup.push(`*2\r\n$6\r\nSELECT\r\n$${String(db).length}\r\n${db}\r\n`);
      for (const cmd of setup) {
        a.write(Buffer.from(cmd));
        s.write(Buffer.from(cmd));
        await Promise.all([a.reply(timeout), s.reply(timeout)]);
      }
      return [a, s];
    };
    const leaks = (a: FuzzConn, input: Input): void => {
      if (a.leak) res.leaks.push(`${show(input)} => ${a.leak}`);
      a.leak = null;
    };
    let [ref, sut] = await pair();
    const raws: Input[] = [];
    for (let i = 0; i < n; i++) {
      const input = o.gen.input(rng, o.junkShare);
      if (input.kind === 'raw') {
        raws.push(input);
        continue;
      }
      const bytes = wire(input);
      ref.write(bytes);
      sut.write(bytes);
      let [x, y] = await Promise.all([ref.reply(timeout), sut.reply(timeout)]);
      leaks(sut, input);
      // HELLO's reply holds the connection id
      if (x !== null && y !== null) [x, y] = [x, y].map((r) => r!.replace(/(\$2\r\nid\r\n):\d+/, '$1:ID')) as [string, string];
      if (x === null && y === null && ref.closed === sut.closed) continue;
      const ordered = input.kind === 'cmd' && (tips.get(input.name) ?? []).includes('nondeterministic_output_order');
      if (ordered && x !== null && y !== null) {
        x = sortedElements(x);
        y = sortedElements(y);
      }
      if (x !== y || ref.closed !== sut.closed) {
        const what = (r: string | null, c: FuzzConn): string => (r ?? '(no reply)') + (c.closed ? ' (closed)' : '');
        record(input.kind === 'cmd' ? input.name : 'own', { input: show(input), redis: cut(what(x, ref)), shardis: cut(what(y, sut)) });
        if (y === null && !sut.closed && x !== null) {
          // shardis did not answer what redis answered: start over on new connections
          ref.close();
          sut.close();
          [ref, sut] = await pair();
        }
      }
      if (ref.closed || sut.closed) {
        ref.close();
        sut.close();
        [ref, sut] = await pair();
      }
    }
    ref.close();
    sut.close();
    // mutated frames: each on fresh connections to both, 15 at a time each in its own database (so the
    // commands inside them do not race each other), compared after the dust settles
    for (let i = 0; i < raws.length; i += 15) {
      await Promise.all(
        raws.slice(i, i + 15).map(async (input, j) => {
          const [a, s] = await pair(j + 1);
          const [a0, s0] = [a.received, s.received];
          const bytes = wire(input);
          a.write(bytes);
          s.write(bytes);
          // redis-server settles first; shardis then gets as long as it needs (1 s at most) to say as
          // much or close, so a busy machine does not pass for a missing reply
          await a.idle(150, 2000);
          const wantBytes = a.received - a0;
          if (wantBytes > 0 || a.closed) await s.until(() => s.received - s0 >= wantBytes, 1000);
          await s.idle(150, 2000);
          leaks(s, input);
          const norm = (t: string): string => t.replace(/(\$2\r\nid\r\n):\d+/g, '$1:ID');
          const x = norm(a.text()) + (a.closed ? ' (closed)' : ' (open)');
          const y = norm(s.text()) + (s.closed ? ' (closed)' : ' (open)');
          a.close();
          s.close();
          if (x !== y) record(input.kind === 'raw' ? input.what : 'raw', { input: show(input), redis: cut(x), shardis: cut(y) });
        }),
      );
    }
    res.inputs += n;
    if (!o.alive()) {
      res.failure = `the server process died; seed ${o.seed}, batch ${b} (replay: npm run fuzz -- --inputs 0 --seed ${o.seed} --diff-inputs ${res.inputs})`;
      return res;
    }
    const check = await FuzzConn.open(o.port, true, timeout);
    check.write(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    const pong = await check.reply(timeout);
    check.close();
    if (pong !== '+PONG\r\n') {
      res.failure = `a fresh connection got ${JSON.stringify(pong)} to PING; seed ${o.seed}, batch ${b}`;
      return res;
    }
    if ((b + 1) % 10 === 0) log(`diff: ${res.inputs} inputs, ${res.differences.length} differences`);
  }
  return res;
}

/** The grouped differences, one example each, for printing. */
export function showDifferences(r: DiffResult, max = 60): string {
  const groups = [...r.groups.entries()].sort((a, b) => b[1].count - a[1].count);
  return groups
    .slice(0, max)
    .map(([k, g]) => `[${g.count}x] ${k}\n    input:   ${g.first.input}\n    redis:   ${JSON.stringify(g.first.redis)}\n    shardis: ${JSON.stringify(g.first.shardis)}`)
    .join('\n');
}
