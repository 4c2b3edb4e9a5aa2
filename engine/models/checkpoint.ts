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

/** A block: the input, tensors it reads but is not differentiated by (masks), and its weights. */
export type Block = (x: tf.Tensor, constants: readonly tf.Tensor[], weights: readonly tf.Tensor[]) => tf.Tensor;

/**
 * `block(x, constants, weights)` with its activations recomputed in the backward pass. Gradients
 * flow to `x` and every weight; the constants get zeros.
 */
export function checkpointed(block: Block, x: tf.Tensor, constants: readonly tf.Tensor[], weights: readonly tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad((...args) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    // Kept past the caller's tidy until the backward pass has used them (see layers.ts embedding).
    save(inputs.slice(0, 1 + constants.length));
    return {
      value: block(inputs[0] as tf.Tensor, inputs.slice(1, 1 + constants.length), inputs.slice(1 + constants.length)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [input, ...kept] = saved;
        if (input === undefined) throw new Error('checkpointed: the block input was not saved');
        const replay = (...differentiable: tf.Tensor[]): tf.Tensor => block(differentiable[0] as tf.Tensor, kept, differentiable.slice(1));
        const grads = withOwnTape(() => tf.grads(replay)([input, ...weights], dy));
        return [grads[0] as tf.Tensor, ...kept.map((c) => tf.zerosLike(c)), ...grads.slice(1)];
      },
    };
  });
  return op(x, ...constants, ...weights);
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
