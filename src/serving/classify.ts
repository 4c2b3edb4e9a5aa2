/** Predictions of a project's deployed text classifier, in the engine's inference worker. */
import type { HandlerContext } from '../pgml/registry-types.js';
import type { Classified } from './engine-host.js';
import { servedModel } from './served-model.js';

export async function classify(context: HandlerContext, project: string, texts: readonly string[]): Promise<Classified> {
  const model = await servedModel(context, project, ['text_classification'], 'pgml.predict');
  if (texts.length === 0) return { labels: [], probabilities: [] };
  return context.services.engine.classify(model.key, model.files, texts);
}

/** The most probable class index (the first on ties, as argmax). */
export function bestClass(probabilities: readonly number[]): number {
  let best = 0;
  probabilities.forEach((p, i) => {
    if (p > (probabilities[best] ?? -Infinity)) best = i;
  });
  return best;
}
