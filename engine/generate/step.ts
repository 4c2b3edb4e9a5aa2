/** One decoder step shared by greedy and beam search: new token per row in, next-token scores out. */
import * as tf from '@tensorflow/tfjs';
import { decode, disposeSelf, type DecoderCache, type Seq2SeqModel } from '../models/seq2seq/index.js';

export interface StepInput {
  readonly model: Seq2SeqModel;
  readonly encoded: tf.Tensor;
  readonly encoderMask: tf.Tensor2D;
}

export interface StepOutput {
  /** One vocab-sized row per sequence, downloaded so the processors can run on plain arrays. */
  readonly rows: Float32Array[];
  readonly cache: DecoderCache;
}

/**
 * Runs the decoder on each row's last token and disposes the replaced self-attention cache.
 * `logProbs` gives log_softmax scores (beam search) instead of raw logits (greedy).
 */
export function step(input: StepInput, lastTokens: readonly number[], cache: DecoderCache | undefined, logProbs: boolean): StepOutput {
  const ids = tf.tensor2d(lastTokens.map((id) => [id]), [lastTokens.length, 1], 'int32');
  const out = decode(input.model.params, input.model.config, input.encoded, input.encoderMask, ids, cache);
  ids.dispose();
  if (cache !== undefined) disposeSelf(cache);
  const scores = tf.tidy(() => {
    const last = out.logits.squeeze([1]);
    return logProbs ? tf.logSoftmax(last, -1) : last;
  });
  out.logits.dispose();
  const flat = scores.dataSync() as Float32Array;
  scores.dispose();
  const vocab = flat.length / lastTokens.length;
  const rows = lastTokens.map((_, r) => flat.slice(r * vocab, (r + 1) * vocab));
  return { rows, cache: out.cache };
}

/** Reorders the self-attention cache to follow the surviving beams (cross keys are per source, unchanged). */
export function reorderCache(cache: DecoderCache, order: readonly number[]): DecoderCache {
  const index = tf.tensor1d([...order], 'int32');
  const layers = cache.layers.map((layer) => ({
    self: { key: tf.gather(layer.self.key, index), value: tf.gather(layer.self.value, index) },
    cross: layer.cross,
  }));
  index.dispose();
  disposeSelf(cache);
  return { past: cache.past, layers };
}
