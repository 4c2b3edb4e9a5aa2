/**
 * Source/target pairs as a sequence-to-sequence model trains on them: the source tokenized as the
 * tokenizer does for inputs, the target as transformers' `text_target` (Marian: target.spm), both
 * truncated; labels padded with -100 so padding never counts in the loss.
 */
import * as tf from '@tensorflow/tfjs';
import { IGNORE_INDEX } from '../models/seq2seq/index.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { padRows } from '../train/batches.js';

export interface PairExample {
  readonly source: readonly number[];
  readonly labels: readonly number[];
  /** Source and target tokens: what the step's memory grows with. */
  readonly length: number;
}

export function tokenizePairs(
  tokenizer: Tokenizer, sources: readonly string[], targets: readonly string[] | null, maxSource: number, maxTarget: number,
): PairExample[] {
  const targetTokenizer = tokenizer.target ?? tokenizer;
  return sources.map((text, i) => {
    const source = tokenizer.encode(text, undefined, { maxLength: maxSource, truncation: 'longest_first' }).ids;
    const labels = targets === null ? [] : targetTokenizer.encode(targets[i] ?? '', undefined, { maxLength: maxTarget, truncation: 'longest_first' }).ids;
    return { source, labels, length: source.length + labels.length };
  });
}

export interface PairBatch {
  readonly inputIds: tf.Tensor2D;
  readonly attentionMask: tf.Tensor2D;
  /** Right-padded with -100 (DataCollatorForSeq2Seq's label_pad_token_id). */
  readonly labels: number[][];
}

/** Tensors for a batch; the caller disposes them (or runs inside tf.tidy). */
export function pairBatch(examples: readonly PairExample[], padId: number): PairBatch {
  const padded = padRows(examples.map((e) => e.source), padId);
  const shape: [number, number] = [padded.batch, padded.seq];
  const longest = examples.reduce((max, e) => Math.max(max, e.labels.length), 0);
  const labels = examples.map((e) => [...e.labels, ...new Array<number>(longest - e.labels.length).fill(IGNORE_INDEX)]);
  return {
    inputIds: tf.tensor2d(padded.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(padded.attentionMask, shape, 'int32'),
    labels,
  };
}
