import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Logger } from '../proxy/log.js';
import { ProxyServer } from '../proxy/server.js';
import { ConfigError, redactUrl, upstreamTarget, type StartConfig } from './config.js';
import type { PostgresCluster } from './embedded/cluster.js';
import { startEmbeddedPostgres } from './embedded/default-upstream.js';
import { startRuntime } from '../engine/runtime/index.js';
import { Hub, hubOptionsFromEnv } from '../engine/hub/index.js';
import { PgmlInterceptor } from './pgml/interceptor.js';
import { sqlFunctions } from './pgml/sql-functions.js';
import { loadSqlParser } from './sql/find-calls.js';
import { proxyVersion } from './version.js';
import { migrateUrl } from './store/migrate.js';
import { DeployedModels } from './serving/deployed-models.js';
import { DeploymentListener } from './serving/deployment-listener.js';
import { EngineHost } from './serving/engine-host.js';

export interface RunningProxy {
  /** The URL clients should connect to. */
  readonly clientUrl: string;
  readonly server: ProxyServer;
  /** Graceful stop: proxy first (sessions finish briefly), then the embedded PostgreSQL. */
  stop(): Promise<void>;
}

/** Starts the proxy (and the embedded PostgreSQL when no upstream is configured). */
export async function startProxy(config: StartConfig, log: Logger): Promise<RunningProxy> {
  let cluster: PostgresCluster | null = null;
  let upstreamUrl = config.upstreamUrl;
  let clientUser = '';
  let stopEngine = (): Promise<void> => Promise.resolve();
  if (upstreamUrl === null) {
    const embedded = await startEmbeddedPostgres(config.dataDir, log);
    cluster = embedded.cluster;
    // Loopback to our own child process: TLS would only cost time.
    upstreamUrl = `${embedded.cluster.url}?sslmode=disable`;
    clientUser = `${embedded.credentials.superuser}:${encodeURIComponent(embedded.credentials.password)}@`;
  } else {
    const parsed = new URL(upstreamUrl);
    clientUser = parsed.username ? `${parsed.username}@` : '';
  }
  try {
    const target = upstreamTarget(upstreamUrl);
    // Before listening: a client's first pgml call must find the schema and functions in place.
    if (config.skipMigrate === true) log.info('migrate.skipped');
    else await migrateAtStart(upstreamUrl, log);
    await loadSqlParser();
    // The engine's TF.js runtime: best backend installed (or PGML_BACKEND) with its kernel fixes.
    const { backend } = await startRuntime({ log: (event, fields) => log.info(event, fields) });
    const hub = new Hub(hubOptionsFromEnv());
    const engine = new EngineHost();
    const deployments = new DeployedModels();
    // Its own connection (the upstream URL's user): deployments made anywhere reach this cache.
    const listener = new DeploymentListener(upstreamUrl, deployments, log);
    listener.start();
    stopEngine = async () => {
      await listener.stop();
      await engine.close();
    };
    const interceptor = new PgmlInterceptor({ proxyVersion: proxyVersion(), engineBackend: () => backend, hub: () => hub, engine, deployments });
    const server = new ProxyServer({
      host: config.listenHost,
      port: config.listenPort,
      upstream: target,
      tlsContext: loadTls(config),
      maxMessageSize: config.maxMessageSize,
      interceptor,
      log,
    });
    const address = await server.listen();
    const database = new URL(upstreamUrl).pathname.slice(1) || 'postgres';
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const clientUrl = `postgresql://${clientUser}${host}:${address.port}/${database}`;
    log.info('proxy.ready', { url: redactUrl(clientUrl), upstream: redactUrl(upstreamUrl) });
    return {
      clientUrl,
      server,
      stop: async () => {
        await server.shutdown(config.shutdownGraceMs);
        await stopEngine();
        await cluster?.stop();
      },
    };
  } catch (error) {
    await stopEngine();
    await cluster?.stop();
    throw error;
  }
}

async function migrateAtStart(upstreamUrl: string, log: Logger): Promise<void> {
  try {
    await migrateUrl(upstreamUrl, { functions: sqlFunctions(), log });
  } catch (error) {
    throw new Error(
      `cannot install the pgml schema in the upstream: ${(error as Error).message} ` +
        '(when the schema is managed separately with pgml-proxy migrate, start with --skip-migrate)',
      { cause: error },
    );
  }
}

function loadTls(config: StartConfig): tls.SecureContext | null {
  if (config.tlsCertFile === null || config.tlsKeyFile === null) return null;
  try {
    return tls.createSecureContext({ cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) });
  } catch (error) {
    throw new ConfigError(`cannot load the TLS certificate: ${(error as Error).message}`);
  }
}
