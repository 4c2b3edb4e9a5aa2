import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { Overload, ParamType, PgmlFunction } from '../registry-types.js';

const handler = notImplemented('transform', 'pipeline engine');

function form(task: ParamType, inputs: ParamType, emptyInputs: string): Overload {
  return {
    params: [
      { name: 'task', type: task },
      { name: 'args', type: SQL.jsonb, default: `'{}'` },
      { name: 'inputs', type: inputs, default: emptyInputs },
      // Accepted and ignored, as in PostgresML ("for api compatibility").
      { name: 'cache', type: SQL.boolean, default: 'false' },
    ],
    returns: { kind: 'scalar', type: PG.jsonb },
    handler,
  };
}

export const transform: PgmlFunction = {
  name: 'transform',
  summary: 'runs a pre-trained Hugging Face pipeline (task as text or jsonb) over the inputs',
  overloads: [
    form(SQL.jsonb, SQL.textArray, 'ARRAY[]::text[]'),
    form(SQL.text, SQL.textArray, 'ARRAY[]::text[]'),
    form(SQL.jsonb, SQL.jsonbArray, 'ARRAY[]::jsonb[]'),
    form(SQL.text, SQL.jsonbArray, 'ARRAY[]::jsonb[]'),
  ],
};
