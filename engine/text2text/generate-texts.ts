/**
 * Text in, text out with a sequence-to-sequence model: inputs sorted by length and generated in
 * batches (little padding), decoded without special tokens, returned in the order given.
 */
import * as tf from '@tensorflow/tfjs';
import { generate, type GenerationOptions } from '../generate/index.js';
import type { Seq2SeqModel } from '../models/seq2seq/index.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { chunks, padRows } from '../train/batches.js';

export interface Text2Text {
  readonly model: Seq2SeqModel;
  readonly tokenizer: Tokenizer;
}

/** Source token limit: the tokenizer's, within the model's positions. */
export function maxSourceTokens(parts: Text2Text, requested: number | null = null): number {
  return Math.min(requested ?? parts.tokenizer.modelMaxLength, parts.model.config.maxPositions);
}

export function generateFromIds(parts: Text2Text, sources: readonly (readonly number[])[], options: GenerationOptions, batchSize: number): string[] {
  const order = sources.map((_, i) => i).sort((a, b) => (sources[a]?.length ?? 0) - (sources[b]?.length ?? 0));
  const out = new Array<string>(sources.length).fill('');
  const decoder = parts.tokenizer.target ?? parts.tokenizer;
  for (const batch of chunks(order, batchSize)) {
    const padded = padRows(batch.map((i) => sources[i] ?? []), parts.model.config.padTokenId);
    const shape: [number, number] = [padded.batch, padded.seq];
    const inputIds = tf.tensor2d(padded.inputIds, shape, 'int32');
    const attentionMask = tf.tensor2d(padded.attentionMask, shape, 'int32');
    try {
      const ids = generate(parts.model, inputIds, attentionMask, options);
      batch.forEach((index, row) => (out[index] = decoder.decode(ids[row] ?? [], { skipSpecialTokens: true }).trim()));
    } finally {
      tf.dispose([inputIds, attentionMask]);
    }
  }
  return out;
}

export function generateTexts(parts: Text2Text, texts: readonly string[], options: GenerationOptions = {}, batchSize = 8): string[] {
  const max = maxSourceTokens(parts);
  const sources = texts.map((text) => parts.tokenizer.encode(text, undefined, { maxLength: max, truncation: 'longest_first' }).ids);
  return generateFromIds(parts, sources, options, batchSize);
}
