/**
 * AdamW as torch.optim.AdamW (torch 1.13, single-tensor path, amsgrad off) computes it, which is
 * also what transformers' Trainer uses. The two moments live in host memory and the update runs
 * there, one parameter at a time: on the backend they would be two more copies of the model in
 * the wasm heap's 4 GiB (tf.train.adam also keeps about ten temporaries per parameter alive until
 * the whole update ends). The heap sees one new tensor per parameter, uploaded by assign.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  /** Decoupled: p ← p·(1 − lr·wd) before the Adam update, not added to the gradient. */
  readonly weightDecay: number;
  /** Names that get no weight decay; the default decays every parameter, as torch does. */
  readonly noDecay: (name: string) => boolean;
}

/** torch.optim.AdamW's defaults, which are also the hf-golden `training.optimizer` settings. */
export const ADAMW_DEFAULTS: Readonly<AdamWOptions> = Object.freeze({
  lr: 1e-3,
  betas: [0.9, 0.999] as const,
  eps: 1e-8,
  weightDecay: 0.01,
  noDecay: () => false,
});

/**
 * transformers' Trainer.get_decay_parameter_names: biases and LayerNorm weights are not decayed.
 * Trainer finds LayerNorm by module type; by checkpoint name that is every spelling below
 * (`LayerNorm`, `sa_layer_norm`, `final_layer_norm`, `layernorm_embedding`).
 */
export function transformersNoDecay(name: string): boolean {
  return name.endsWith('bias') || /layer_?norm/i.test(name);
}

interface Moments {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Per parameter, as torch's state['step']: a parameter without a gradient does not advance. */
  step: number;
}

export class AdamW {
  readonly options: Readonly<AdamWOptions>;
  private readonly variables: ReadonlyMap<string, tf.Variable>;
  private readonly state = new Map<string, Moments>();

  /** `variables` maps a parameter name to its variable; each distinct variable must appear once. */
  constructor(variables: ReadonlyMap<string, tf.Variable>, options: Partial<AdamWOptions> = {}) {
    this.variables = variables;
    this.options = Object.freeze({ ...ADAMW_DEFAULTS, ...options });
    const [beta1, beta2] = this.options.betas;
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new Error(`AdamW betas must be in [0, 1), got ${beta1}, ${beta2}`);
    if (!(this.options.lr >= 0 && this.options.eps >= 0 && this.options.weightDecay >= 0)) {
      throw new Error('AdamW lr, eps and weight decay must be non-negative');
    }
    if (new Set(variables.values()).size !== variables.size) throw new Error('AdamW: a variable is listed under two names');
  }

  /**
   * One update from gradients keyed by parameter name (host arrays, see GradientSum). Names
   * without a gradient are skipped, weight decay included (torch skips `p.grad is None`). `lr`
   * overrides the option for this step, for a schedule.
   */
  step(grads: ReadonlyMap<string, Float32Array>, lr = this.options.lr): void {
    const { betas: [beta1, beta2], eps, weightDecay, noDecay } = this.options;
    for (const [name, variable] of this.variables) {
      const grad = grads.get(name);
      if (grad === undefined) continue;
      if (grad.length !== variable.size) throw new Error(`AdamW: the gradient of ${name} has ${grad.length} values, the parameter ${variable.size}`);
      const state = this.state.get(name) ?? { m: new Float32Array(grad.length), v: new Float32Array(grad.length), step: 0 };
      state.step += 1;
      this.state.set(name, state);
      // Bias corrections in float64 as torch computes them in Python; the rest rounds to float32
      // as each value is stored, where torch rounds after every operation (differences ~1e-7).
      const stepSize = lr / (1 - beta1 ** state.step);
      const correction2Sqrt = Math.sqrt(1 - beta2 ** state.step);
      const keep = 1 - (noDecay(name) ? 0 : lr * weightDecay);
      // A copy of the weights (the backend may hand out its own storage), updated, then uploaded.
      const values = variable.dataSync().slice() as Float32Array;
      const { m, v } = state;
      for (let i = 0; i < values.length; i += 1) {
        const g = grad[i] ?? 0;
        const mi = beta1 * (m[i] ?? 0) + (1 - beta1) * g;
        const vi = beta2 * (v[i] ?? 0) + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        values[i] = (values[i] ?? 0) * keep - stepSize * mi / (Math.sqrt(vi) / correction2Sqrt + eps);
      }
      const updated = tf.tensor(values, variable.shape, 'float32');
      variable.assign(updated);
      updated.dispose();
    }
  }

  /** The step count of `name` (0 before its first gradient). */
  stepOf(name: string): number {
    return this.state.get(name)?.step ?? 0;
  }

  /** Frees the moments; the variables belong to the caller. */
  dispose(): void {
    this.state.clear();
  }
}
