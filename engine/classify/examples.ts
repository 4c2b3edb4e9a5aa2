/**
 * Texts as the classifier consumes them: token ids truncated to the model's limit, and batches
 * of them padded to their own longest row.
 */
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig, EncoderInputs } from '../models/encoders/index.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { padRows } from '../train/batches.js';

export interface TextExample {
  readonly ids: readonly number[];
  readonly length: number;
  /** Class index; -1 when unknown (inference). */
  readonly label: number;
}

/**
 * Tokens per text: the requested length, else the tokenizer's limit, never past the positions the
 * model has (RoBERTa's table starts after padding_idx + 1 rows).
 */
export function maxTokens(config: EncoderConfig, tokenizer: Tokenizer, requested: number | null): number {
  const positions = config.family === 'roberta' ? config.maxPositionEmbeddings - config.padTokenId - 1 : config.maxPositionEmbeddings;
  return Math.min(requested ?? tokenizer.modelMaxLength, positions);
}

export function tokenize(tokenizer: Tokenizer, texts: readonly string[], labels: readonly number[] | null, maxLength: number): TextExample[] {
  return texts.map((text, i) => {
    const { ids } = tokenizer.encode(text, undefined, { maxLength, truncation: 'longest_first' });
    return { ids, length: ids.length, label: labels?.[i] ?? -1 };
  });
}

/** int32 input tensors for a batch; the caller disposes them (or runs inside tf.tidy). */
export function encoderInputs(examples: readonly TextExample[], padId: number): EncoderInputs {
  const padded = padRows(examples.map((e) => e.ids), padId);
  const shape: [number, number] = [padded.batch, padded.seq];
  return { inputIds: tf.tensor2d(padded.inputIds, shape, 'int32'), attentionMask: tf.tensor2d(padded.attentionMask, shape, 'int32') };
}
