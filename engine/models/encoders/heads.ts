/**
 * The task heads on top of the encoder, one small function per family and head, and the losses
 * transformers computes for them.
 */
import * as tf from '@tensorflow/tfjs';
import type { Params } from '../params.js';
import { Dropout, linear } from '../layers.js';
import type { EncoderConfig, EncoderFamily } from './config.js';
import { encode, type EncoderInputs, type RunOptions } from './encoder.js';

export type EncoderOutput =
  | { readonly kind: 'sequence-classification'; readonly logits: tf.Tensor2D }
  | { readonly kind: 'question-answering'; readonly startLogits: tf.Tensor2D; readonly endLogits: tf.Tensor2D };

export type EncoderTargets =
  | { readonly labels: readonly number[] }
  | { readonly startPositions: readonly number[]; readonly endPositions: readonly number[] };

function dense(params: Params, stem: string, x: tf.Tensor): tf.Tensor {
  return linear(x, params.get(`${stem}.weight`), params.get(`${stem}.bias`));
}

/** The first token's hidden state ([CLS] or <s>), [batch, hidden]. */
function firstToken(hidden: tf.Tensor): tf.Tensor {
  const [batch = 0, , size = 0] = hidden.shape;
  return hidden.slice([0, 0, 0], [batch, 1, size]).reshape([batch, size]);
}

type ClassifierHead = (params: Params, first: tf.Tensor, rate: number, dropout: Dropout) => tf.Tensor;

/** Each family's classifier on the first token (README "Details that often go wrong"). */
const CLASSIFIERS: Readonly<Record<EncoderFamily, ClassifierHead>> = {
  distilbert: (params, first, rate, dropout) =>
    dense(params, 'classifier', dropout.apply(tf.relu(dense(params, 'pre_classifier', first)), rate)),
  bert: (params, first, rate, dropout) =>
    dense(params, 'classifier', dropout.apply(tf.tanh(dense(params, 'bert.pooler.dense', first)), rate)),
  // RobertaClassificationHead: dropout, dense, tanh, dropout, out_proj; the checkpoint has no pooler.
  roberta: (params, first, rate, dropout) => {
    const features = tf.tanh(dense(params, 'classifier.dense', dropout.apply(first, rate)));
    return dense(params, 'classifier.out_proj', dropout.apply(features, rate));
  },
};

/**
 * Logits for the config's head. Dropout runs only when `options.training` is set. Pure: the
 * caller owns the returned tensors, and every intermediate is released.
 */
export function forward(params: Params, config: EncoderConfig, inputs: EncoderInputs, options: RunOptions): EncoderOutput {
  return tf.tidy(() => {
    const dropout = new Dropout(options.training, options.seed);
    const hidden = encode(params, config, inputs, dropout, options.checkpoint ?? false);
    if (config.head === 'sequence-classification') {
      const logits = CLASSIFIERS[config.family](params, firstToken(hidden), config.dropout.head, dropout);
      return { kind: 'sequence-classification', logits: logits as tf.Tensor2D };
    }
    const [batch = 0, seq = 0] = hidden.shape;
    const spans = dense(params, 'qa_outputs', dropout.apply(hidden, config.dropout.head));
    // qa_outputs is [2, hidden]: channel 0 scores span starts, channel 1 span ends.
    const [start, end] = tf.split(spans, 2, -1);
    if (start === undefined || end === undefined) throw new Error('qa_outputs must have 2 outputs');
    return {
      kind: 'question-answering', startLogits: start.reshape([batch, seq]), endLogits: end.reshape([batch, seq]),
    };
  });
}

/**
 * torch's CrossEntropyLoss, mean over the rows whose target is in [0, classes); others are
 * ignored, as -100 labels and QA positions clamped to seq_len are in transformers.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: readonly number[]): tf.Scalar {
  const classes = logits.shape[1];
  const kept = targets.map((t) => (Number.isInteger(t) && t >= 0 && t < classes ? t : -1));
  const count = kept.filter((t) => t >= 0).length;
  return tf.tidy(() => {
    // oneHot of -1 is an all-zero row, so ignored targets drop out of the sum.
    const oneHot = tf.oneHot(tf.tensor1d(kept, 'int32'), classes);
    return tf.logSoftmax(logits).mul(oneHot).sum().neg().div(count);
  });
}

/** The loss transformers returns for this head: CE for classification, (CE(start) + CE(end)) / 2 for QA. */
export function encoderLoss(output: EncoderOutput, targets: EncoderTargets): tf.Scalar {
  if (output.kind === 'sequence-classification') {
    if (!('labels' in targets)) throw new Error('sequence classification needs labels');
    return crossEntropy(output.logits, targets.labels);
  }
  if (!('startPositions' in targets)) throw new Error('question answering needs start and end positions');
  return tf.tidy(() =>
    crossEntropy(output.startLogits, targets.startPositions).add(crossEntropy(output.endLogits, targets.endPositions)).div(2),
  );
}

export function disposeOutput(output: EncoderOutput): void {
  if (output.kind === 'sequence-classification') output.logits.dispose();
  else tf.dispose([output.startLogits, output.endLogits]);
}
