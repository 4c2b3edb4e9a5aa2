import { decodeDataRow } from '../../proxy/protocol/extended.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';

/** Runs a statement on the caller's session and returns its rows as text values. */
export async function queryText(upstream: UpstreamQueries, sql: string, values: readonly (string | null)[] = []): Promise<(string | null)[][]> {
  const output = await upstream.query(sql, {
    parameters: { formats: [], values: values.map((v) => (v === null ? null : Buffer.from(v, 'utf8'))) },
  });
  return output.rows.map((row) => decodeDataRow(row, 0, row.length).map((v) => (v === null ? null : v.toString('utf8'))));
}

/** The first column of the first row, which the statement must return (an INSERT ... RETURNING id). */
export async function queryValue(upstream: UpstreamQueries, sql: string, values: readonly (string | null)[] = []): Promise<string> {
  const value = (await queryText(upstream, sql, values))[0]?.[0];
  if (value === undefined || value === null) throw new Error(`pgml-proxy: no value from ${sql.split('\n')[0] ?? sql}`);
  return value;
}
