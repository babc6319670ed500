#!/usr/bin/env node
/*
 * shardis entry point: runs the command line (cli.ts). The young generation's hold
 * (young-gen.ts) is switched on by cli.ts once the config says optimize-for-size.
 */

await import('./cli.js');
