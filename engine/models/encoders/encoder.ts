/**
 * The shared post-LayerNorm encoder of BERT, DistilBERT and RoBERTa: embeddings, then blocks of
 * `x = LN(x + attention(x)); x = LN(x + ffn(x))`. Returns the last hidden state.
 */
import * as tf from '@tensorflow/tfjs';
import { blockWeights, checkpointed, type Block } from '../checkpoint.js';
import type { Params } from '../params.js';
import { Dropout, activate, additiveMask, embedding, layerNorm, linear, selfAttention } from '../layers.js';
import type { EncoderConfig } from './config.js';
import { FAMILIES, type BlockNames, type FamilySpec } from './families.js';

/** int32 [batch, seq] tensors, as a tokenizer pads them. */
export interface EncoderInputs {
  readonly inputIds: tf.Tensor2D;
  readonly attentionMask: tf.Tensor2D;
  /** Segment ids for BERT/RoBERTa; zeros when absent. DistilBERT ignores them. */
  readonly tokenTypeIds?: tf.Tensor2D;
}

export interface RunOptions {
  readonly training: boolean;
  /** Seeds the dropout masks so a training step is reproducible. */
  readonly seed?: number;
  /** Recompute each block's activations in the backward pass (engine/models/checkpoint.ts). */
  readonly checkpoint?: boolean;
}

function norm(params: Params, stem: string, x: tf.Tensor, eps: number): tf.Tensor {
  return layerNorm(x, params.get(`${stem}.weight`), params.get(`${stem}.bias`), eps);
}

/**
 * Position ids from the input ids alone. RoBERTa's are `cumsum(not pad) * not pad + pad`
 * (transformers' create_position_ids_from_input_ids), so pads get `pad` and real tokens count
 * from pad + 1.
 */
function positionIds(spec: FamilySpec, config: EncoderConfig, inputIds: tf.Tensor2D): tf.Tensor2D {
  const [batch, seq] = inputIds.shape;
  if (spec.positions === 'absolute') return tf.tile(tf.range(0, seq, 1, 'int32').expandDims(0), [batch, 1]) as tf.Tensor2D;
  const real = tf.notEqual(inputIds, config.padTokenId).toFloat();
  return tf.cumsum(real, 1).mul(real).add(config.padTokenId).toInt() as tf.Tensor2D;
}

function embeddings(
  params: Params, config: EncoderConfig, spec: FamilySpec, inputs: EncoderInputs, dropout: Dropout,
): tf.Tensor {
  const p = `${spec.prefix}.embeddings`;
  const positions = positionIds(spec, config, inputs.inputIds);
  // All three families build word_embeddings with padding_idx = pad_token_id; only RoBERTa's
  // position table has one too (pads sit at position id = pad).
  const positionPadding = spec.positions === 'after-padding' ? config.padTokenId : undefined;
  let sum = embedding(params.get(`${p}.word_embeddings.weight`), inputs.inputIds, config.padTokenId)
    .add(embedding(params.get(`${p}.position_embeddings.weight`), positions, positionPadding));
  if (spec.tokenTypes) {
    const types = inputs.tokenTypeIds ?? tf.zerosLike(inputs.inputIds);
    sum = sum.add(tf.gather(params.get(`${p}.token_type_embeddings.weight`), types));
  }
  return dropout.apply(norm(params, `${p}.LayerNorm`, sum, config.layerNormEps), config.dropout.hidden);
}

/** The last hidden state [batch, seq, hidden]. Call inside `tf.tidy`; intermediates are not disposed here. */
export function encode(params: Params, config: EncoderConfig, inputs: EncoderInputs, dropout: Dropout, checkpoint = false): tf.Tensor {
  const spec = FAMILIES[config.family];
  const mask = additiveMask(inputs.attentionMask);
  let x = embeddings(params, config, spec, inputs, dropout);
  for (let layer = 0; layer < config.numLayers; layer += 1) {
    const replay = dropout.fork();
    const { weights, view } = blockWeights(params, blockWeightNames(spec, layer));
    const run: Block = ([input], [blockMask], w) =>
      encoderBlock(input as tf.Tensor, blockMask ?? mask, view(w), config, spec.block(layer), spec.dropoutAfterAttention, replay());
    x = checkpoint ? checkpointed(run, [x], [mask], weights) : run([x], [mask], weights);
  }
  return x;
}

/** Every weight one block reads, in a fixed order. */
function blockWeightNames(spec: FamilySpec, layer: number): string[] {
  const n = spec.block(layer);
  const stems = [n.query, n.key, n.value, n.attentionOut, n.attentionNorm, n.ffnIn, n.ffnOut, n.ffnNorm];
  return stems.flatMap((stem) => [`${stem}.weight`, `${stem}.bias`]);
}

/** `x = LN(x + attention(x)); x = LN(x + ffn(x))`, reading the block's weights from `block`. */
function encoderBlock(
  x: tf.Tensor, mask: tf.Tensor, block: Params, config: EncoderConfig,
  n: BlockNames, dropoutAfterAttention: boolean, dropout: Dropout,
): tf.Tensor {
  const eps = config.layerNormEps;
  const weights = (stem: string) => ({ weight: block.get(`${stem}.weight`), bias: block.get(`${stem}.bias`) });
  const dense = (stem: string, input: tf.Tensor): tf.Tensor => linear(input, block.get(`${stem}.weight`), block.get(`${stem}.bias`));
  const context = selfAttention(
    x, { query: weights(n.query), key: weights(n.key), value: weights(n.value) },
    config.numHeads, mask, dropout, config.dropout.attention,
  );
  let attended = dense(n.attentionOut, context);
  if (dropoutAfterAttention) attended = dropout.apply(attended, config.dropout.hidden);
  const y = norm(block, n.attentionNorm, attended.add(x), eps);
  const inner = activate(dense(n.ffnIn, y), config.activation);
  const out = dropout.apply(dense(n.ffnOut, inner), config.dropout.hidden);
  return norm(block, n.ffnNorm, out.add(y), eps);
}
