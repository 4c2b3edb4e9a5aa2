import { PG } from '../../../proxy/protocol/pg-types.js';
import { ProxyError } from '../../../proxy/errors.js';
import { runTune } from '../../tune/run.js';
import type { Sampling } from '../../../engine/train/split.js';
import { SQL } from '../param-types.js';
import type { Args, Handler, PgmlFunction } from '../registry-types.js';

const handler: Handler = (args, context) => {
  const projectName = text(args, 'project_name');
  if (projectName === null || projectName.trim() === '') {
    throw new ProxyError({ severity: 'ERROR', code: '22004', message: 'pgml.tune needs a project_name' });
  }
  return runTune({
    projectName,
    task: text(args, 'task'),
    relationName: text(args, 'relation_name'),
    yColumnName: text(args, 'y_column_name'),
    modelName: text(args, 'model_name'),
    hyperparams: args.hyperparams ?? null,
    testSize: typeof args.test_size === 'number' ? args.test_size : 0.25,
    testSampling: (text(args, 'test_sampling') ?? 'stratified') as Sampling,
    automaticDeploy: args.automatic_deploy !== false,
    materializeSnapshot: args.materialize_snapshot === true,
  }, context);
};

function text(args: Args, name: string): string | null {
  const value = args[name];
  return typeof value === 'string' ? value : null;
}

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
      handler,
    },
  ],
};
