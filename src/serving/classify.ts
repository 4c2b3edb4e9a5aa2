/**
 * Predictions of a project's deployed text classifier: the deployment resolved (and cached) per
 * proxy, the model's files read from pgml.files on the caller's session the first time this
 * proxy serves it, inference in the engine's inference worker.
 */
import { ProxyError } from '../../proxy/errors.js';
import type { HandlerContext } from '../pgml/registry-types.js';
import { readModelFiles } from '../store/files.js';
import { taskName } from '../store/projects.js';
import type { Classified } from './engine-host.js';

export async function classify(context: HandlerContext, project: string, texts: readonly string[]): Promise<Classified> {
  const { upstream, services } = context;
  // A lookup inside the caller's transaction may see a deployment others cannot: not cached.
  const model = await services.deployments.resolve(upstream, project, context.transactionStatus === 'I');
  if (model.task !== 'text_classification') {
    throw new ProxyError({
      severity: 'ERROR',
      code: '42809',
      message: `project \`${project}\` is a ${taskName(model.task)} project; pgml.predict serves text-classification projects`,
      hint: model.task === 'translation' || model.task === 'summarization' ? 'Use pgml.generate for it.' : 'Use pgml.transform for it.',
    });
  }
  if (texts.length === 0) return { labels: [], probabilities: [] };
  const files = async (): Promise<Map<string, Buffer>> => {
    const found = await readModelFiles(upstream, model.modelId);
    if (found.size === 0) {
      throw new ProxyError({ severity: 'ERROR', code: '58P01', message: `model ${model.modelId} of project \`${project}\` has no files in pgml.files`, hint: 'Deploy another model with pgml.deploy, or tune the project again.' });
    }
    return found;
  };
  return services.engine.classify(String(model.modelId), files, texts);
}

/** The most probable class index (the first on ties, as argmax). */
export function bestClass(probabilities: readonly number[]): number {
  let best = 0;
  probabilities.forEach((p, i) => {
    if (p > (probabilities[best] ?? -Infinity)) best = i;
  });
  return best;
}
