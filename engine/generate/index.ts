/**
 * Text-to-text generation for the seq2seq families: encode once, then greedy or beam search over
 * the decoder with a KV cache. Returns token ids, starting with the decoder start token, as
 * transformers' `generate()` does for encoder-decoders.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeCache, encode, type Seq2SeqModel } from '../models/seq2seq/index.js';
import { beamSearch } from './beam.js';
import { resolveGeneration, type GenerationConfig, type GenerationOptions } from './config.js';
import { greedySearch } from './greedy.js';

export type { GenerationConfig, GenerationOptions } from './config.js';
export { resolveGeneration } from './config.js';
export { bannedNgramTokens, processScores } from './processors.js';

/** The settings `generate` would use for `model` and `options`. */
export function generationConfigFor(model: Seq2SeqModel, options: GenerationOptions = {}): GenerationConfig {
  return resolveGeneration(model.configJson, model.generationJson, options);
}

/** `inputIds` and `attentionMask` are int [batch, src]; the result is one id list per batch row. */
export function generate(model: Seq2SeqModel, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, options: GenerationOptions = {}): number[][] {
  const config = generationConfigFor(model, options);
  const [batch] = inputIds.shape;
  const beams = Math.max(1, config.numBeams);
  const encodedOnce = encode(model.params, model.config, inputIds, attentionMask);
  // Each beam reads the same source: repeat every batch row num_beams times (row-major, as HF expands).
  const order = tf.tensor1d(Array.from({ length: batch * beams }, (_, i) => Math.floor(i / beams)), 'int32');
  const encoded = beams === 1 ? encodedOnce : tf.gather(encodedOnce, order);
  const encoderMask = beams === 1 ? attentionMask : tf.gather(attentionMask, order);
  order.dispose();
  try {
    const input = { model, encoded, encoderMask };
    const { sequences, cache } = beams === 1 ? greedySearch(input, batch, config) : beamSearch(input, batch, config);
    if (cache !== undefined) disposeCache(cache);
    return sequences;
  } finally {
    tf.dispose([encodedOnce, encoded]);
    if (encoderMask !== attentionMask) encoderMask.dispose();
  }
}
