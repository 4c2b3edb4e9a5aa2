/**
 * Building blocks shared by the model families: plain functions over explicit weights (llm.c
 * style), so a family is its configuration plus the order it calls these in.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * `x · Wᵀ + b` for a torch `nn.Linear` weight stored as [out, in]. The product is a plain
 * `matMul` with transposeB: wasm's `_FusedMatMul` mis-indexes the bias when a transpose flag is
 * set (tfjs-engine.md §1.1, trap 5). Leading dimensions are flattened so the product is 2-D.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inner = x.shape[x.shape.length - 1] ?? 0;
  const outer = x.shape.slice(0, -1);
  const flat = x.reshape<tf.Tensor2D>([-1, inner]);
  const product = tf.matMul(flat, weight, false, true);
  const biased = bias === undefined ? product : product.add(bias);
  return biased.reshape([...outer, weight.shape[0]]);
}

/** LayerNorm over the last axis with population variance, as torch computes it. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
}

export type Activation = 'gelu' | 'gelu_new' | 'relu' | 'silu';

/** The activations transformers names in configs; `gelu` is the exact erf form, `gelu_new` the tanh one. */
export function activate(x: tf.Tensor, kind: Activation): tf.Tensor {
  switch (kind) {
    case 'gelu':
      return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
    case 'gelu_new': {
      const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
      return x.mul(tf.tanh(inner).add(1)).mul(0.5);
    }
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return x.mul(tf.sigmoid(x));
    default: {
      const never: never = kind;
      throw new Error(`unknown activation ${String(never)}`);
    }
  }
}

/**
 * Dropout that is the identity outside training. With a seed, each call draws from `seed + n`
 * for the n-th call, so a whole forward pass is reproducible without the layers sharing a mask.
 */
export class Dropout {
  private calls = 0;
  constructor(readonly training: boolean, private readonly seed?: number) {}

  /**
   * A Dropout for one block that can be made again with the same masks (for a checkpointed block,
   * whose backward pass reruns it): the block's seed comes from this one's sequence.
   */
  fork(): () => Dropout {
    if (!this.training) return () => this;
    const seed = this.seed === undefined ? Math.floor(Math.random() * 2 ** 30) : this.seed + 7919 * (this.calls + 1);
    this.calls += 1;
    return () => new Dropout(true, seed);
  }

  apply(x: tf.Tensor, rate: number): tf.Tensor {
    if (!this.training || rate <= 0) return x;
    const seed = this.seed === undefined ? undefined : this.seed + this.calls;
    this.calls += 1;
    return tf.dropout(x, rate, undefined, seed);
  }
}

/** torch.finfo(float32).min: what HF adds to (or fills into) masked attention scores. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * [batch, 1, 1, keys] additive mask from a 0/1 attention mask. It is built from the input only,
 * never from a variable, so it carries no gradient (tfjs-engine.md §1.1, trap 4).
 */
export function additiveMask(attentionMask: tf.Tensor2D): tf.Tensor {
  const [batch, keys] = attentionMask.shape;
  return tf.scalar(1).sub(attentionMask.toFloat()).mul(FLOAT32_MIN).reshape([batch, 1, 1, keys]);
}

/** [batch, seq, hidden] → [batch, heads, seq, hidden / heads]. */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [batch = 0, seq = 0, hidden = 0] = x.shape;
  return x.reshape([batch, seq, heads, hidden / heads]).transpose([0, 2, 1, 3]);
}

export interface AttentionWeights {
  query: { weight: tf.Tensor; bias: tf.Tensor };
  key: { weight: tf.Tensor; bias: tf.Tensor };
  value: { weight: tf.Tensor; bias: tf.Tensor };
}

/**
 * Scaled dot-product self-attention before the output projection: returns the heads merged back
 * to [batch, seq, hidden]. `mask` is additive, from `additiveMask`.
 */
export function selfAttention(
  x: tf.Tensor, w: AttentionWeights, heads: number, mask: tf.Tensor, dropout: Dropout, attentionDropout: number,
): tf.Tensor {
  const [batch = 0, seq = 0, hidden = 0] = x.shape;
  const q = splitHeads(linear(x, w.query.weight, w.query.bias), heads);
  const k = splitHeads(linear(x, w.key.weight, w.key.bias), heads);
  const v = splitHeads(linear(x, w.value.weight, w.value.bias), heads);
  const scores = tf.matMul(q, k, false, true).div(Math.sqrt(hidden / heads)).add(mask);
  const probs = dropout.apply(tf.softmax(scores, -1), attentionDropout);
  return tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([batch, seq, hidden]);
}

/**
 * Row lookup in an embedding table. With `paddingIdx`, it behaves like torch's
 * `nn.Embedding(padding_idx=…)`: the forward value is unchanged, but the padding row gets no
 * gradient (it matters where pad positions reach the loss, as in QA over padded logits).
 */
export function embedding(weight: tf.Tensor, ids: tf.Tensor, paddingIdx?: number): tf.Tensor {
  const rows = tf.gather(weight, ids);
  if (paddingIdx === undefined) return rows;
  const keep = tf.notEqual(ids, paddingIdx).toFloat().expandDims(-1);
  // The mask goes through `save` so it outlives the caller's tidy until the backward pass.
  const masked = tf.customGrad((x, mask, save) => {
    const m = mask as tf.Tensor;
    (save as tf.GradSaveFunc)([m]);
    return {
      value: (x as tf.Tensor).clone(),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const kept = saved[0] ?? m;
        return [dy.mul(kept), tf.zerosLike(kept)];
      },
    };
  });
  return masked(rows, keep);
}
