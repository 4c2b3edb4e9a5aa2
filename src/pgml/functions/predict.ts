import { PG } from '../../../proxy/protocol/pg-types.js';
import { bestClass, classify } from '../../serving/classify.js';
import { notImplemented } from '../not-implemented.js';
import { textArg, textsArg } from '../arguments.js';
import { SQL } from '../param-types.js';
import type { Handler, Overload, ParamType, PgmlFunction } from '../registry-types.js';

const tabular = notImplemented('predict', 'tabular (pgml.train) model support');

/** The class index of one text: `pgml.predict('IMDB Review Sentiment', 'I love SQL') → 1`. */
const predictText: Handler = async (args, context) => {
  const { probabilities } = await classify(context, textArg(args, 'project_name'), [textArg(args, 'inputs')]);
  return bestClass(probabilities[0] ?? []);
};

/** One class index per text, in order. */
const predictTexts: Handler = async (args, context) => {
  const { probabilities } = await classify(context, textArg(args, 'project_name'), textsArg(args, 'inputs'));
  return probabilities.map(bestClass);
};

/** The classic feature-vector forms, for every array type PostgresML accepts. */
function features(type: ParamType): Overload[] {
  return [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'features', type }], returns: { kind: 'scalar', type: PG.float4 }, strict: true, handler: tabular },
  ];
}

export const predict: PgmlFunction = {
  name: 'predict',
  summary: "the deployed model's prediction for a text (class id), texts, or a feature vector",
  overloads: [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }], returns: { kind: 'scalar', type: PG.float4 }, strict: true, handler: predictText },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }], returns: { kind: 'scalar', type: PG.float4Array }, strict: true, handler: predictTexts },
    ...features(SQL.realArray),
    ...features(SQL.doubleArray),
    ...features(SQL.smallintArray),
    ...features(SQL.integerArray),
    ...features(SQL.bigintArray),
    ...features(SQL.booleanArray),
    { params: [{ name: 'model_id', type: SQL.bigint }, { name: 'features', type: SQL.realArray }], returns: { kind: 'scalar', type: PG.float4 }, strict: true, handler: tabular },
  ],
};

export { predictTexts };
