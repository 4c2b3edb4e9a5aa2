import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../../proxy/log.js';
import type { SqlFunction } from '../sql-function.js';

/**
 * The repeatable migration: the generated `pgml.*` stubs and `pgml_proxy.*` companions. They change
 * with the function registry, not with the schema version, so they are kept in step by checksum.
 * Each installed function carries the comment `pgml-proxy generated <checksum>`; that marks it as
 * ours and tells which release installed it.
 */

const MARKER = 'pgml-proxy generated ';

/** sha256 over every signature and CREATE text, independent of the registry's order. */
export function functionsChecksum(functions: readonly SqlFunction[]): string {
  const hash = createHash('sha256');
  const sorted = [...functions].sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  // NUL separators: no two different lists hash the same text.
  for (const fn of sorted) hash.update(`${fn.signature}\0${fn.create}\0`);
  return hash.digest('hex');
}

/**
 * Installs `functions` unless the recorded checksum says they are already there, and drops the
 * functions an earlier release generated that are no longer in the list. Runs inside the
 * caller's migration transaction. Returns whether anything changed.
 */
export async function syncFunctions(client: pg.ClientBase, functions: readonly SqlFunction[], log: Logger): Promise<boolean> {
  const checksum = functionsChecksum(functions);
  const recorded = await client.query<{ checksum: string }>("SELECT checksum FROM pgml_proxy.generated WHERE name = 'functions'");
  if (recorded.rows[0]?.checksum === checksum) return false;
  for (const fn of functions) await installFunction(client, fn, checksum);
  const dropped = await dropStaleFunctions(client, checksum);
  await client.query(
    `INSERT INTO pgml_proxy.generated (name, checksum, applied_at) VALUES ('functions', $1, now())
     ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = excluded.applied_at`,
    [checksum],
  );
  log.info('migrate.functions', { installed: functions.length, dropped, checksum });
  return true;
}

async function installFunction(client: pg.ClientBase, fn: SqlFunction, checksum: string): Promise<void> {
  // A savepoint, because a failed CREATE aborts the transaction and we want to retry after a DROP.
  await client.query('SAVEPOINT pgml_proxy_function');
  try {
    await client.query(fn.create);
  } catch (error) {
    // 42P13: CREATE OR REPLACE cannot change the return type, OUT parameters, input parameter
    // names or remove defaults; only a DROP and a new CREATE can.
    if (!(error instanceof pg.DatabaseError) || error.code !== '42P13') throw functionError(`cannot create ${fn.signature}`, error);
    await client.query('ROLLBACK TO SAVEPOINT pgml_proxy_function');
    await dropFunction(client, fn.signature, 'to change its definition');
    try {
      await client.query(fn.create);
    } catch (retryError) {
      throw functionError(`cannot create ${fn.signature}`, retryError);
    }
  }
  await client.query('RELEASE SAVEPOINT pgml_proxy_function');
  try {
    await client.query(`COMMENT ON FUNCTION ${fn.signature} IS '${MARKER}${checksum}'`);
  } catch (error) {
    throw functionError(`cannot mark ${fn.signature} (does its signature match its CREATE statement?)`, error);
  }
}

/** Functions we generated earlier (marked, older checksum) that this release no longer provides. */
async function dropStaleFunctions(client: pg.ClientBase, checksum: string): Promise<string[]> {
  const stale = await client.query<{ signature: string }>(
    `SELECT p.oid::regprocedure::text AS signature
       FROM pg_catalog.pg_proc p
       JOIN pg_catalog.pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
      WHERE p.pronamespace IN (to_regnamespace('pgml'), to_regnamespace('pgml_proxy'))
        AND starts_with(d.description, $1) AND d.description <> $2
      ORDER BY 1`,
    [MARKER, MARKER + checksum],
  );
  const dropped = stale.rows.map((row) => row.signature);
  for (const signature of dropped) await dropFunction(client, signature, 'because this pgml-proxy release no longer provides it');
  return dropped;
}

/** DROP FUNCTION without CASCADE: a user's view or function that uses ours must not vanish silently. */
async function dropFunction(client: pg.ClientBase, signature: string, why: string): Promise<void> {
  try {
    await client.query(`DROP FUNCTION ${signature}`);
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code === '2BP01') {
      const dependents = oneLine(error.detail ?? error.message);
      throw new Error(
        `cannot drop ${signature} ${why}: ${dependents}. Drop or change the dependent object, run pgml-proxy migrate again, then recreate it`,
        { cause: error },
      );
    }
    throw functionError(`cannot drop ${signature}`, error);
  }
}

function functionError(what: string, error: unknown): Error {
  return new Error(`${what}: ${oneLine(error instanceof Error ? error.message : String(error))}`, { cause: error });
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ');
}
