import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { queryText, queryValue } from './sql.js';

/** A pgml.snapshots row: where training data came from and how it was split. */
export interface Snapshot {
  readonly id: bigint;
  readonly relationName: string;
  readonly yColumnName: string | null;
  readonly testSize: number;
  readonly testSampling: string;
  /** The table holding a copy of the rows (`pgml.snapshot_<id>`), when materialized. */
  readonly materializedTable: string | null;
}

export interface NewSnapshot {
  readonly relationName: string;
  readonly yColumnName: string;
  readonly testSize: number;
  readonly testSampling: string;
  readonly columns: JsonValue;
  readonly analysis: JsonValue;
}

export async function insertSnapshot(upstream: UpstreamQueries, snapshot: NewSnapshot): Promise<bigint> {
  const id = await queryValue(
    upstream,
    `INSERT INTO pgml.snapshots (relation_name, y_column_name, test_size, test_sampling, status, columns, analysis, materialized)
     VALUES ($1::text, ARRAY[$2::text], $3::real, $4::text::pgml.sampling, 'successful', $5::jsonb, $6::jsonb, false) RETURNING id`,
    [snapshot.relationName, snapshot.yColumnName, String(snapshot.testSize), snapshot.testSampling, JSON.stringify(snapshot.columns), JSON.stringify(snapshot.analysis)],
  );
  return BigInt(id);
}

/** The name of a snapshot's copy: PostgresML's `pgml.snapshot_<id>`. */
export function snapshotTable(id: bigint): string {
  return `pgml.snapshot_${id}`;
}

/** Copies the rows `select` returns into the snapshot's own table, and records that it did. */
export async function materializeSnapshot(upstream: UpstreamQueries, id: bigint, select: string): Promise<string> {
  const table = snapshotTable(id);
  await upstream.query(`CREATE TABLE ${table} AS ${select}`);
  await upstream.query('UPDATE pgml.snapshots SET materialized = true WHERE id = $1::bigint', { parameters: text([String(id)]) });
  return table;
}

/** The snapshot of the project's most recent model: what `relation_name => NULL` trains on again. */
export async function lastSnapshot(upstream: UpstreamQueries, projectId: bigint): Promise<Snapshot | null> {
  const [row] = await queryText(
    upstream,
    `SELECT s.id, s.relation_name, s.y_column_name[1], s.test_size::float8::text, s.test_sampling::text, s.materialized
       FROM pgml.snapshots s JOIN pgml.models m ON m.snapshot_id = s.id
      WHERE m.project_id = $1::bigint ORDER BY m.created_at DESC, m.id DESC LIMIT 1`,
    [String(projectId)],
  );
  if (row === undefined) return null;
  const id = BigInt(row[0] ?? '0');
  return {
    id,
    relationName: row[1] ?? '',
    yColumnName: row[2] ?? null,
    testSize: Number(row[3]),
    testSampling: row[4] ?? 'stratified',
    materializedTable: row[5] === 't' ? snapshotTable(id) : null,
  };
}

function text(values: readonly string[]): { formats: number[]; values: Buffer[] } {
  return { formats: [], values: values.map((v) => Buffer.from(v, 'utf8')) };
}
