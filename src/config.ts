import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sslModes, type SslMode, type UpstreamTarget } from '../proxy/upstream.js';
import { logLevels, type LogLevel } from './logger.js';

/** Everything `pgml-proxy start` needs, resolved from flags and the environment. */
export interface StartConfig {
  readonly listenHost: string;
  readonly listenPort: number;
  /** null: start the embedded PostgreSQL in `dataDir`. */
  readonly upstreamUrl: string | null;
  readonly dataDir: string;
  readonly tlsCertFile: string | null;
  readonly tlsKeyFile: string | null;
  readonly maxMessageSize: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: LogLevel;
}

/** A user mistake in flags or environment: printed without a stack trace, exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Flags = Readonly<Record<string, string | boolean | undefined>>;

/** PostgreSQL's own limit for one message (PQ_LARGE_MESSAGE_LIMIT: MaxAllocSize - 1). */
export const DEFAULT_MAX_MESSAGE_SIZE = 0x3fffffff - 1;

export function resolveStartConfig(flags: Flags, env: NodeJS.ProcessEnv): StartConfig {
  const text = (flag: string, ...vars: string[]): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    for (const name of vars) if (env[name]) return env[name];
    return undefined;
  };
  const [listenHost, listenPort] = parseListen(text('listen', 'PGML_LISTEN') ?? '127.0.0.1:6432');
  const logLevel = text('log-level', 'PGML_LOG_LEVEL') ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError(`--log-level must be one of ${logLevels.join(', ')}`);
  const tlsCertFile = text('tls-cert', 'PGML_TLS_CERT') ?? null;
  const tlsKeyFile = text('tls-key', 'PGML_TLS_KEY') ?? null;
  if ((tlsCertFile === null) !== (tlsKeyFile === null)) throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  return {
    listenHost,
    listenPort,
    upstreamUrl: text('upstream', 'PGML_UPSTREAM', 'DATABASE_URL') ?? null,
    dataDir: path.resolve(text('data-dir', 'PGML_DATA_DIR') ?? '.pgml-proxy'),
    tlsCertFile,
    tlsKeyFile,
    maxMessageSize: positiveInteger('max-message-size', text('max-message-size', 'PGML_MAX_MESSAGE_SIZE') ?? String(DEFAULT_MAX_MESSAGE_SIZE)),
    shutdownGraceMs: 1000 * positiveInteger('shutdown-grace', text('shutdown-grace', 'PGML_SHUTDOWN_GRACE') ?? '10', true),
    logLevel,
  };
}

function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value);
}

function parseListen(value: string): [string, number] {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ConfigError(`--listen must be HOST:PORT (e.g. 127.0.0.1:6432 or 0.0.0.0:6432), got ${JSON.stringify(value)}`);
  return [match[1] ?? (match[2] || '0.0.0.0'), port];
}

function positiveInteger(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) throw new ConfigError(`--${flag} must be a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The upstream's address and TLS settings from a libpq-style URL
 * (postgresql://user:pass@host:port/db?sslmode=verify-full&sslrootcert=ca.pem).
 * User, password and database are the clients' own: they come in each startup packet.
 */
export function upstreamTarget(url: string): UpstreamTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`the upstream must be a postgresql:// URL, got ${JSON.stringify(redactUrl(url))}`);
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new ConfigError(`the upstream URL must start with postgresql://, got ${parsed.protocol}//`);
  }
  const query = parsed.searchParams;
  const mode = query.get('sslmode') ?? 'prefer';
  if (!(sslModes as readonly string[]).includes(mode)) throw new ConfigError(`sslmode must be one of ${sslModes.join(', ')}, got ${mode}`);
  const file = (name: string): Buffer | undefined => {
    const value = query.get(name);
    if (value === null) return undefined;
    try {
      return readFileSync(value);
    } catch (error) {
      throw new ConfigError(`cannot read ${name} ${value}: ${(error as Error).message}`);
    }
  };
  const host = query.get('host') ?? decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ''));
  const port = Number(query.get('port') ?? (parsed.port || 5432));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`the upstream port must be 1-65535, got ${String(query.get('port'))}`);
  // libpq: connect_timeout 0 (or less) waits forever.
  const timeout = Number(query.get('connect_timeout') ?? 10);
  if (Number.isNaN(timeout)) throw new ConfigError(`connect_timeout must be a number of seconds, got ${String(query.get('connect_timeout'))}`);
  return {
    host: host === '' ? 'localhost' : host,
    port,
    tls: { mode: mode as SslMode, ca: file('sslrootcert'), cert: file('sslcert'), key: file('sslkey') },
    connectTimeoutMs: Math.max(0, 1000 * timeout),
  };
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
