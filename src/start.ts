import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Logger } from '../proxy/log.js';
import { ProxyServer } from '../proxy/server.js';
import { ConfigError, redactUrl, upstreamTarget, type StartConfig } from './config.js';
import type { PostgresCluster } from './embedded/cluster.js';
import { startEmbeddedPostgres } from './embedded/default-upstream.js';

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
    const server = new ProxyServer({
      host: config.listenHost,
      port: config.listenPort,
      upstream: target,
      tlsContext: loadTls(config),
      maxMessageSize: config.maxMessageSize,
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
        await cluster?.stop();
      },
    };
  } catch (error) {
    await cluster?.stop();
    throw error;
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
