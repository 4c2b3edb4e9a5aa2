import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type pg from 'pg';
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
  /**
   * Do not install or update the pgml schema at start (--skip-migrate, PGML_SKIP_MIGRATE=1): for
   * upstream URLs without the rights to, when `pgml-proxy migrate` is run separately.
   * Absent means migrate, so hand-built configs keep the safe default.
   */
  readonly skipMigrate?: boolean;
}

/** Everything `pgml-proxy migrate` needs. */
export interface MigrateConfig {
  /** null: migrate the embedded PostgreSQL in `dataDir` (started and stopped for it). */
  readonly upstreamUrl: string | null;
  readonly dataDir: string;
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
  const text = flagOrEnv(flags, env);
  const [listenHost, listenPort] = parseListen(text('listen', 'PGML_LISTEN') ?? '127.0.0.1:6432');
  const { upstreamUrl, dataDir, logLevel } = resolveMigrateConfig(flags, env);
  const tlsCertFile = text('tls-cert', 'PGML_TLS_CERT') ?? null;
  const tlsKeyFile = text('tls-key', 'PGML_TLS_KEY') ?? null;
  if ((tlsCertFile === null) !== (tlsKeyFile === null)) throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  return {
    listenHost,
    listenPort,
    upstreamUrl,
    dataDir,
    tlsCertFile,
    tlsKeyFile,
    maxMessageSize: positiveInteger('max-message-size', text('max-message-size', 'PGML_MAX_MESSAGE_SIZE') ?? String(DEFAULT_MAX_MESSAGE_SIZE)),
    shutdownGraceMs: 1000 * positiveInteger('shutdown-grace', text('shutdown-grace', 'PGML_SHUTDOWN_GRACE') ?? '10', true),
    logLevel,
    ...(flags['skip-migrate'] === true || /^(1|true|yes|on)$/i.test(env.PGML_SKIP_MIGRATE ?? '') ? { skipMigrate: true } : {}),
  };
}

/** The upstream, data folder and log level, resolved exactly as for `start`. */
export function resolveMigrateConfig(flags: Flags, env: NodeJS.ProcessEnv): MigrateConfig {
  const text = flagOrEnv(flags, env);
  const logLevel = text('log-level', 'PGML_LOG_LEVEL') ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError(`--log-level must be one of ${logLevels.join(', ')}`);
  return {
    upstreamUrl: text('upstream', 'PGML_UPSTREAM', 'DATABASE_URL') ?? null,
    dataDir: path.resolve(text('data-dir', 'PGML_DATA_DIR') ?? '.pgml-proxy'),
    logLevel,
  };
}

/** A flag's value, else the first non-empty environment variable of `vars`. */
function flagOrEnv(flags: Flags, env: NodeJS.ProcessEnv): (flag: string, ...vars: string[]) => string | undefined {
  return (flag, ...vars) => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    for (const name of vars) if (env[name]) return env[name];
    return undefined;
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

/**
 * node-postgres settings for the proxy's own connections to the upstream (migrations), from the
 * same libpq URL. User, password and database come from the URL, else pg's PGUSER/PGPASSWORD/
 * ~/.pgpass defaults. pg has no libpq-style fallback, so sslmode=prefer gives two settings to try
 * in order (TLS, then plaintext) and allow the reverse.
 */
export function upstreamClientConfigs(url: string): pg.ClientConfig[] {
  const target = upstreamTarget(url);
  const parsed = new URL(url);
  const query = parsed.searchParams;
  const part = (value: string): string | undefined => (value === '' ? undefined : decodeURIComponent(value));
  const base: pg.ClientConfig = {
    host: target.host,
    port: target.port,
    user: query.get('user') ?? part(parsed.username),
    password: query.get('password') ?? part(parsed.password),
    database: query.get('dbname') ?? part(parsed.pathname.slice(1)),
    connectionTimeoutMillis: target.connectTimeoutMs,
  };
  const { mode, ca, cert, key } = target.tls;
  const files: ConnectionOptions = { ca, cert, key };
  // libpq: prefer/allow/require do not verify the server (require with a root cert acts as verify-ca).
  const unverified: ConnectionOptions = { ...files, rejectUnauthorized: false };
  const verifyCa: ConnectionOptions = { ...files, checkServerIdentity: () => undefined };
  if (mode === 'disable' || target.host.startsWith('/')) return [{ ...base, ssl: false }];
  if (mode === 'allow') return [{ ...base, ssl: false }, { ...base, ssl: unverified }];
  if (mode === 'prefer') return [{ ...base, ssl: unverified }, { ...base, ssl: false }];
  if (mode === 'require') return [{ ...base, ssl: ca === undefined ? unverified : verifyCa }];
  if (mode === 'verify-ca') return [{ ...base, ssl: verifyCa }];
  return [{ ...base, ssl: files }];
}
