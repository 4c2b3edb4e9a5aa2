/**
 * Trainable copies of any named weight tree: one `tf.Variable` per distinct parameter under its
 * checkpoint name, so model functions run unchanged on `params` and gradients come back keyed the
 * way golden.json and torch's `named_parameters()` key them.
 */
import * as tf from '@tensorflow/tfjs';
import { Params } from '../models/params.js';

export interface TrainableOptions {
  /** Weights that stay constant: buffers and fixed tables (torch: not in `parameters()`). */
  readonly frozen?: (name: string) => boolean;
  /**
   * alias → canonical name for tied weights. A checkpoint that stores each copy (pytorch_model.bin)
   * still trains one variable, which receives the summed gradient as in torch.
   */
  readonly ties?: Readonly<Record<string, string>>;
}

export interface Trainable {
  /** Every source name: parameters as their variable, aliases as the canonical variable, the rest as constants. */
  readonly params: Params;
  /** Canonical name → variable, each variable once: what the optimizer and gradients iterate. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  dispose(): void;
}

/** The source stays the caller's to dispose; constants are clones, so the two never share a free. */
export function makeTrainable(source: Params, options: TrainableOptions = {}): Trainable {
  const frozen = options.frozen ?? ((): boolean => false);
  const ties = options.ties ?? {};
  const ownerOf = new Map<tf.Tensor, string>();
  const variables = new Map<string, tf.Variable>();
  const copies = new Map<tf.Tensor, tf.Tensor>();
  const tensors = new Map<string, tf.Tensor>();
  for (const name of source.names()) {
    const tied = ties[name];
    const canonical = tied !== undefined && source.has(tied) ? tied : name;
    const tensor = source.get(canonical);
    // A tensor already seen (tied with Params.tie) belongs to the first name that carried it.
    const owner = ownerOf.get(tensor) ?? canonical;
    ownerOf.set(tensor, owner);
    // Integer tensors (ids, masks) are never parameters.
    if (frozen(owner) || tensor.dtype !== 'float32') {
      let copy = copies.get(tensor);
      if (copy === undefined) {
        copy = tf.clone(tensor);
        copies.set(tensor, copy);
      }
      tensors.set(name, copy);
      continue;
    }
    let variable = variables.get(owner);
    if (variable === undefined) {
      variable = tf.variable(tensor, true);
      variables.set(owner, variable);
    }
    tensors.set(name, variable);
  }
  const params = new Params(tensors);
  return { params, variables, dispose: () => params.dispose() };
}

