import { PG } from '../../../proxy/protocol/pg-types.js';
import { notImplemented } from '../not-implemented.js';
import { SQL } from '../param-types.js';
import type { PgmlFunction, Returns } from '../registry-types.js';

const handler = notImplemented('deploy', 'deployment logic');
const returns: Returns = {
  kind: 'table',
  columns: [
    { name: 'project', type: PG.text },
    { name: 'strategy', type: PG.text },
    { name: 'algorithm', type: PG.text },
  ],
};

export const deploy: PgmlFunction = {
  name: 'deploy',
  summary: "makes a model the project's live one: by id, or by strategy (best_score, most_recent, rollback)",
  overloads: [
    { params: [{ name: 'model_id', type: SQL.bigint }], returns, handler },
    {
      params: [{ name: 'project_name', type: SQL.text }, { name: 'strategy', type: SQL.strategy }, { name: 'algorithm', type: SQL.algorithm, default: 'NULL' }],
      returns,
      handler,
    },
  ],
};
