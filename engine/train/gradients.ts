/**
 * Gradients across micro-batches and their clipping: accumulation sums each micro-batch's
 * gradients (every micro-batch loss is already weighted by its share of the batch, so the sum is
 * the full batch's gradient), and clipping follows torch.nn.utils.clip_grad_norm_.
 */
import * as tf from '@tensorflow/tfjs';
import { disposeGrads } from './step.js';

/** Sums gradient maps; owns the running sums until take() hands them over. */
export class GradientSum {
  private sums = new Map<string, tf.Tensor>();

  /** Adds `grads` and disposes them. */
  add(grads: Map<string, tf.Tensor>): void {
    if (this.sums.size === 0) {
      this.sums = grads;
      return;
    }
    for (const [name, grad] of grads) {
      const previous = this.sums.get(name);
      if (previous === undefined) {
        this.sums.set(name, grad);
        continue;
      }
      this.sums.set(name, tf.add(previous, grad));
      tf.dispose([previous, grad]);
    }
  }

  /** The sums so far; the caller disposes them. The accumulator starts empty again. */
  take(): Map<string, tf.Tensor> {
    const sums = this.sums;
    this.sums = new Map();
    return sums;
  }

  dispose(): void {
    disposeGrads(this.sums);
    this.sums.clear();
  }
}

/** The global L2 norm over every gradient, as one number. */
export function globalNorm(grads: ReadonlyMap<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  return tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))).sqrt().dataSync()[0] ?? 0);
}

/**
 * torch's clip_grad_norm_: scales every gradient by min(1, maxNorm / (norm + 1e-6)); returns the
 * norm before clipping (what transformers logs as grad_norm). `maxNorm` 0 only measures. The
 * scaled gradients replace the originals in `grads`, which are disposed.
 */
export function clipGradients(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (maxNorm <= 0 || !Number.isFinite(norm)) return norm;
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  if (coefficient >= 1) return norm;
  for (const [name, grad] of grads) {
    grads.set(name, tf.mul(grad, coefficient));
    grad.dispose();
  }
  return norm;
}
