import pg from 'pg';
import { silentLogger, type Logger } from '../../proxy/log.js';
import { redactUrl, upstreamClientConfigs } from '../config.js';
import { pgmlObjectNames } from './migrations/001-schema.js';
import { syncFunctions } from './migrations/functions.js';
import { migrations, type Migration } from './migrations/index.js';
import type { SqlFunction } from './sql-function.js';

export interface MigrateOptions {
  /** The generated `pgml.*` stubs and `pgml_proxy.*` companions (sqlFunctions()). */
  readonly functions: readonly SqlFunction[];
  readonly log?: Logger;
}

export interface MigrateResult {
  /** Versions applied by this run, in order; empty when the schema was already current. */
  readonly applied: readonly number[];
  /** Whether the generated functions were (re)installed. */
  readonly functionsChanged: boolean;
}

/**
 * Key of the transaction-scoped advisory lock that serialises migrations: the first 8 bytes of
 * sha256('pgml-proxy migrate'), so it is unlikely to collide with an application's own keys.
 */
const LOCK_KEY = '2239218731315283809';

/**
 * Brings the `pgml` schema of the connected database up to date: the versioned migrations above the
 * highest recorded one, then the generated functions when their checksum changed. All of it is one
 * transaction under an advisory lock, so proxies starting together are safe (the later ones wait,
 * then find nothing to do) and a failure leaves the database as it was. `client` must not be in a
 * transaction.
 */
export async function migrate(client: pg.ClientBase, options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? silentLogger;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCK_KEY]);
    await refuseForeignSchema(client);
    const applied: number[] = [];
    for (const migration of await pendingMigrations(client)) {
      await applyMigration(client, migration);
      applied.push(migration.version);
      log.info('migrate.applied', { version: migration.version, name: migration.name });
    }
    const functionsChanged = await syncFunctions(client, options.functions, log);
    await client.query('COMMIT');
    log.info('migrate.done', { applied, functions_changed: functionsChanged });
    return { applied, functionsChanged };
  } catch (error) {
    // The connection may be gone; the transaction then ends with it.
    await client.query('ROLLBACK').catch(() => undefined);
    throw withHint(error);
  }
}

/** Connects to `url` (a libpq-style URL, sslmode honoured), migrates, and disconnects. */
export async function migrateUrl(url: string, options: MigrateOptions): Promise<MigrateResult> {
  const client = await connect(url);
  try {
    return await migrate(client, options);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function connect(url: string): Promise<pg.Client> {
  let failure: unknown;
  // More than one config for sslmode=prefer/allow: pg has no fallback of its own.
  for (const config of upstreamClientConfigs(url)) {
    const client = new pg.Client({ ...config, application_name: 'pgml-proxy migrate' });
    // Without a listener, a server that goes away between queries would crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      failure = error;
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`cannot connect to ${redactUrl(url)}: ${messageOf(failure)}`, { cause: failure });
}

/**
 * Refuses databases where a `pgml` schema belongs to someone else: the real PostgresML extension,
 * or a `pgml` schema holding one of our tables, views or types without our bookkeeping table. A
 * `pgml` schema with other things only (e.g. datasets a user loaded) is shared, as PostgresML does.
 */
async function refuseForeignSchema(client: pg.ClientBase): Promise<void> {
  const extension = await client.query<{ extversion: string }>("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pgml'");
  const version = extension.rows[0]?.extversion;
  if (version !== undefined) {
    throw new Error(
      `this database has the PostgresML extension installed (pgml ${version}), which owns the pgml schema; ` +
        'point pgml-proxy at a database without it, or remove it first with DROP EXTENSION pgml CASCADE (this deletes its projects and models)',
    );
  }
  const ours = await client.query<{ ours: boolean }>("SELECT to_regclass('pgml_proxy.migrations') IS NOT NULL AS ours");
  if (ours.rows[0]?.ours === true) return;
  const found = await client.query<{ name: string }>(
    `SELECT typname::text AS name FROM pg_catalog.pg_type
      WHERE typnamespace = to_regnamespace('pgml') AND typname = ANY($1::text[])
      ORDER BY 1`,
    [pgmlObjectNames],
  );
  if (found.rows.length > 0) {
    const names = found.rows.map((row) => `pgml.${row.name}`).join(', ');
    throw new Error(
      `this database already has a pgml schema that pgml-proxy did not create (it holds ${names} but no pgml_proxy.migrations); ` +
        'rename it (ALTER SCHEMA pgml RENAME TO pgml_old) or drop it, or point pgml-proxy at another database',
    );
  }
}

async function pendingMigrations(client: pg.ClientBase): Promise<readonly Migration[]> {
  // Before version 1 the bookkeeping table does not exist yet: nothing is applied.
  const exists = await client.query<{ exists: boolean }>("SELECT to_regclass('pgml_proxy.migrations') IS NOT NULL AS exists");
  let highest = 0;
  if (exists.rows[0]?.exists === true) {
    const result = await client.query<{ highest: number | null }>('SELECT max(version) AS highest FROM pgml_proxy.migrations');
    highest = result.rows[0]?.highest ?? 0;
  }
  return migrations.filter((migration) => migration.version > highest).sort((a, b) => a.version - b.version);
}

async function applyMigration(client: pg.ClientBase, migration: Migration): Promise<void> {
  try {
    await client.query(migration.sql);
    await client.query('INSERT INTO pgml_proxy.migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
  } catch (error) {
    throw new Error(`migration ${migration.version} (${migration.name}) failed: ${messageOf(error)}`, { cause: error });
  }
}

/** Adds what to do to errors whose cause the user can fix by connecting differently. */
function withHint(error: unknown): Error {
  const wrapped = error instanceof Error ? error : new Error(String(error));
  const cause = wrapped.cause instanceof pg.DatabaseError ? wrapped.cause : wrapped;
  if (cause instanceof pg.DatabaseError && cause.code === '42501') {
    return new Error(
      `${wrapped.message}; migrate as a user that may create schemas and functions in this database (its owner or a superuser), ` +
        'e.g. pgml-proxy migrate --upstream postgresql://owner@host/db',
      { cause: error },
    );
  }
  return wrapped;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, '; ');
}
