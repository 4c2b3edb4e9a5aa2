#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, resolveMigrateConfig, resolveStartConfig } from './config.js';
import { jsonLogger } from './logger.js';
import { runMigrateCommand } from './migrate-command.js';
import { startProxy } from './start.js';
import { proxyVersion } from './version.js';

const HELP = `pgml-proxy — PostgresML's SQL API on any PostgreSQL, as a wire-protocol proxy

Usage:
  pgml-proxy start [options]     run the proxy (and a private PostgreSQL if no upstream is given)
  pgml-proxy migrate [options]   install or update the pgml schema in the upstream, then exit
  pgml-proxy --help              this text
  pgml-proxy --version           the version

Clients (psql, drivers, Grafana) connect to the proxy exactly as to PostgreSQL. Everything is
relayed to the upstream PostgreSQL; authentication is the upstream's own (trust, md5, SCRAM),
the proxy holds no passwords.

Options for start:
  --listen HOST:PORT       where clients connect (default 127.0.0.1:6432; env PGML_LISTEN).
                           Use 0.0.0.0:6432 to accept connections from other machines.
  --upstream URL           the PostgreSQL to front, as a libpq URL, e.g.
                           postgresql://db.example.com:5432/app?sslmode=verify-full&sslrootcert=ca.pem
                           (env PGML_UPSTREAM or DATABASE_URL). TLS to the upstream follows sslmode:
                           disable, allow, prefer (default), require, verify-ca, verify-full;
                           sslrootcert, sslcert, sslkey and connect_timeout are honoured.
                           Without an upstream, a private PostgreSQL is started in --data-dir.
  --data-dir DIR           folder of the private PostgreSQL (default ./.pgml-proxy; env PGML_DATA_DIR).
                           Created on first start, reused afterwards; its superuser password is in
                           DIR/credentials.json.
  --tls-cert FILE          PEM certificate (chain) offered to clients that ask for TLS
  --tls-key FILE           its private key (env PGML_TLS_CERT / PGML_TLS_KEY). Without them,
                           clients asking for TLS are told the server has none (sslmode=prefer falls
                           back to plaintext; sslmode=require fails).
  --max-message-size N     largest client message in bytes (default 1073741822, PostgreSQL's own
                           limit); a larger length header ends the session with FATAL 08P01.
  --shutdown-grace S       on SIGINT/SIGTERM, seconds open transactions may take to finish (default 10)
  --log-level LEVEL        debug, info (default), warn, error or silent (env PGML_LOG_LEVEL).
                           Logs are JSON lines on stderr, one per event, with a session id.
  --skip-migrate           do not install or update the pgml schema at start (env PGML_SKIP_MIGRATE=1);
                           for upstream URLs without the rights to, with pgml-proxy migrate run apart.

Before listening, start installs or updates PostgresML's pgml schema (tables, views, types and
the pgml.* functions) in the upstream database, as pgml-proxy migrate does.

Options for migrate: --upstream URL, --data-dir DIR and --log-level LEVEL, found as for start.
  The upstream URL's user must be allowed to create schemas (the database owner or a superuser).
  Without an upstream, the private PostgreSQL in --data-dir is started, migrated and stopped.
  Safe to run any number of times, also while proxies run: it applies only what is missing.

When ready, start prints one line on stdout with the URL to connect to:
  pgml-proxy ready: postgresql://postgres:...@127.0.0.1:6432/postgres
Try it with:  psql "<that URL>"

Exit codes: 0 after a clean shutdown (or a done migrate), 1 on a failure at start (or in migrate),
2 on a usage error.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      listen: { type: 'string' },
      upstream: { type: 'string' },
      'data-dir': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'max-message-size': { type: 'string' },
      'shutdown-grace': { type: 'string' },
      'log-level': { type: 'string' },
      'skip-migrate': { type: 'boolean' },
    },
  });
  if (values.version === true) {
    process.stdout.write(`pgml-proxy ${proxyVersion()}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help === true || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'migrate') {
    const config = resolveMigrateConfig(values, process.env);
    process.stdout.write(`${await runMigrateCommand(config, jsonLogger(config.logLevel))}\n`);
    return 0;
  }
  if (command !== 'start') throw new ConfigError(`unknown command ${JSON.stringify(command)}; try pgml-proxy --help`);
  const config = resolveStartConfig(values, process.env);
  const log = jsonLogger(config.logLevel);
  const proxy = await startProxy(config, log);
  // Signal handlers before the ready line: whoever reads that line may signal at once.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info('signal', { signal });
      process.off('SIGINT', stop).off('SIGTERM', stop);
      proxy.stop().then(resolve, (error: unknown) => {
        log.error('shutdown.failed', { error: String(error) });
        resolve();
      });
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
  process.stdout.write(`pgml-proxy ready: ${proxy.clientUrl}\n`);
  await stopped;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof ConfigError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    process.stderr.write(`pgml-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(usage ? 2 : 1);
  },
);
