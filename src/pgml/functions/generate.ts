import { PG } from '../../../proxy/protocol/pg-types.js';
import { generationOptions } from '../../serving/generation-config.js';
import { servedModel } from '../../serving/served-model.js';
import { textArg, textsArg } from '../arguments.js';
import { SQL } from '../param-types.js';
import type { HandlerContext, PgmlFunction } from '../registry-types.js';

/** Texts from the project's deployed translation or summarization model, in order. */
async function generateFor(context: HandlerContext, project: string, texts: readonly string[], config: Parameters<typeof generationOptions>[0]): Promise<readonly string[]> {
  const options = generationOptions(config, 'pgml.generate');
  const model = await servedModel(context, project, ['translation', 'summarization'], 'pgml.generate');
  if (texts.length === 0) return [];
  return context.services.engine.generate(model.key, model.files, texts, options);
}

export const generate: PgmlFunction = {
  name: 'generate',
  summary: "text from a project's deployed translation or summarization model",
  overloads: [
    {
      params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.text }, { name: 'config', type: SQL.jsonb, default: `'{}'` }],
      returns: { kind: 'scalar', type: PG.text },
      // PostgresML's inference functions are STRICT: a NULL argument gives NULL.
      strict: true,
      handler: async (args, context) => (await generateFor(context, textArg(args, 'project_name'), [textArg(args, 'inputs')], args.config ?? null))[0] ?? null,
    },
    {
      params: [{ name: 'project_name', type: SQL.text }, { name: 'inputs', type: SQL.textArray }, { name: 'config', type: SQL.jsonb, default: `'{}'` }],
      returns: { kind: 'scalar', type: PG.textArray },
      strict: true,
      handler: async (args, context) => [...(await generateFor(context, textArg(args, 'project_name'), textsArg(args, 'inputs'), args.config ?? null))],
    },
  ],
};
