import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';
import { predictTexts } from './predict.js';

const tabular = notImplemented('predict_batch', 'tabular (pgml.train) model support');

export const predictBatch: PgmlFunction = {
  name: 'predict_batch',
  summary: 'predictions for many inputs at once: texts, or feature rows flattened into one array',
  overloads: [
    // One class index per text, as a set (one row each), batched through the model together.
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }], returns: { kind: 'scalar', type: PG.float4, setof: true }, strict: true, handler: predictTexts },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'features', type: SQL.realArray }], returns: { kind: 'scalar', type: PG.float4, setof: true }, strict: true, handler: tabular },
    { params: [{ name: 'model_id', type: SQL.bigint }, { name: 'features', type: SQL.realArray }], returns: { kind: 'scalar', type: PG.float4Array }, strict: true, handler: tabular },
  ],
};
