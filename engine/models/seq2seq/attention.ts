/**
 * BART-style multi-head attention with separate query and key/value inputs, so one function
 * serves encoder self-attention, causal decoder self-attention with a KV cache, and cross-attention.
 */
import * as tf from '@tensorflow/tfjs';
import type { Params } from '../params.js';
import { FLOAT32_MIN, linear, type Dropout } from '../layers.js';

/** [batch, seq, hidden] → [batch, heads, seq, hidden / heads]. */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [batch = 0, seq = 0, hidden = 0] = x.shape;
  return x.reshape([batch, seq, heads, hidden / heads]).transpose([0, 2, 1, 3]);
}

/** Keys and values of one attention block, already split into heads. */
export interface KeyValues {
  readonly key: tf.Tensor;
  readonly value: tf.Tensor;
}

/** Projects `x` through `<prefix>.k_proj` / `v_proj` into heads (cached per step or per source). */
export function projectKeyValues(params: Params, prefix: string, x: tf.Tensor, heads: number): KeyValues {
  return {
    key: splitHeads(linear(x, params.get(`${prefix}.k_proj.weight`), params.get(`${prefix}.k_proj.bias`)), heads),
    value: splitHeads(linear(x, params.get(`${prefix}.v_proj.weight`), params.get(`${prefix}.v_proj.bias`)), heads),
  };
}

/**
 * Attention of `x` over `kv`, through `<prefix>.out_proj`. The query is scaled after its bias, as
 * BartAttention does (`q_proj(x) * head_dim**-0.5`). `mask` is additive and broadcasts to
 * [batch, heads, queries, keys].
 */
export function attend(
  params: Params, prefix: string, x: tf.Tensor, kv: KeyValues, heads: number, mask: tf.Tensor | null, dropout?: Dropout, rate = 0,
): tf.Tensor {
  const [batch = 0, seq = 0, hidden = 0] = x.shape;
  const scaled = linear(x, params.get(`${prefix}.q_proj.weight`), params.get(`${prefix}.q_proj.bias`)).mul(1 / Math.sqrt(hidden / heads));
  const scores = tf.matMul(splitHeads(scaled, heads), kv.key, false, true);
  const softmax = tf.softmax(mask === null ? scores : scores.add(mask), -1);
  // BartAttention drops attention weights (attention_dropout) in training only.
  const probs = dropout === undefined ? softmax : dropout.apply(softmax, rate);
  const merged = tf.matMul(probs, kv.value).transpose([0, 2, 1, 3]).reshape([batch, seq, hidden]);
  return linear(merged, params.get(`${prefix}.out_proj.weight`), params.get(`${prefix}.out_proj.bias`));
}

/**
 * [1, 1, queries, past + queries] additive causal mask: query i (at absolute position past + i)
 * sees keys up to and including its own position.
 */
export function causalMask(queries: number, past: number): tf.Tensor {
  const keys = past + queries;
  const values = new Float32Array(queries * keys);
  for (let i = 0; i < queries; i++) for (let j = past + i + 1; j < keys; j++) values[i * keys + j] = FLOAT32_MIN;
  return tf.tensor4d(values, [1, 1, queries, keys]);
}
