// The module customization hooks of module-probe.mjs (they run on a thread of their own).
import fs from 'node:fs';

let thread = '?';
let file = '';

export function initialize(data) {
  thread = data.thread;
  file = data.file;
}

export async function load(url, context, next) {
  fs.appendFileSync(file, `${thread} ${url}\n`);
  return next(url, context);
}
