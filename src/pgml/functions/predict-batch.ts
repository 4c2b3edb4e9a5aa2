import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';

const handler = notImplemented('predict_batch', 'inference engine');

export const predictBatch: PgmlFunction = {
  name: 'predict_batch',
  summary: 'predictions for many inputs at once: texts, or feature rows flattened into one array',
  overloads: [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }], returns: { kind: 'scalar', type: PG.float4, setof: true }, strict: true, handler },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'features', type: SQL.realArray }], returns: { kind: 'scalar', type: PG.float4, setof: true }, strict: true, handler },
    { params: [{ name: 'model_id', type: SQL.bigint }, { name: 'features', type: SQL.realArray }], returns: { kind: 'scalar', type: PG.float4Array }, strict: true, handler },
  ],
};
