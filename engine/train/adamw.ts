/**
 * AdamW as torch.optim.AdamW (torch 1.13, single-tensor path, amsgrad off) computes it, which is
 * also what transformers' Trainer uses. tf.train.adam is not used: it keeps about ten temporaries
 * per parameter alive until the whole update ends, while here each variable is updated inside its
 * own tf.tidy, so the peak is one parameter's temporaries and memory stays flat across steps.
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
  m: tf.Tensor;
  v: tf.Tensor;
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
   * One update from gradients keyed by parameter name. Names without a gradient are skipped,
   * weight decay included (torch skips `p.grad is None`). `lr` overrides the option for this step,
   * for a schedule.
   */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr = this.options.lr): void {
    const { betas: [beta1, beta2], eps, weightDecay, noDecay } = this.options;
    for (const [name, variable] of this.variables) {
      const grad = grads.get(name);
      if (grad === undefined) continue;
      const previous = this.state.get(name);
      const t = (previous?.step ?? 0) + 1;
      const decay = noDecay(name) ? 0 : lr * weightDecay;
      // Bias corrections in float64 as torch computes them in Python, then applied as float32 scalars.
      const stepSize = lr / (1 - beta1 ** t);
      const correction2Sqrt = Math.sqrt(1 - beta2 ** t);
      const { m, v } = tf.tidy(() => {
        const decayed = decay === 0 ? variable : variable.mul(1 - decay);
        const m0 = previous?.m ?? tf.zerosLike(grad);
        const v0 = previous?.v ?? tf.zerosLike(grad);
        const m1 = m0.mul(beta1).add(grad.mul(1 - beta1));
        const v1 = v0.mul(beta2).add(grad.square().mul(1 - beta2));
        const denom = v1.sqrt().div(correction2Sqrt).add(eps);
        variable.assign(decayed.sub(m1.div(denom).mul(stepSize)));
        return { m: m1, v: v1 };
      });
      if (previous !== undefined) tf.dispose([previous.m, previous.v]);
      this.state.set(name, { m, v, step: t });
    }
  }

  /** The step count of `name` (0 before its first gradient). */
  stepOf(name: string): number {
    return this.state.get(name)?.step ?? 0;
  }

  /** Frees the moment tensors; the variables belong to the caller. */
  dispose(): void {
    for (const { m, v } of this.state.values()) tf.dispose([m, v]);
    this.state.clear();
  }
}
