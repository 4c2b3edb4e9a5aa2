import { PG } from '../../../proxy/protocol/pg-types.js';
import { classify } from '../../serving/classify.js';
import { notImplemented } from '../not-implemented.js';
import { textArg } from '../arguments.js';
import { SQL } from '../param-types.js';
import type { Handler, PgmlFunction } from '../registry-types.js';

const tabular = notImplemented('predict_proba', 'tabular (pgml.train) model support');
const returns = { kind: 'scalar', type: PG.float4Array } as const;

/** Softmax probabilities in class-index order: `[0.0627, 0.9373]`. */
const probaText: Handler = async (args, context) => {
  const { probabilities } = await classify(context, textArg(args, 'project_name'), [textArg(args, 'inputs')]);
  return [...(probabilities[0] ?? [])];
};

export const predictProba: PgmlFunction = {
  name: 'predict_proba',
  summary: 'class probabilities (softmax, in class-id order) from the deployed model',
  overloads: [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }], returns, strict: true, handler: probaText },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'features', type: SQL.realArray }], returns, strict: true, handler: tabular },
    { params: [{ name: 'model_id', type: SQL.bigint }, { name: 'features', type: SQL.realArray }], returns, strict: true, handler: tabular },
  ],
};
