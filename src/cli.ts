/*
 * shardis command line (loaded by main.ts): `shardis [config-file] [--option value ...]`, the same syntax and option names
 * as redis-server (plus `--shards N`). Loads the configuration, starts the server, logs the startup
 * and ready lines, and stops cleanly on SIGTERM / SIGINT / SHUTDOWN.
 */

import { enableYoungGenerationHold } from './young-gen.js';
import { loadAclAtStartup } from './acl/boot.js';
import v8 from 'node:v8';
import { Config, ConfigError, REDIS_VERSION, SHARDIS_VERSION } from './config.js';
import { createLogger } from './log.js';
import { Server } from './server/server.js';
import { installIntrospection } from './server/stats/introspect.js';
import { Replication } from './replication/replication.js';
import { PubSub } from './server/pubsub.js';
import { ScriptEngine } from './scripting/eval.js';
import { Watchdog } from './server/watchdog.js';
import { Persistence } from './persistence/persistence.js';
import { functionRdbRecords, replaceFunctionLibraries } from './scripting/functions.js';
import { preloadVmModules } from './scripting/vm-modules.js';
import { loadAtStartup } from './persistence/load.js';
import { Aof } from './persistence/aof.js';
import { aofStartup } from './persistence/aof-replay.js';
import { shutdownWithSave, signalFlags } from './persistence/shutdown.js';

function usage(): void {
  process.stderr.write(
    [
      'Usage: shardis [/path/to/redis.conf] [options] [-]',
      '       shardis - (read config from stdin)',
      '       shardis -v or --version',
      '       shardis -h or --help',
      '',
      'Examples:',
      '       shardis (run the server with default config)',
      '       shardis /etc/redis/6379.conf',
      '       shardis --port 7777',
      '       shardis --port 7777 --replicaof 127.0.0.1 8888',
      '       shardis /etc/myredis.conf --loglevel verbose --shards 4',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(`shardis ${SHARDIS_VERSION} (redis ${REDIS_VERSION} compatible) v=${REDIS_VERSION} node=${process.version}\n`);
    return;
  }
  if (argv[0] === '-h' || argv[0] === '--help') {
    usage();
    return;
  }
  await preloadVmModules('main');
  let config: Config;
  try {
    config = Config.fromArgv(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + '\n');
      process.exit(1);
    }
    throw e;
  }
  // before any worker exists: the shards' isolates (which hold the data) take V8's flags at creation
  if (config.bool('optimize-for-size')) {
    v8.setFlagsFromString('--optimize-for-size');
    enableYoungGenerationHold();
  }
  const log = createLogger(config.get('loglevel'), config.get('logfile'));
  // the services are made for the server they serve, as it is built
  const server = new Server(config, log, (s) => ({ replication: new Replication(s), pubsub: new PubSub(s), persistence: Persistence.of(s), scripting: new ScriptEngine(s) }));
  const aclError = loadAclAtStartup(server);
  if (aclError !== null) {
    log.fatal(aclError);
    log.flush?.();
    process.exit(1);
  }
  const replication = server.replication;
  const watchdog = new Watchdog(config);
  server.whenConfigChanged((names) => {
    if (names.includes('watchdog-period') || names.includes('hz')) watchdog.apply();
  });
  server.closers.push(() => watchdog.stop());
  server.onExit = (code) => {
    log.flush?.();
    process.exit(code);
  };
  log.info(
    { version: SHARDIS_VERSION, redis_version: REDIS_VERSION, port: config.int('port'), shards: config.int('shards'), pid: process.pid },
    `shardis ${SHARDIS_VERSION} (Redis ${REDIS_VERSION} compatible) starting: port=${config.int('port')} shards=${config.int('shards')} pid=${process.pid}`,
  );
  // installed before the ready line, so a SIGTERM right after it still shuts down cleanly
  let started = false;
  let stopping = false;
  const stop = (signal: 'SIGTERM' | 'SIGINT'): void => {
    if (!started) process.exit(0);
    if (stopping) return;
    stopping = true;
    log.warn(`Received ${signal} scheduling shutdown...`);
    // with save points set (or shutdown-on-sig* save), the data is saved first, as Redis
    const flags = signalFlags(config.get(signal === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint'));
    void shutdownWithSave(server, flags).then((ok) => {
      stopping = false;
      if (!ok) log.warn(`${signal} received but errors trying to shut down the server, check the logs for more information`);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await server.start();
    installIntrospection(server);
    started = true;
    server.persistence.functions = {
      records: () => functionRdbRecords(server),
      replace: (codes) => replaceFunctionLibraries(server, codes),
    };
    Aof.of(server);
    if (!(await (config.bool('appendonly') ? aofStartup(server) : loadAtStartup(server)))) {
      log.flush?.();
      process.exit(1);
    }
  } catch (e) {
    log.fatal({ err: e }, `Could not start: ${(e as Error).message}`);
    process.exit(1);
  }
  const adminPort = config.int('admin-port');
  if (adminPort > 0) {
    const host = config.get('admin-bind') || (config.get('bind').split(' ').filter(Boolean)[0]?.replace(/^-/, '') ?? '127.0.0.1');
    try {
      // loaded only when asked for: uWebSockets.js is a native addon (about 2 MB of resident memory)
      const { startAdmin } = await import('./admin/admin.js');
      const admin = await startAdmin(server, host === '*' ? '0.0.0.0' : host, adminPort, () => {
        const replica = replication.isReplica();
        const linkUp = replication.linkUp();
        const stale = replica && !linkUp;
        const ok = !server.loading && !(stale && !config.bool('replica-serve-stale-data'));
        return { ok, detail: { role: replica ? 'slave' : 'master', loading: server.loading, ...(replica ? { master_link_status: linkUp ? 'up' : 'down' } : {}) } };
      });
      server.closers.push(() => admin.close());
      log.info({ adminPort: admin.port }, `Admin endpoint on http://${host}:${admin.port} (dashboard /, /metrics /health /info /info.json /ws)`);
    } catch (e) {
      log.fatal({ err: e }, `Could not start the admin endpoint: ${(e as Error).message}`);
      process.exit(1);
    }
  }
  watchdog.apply();
  log.info({ port: server.port }, `Ready to accept connections tcp (port ${server.port})`);
  const master = config.get('replicaof');
  if (master !== '') {
    const [host, port] = master.split(' ');
    await replication.replicaOf(host!, Number(port));
  }
}

void main();
