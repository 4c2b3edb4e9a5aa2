/**
 * Gradient checkpointing, as torch.utils.checkpoint does it: a block's forward pass runs without
 * recording its intermediates, only its input is kept, and the backward pass runs the block again
 * to get them. A training step then holds one block's activations at a time instead of every
 * block's, for about a third more compute: what lets a 12-layer base model at 384 tokens train
 * in the wasm backend's 4 GiB at all.
 *
 * tf.customGrad runs the forward off the tape (tfjs records nothing while a kernel runs) and frees
 * its intermediates in its own tidy; the gradient function replays the block under tf.grads with
 * the incoming gradient. The block must use the weights it is handed (not look them up) so their
 * gradients flow through this op, and its dropout must replay the same masks (a fixed seed).
 */
import * as tf from '@tensorflow/tfjs';
import { Params } from './params.js';

/**
 * A block: its inputs (the hidden states; a decoder layer also reads the encoder's output), tensors
 * it reads but is not differentiated by (masks), and its weights.
 */
export type Block = (inputs: readonly tf.Tensor[], constants: readonly tf.Tensor[], weights: readonly tf.Tensor[]) => tf.Tensor;

/**
 * `block(inputs, constants, weights)` with its activations recomputed in the backward pass.
 * Gradients flow to every input and weight; the constants get zeros.
 */
export function checkpointed(block: Block, inputs: readonly tf.Tensor[], constants: readonly tf.Tensor[], weights: readonly tf.Tensor[]): tf.Tensor {
  const kept = inputs.length + constants.length;
  const op = tf.customGrad((...args) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const tensors = args.slice(0, -1) as tf.Tensor[];
    // Kept past the caller's tidy until the backward pass has used them (see layers.ts embedding).
    save(tensors.slice(0, kept));
    return {
      value: block(tensors.slice(0, inputs.length), tensors.slice(inputs.length, kept), tensors.slice(kept)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        if (saved.length !== kept) throw new Error('checkpointed: the block inputs were not saved');
        const savedInputs = saved.slice(0, inputs.length);
        const savedConstants = saved.slice(inputs.length);
        const replay = (...differentiable: tf.Tensor[]): tf.Tensor =>
          block(differentiable.slice(0, inputs.length), savedConstants, differentiable.slice(inputs.length));
        const grads = withOwnTape(() => tf.grads(replay)([...savedInputs, ...weights], dy));
        return [...grads.slice(0, inputs.length), ...savedConstants.map((c) => tf.zerosLike(c)), ...grads.slice(inputs.length)];
      },
    };
  });
  return op(...inputs, ...constants, ...weights);
}

/** The weights `names` of `params` as a list, and a Params over such a list for the block to read. */
export function blockWeights(params: Params, names: readonly string[]): { weights: tf.Tensor[]; view: (weights: readonly tf.Tensor[]) => Params } {
  return {
    weights: names.map((name) => params.get(name)),
    view: (weights) => new Params(new Map(names.map((name, i) => [name, weights[i] as tf.Tensor]))),
  };
}

/**
 * Runs `work` (a tf.grads) in the middle of another backward pass. tfjs keeps one tape: a
 * gradient computation started at depth 0 replaces it and, when done, frees its saved tensors and
 * sets it to null, which would break the outer pass (it disposes its own tape's saved tensors
 * when it ends). The outer tape is put back afterwards.
 */
function withOwnTape<T>(work: () => T): T {
  const state = tf.engine().state;
  const outer = state.activeTape;
  try {
    return work();
  } finally {
    state.activeTape = outer;
  }
}
