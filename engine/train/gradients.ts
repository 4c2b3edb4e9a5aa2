/**
 * Gradients across micro-batches and their clipping, kept in host memory: the wasm backend's heap
 * stops at 4 GiB, and a running sum there is one more copy of every parameter (560 MB for
 * BART-base) next to the weights, this micro-batch's gradients and its activations. Each
 * micro-batch's gradients are read out and freed as soon as the pass ends, so the heap holds one
 * set at a time. Every micro-batch loss is already weighted by its share of the batch, so the sum
 * is the full batch's gradient; clipping follows torch.nn.utils.clip_grad_norm_.
 */
import type * as tf from '@tensorflow/tfjs';

/** Parameter name → gradient, in host memory. */
export type HostGradients = ReadonlyMap<string, Float32Array>;

/**
 * Sums gradient maps into host arrays that are reused from one step to the next (allocated on
 * first use), so a step allocates nothing the size of the model.
 */
export class GradientSum {
  private readonly sums = new Map<string, Float32Array>();
  /** Names written since the last start(): the others hold an earlier step's values. */
  private readonly filled = new Set<string>();

  /** Begins a new step's sum. */
  start(): void {
    this.filled.clear();
  }

  /** Adds `grads` and disposes them, each as soon as it is read. */
  add(grads: ReadonlyMap<string, tf.Tensor>): void {
    try {
      for (const [name, grad] of grads) {
        const values = grad.dataSync();
        grad.dispose();
        let sum = this.sums.get(name);
        if (sum === undefined || sum.length !== values.length) {
          sum = new Float32Array(values.length);
          this.sums.set(name, sum);
        }
        if (this.filled.has(name)) {
          for (let i = 0; i < values.length; i += 1) sum[i] = (sum[i] ?? 0) + (values[i] ?? 0);
        } else {
          sum.set(values);
          this.filled.add(name);
        }
      }
    } finally {
      for (const grad of grads.values()) grad.dispose();
    }
  }

  /** This step's sums (views that the next start() and add() overwrite). */
  current(): HostGradients {
    const out = new Map<string, Float32Array>();
    for (const name of this.filled) {
      const sum = this.sums.get(name);
      if (sum !== undefined) out.set(name, sum);
    }
    return out;
  }
}

/** The global L2 norm over every gradient, summed in float64. */
export function globalNorm(grads: HostGradients): number {
  let squares = 0;
  for (const grad of grads.values()) {
    for (let i = 0; i < grad.length; i += 1) {
      const g = grad[i] ?? 0;
      squares += g * g;
    }
  }
  return Math.sqrt(squares);
}

/**
 * torch's clip_grad_norm_: scales every gradient in place by min(1, maxNorm / (norm + 1e-6));
 * returns the norm before clipping (what transformers logs as grad_norm). `maxNorm` 0 only
 * measures; a non-finite norm is returned and nothing is scaled.
 */
export function clipGradients(grads: HostGradients, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (maxNorm <= 0 || !Number.isFinite(norm)) return norm;
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  if (coefficient >= 1) return norm;
  for (const grad of grads.values()) {
    for (let i = 0; i < grad.length; i += 1) grad[i] = (grad[i] ?? 0) * coefficient;
  }
  return norm;
}
