/**
 * Answers from an extractive QA model: every example's windows through the model in batches
 * (each inside its own tidy), the logits read back per window, the best span per example.
 */
import * as tf from '@tensorflow/tfjs';
import { forward, type EncoderConfig, type EncoderInputs } from '../models/encoders/index.js';
import type { Params } from '../models/params.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { chunks, padRows } from '../train/batches.js';
import { decodeAnswer, type AnswerOptions, type QaAnswer, type WindowLogits } from './decode.js';
import { qaWindows } from './windows.js';
import type { Window } from './types.js';

export interface QaParts {
  readonly config: EncoderConfig;
  readonly params: Params;
  readonly tokenizer: Tokenizer;
}

export interface QaInput {
  readonly question: string;
  readonly context: string;
}

/** Tokens per window: the requested length (run_qa.py's 384 by default) within the model's positions. */
export function qaMaxLength(config: EncoderConfig, requested: number | null): number {
  const positions = config.family === 'roberta' ? config.maxPositionEmbeddings - config.padTokenId - 1 : config.maxPositionEmbeddings;
  return Math.min(requested ?? 384, positions);
}

/** int32 input tensors for a batch of windows (token types only where the model has them). */
export function windowInputs(windows: readonly Window[], config: EncoderConfig, padId: number): EncoderInputs {
  const padded = padRows(windows.map((w) => w.ids), padId);
  const shape: [number, number] = [padded.batch, padded.seq];
  const inputs = { inputIds: tf.tensor2d(padded.inputIds, shape, 'int32'), attentionMask: tf.tensor2d(padded.attentionMask, shape, 'int32') };
  if (config.typeVocabSize <= 1) return inputs;
  const types = padRows(windows.map((w) => w.typeIds ?? []), 0);
  return { ...inputs, tokenTypeIds: tf.tensor2d(types.inputIds, shape, 'int32') };
}

/** Start/end logits of every window, in order. */
export async function windowLogits(parts: QaParts, windows: readonly Window[], batchSize: number): Promise<WindowLogits[]> {
  const out: WindowLogits[] = [];
  for (const batch of chunks(windows, batchSize)) {
    const [start, end] = tf.tidy(() => {
      const output = forward(parts.params, parts.config, windowInputs(batch, parts.config, parts.tokenizer.padTokenId), { training: false });
      if (output.kind !== 'question-answering') throw new Error('the model has no question-answering head');
      return [output.startLogits, output.endLogits];
    });
    try {
      const [starts, ends] = await Promise.all([start.data<'float32'>(), end.data<'float32'>()]);
      const seq = start.shape[1];
      batch.forEach((window, row) => out.push({
        startLogits: starts.slice(row * seq, row * seq + window.ids.length),
        endLogits: ends.slice(row * seq, row * seq + window.ids.length),
        offsets: window.offsets,
      }));
    } finally {
      tf.dispose([start, end]);
    }
  }
  return out;
}

export interface AnswerSettings extends AnswerOptions {
  readonly maxLength: number;
  readonly stride: number;
  readonly batchSize: number;
}

/** One answer per input, in order. */
export async function answerQuestions(parts: QaParts, inputs: readonly QaInput[], settings: AnswerSettings): Promise<QaAnswer[]> {
  const windows = inputs.map((input) => qaWindows(parts.tokenizer, input.question, input.context, { maxLength: settings.maxLength, stride: settings.stride, fitStride: true }));
  const logits = await windowLogits(parts, windows.flat(), settings.batchSize);
  let at = 0;
  return inputs.map((input, i) => {
    const count = windows[i]?.length ?? 0;
    const mine = logits.slice(at, at + count);
    at += count;
    return decodeAnswer(input.context, mine, settings);
  });
}
