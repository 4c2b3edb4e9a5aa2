/** Which Marian/BART weights train, as transformers' `named_parameters()` lists them. */
import * as tf from '@tensorflow/tfjs';
import { seq2seqLoss, type Seq2SeqConfig, type Seq2SeqModel } from '../models/seq2seq/index.js';
import { makeTrainable, type Trainable } from './trainable.js';

/** The LM head and both token embeddings are `model.shared.weight` (tie_word_embeddings). */
const SHARED = 'model.shared.weight';
const TIES: Readonly<Record<string, string>> = {
  'lm_head.weight': SHARED,
  'model.encoder.embed_tokens.weight': SHARED,
  'model.decoder.embed_tokens.weight': SHARED,
};

export function seq2seqTrainable(model: Seq2SeqModel): Trainable {
  const sinusoidal = model.config.positions === 'sinusoidal';
  return makeTrainable(model.params, {
    ties: TIES,
    // final_logits_bias is a registered buffer; Marian's sinusoidal tables have requires_grad=False.
    frozen: (name) => name === 'final_logits_bias' || (sinusoidal && name.endsWith('.embed_positions.weight')),
  });
}

/**
 * The teacher-forced loss to differentiate (the embedding lookups follow torch's padding_idx, so
 * the pad row gets gradient only through the tied LM head).
 */
export function seq2seqTrainingLoss(
  trainable: Trainable, config: Seq2SeqConfig, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, labels: readonly (readonly number[])[],
): tf.Scalar {
  return tf.tidy(() => seq2seqLoss(trainable.params, config, inputIds, attentionMask, labels));
}
