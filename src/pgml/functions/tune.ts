import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction } from '../registry-types.js';

export const tune: PgmlFunction = {
  name: 'tune',
  summary: 'fine-tunes a Hugging Face model on a relation and deploys it by its key metric',
  overloads: [
    {
      params: [
        { name: 'project_name', type: SQL.text },
        { name: 'task', type: SQL.text, default: 'NULL' },
        { name: 'relation_name', type: SQL.text, default: 'NULL' },
        { name: 'y_column_name', type: SQL.text, default: 'NULL' },
        { name: 'model_name', type: SQL.text, default: 'NULL' },
        { name: 'hyperparams', type: SQL.jsonb, default: `'{}'` },
        { name: 'test_size', type: SQL.real, default: '0.25' },
        { name: 'test_sampling', type: SQL.sampling, default: `'stratified'` },
        { name: 'automatic_deploy', type: SQL.boolean, default: 'true' },
        { name: 'materialize_snapshot', type: SQL.boolean, default: 'false' },
      ],
      returns: {
        kind: 'table',
        columns: [
          // PostgresML's quirk, kept for compatibility: `status` carries the project name.
          { name: 'status', type: PG.text },
          { name: 'task', type: PG.text },
          { name: 'algorithm', type: PG.text },
          { name: 'deployed', type: PG.bool },
        ],
      },
      handler: notImplemented('tune', 'fine-tuning engine'),
    },
  ],
};
