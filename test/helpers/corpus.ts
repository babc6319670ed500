/*
 * Differential corpora split into named behaviours. A corpus is a script (one command a line, see
 * diff.ts script()) cut into sections by '## name' lines; each section is one vitest case named after
 * the behaviour it pins, run against shardis and compared reply by reply with redis-server 7.0.15:
 *   - live, when redis-server is installed (useServers({ redis: true }) started one);
 *   - else with its replies recorded in test/golden/<suite>.json (`npm run golden` records them again,
 *     from a live redis-server: GOLDEN_UPDATE=1; replies over 512 bytes are kept as their SHA-256).
 *     GOLDEN_ONLY=1 compares with the recorded replies even
 *     where redis-server is installed.
 * Nothing is skipped: without redis-server the recorded replies are the reference.
 *
 * The sections of a corpus share state in order (section 3 reads what sections 1 and 2 wrote). They
 * run in order on one connection per server; a case run alone (vitest -t) or after a failure that broke
 * the connection starts from fresh connections, FLUSHALL, and replays the sections before it first.
 * The recorded file names every section with its commands, so a corpus edited without recording again
 * fails with a message that says so.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { RawClient } from './raw.js';
import { marks, open, sameReply, script, showMismatches, sortedElements, type Marked, type Mismatch } from './diff.js';
import { ROOT } from './server.js';
import type { Servers } from './fixture.js';

export interface Section {
  name: string;
  cmds: string[][];
}

interface Recorded {
  name: string;
  cmds: string[][];
  replies: string[];
}

type GoldenFile = Partial<Record<`resp${2 | 3}`, Recorded[]>>;

/** Parse a corpus: '## name' starts a section; `map` rewrites each section's commands (e.g. unescaping). */
export function corpus(text: string, map: (cmds: string[][]) => string[][] = (c) => c): Section[] {
  const out: Section[] = [];
  for (const line of text.split('\n')) {
    const h = /^\s*##\s+(.+?)\s*$/.exec(line);
    if (h) {
      if (out.some((s) => s.name === h[1])) throw new Error(`corpus: two sections named "${h[1]}"`);
      out.push({ name: h[1]!, cmds: [] });
      continue;
    }
    const cmds = script(line);
    if (cmds.length === 0) continue;
    const last = out[out.length - 1];
    if (!last) throw new Error(`corpus: a command before the first '## name' line: ${line}`);
    last.cmds.push(...map(cmds));
  }
  return out;
}

/** Where the recorded replies of a suite live. */
export function goldenPath(suite: string): string {
  return path.join(ROOT, 'test', 'golden', `${suite}.json`);
}

function readGolden(suite: string): GoldenFile {
  const f = goldenPath(suite);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as GoldenFile) : {};
}

/** Replies longer than this are recorded as their SHA-256 (large HLLs and bitmaps would bloat the files). */
const DIGEST_OVER = 512;

/** What the recorded file holds for a reply: the reply, or the digest of a long one. */
function recordedForm(m: Marked, reply: string): string {
  if (m.unordered) reply = sortedElements(reply);
  if (reply.length <= DIGEST_OVER) return reply;
  return `sha256:${crypto.createHash('sha256').update(reply, 'latin1').digest('hex')} (${reply.length} bytes)`;
}

/** Whether a reply agrees with the reference: a live reply, or a recorded one (maybe a digest). */
function agrees(m: Marked, expected: string, actual: string, elapsedMs: number): boolean {
  if (expected.startsWith('sha256:')) return recordedForm(m, actual) === expected;
  return sameReply(m, expected, actual, elapsedMs);
}

/** Send one command and read its raw reply. */
async function call(c: RawClient, cmd: string[]): Promise<string> {
  c.send(...marks(cmd).cmd);
  return c.readRaw();
}

