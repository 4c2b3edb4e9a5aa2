// The one place QA touches TF.js: reading the head's logits back for decoding.
import type * as tf from '@tensorflow/tfjs';
import type { WindowLogits } from './decode.js';
import { QaError, type Window } from './types.js';

/**
 * A batch of windows' start/end logits ([batch, seq], as the encoder's QA head returns them) as
 * one WindowLogits per window, each row cut to its window's tokens (the rest is batch padding).
 * The tensors stay the caller's to dispose.
 */
export async function readWindowLogits(startLogits: tf.Tensor2D, endLogits: tf.Tensor2D, windows: readonly Window[]): Promise<WindowLogits[]> {
  const [batch, seq] = startLogits.shape;
  if (batch !== windows.length || endLogits.shape[0] !== batch || endLogits.shape[1] !== seq) {
    throw new QaError(`logits of shape [${startLogits.shape.join(', ')}] and [${endLogits.shape.join(', ')}] do not fit ${windows.length} windows`);
  }
  const [starts, ends] = await Promise.all([startLogits.data<'float32'>(), endLogits.data<'float32'>()]);
  return windows.map((window, row) => {
    if (window.ids.length > seq) throw new QaError(`window ${row} has ${window.ids.length} tokens but the logits only ${seq}`);
    const from = row * seq;
    return {
      startLogits: starts.subarray(from, from + window.ids.length),
      endLogits: ends.subarray(from, from + window.ids.length),
      offsets: window.offsets,
    };
  });
}
