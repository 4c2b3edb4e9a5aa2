import { ProxyError } from '../../proxy/errors.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import type { DataFile } from './data-file.js';
import type { DatasetColumn } from './parquet-columns.js';
import { quoteIdent } from '../sql/identifiers.js';
import { queryText } from '../store/sql.js';

export interface LoadTarget {
  /** Table name in schema pgml, unquoted (slashes kept: `FiscalNote/billsum`). */
  readonly table: string;
  readonly columns: readonly DatasetColumn[];
  /** Files in load order (splits concatenated), each with how many of its rows to load. */
  readonly files: readonly { readonly file: DataFile; readonly rows: number }[];
}

export interface LoadProgress {
  (message: string): void;
}

/** PostgreSQL truncates longer identifiers silently; a dataset name must not be cut. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Fills `pgml."<table>"` with the files' rows through COPY on the caller's session. Runs inside
 * the caller's transaction: a failure leaves the previous table exactly as it was. A table of the
 * same columns is emptied and refilled (views over it keep working); another one is replaced.
 */
export async function loadTable(upstream: UpstreamQueries, target: LoadTarget, progress: LoadProgress, signal: AbortSignal): Promise<number> {
  if (Buffer.byteLength(target.table) > MAX_IDENTIFIER_BYTES) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '42622',
      message: `the table name "${target.table}" is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit`,
      hint: `Name the table with kwargs => '{"table": "short_name"}'.`,
    });
  }
  const qualified = `pgml.${quoteIdent(target.table)}`;
  await prepareTable(upstream, target, qualified);
  const total = target.files.reduce((sum, f) => sum + f.rows, 0);
  const columnList = target.columns.map((c) => quoteIdent(c.name)).join(', ');
  const started = Date.now();
  let loaded = 0;
  let reported = started;
  for (const { file, rows } of target.files) {
    const chunks = file.copyChunks(rows, (n) => {
      loaded += n;
      const now = Date.now();
      if (now - reported >= 2000) {
        reported = now;
        progress(`loading ${qualified}: ${loaded} of ${total} rows (${Math.round((loaded * 1000) / (now - started))} rows/s)`);
      }
    });
    signal.throwIfAborted();
    await upstream.copyIn(`COPY ${qualified} (${columnList}) FROM STDIN`, abortable(chunks, signal));
  }
  return loaded;
}

async function prepareTable(upstream: UpstreamQueries, target: LoadTarget, qualified: string): Promise<void> {
  const existing = await queryText(
    upstream,
    `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
       FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [qualified],
  );
  const wanted = target.columns.map((c) => [c.name, c.sqlType]);
  if (existing.length > 0 && JSON.stringify(existing) === JSON.stringify(wanted)) {
    await upstream.query(`TRUNCATE ${qualified}`);
    return;
  }
  // Without CASCADE: a view over the old table stops the load with PostgreSQL's own error.
  if (existing.length > 0) await upstream.query(`DROP TABLE ${qualified}`);
  await upstream.query(`CREATE TABLE ${qualified} (${target.columns.map((c) => `${quoteIdent(c.name)} ${c.sqlType}`).join(', ')})`);
}

async function* abortable(chunks: AsyncIterable<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    signal.throwIfAborted();
    yield chunk;
  }
}
