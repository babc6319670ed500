/*
 * The command registry (src/commands/registry.ts): the command table is built from the handlers'
 * declarations only, so every table row has exactly one handler where it runs and every handler has
 * a row of Redis 7.0's command data.
 */

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandTable, Keys, MAIN_COMMANDS, Route, SHARD_COMMANDS, SHARD_PROPS, buildCommands, mainCommands, propsByName, shardCommands } from './helpers/src.js';
import { ROOT } from './helpers/server.js';
import { startShardis, type Proc } from './helpers/server.js';
import { RawClient } from './helpers/raw.js';

const { table, mainHandlers } = buildCommands();
const shardNames = new Set(SHARD_COMMANDS.map((d) => d.name));
const mainNames = new Set(MAIN_COMMANDS.map((d) => d.name));

describe('command registry', () => {
  it('every table row has a handler on its route (containers: on each subcommand)', () => {
    const missing: string[] = [];
    for (const cmd of table.byId) {
      const declared = cmd.route === Route.Shard ? shardNames.has(cmd.name) : mainNames.has(cmd.name);
      if (declared) continue;
      // a container without its own handler ("config") is in the table for its subcommands
      if (cmd.subcommands !== null && cmd.subcommands.size > 0) continue;
      missing.push(cmd.name);
    }
    expect(missing).toEqual([]);
  });

  it('every main-thread row finds its handler by command id', () => {
    for (const cmd of table.byId) {
      if (cmd.route === Route.Main && mainNames.has(cmd.name)) expect(mainHandlers[cmd.id], cmd.name).toBeTypeOf('function');
    }
  });

  it('every declared handler has exactly one table row, on the route it declared', () => {
    for (const d of [...SHARD_COMMANDS, ...MAIN_COMMANDS]) {
      const cmd = table.get(d.name);
      expect(cmd, d.name).toBeDefined();
      expect(cmd!.route, d.name).toBe(d.route);
      expect(table.byId.filter((c) => c.name === d.name), d.name).toHaveLength(1);
    }
  });

  it("the main thread's copy of the shard commands' properties (src/commands/shard-props.ts) is their declarations' (GOLDEN_UPDATE=1 rewrites it)", () => {
    const rows = (ds: readonly { name: string; keys: number; x: number; timeoutArg: number }[]) => ds.map((d) => [d.name, d.keys, d.x, d.timeoutArg]);
    const want = rows(SHARD_COMMANDS);
    if (process.env.GOLDEN_UPDATE === '1') {
      const file = path.join(ROOT, 'src/commands/shard-props.ts');
      const text = fs.readFileSync(file, 'utf8');
      const body = want.map((r) => '  ' + JSON.stringify(r).replace(/"/g, "'").replace(/,/g, ', ') + ',').join('\n');
      fs.writeFileSync(file, text.replace(/(\/\/ ROWS BEGIN\n)[\s\S]*?(\/\/ ROWS END)/, `$1${body}\n$2`));
      return;
    }
    expect(rows(SHARD_PROPS)).toEqual(want);
    for (const d of SHARD_PROPS) expect(d.route, d.name).toBe(Route.Shard);
  });

  it('no command is declared by two handlers', () => {
    const names = [...SHARD_COMMANDS, ...MAIN_COMMANDS].map((d) => d.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    const h = () => {};
    expect(() => propsByName([...mainCommands({ ping: h }), ...shardCommands({ ping: h })])).toThrow(/declared twice/);
  });

  it('a handler for a command Redis 7.0 does not have is refused (CLIENT SETINFO is Redis 7.2)', () => {
    expect(table.get('client|setinfo')).toBeUndefined();
    expect(() => new CommandTable(propsByName(mainCommands({ 'client|setinfo': () => {} })))).toThrow(/no row/);
  });

  it('shard commands find their keys by key specs; main-thread ones declare None or All', () => {
    for (const cmd of table.byId) {
      if (cmd.route === Route.Shard) expect(cmd.keys, cmd.name).toBe(Keys.Spec);
      else expect([Keys.None, Keys.All], cmd.name).toContain(cmd.keys);
    }
  });

  it('blocking shard commands declare where their timeout is', () => {
    for (const cmd of table.byId) {
      // XREAD/XREADGROUP take BLOCK <ms> as an option, not a positional timeout
      if (cmd.route === Route.Shard && cmd.flagNames.includes('blocking') && !cmd.name.startsWith('xread')) {
        expect(cmd.timeoutArg, cmd.name).not.toBe(0);
      }
    }
  });
});

describe('commands without a declaration over the wire', () => {
  let srv: Proc;
  beforeAll(async () => {
    srv = await startShardis({ shards: 2 });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('CLIENT SETINFO (Redis 7.2) is an unknown subcommand, as redis-server 7.0 answers', async () => {
    const r = await RawClient.connect(srv.port);
    r.send('CLIENT', 'SETINFO', 'lib-name', 'x');
    expect(await r.readRaw()).toBe("-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n");
    r.send('PING');
    expect(await r.readRaw()).toBe('+PONG\r\n');
    r.socket.destroy();
  });
});
