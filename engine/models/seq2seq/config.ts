/**
 * Marian and BART as configuration: the two families share one encoder-decoder and differ only in
 * the fields below (STYLE.md #8), so a new BART-like family is a registry entry, not a class.
 */
import type { Activation } from '../layers.js';

export type Seq2SeqFamily = 'marian' | 'bart';

export interface Seq2SeqConfig {
  readonly family: Seq2SeqFamily;
  readonly dModel: number;
  readonly vocabSize: number;
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly encoderHeads: number;
  readonly decoderHeads: number;
  readonly activation: Activation;
  /** Token embeddings × sqrt(d_model) (Marian) or × 1 (BART). */
  readonly scaleEmbedding: boolean;
  /** Marian rebuilds sinusoidal tables at load; BART learns them with a 2-row offset. */
  readonly positions: 'sinusoidal' | 'learned';
  readonly positionOffset: number;
  /** BART's LayerNorm right after the embedding sum; Marian has none. */
  readonly layernormEmbedding: boolean;
  readonly maxPositions: number;
  readonly layerNormEps: number;
  readonly padTokenId: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number;
  readonly decoderStartTokenId: number;
  /** Training-time rates (config.json `dropout`, `attention_dropout`, `activation_dropout`). */
  readonly dropout: { readonly hidden: number; readonly attention: number; readonly activation: number };
}

interface FamilyTraits {
  positions: Seq2SeqConfig['positions'];
  positionOffset: number;
  layernormEmbedding: boolean;
}

const FAMILIES: Readonly<Record<Seq2SeqFamily, FamilyTraits>> = {
  marian: { positions: 'sinusoidal', positionOffset: 0, layernormEmbedding: false },
  // BartLearnedPositionalEmbedding keeps an offset of 2 rows (a fairseq legacy).
  bart: { positions: 'learned', positionOffset: 2, layernormEmbedding: true },
};

const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu', gelu_new: 'gelu_new', relu: 'relu', silu: 'silu', swish: 'silu',
};

type Json = Record<string, unknown>;

function num(json: Json, key: string): number {
  const value = json[key];
  if (typeof value !== 'number') throw new Error(`config.json: ${key} must be a number`);
  return value;
}

function optionalNum(json: Json, key: string): number | null {
  const value = json[key];
  return typeof value === 'number' ? value : null;
}

/** Reads a transformers config.json for `marian` or `bart`; anything else is an error. */
export function seq2seqConfigFrom(json: Json): Seq2SeqConfig {
  const family = json.model_type;
  if (family !== 'marian' && family !== 'bart') throw new Error(`not a seq2seq family: ${String(family)}`);
  const activationName = typeof json.activation_function === 'string' ? json.activation_function : 'gelu';
  const activation = ACTIVATIONS[activationName];
  if (activation === undefined) throw new Error(`config.json: unknown activation_function ${activationName}`);
  const pad = num(json, 'pad_token_id');
  return {
    family,
    ...FAMILIES[family],
    dModel: num(json, 'd_model'),
    // Marian may have a separate decoder_vocab_size; with shared embeddings it equals vocab_size.
    vocabSize: optionalNum(json, 'decoder_vocab_size') ?? num(json, 'vocab_size'),
    encoderLayers: num(json, 'encoder_layers'),
    decoderLayers: num(json, 'decoder_layers'),
    encoderHeads: num(json, 'encoder_attention_heads'),
    decoderHeads: num(json, 'decoder_attention_heads'),
    activation,
    scaleEmbedding: json.scale_embedding === true,
    maxPositions: num(json, 'max_position_embeddings'),
    layerNormEps: 1e-5, // nn.LayerNorm's default; neither family overrides it
    padTokenId: pad,
    bosTokenId: optionalNum(json, 'bos_token_id'),
    eosTokenId: num(json, 'eos_token_id'),
    decoderStartTokenId: optionalNum(json, 'decoder_start_token_id') ?? pad,
    // BartConfig/MarianConfig defaults.
    dropout: {
      hidden: optionalNum(json, 'dropout') ?? 0.1,
      attention: optionalNum(json, 'attention_dropout') ?? 0,
      activation: optionalNum(json, 'activation_dropout') ?? 0,
    },
  };
}
