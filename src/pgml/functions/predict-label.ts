import { PG } from '../../../proxy/protocol/pg-types.js';
import { bestClass, classify } from '../../serving/classify.js';
import { textArg, textsArg } from '../arguments.js';
import { SQL } from '../param-types.js';
import type { Handler, PgmlFunction } from '../registry-types.js';

/** The label itself (as the training data spelled it), where predict gives its class index. */
const labelOf: Handler = async (args, context) => {
  const { labels, probabilities } = await classify(context, textArg(args, 'project_name'), [textArg(args, 'inputs')]);
  return labels[bestClass(probabilities[0] ?? [])] ?? null;
};

const labelsOf: Handler = async (args, context) => {
  const { labels, probabilities } = await classify(context, textArg(args, 'project_name'), textsArg(args, 'inputs'));
  return probabilities.map((p) => labels[bestClass(p)] ?? null);
};

export const predictLabel: PgmlFunction = {
  name: 'predict_label',
  summary: "the deployed text classifier's label for a text (or each of many), not its class index",
  overloads: [
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }], returns: { kind: 'scalar', type: PG.text }, strict: true, handler: labelOf },
    { params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }], returns: { kind: 'scalar', type: PG.textArray }, strict: true, handler: labelsOf },
  ],
};
