// Preloaded into a server under test (NODE_OPTIONS=--import this file, MODULE_PROBE_LOG=file):
// appends "<main|worker> <url or path>" to the log for every module a thread loads, by import
// (a module customization hook) or by require (Module._load, which also loads ES modules on Node
// 20.19+), so a test can tell which modules each thread has loaded so far.
import fs from 'node:fs';
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const file = process.env.MODULE_PROBE_LOG;
const thread = isMainThread ? 'main' : 'worker';
if (file) {
  register(new URL('./module-probe-hooks.mjs', import.meta.url), { data: { thread, file } });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    let where = request;
    try {
      where = Module._resolveFilename(request, parent, isMain);
    } catch {
      // a builtin or an unresolvable name: logged as asked
    }
    fs.appendFileSync(file, `${thread} ${where}\n`);
    return load.apply(this, arguments);
  };
}
