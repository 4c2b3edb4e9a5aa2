/** One gradient evaluation and one optimizer step over a Trainable, with every temporary freed. */
import * as tf from '@tensorflow/tfjs';
import type { AdamW } from './adamw.js';
import { GradientSum } from './gradients.js';
import type { Trainable } from './trainable.js';

export interface LossAndGrads {
  readonly loss: number;
  /** Canonical parameter name → gradient; the caller disposes them (see disposeGrads). */
  readonly grads: Map<string, tf.Tensor>;
}

/** The loss and ∂loss/∂p for every variable; a parameter the loss does not reach gets no entry. */
export function lossAndGrads(trainable: Trainable, loss: () => tf.Scalar): LossAndGrads {
  const { value, grads } = tf.variableGrads(loss, [...trainable.variables.values()]);
  const byName = new Map<string, tf.Tensor>();
  for (const [name, variable] of trainable.variables) {
    const grad = grads[variable.name];
    if (grad !== undefined) byName.set(name, grad);
  }
  const lossValue = value.dataSync()[0] ?? Number.NaN;
  value.dispose();
  return { loss: lossValue, grads: byName };
}

export function disposeGrads(grads: ReadonlyMap<string, tf.Tensor>): void {
  tf.dispose([...grads.values()]);
}

/** `name → ‖g‖₂`, as golden.json's grad_l2_norms report them (a missing gradient is 0). */
export function gradL2Norms(trainable: Trainable, grads: ReadonlyMap<string, tf.Tensor>): Map<string, number> {
  const norms = new Map<string, number>();
  for (const name of trainable.variables.keys()) {
    const grad = grads.get(name);
    norms.set(name, grad === undefined ? 0 : tf.tidy(() => grad.square().sum().sqrt().dataSync()[0] ?? 0));
  }
  return norms;
}

/** Backward then update; returns the loss before the update. `lr` overrides the optimizer's, for a schedule. */
export function trainStep(trainable: Trainable, optimizer: AdamW, loss: () => tf.Scalar, lr?: number): number {
  const { loss: value, grads } = lossAndGrads(trainable, loss);
  const host = new GradientSum();
  host.add(grads);
  optimizer.step(host.current(), lr);
  return value;
}
