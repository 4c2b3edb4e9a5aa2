import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { queryText } from './sql.js';

/** One training event in pgml.logs (PostgresML 2.8.3's table: one JSON document per row). */
export async function insertLog(upstream: UpstreamQueries, projectId: bigint, modelId: bigint, logs: JsonValue): Promise<void> {
  await queryText(upstream, 'INSERT INTO pgml.logs (project_id, model_id, logs) VALUES ($1::bigint, $2::bigint, $3::jsonb)', [String(projectId), String(modelId), JSON.stringify(logs)]);
}
