/**
 * The Marian/BART encoder-decoder with its LM head, as functions over the checkpoint's named
 * weights (`model.encoder.layers.0.self_attn.q_proj.weight`, …). Both families are post-LN.
 */
import * as tf from '@tensorflow/tfjs';
import { blockWeights, checkpointed, type Block } from '../checkpoint.js';
import type { Params } from '../params.js';
import { activate, additiveMask, Dropout, embedding, layerNorm, linear } from '../layers.js';
import type { Seq2SeqConfig } from './config.js';
import { attend, causalMask, projectKeyValues, type KeyValues } from './attention.js';

/** Per decoder layer: self-attention keys/values so far, and the cross-attention ones of the source. */
export interface LayerCache {
  readonly self: KeyValues;
  readonly cross: KeyValues;
}

/** Decoder state between generation steps; `past` is how many target positions are cached. */
export interface DecoderCache {
  readonly past: number;
  readonly layers: readonly LayerCache[];
}

export interface DecoderOutput {
  /** [batch, tgt, vocab], with `final_logits_bias` added. */
  readonly logits: tf.Tensor3D;
  readonly cache: DecoderCache;
}

function norm(params: Params, config: Seq2SeqConfig, prefix: string, x: tf.Tensor): tf.Tensor {
  return layerNorm(x, params.get(`${prefix}.weight`), params.get(`${prefix}.bias`), config.layerNormEps);
}

/** Dropout after the activation (activation_dropout), then after fc2 (dropout), as BartEncoderLayer. */
function feedForward(params: Params, config: Seq2SeqConfig, prefix: string, x: tf.Tensor, drop: Dropout): tf.Tensor {
  const inner = drop.apply(activate(linear(x, params.get(`${prefix}.fc1.weight`), params.get(`${prefix}.fc1.bias`)), config.activation), config.dropout.activation);
  return drop.apply(linear(inner, params.get(`${prefix}.fc2.weight`), params.get(`${prefix}.fc2.bias`)), config.dropout.hidden);
}

/** Inference: dropout off. Training passes a seeded Dropout in training mode. */
const NO_DROPOUT = new Dropout(false);

/** Token embeddings (scaled for Marian) plus positions `start…`, then BART's embedding LayerNorm. */
function embed(params: Params, config: Seq2SeqConfig, side: 'encoder' | 'decoder', ids: tf.Tensor, start: number, drop: Dropout): tf.Tensor {
  const [, seq = 0] = ids.shape;
  const scale = config.scaleEmbedding ? Math.sqrt(config.dModel) : 1;
  // torch's nn.Embedding(padding_idx=pad): the pad row gets no gradient from lookups (Marian's
  // decoder starts with pad), only through the tied LM head.
  const tokens = embedding(params.get(`model.${side}.embed_tokens.weight`), ids.toInt(), config.padTokenId).mul(scale);
  const rows = tf.range(start + config.positionOffset, start + config.positionOffset + seq, 1, 'int32');
  const summed = tokens.add(tf.gather(params.get(`model.${side}.embed_positions.weight`), rows));
  return drop.apply(config.layernormEmbedding ? norm(params, config, `model.${side}.layernorm_embedding`, summed) : summed, config.dropout.hidden);
}

/**
 * Encoder last hidden state [batch, src, d_model] for int ids and a 0/1 mask, both [batch, src].
 * `checkpoint` recomputes each layer's activations in the backward pass (engine/models/checkpoint.ts).
 */
export function encode(
  params: Params, config: Seq2SeqConfig, inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, drop: Dropout = NO_DROPOUT, checkpoint = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    const mask = additiveMask(attentionMask);
    let h = embed(params, config, 'encoder', inputIds, 0, drop);
    for (let i = 0; i < config.encoderLayers; i++) {
      const p = `model.encoder.layers.${i}`;
      const replay = drop.fork();
      const { weights, view } = blockWeights(params, layerWeightNames(params, p));
      const run: Block = ([x], [m], w) => encoderLayer(view(w), config, p, x as tf.Tensor, m ?? mask, replay());
      h = checkpoint ? checkpointed(run, [h], [mask], weights) : run([h], [mask], weights);
    }
    return h as tf.Tensor3D;
  });
}

function encoderLayer(params: Params, config: Seq2SeqConfig, p: string, x: tf.Tensor, mask: tf.Tensor, drop: Dropout): tf.Tensor {
  const rates = config.dropout;
  const kv = projectKeyValues(params, `${p}.self_attn`, x, config.encoderHeads);
  const attended = drop.apply(attend(params, `${p}.self_attn`, x, kv, config.encoderHeads, mask, drop, rates.attention), rates.hidden);
  const h = norm(params, config, `${p}.self_attn_layer_norm`, x.add(attended));
  return norm(params, config, `${p}.final_layer_norm`, h.add(feedForward(params, config, p, h, drop)));
}

