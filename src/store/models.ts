import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { queryText, queryValue } from './sql.js';

export type ModelStatus = 'in_progress' | 'successful' | 'failed';

export interface NewModel {
  readonly projectId: bigint;
  readonly snapshotId: bigint;
  readonly hyperparams: JsonValue;
  readonly numFeatures: number;
}

/** A model row, `in_progress`, trained by the engine (algorithm transformers, as PostgresML's tune writes). */
export async function insertModel(upstream: UpstreamQueries, model: NewModel): Promise<bigint> {
  const id = await queryValue(
    upstream,
    `INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, runtime, hyperparams, status, search_params, search_args)
     VALUES ($1::bigint, $2::bigint, $3::int, 'transformers', 'python', $4::jsonb, 'in_progress', '{}', '{}') RETURNING id`,
    [String(model.projectId), String(model.snapshotId), String(model.numFeatures), JSON.stringify(model.hyperparams)],
  );
  return BigInt(id);
}

export async function setModelStatus(upstream: UpstreamQueries, id: bigint, status: ModelStatus): Promise<void> {
  await queryText(upstream, 'UPDATE pgml.models SET status = $2::text WHERE id = $1::bigint', [String(id), status]);
}

export async function completeModel(upstream: UpstreamQueries, id: bigint, metrics: Readonly<Record<string, number>>): Promise<void> {
  await queryText(upstream, `UPDATE pgml.models SET status = 'successful', metrics = $2::jsonb WHERE id = $1::bigint`, [String(id), JSON.stringify(metrics)]);
}

/** `model_name` of the project's latest model, for a re-tune that does not name one. */
export async function lastModelName(upstream: UpstreamQueries, projectId: bigint): Promise<string | null> {
  const [row] = await queryText(
    upstream,
    `SELECT hyperparams ->> 'model_name' FROM pgml.models WHERE project_id = $1::bigint ORDER BY created_at DESC, id DESC LIMIT 1`,
    [String(projectId)],
  );
  return row?.[0] ?? null;
}
