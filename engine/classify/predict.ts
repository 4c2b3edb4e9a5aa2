/**
 * Class probabilities from a sequence classifier, in batches sorted by length (little padding)
 * and split further when the backend's memory would not hold a batch, each inside its own tidy.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, type EncoderConfig } from '../models/encoders/index.js';
import type { Params } from '../models/params.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { chunks } from '../train/batches.js';
import { evalMicroBatch, type ModelShape } from '../train/memory.js';
import { encoderInputs, maxTokens, tokenize, type TextExample } from './examples.js';

export interface ClassifierParts {
  readonly config: EncoderConfig;
  readonly params: Params;
  readonly tokenizer: Tokenizer;
}

export function shapeOf(config: EncoderConfig, params: Params): ModelShape {
  const parameters = params.names().reduce((n, name) => n + params.get(name).size, 0);
  return { layers: config.numLayers, hidden: config.hiddenSize, intermediate: config.intermediateSize, heads: config.numHeads, parameters };
}

/** Softmax probabilities per example, in the order given. */
export function classProbabilities(model: ClassifierParts, examples: readonly TextExample[], batchSize: number, memoryBudget: number): number[][] {
  const shape = shapeOf(model.config, model.params);
  const order = examples.map((_, i) => i).sort((a, b) => (examples[a]?.length ?? 0) - (examples[b]?.length ?? 0));
  const out: number[][] = new Array<number[]>(examples.length);
  for (const batch of chunks(order, batchSize)) {
    const seq = examples[batch[batch.length - 1] ?? 0]?.length ?? 0;
    for (const part of chunks(batch, evalMicroBatch(shape, seq, batch.length, memoryBudget))) {
      const rows = tf.tidy(() => {
        const inputs = encoderInputs(part.map((i) => examples[i] as TextExample), model.tokenizer.padTokenId);
        const output = forward(model.params, model.config, inputs, { training: false });
        if (output.kind !== 'sequence-classification') throw new Error('the model has no sequence-classification head');
        return tf.softmax(output.logits);
      });
      const values = rows.arraySync();
      rows.dispose();
      part.forEach((index, r) => (out[index] = values[r] ?? []));
    }
  }
  return out;
}

/** Probabilities for raw texts, truncated as the model was trained. */
export function predictTexts(model: ClassifierParts, texts: readonly string[], batchSize: number, memoryBudget: number): number[][] {
  const examples = tokenize(model.tokenizer, texts, null, maxTokens(model.config, model.tokenizer, null));
  return classProbabilities(model, examples, batchSize, memoryBudget);
}