/** Self-attention over `self`, cross-attention over `cross`, then the feed-forward block. */
function decoderLayer(
  params: Params, config: Seq2SeqConfig, p: string, x: tf.Tensor, self: KeyValues, cross: KeyValues,
  masks: { readonly self: tf.Tensor | null; readonly cross: tf.Tensor }, drop: Dropout,
): tf.Tensor {
  const rates = config.dropout;
  const heads = config.decoderHeads;
  const attended = drop.apply(attend(params, `${p}.self_attn`, x, self, heads, masks.self, drop, rates.attention), rates.hidden);
  let h = norm(params, config, `${p}.self_attn_layer_norm`, x.add(attended));
  const crossed = drop.apply(attend(params, `${p}.encoder_attn`, h, cross, heads, masks.cross, drop, rates.attention), rates.hidden);
  h = norm(params, config, `${p}.encoder_attn_layer_norm`, h.add(crossed));
  return norm(params, config, `${p}.final_layer_norm`, h.add(feedForward(params, config, p, h, drop)));
}

/** Every weight under `prefix.` (one layer), in a fixed order. */
function layerWeightNames(params: Params, prefix: string): string[] {
  return params.names().filter((name) => name.startsWith(`${prefix}.`)).sort();
}

/** The LM head is the shared embedding matrix (tied), plus the fairseq-era bias buffer. */
function lmHead(params: Params, h: tf.Tensor): tf.Tensor3D {
  return linear(h, params.get('lm_head.weight'), params.get('final_logits_bias').reshape([-1])) as tf.Tensor3D;
}

/**
 * Logits for `decoderInputIds` [batch, tgt] given the encoder output and its 0/1 mask. Without a
 * cache the target is read whole (teacher forcing); with one, only the new positions are given.
 * The returned cache holds new self-attention tensors and the same cross-attention ones: the
 * caller disposes the old cache's `self` tensors, and the cross ones once, at the end
 * (`disposeCache`).
 */
export function decode(
  params: Params, config: Seq2SeqConfig, encoderOutput: tf.Tensor, encoderMask: tf.Tensor2D,
  decoderInputIds: tf.Tensor2D, cache?: DecoderCache, drop: Dropout = NO_DROPOUT,
): DecoderOutput {
  const past = cache?.past ?? 0;
  const [, tgt] = decoderInputIds.shape;
  const heads = config.decoderHeads;
  const layers: LayerCache[] = [];
  const logits = tf.tidy(() => {
    // One new position at a time needs no causal mask: it may see every cached key.
    const masks = { self: tgt === 1 ? null : causalMask(tgt, past), cross: additiveMask(encoderMask) };
    let h = embed(params, config, 'decoder', decoderInputIds, past, drop);
    for (let i = 0; i < config.decoderLayers; i++) {
      const p = `model.decoder.layers.${i}`;
      const fresh = projectKeyValues(params, `${p}.self_attn`, h, heads);
      const previous = cache?.layers[i];
      const self = previous === undefined ? fresh : {
        key: tf.concat([previous.self.key, fresh.key], 2),
        value: tf.concat([previous.self.value, fresh.value], 2),
      };
      const cross = previous?.cross ?? projectKeyValues(params, `${p}.encoder_attn`, encoderOutput, heads);
      layers.push({ self: { key: tf.keep(self.key), value: tf.keep(self.value) }, cross: previous?.cross ?? { key: tf.keep(cross.key), value: tf.keep(cross.value) } });
      h = decoderLayer(params, config, p, h, self, cross, masks, drop);
    }
    return lmHead(params, h);
  });
  return { logits, cache: { past: past + tgt, layers } };
}

/**
 * Teacher-forced logits [batch, tgt, vocab] for training: no cache, and with `checkpoint` each
 * layer's activations (its keys and values included) are recomputed in the backward pass.
 */
export function decodeForTraining(
  params: Params, config: Seq2SeqConfig, encoderOutput: tf.Tensor, encoderMask: tf.Tensor2D, decoderInputIds: tf.Tensor2D, drop: Dropout, checkpoint: boolean,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [, tgt] = decoderInputIds.shape;
    const selfMask = causalMask(tgt, 0);
    const crossMask = additiveMask(encoderMask);
    const heads = config.decoderHeads;
    let h = embed(params, config, 'decoder', decoderInputIds, 0, drop);
    for (let i = 0; i < config.decoderLayers; i++) {
      const p = `model.decoder.layers.${i}`;
      const replay = drop.fork();
      const { weights, view } = blockWeights(params, layerWeightNames(params, p));
      const run: Block = ([x, memory], [self, cross], w) => {
        const layer = view(w);
        const input = x as tf.Tensor;
        const kv = projectKeyValues(layer, `${p}.self_attn`, input, heads);
        const crossKv = projectKeyValues(layer, `${p}.encoder_attn`, memory as tf.Tensor, heads);
        return decoderLayer(layer, config, p, input, kv, crossKv, { self: self ?? selfMask, cross: cross ?? crossMask }, replay());
      };
      h = checkpoint ? checkpointed(run, [h, encoderOutput], [selfMask, crossMask], weights) : run([h, encoderOutput], [selfMask, crossMask], weights);
    }
    return lmHead(params, h);
  });
}

/** Disposes the self-attention tensors of a cache (those each `decode` step replaces). */
export function disposeSelf(cache: DecoderCache): void {
  for (const layer of cache.layers) tf.dispose([layer.self.key, layer.self.value]);
}

/** Disposes every tensor of a cache, cross-attention included. */
export function disposeCache(cache: DecoderCache): void {
  disposeSelf(cache);
  for (const layer of cache.layers) tf.dispose([layer.cross.key, layer.cross.value]);
}
