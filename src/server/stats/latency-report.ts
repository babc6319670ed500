/*
 * LATENCY GRAPH and LATENCY DOCTOR texts: an ASCII sparkline of an event's samples (4 rows of
 * "_o#" steps, 80 columns, age labels underneath) and the human-readable analysis, laid out as
 * redis-server lays them out.
 */

import type { LatencyEvent, LatencyMonitor } from './slowlog.js';

const COLS = 80;
const ROWS = 4;
const FILL = '_o#';

function ageLabel(elapsed: number): string {
  if (elapsed < 60) return `${elapsed}s`;
  if (elapsed < 3600) return `${Math.floor(elapsed / 60)}m`;
  if (elapsed < 86400) return `${Math.floor(elapsed / 3600)}h`;
  return `${Math.floor(elapsed / 86400)}d`;
}

function renderRange(values: number[], labels: string[], min: number, max: number): string {
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  const steps = FILL.length * ROWS;
  let out = '';
  for (let row = 0; ; row++) {
    let loop = false;
    const chars = new Array<string>(values.length).fill(' ');
    for (let j = 0; j < values.length; j++) {
      let step = Math.trunc(Math.trunc((values[j]! - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < ROWS) {
        const ci = step - (ROWS - row - 1) * FILL.length;
        loop = true;
        if (ci >= 0 && ci < FILL.length) chars[j] = FILL[ci]!;
        else if (ci >= FILL.length) chars[j] = '|';
      } else {
        if (row - ROWS < 1) {
          loop = true;
          break;
        }
        const label = labels[j]!;
        const at = row - ROWS - 1;
        if (label.length > at) {
          loop = true;
          chars[j] = label[at]!;
        }
      }
    }
    if (!loop) break;
    out += chars.join('') + '\n';
  }
  return out;
}

export function latencyGraph(name: string, e: LatencyEvent, now: number): string {
  const values = e.samples.map((s) => s[1]);
  const labels = e.samples.map((s) => ageLabel(now - s[0]));
  const min = Math.min(...values);
  const max = Math.max(...values);
  let out = `${name} - high ${max} ms, low ${min} ms (all time high ${e.max} ms)\n${'-'.repeat(COLS)}\n`;
  for (let j = 0; j < values.length; j += COLS) {
    if (j !== 0) out += '\n';
    out += renderRange(values.slice(j, j + COLS), labels.slice(j, j + COLS), min, max);
  }
  return out;
}

export function latencyDoctor(mon: LatencyMonitor, threshold: number, slowerThan: number, now: number): string {
  if (mon.events.size === 0 && threshold === 0) {
    return `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n`;
  }
  let out = '';
  let n = 0;
  let advices = 0;
  let slowlogEnabled = false;
  let slowlogTuning = false;
  let slowlogInspect = false;
  let largeObjects = false;
  let scheduler = false;
  for (const [name, e] of mon.events) {
    n++;
    if (n === 1) out += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    const samples = e.samples.length;
    let sum = 0;
    let oldest = 0;
    for (const [t, ms] of e.samples) {
      sum += ms;
      if (oldest === 0 || t < oldest) oldest = t;
    }
    const avg = samples ? Math.floor(sum / samples) : 0;
    let period = samples ? now - oldest : 0;
    if (samples && period === 0) period = 1;
    let dev = 0;
    for (const [, ms] of e.samples) dev += Math.abs(avg - ms);
    const mad = samples ? Math.floor(dev / samples) : 0;
    out += `${n}. ${name}: ${samples} latency spikes (average ${avg}ms, mean deviation ${mad}ms, period ${(period / samples).toFixed(2)} sec). Worst all time event ${e.max}ms.`;
    if (name === 'command') {
      if (slowerThan < 0) {
        slowlogEnabled = true;
        advices++;
      } else if (Math.floor(slowerThan / 1000) > threshold) {
        slowlogTuning = true;
        advices++;
      }
      slowlogInspect = true;
      largeObjects = true;
      advices += 2;
    }
    if (name === 'fast-command') {
      scheduler = true;
      advices++;
    }
    out += '\n';
  }
  if (n === 0 && advices === 0) {
    return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  }
  if (advices === 0) {
    return out + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
  }
  out += '\nI have a few advices for you:\n\n';
  if (slowlogEnabled) {
    out += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  }
  if (slowlogTuning) {
    out += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${threshold * 1000}'.\n`;
  }
  if (slowlogInspect) {
    out += '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  }
  if (scheduler) {
    out +=
      '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
      '  1) Lower the system load.\n' +
      '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
  }
  if (largeObjects) {
    out += '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
  }
  return out;
}
