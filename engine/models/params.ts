import type * as tfjs from '@tensorflow/tfjs';
import type { Weights } from '../weights/index.js';

/**
 * A model's named weight tree as TF.js tensors, keyed by the Hugging Face names
 * (`distilbert.transformer.layer.0.attention.q_lin.weight`). Families are functions over it, so
 * loading, saving and key checks all speak the checkpoint's own names.
 */
export class Params {
  constructor(private readonly tensors: Map<string, tfjs.Tensor>) {}

  /** The tensor called `name`; a missing one is an error naming it (a wiring bug or a bad checkpoint). */
  get(name: string): tfjs.Tensor {
    const tensor = this.tensors.get(name);
    if (tensor === undefined) throw new Error(`model weight ${name} is missing`);
    return tensor;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Adds a weight the checkpoint lacks (a newly initialised head); never replaces one. */
  add(name: string, tensor: tfjs.Tensor): void {
    if (this.tensors.has(name)) throw new Error(`model weight ${name} already exists`);
    this.tensors.set(name, tensor);
  }

  /** Makes `name` the same tensor as `source` (tied embeddings), when `name` is absent. */
  tie(name: string, source: string): void {
    if (!this.tensors.has(name) && this.tensors.has(source)) this.tensors.set(name, this.get(source));
  }

  dispose(): void {
    for (const tensor of new Set(this.tensors.values())) tensor.dispose();
    this.tensors.clear();
  }
}

/** Tensors for every weight of a checkpoint (float32 and int32 as stored). */
export function paramsFromWeights(tf: typeof tfjs, weights: Weights): Params {
  const tensors = new Map<string, tfjs.Tensor>();
  for (const [name, w] of weights) tensors.set(name, tf.tensor(w.data, [...w.shape], w.dtype));
  return new Params(tensors);
}
