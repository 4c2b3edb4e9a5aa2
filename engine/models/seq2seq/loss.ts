/** Teacher-forced loss as transformers computes it for `labels` (MarianMTModel / BartForConditionalGeneration). */
import * as tf from '@tensorflow/tfjs';
import { Dropout } from '../layers.js';
import type { Params } from '../params.js';
import type { Seq2SeqConfig } from './config.js';
import { decodeForTraining, encode } from './model.js';

/** Label positions with this value are left out of the loss (torch CrossEntropyLoss's ignore_index). */
export const IGNORE_INDEX = -100;

/** transformers' shift_tokens_right: prepend the start token, drop the last label, -100 → pad. */
export function shiftTokensRight(labels: readonly (readonly number[])[], padTokenId: number, startTokenId: number): number[][] {
  return labels.map((row) => [startTokenId, ...row.slice(0, -1)].map((id) => (id === IGNORE_INDEX ? padTokenId : id)));
}

/** Mean cross-entropy over the label positions that are not -100, from [batch, tgt, vocab] logits. */
export function labelCrossEntropy(logits: tf.Tensor, labels: readonly (readonly number[])[]): tf.Scalar {
  return tf.tidy(() => {
    const vocab = logits.shape[2] ?? 0;
    const flat = labels.flat();
    const keep = tf.tensor1d(flat.map((id) => (id === IGNORE_INDEX ? 0 : 1)), 'float32');
    const targets = tf.oneHot(tf.tensor1d(flat.map((id) => (id === IGNORE_INDEX ? 0 : id)), 'int32'), vocab);
    const logProbs = tf.logSoftmax(logits.reshape([-1, vocab]), -1);
    const picked = logProbs.mul(targets).sum(-1).mul(keep);
    return tf.div<tf.Scalar>(picked.sum().neg(), keep.sum());
  });
}

/** The loss for source ids/mask and labels (pad already replaced by -100). */
export function seq2seqLoss(
  params: Params, config: Seq2SeqConfig, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, labels: readonly (readonly number[])[], drop = new Dropout(false),
  checkpoint = false,
): tf.Scalar {
  return tf.tidy(() => {
    const encoded = encode(params, config, inputIds, attentionMask, drop, checkpoint);
    const decoderIds = tf.tensor2d(shiftTokensRight(labels, config.padTokenId, config.decoderStartTokenId), undefined, 'int32');
    const logits = decodeForTraining(params, config, encoded, attentionMask, decoderIds, drop, checkpoint);
    return labelCrossEntropy(logits, labels);
  });
}
