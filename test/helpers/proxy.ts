import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { after, before } from 'node:test';
import type { Interceptor } from '../../proxy/interceptor.js';
import { ProxyServer } from '../../proxy/server.js';
import type { UpstreamTls } from '../../proxy/upstream.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../../src/config.js';
import { jsonLogger } from '../../src/logger.js';
import { fixturePath } from './paths.js';
import { startTestPostgres, type TestPostgres } from './postgres.js';

export interface TestProxyOptions {
  readonly upstreamPort: number;
  readonly upstreamHost?: string;
  readonly upstreamTls?: UpstreamTls;
  /** Offer TLS to clients with the fixture certificate. */
  readonly tls?: boolean;
  readonly maxMessageSize?: number;
  readonly interceptor?: Interceptor;
}

export interface TestProxy extends AsyncDisposable {
  readonly server: ProxyServer;
  readonly port: number;
  /** Log lines (JSON) the proxy wrote, for assertions. */
  readonly logs: string[];
  /** libpq URL through the proxy. */
  url(user?: string, password?: string, database?: string, params?: string): string;
  close(): Promise<void>;
}

/** A real proxy on a free loopback port, in this process, in front of a test PostgreSQL. */
export async function startTestProxy(options: TestProxyOptions): Promise<TestProxy> {
  const logs: string[] = [];
  const server = new ProxyServer({
    host: '127.0.0.1',
    port: 0,
    upstream: {
      host: options.upstreamHost ?? '127.0.0.1',
      port: options.upstreamPort,
      tls: options.upstreamTls ?? { mode: 'disable' },
      connectTimeoutMs: 5000,
    },
    tlsContext:
      options.tls === true
        ? tls.createSecureContext({ cert: readFileSync(fixturePath('tls', 'server.crt')), key: readFileSync(fixturePath('tls', 'server.key')) })
        : null,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    interceptor: options.interceptor ?? null,
    log: jsonLogger(process.env.PGML_TEST_LOG === '1' ? 'debug' : 'info', (line) => {
      logs.push(line);
      if (process.env.PGML_TEST_LOG === '1') process.stderr.write(line);
    }),
  });
  const { port } = await server.listen();
  const close = (): Promise<void> => server.shutdown(0);
  return {
    server,
    port,
    logs,
    url: (user = 'postgres', password = '', database = 'postgres', params = 'sslmode=disable') =>
      `postgresql://${user}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${database}?${params}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Registers before/after hooks for the usual stack of a test file: a fresh PostgreSQL and a proxy
 * in front of it, handed to `ready` once both run, closed proxy-first after the file.
 */
export function proxiedPostgres(ready: (upstream: TestPostgres, proxy: TestProxy) => void | Promise<void>): void {
  let stack: { upstream: TestPostgres; proxy: TestProxy } | null = null;
  before(async () => {
    const upstream = await startTestPostgres();
    stack = { upstream, proxy: await startTestProxy({ upstreamPort: upstream.port }) };
    await ready(stack.upstream, stack.proxy);
  });
  after(async () => {
    await stack?.proxy.close();
    await stack?.upstream.stop();
  });
}
