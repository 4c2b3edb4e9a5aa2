import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';

const handler = notImplemented('predict_proba', 'inference engine');
const returns = { kind: 'scalar', type: PG.float4Array } as const;

export const predictProba: PgmlFunction = {
  name: 'predict_proba',
  summary: 'class probabilities (softmax, in class-id order) from the deployed model',
  overloads: [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }], returns, strict: true, handler },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'features', type: SQL.realArray }], returns, strict: true, handler },
    { params: [{ name: 'model_id', type: SQL.bigint }, { name: 'features', type: SQL.realArray }], returns, strict: true, handler },
  ],
};
