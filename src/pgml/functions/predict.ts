import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { Overload, ParamType, PgmlFunction } from '../registry-types.js';

const handler = notImplemented('predict', 'inference engine');

/** The classic feature-vector forms, for every array type PostgresML accepts. */
function features(type: ParamType): Overload[] {
  return [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'features', type }], returns: { kind: 'scalar', type: PG.float4 }, strict: true, handler },
  ];
}

export const predict: PgmlFunction = {
  name: 'predict',
  summary: "the deployed model's prediction for a text (class id), texts, or a feature vector",
  overloads: [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }], returns: { kind: 'scalar', type: PG.float4 }, strict: true, handler },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }], returns: { kind: 'scalar', type: PG.float4Array }, strict: true, handler },
    ...features(SQL.realArray),
    ...features(SQL.doubleArray),
    ...features(SQL.smallintArray),
    ...features(SQL.integerArray),
    ...features(SQL.bigintArray),
    ...features(SQL.booleanArray),
    { params: [{ name: 'model_id', type: SQL.bigint }, { name: 'features', type: SQL.realArray }], returns: { kind: 'scalar', type: PG.float4 }, strict: true, handler },
  ],
};