/** Run every section on a fresh connection after FLUSHALL; the replies, section by section. */
async function record(port: number, proto: 2 | 3, sections: Section[]): Promise<Recorded[]> {
  const c = await open(port, proto);
  try {
    await call(c, ['flushall']);
    const out: Recorded[] = [];
    for (const s of sections) {
      const replies: string[] = [];
      for (const cmd of s.cmds) replies.push(recordedForm(marks(cmd), await call(c, cmd)));
      out.push({ name: s.name, cmds: s.cmds, replies });
    }
    return out;
  } finally {
    c.close();
  }
}

/** The recorded replies of section `i`, after checking that sections 0..i were recorded as they stand. */
function recorded(suite: string, proto: 2 | 3, sections: Section[], i: number): Recorded {
  const file = readGolden(suite)[`resp${proto}`] ?? [];
  for (let j = 0; j <= i; j++) {
    const r = file[j];
    if (!r || r.name !== sections[j]!.name || JSON.stringify(r.cmds) !== JSON.stringify(sections[j]!.cmds)) {
      throw new Error(
        `test/golden/${suite}.json (RESP${proto}) was not recorded for section "${sections[j]!.name}" as it stands: ` +
          'record it with redis-server installed: npm run golden',
      );
    }
  }
  return file[i]!;
}

/**
 * One vitest case per section, per protocol, against `s.srv` (and `s.ref` when it runs). Call inside the
 * describe block that called useServers().
 */
export function describeCorpus(suite: string, sections: Section[], s: Servers, protos: readonly (2 | 3)[] = [2, 3]): void {
  for (const proto of protos) {
    describe(`replies as redis-server 7.0.15 (RESP${proto})`, () => {
      let sut: RawClient | null = null;
      let ref: RawClient | null = null;
      let next = -1; // the section whose turn it is on the open connections; -1: none open
      let t0 = 0;
      const live = (): boolean => s.ref !== null && process.env.GOLDEN_ONLY !== '1';

      const close = (): void => {
        sut?.close();
        ref?.close();
        sut = ref = null;
        next = -1;
      };

      /** Fresh connections, FLUSHALL, and the sections before `i` replayed. */
      const reset = async (i: number): Promise<void> => {
        close();
        sut = await open(s.srv.port, proto);
        if (live()) ref = await open(s.ref!.port, proto);
        t0 = Date.now();
        for (const c of [sut, ref]) if (c) await call(c, ['flushall']);
        for (const sec of sections.slice(0, i)) {
          for (const cmd of sec.cmds) await Promise.all([sut, ref].map((c) => c && call(c, cmd)));
        }
        next = i;
      };

      beforeAll(async () => {
        if (process.env.GOLDEN_UPDATE !== '1') return;
        if (s.ref === null) throw new Error('GOLDEN_UPDATE=1 needs redis-server installed');
        const file = readGolden(suite);
        file[`resp${proto}`] = await record(s.ref.port, proto, sections);
        fs.writeFileSync(goldenPath(suite), JSON.stringify(file, null, 1) + '\n');
      });

      afterAll(close);

      sections.forEach((sec, i) => {
        it(sec.name, async () => {
          // checked live or not: a corpus edited without recording again fails here
          const want = recorded(suite, proto, sections, i);
          if (next !== i) await reset(i);
          next = -1; // until the section has run to its end
          const mm: Mismatch[] = [];
          for (const [k, raw] of sec.cmds.entries()) {
            const m = marks(raw);
            const [actual, expected] = await Promise.all([call(sut!, raw), ref ? call(ref, raw) : Promise.resolve(want.replies[k]!)]);
            if (!agrees(m, expected, actual, Date.now() - t0)) mm.push({ cmd: m.cmd, expected, actual: expected.startsWith('sha256:') ? `${recordedForm(m, actual)}: ${actual.slice(0, 200)}` : actual });
          }
          next = i + 1;
          expect(showMismatches(mm.slice(0, 20)) + (mm.length > 20 ? `\n(${mm.length - 20} more)` : ''), live() ? 'live redis-server' : `recorded replies (test/golden/${suite}.json)`).toBe('');
        });
      });
    });
  }
}
