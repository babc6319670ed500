#!/usr/bin/env node
/*
 * shardis entry point: holds the isolates' young generation at its first size (young-gen.ts) before
 * anything else is loaded, then runs the command line (cli.ts).
 */

import { holdYoungGeneration } from './young-gen.js';

holdYoungGeneration();
await import('./cli.js');
