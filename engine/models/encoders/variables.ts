/**
 * Trainable copies of a weight tree: one `tf.Variable` per distinct tensor, under the same names,
 * so `forward` runs unchanged and `tf.variableGrads` reports gradients by state-dict key.
 */
import * as tf from '@tensorflow/tfjs';
import { Params } from '../params.js';

export interface TrainableParams {
  readonly params: Params;
  /** Checkpoint name → variable; names tied to one tensor share one variable (summed gradient). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  dispose(): void;
}

export function trainableParams(source: Params): TrainableParams {
  const byTensor = new Map<tf.Tensor, tf.Variable>();
  const variables = new Map<string, tf.Variable>();
  for (const name of source.names()) {
    const tensor = source.get(name);
    let variable = byTensor.get(tensor);
    if (variable === undefined) {
      // Integer buffers are not trainable parameters.
      if (tensor.dtype !== 'float32') continue;
      variable = tf.variable(tensor, true);
      byTensor.set(tensor, variable);
    }
    variables.set(name, variable);
  }
  const params = new Params(new Map<string, tf.Tensor>(variables));
  return { params, variables, dispose: () => params.dispose() };
}

/** `name → ‖∂loss/∂name‖₂` for every variable, the way golden.json's grad_l2_norms reports them. */
export function gradientNorms(
  trainable: TrainableParams, loss: () => tf.Scalar,
): { loss: number; norms: Map<string, number> } {
  const list = [...new Set(trainable.variables.values())];
  const { value, grads } = tf.variableGrads(loss, list);
  const norms = new Map<string, number>();
  for (const [name, variable] of trainable.variables) {
    const grad = grads[variable.name];
    norms.set(name, grad === undefined ? 0 : tf.tidy(() => grad.square().sum().sqrt().dataSync()[0] ?? 0));
  }
  const lossValue = value.dataSync()[0] ?? Number.NaN;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: lossValue, norms };
}
