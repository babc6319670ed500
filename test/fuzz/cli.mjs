#!/usr/bin/env node
/*
 * `npm run fuzz -- [--inputs N] [--diff-inputs N] [--seed N] [--first-batch B] [--batch N] [--shards N] [--lanes N] [--focus cmd,cmd] [--avoid-known]`:
 * the long fuzzer run. Runs test/fuzz.test.ts under vitest with the numbers passed as FUZZ_* variables
 * (defaults: 200000 inputs, 20000 differential inputs, a random seed, printed).
 */
import { spawnSync } from 'node:child_process';

const opts = { inputs: '200000', 'diff-inputs': '20000', seed: String(Math.floor(Math.random() * 2 ** 31)), 'first-batch': '0', batch: '200', shards: '2', lanes: '3', focus: '' };
const argv = process.argv.slice(2);
let avoidKnown = false;
const i0 = argv.indexOf('--avoid-known');
if (i0 >= 0) {
  avoidKnown = true;
  argv.splice(i0, 1);
}
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opts) || argv[i + 1] === undefined) {
    console.error(`usage: npm run fuzz -- ${Object.keys(opts).map((o) => `[--${o} N]`).join(' ')} [--avoid-known]`);
    process.exit(2);
  }
  opts[k] = argv[++i];
}
console.log(`fuzz: seed ${opts.seed}, ${opts.inputs} inputs, ${opts['diff-inputs']} differential inputs, ${opts.shards} shards`);
const env = {
  ...process.env,
  FUZZ_INPUTS: opts.inputs,
  FUZZ_DIFF_INPUTS: opts['diff-inputs'],
  FUZZ_SEED: opts.seed,
  FUZZ_FIRST_BATCH: opts['first-batch'],
  FUZZ_BATCH: opts.batch,
  FUZZ_SHARDS: opts.shards,
  FUZZ_LANES: opts.lanes,
  ...(opts.focus ? { FUZZ_FOCUS: opts.focus } : {}),
  FUZZ_AVOID_KNOWN: avoidKnown ? '1' : '0',
};
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz.test.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
