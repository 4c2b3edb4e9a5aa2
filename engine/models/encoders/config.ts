/**
 * One typed configuration for the BERT-like encoders, read from a Hugging Face config.json.
 * DistilBERT spells its sizes differently (`dim`, `n_layers`, ...); the reader maps both
 * spellings here so the forward pass never looks at raw JSON.
 */
import type { Activation } from '../layers.js';

export type EncoderFamily = 'bert' | 'distilbert' | 'roberta';
export type EncoderHead = 'sequence-classification' | 'question-answering';

export interface EncoderConfig {
  readonly family: EncoderFamily;
  readonly head: EncoderHead;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly activation: Activation;
  readonly layerNormEps: number;
  readonly maxPositionEmbeddings: number;
  /** 0 for DistilBERT, which has no token-type embedding. */
  readonly typeVocabSize: number;
  readonly padTokenId: number;
  readonly numLabels: number;
  /** Label names by class index. */
  readonly id2label: readonly string[];
  readonly dropout: {
    readonly hidden: number;
    readonly attention: number;
    /** The rate before the classification or QA projection. */
    readonly head: number;
  };
}

type Json = Record<string, unknown>;

function num(json: Json, key: string, fallback?: number): number {
  const value = json[key];
  if (typeof value === 'number') return value;
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  throw new Error(`encoder config.json: ${key} must be a number`);
}

const ACTIVATIONS: readonly Activation[] = ['gelu', 'gelu_new', 'relu', 'silu'];

function activation(value: unknown): Activation {
  const found = ACTIVATIONS.find((a) => a === value);
  if (found === undefined) throw new Error(`encoder config.json: unsupported activation ${JSON.stringify(value)}`);
  return found;
}

function family(modelType: unknown): EncoderFamily {
  if (modelType === 'bert' || modelType === 'distilbert' || modelType === 'roberta') return modelType;
  throw new Error(`encoder config.json: model_type ${JSON.stringify(modelType)} is not bert, distilbert or roberta`);
}

/** The head from `architectures[0]` (e.g. `RobertaForQuestionAnswering`) unless the caller names one. */
function headOf(json: Json, wanted: EncoderHead | undefined): EncoderHead {
  if (wanted !== undefined) return wanted;
  const arch = Array.isArray(json.architectures) ? (json.architectures as unknown[])[0] : undefined;
  if (typeof arch === 'string' && arch.endsWith('ForQuestionAnswering')) return 'question-answering';
  if (typeof arch === 'string' && arch.endsWith('ForSequenceClassification')) return 'sequence-classification';
  throw new Error(`encoder config.json: cannot tell the head from architectures ${JSON.stringify(json.architectures)}`);
}

/** Label names in index order; transformers defaults to two labels `LABEL_0`, `LABEL_1`. */
function labels(json: Json): string[] {
  const raw = json.id2label;
  const count = typeof json.num_labels === 'number' ? json.num_labels : undefined;
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw as Record<string, unknown>);
    const names: string[] = [];
    for (const [key, value] of entries) names[Number(key)] = String(value);
    return Array.from({ length: count ?? entries.length }, (_, i) => names[i] ?? `LABEL_${i}`);
  }
  return Array.from({ length: count ?? 2 }, (_, i) => `LABEL_${i}`);
}

export function readEncoderConfig(json: unknown, head?: EncoderHead): EncoderConfig {
  if (json === null || typeof json !== 'object') throw new Error('encoder config.json must be an object');
  const c = json as Json;
  const kind = family(c.model_type);
  const id2label = labels(c);
  const common = { family: kind, head: headOf(c, head), id2label, numLabels: id2label.length };
  if (kind === 'distilbert') {
    const hidden = num(c, 'dropout', 0.1);
    return {
      ...common,
      vocabSize: num(c, 'vocab_size'),
      hiddenSize: num(c, 'dim'),
      numLayers: num(c, 'n_layers'),
      numHeads: num(c, 'n_heads'),
      intermediateSize: num(c, 'hidden_dim'),
      activation: activation(c.activation ?? 'gelu'),
      layerNormEps: 1e-12, // hard-coded in DistilBERT's modeling code; config.json has no field for it
      maxPositionEmbeddings: num(c, 'max_position_embeddings'),
      typeVocabSize: 0,
      padTokenId: num(c, 'pad_token_id', 0),
      dropout: {
        hidden,
        attention: num(c, 'attention_dropout', 0.1),
        head: common.head === 'question-answering' ? num(c, 'qa_dropout', 0.1) : num(c, 'seq_classif_dropout', 0.2),
      },
    };
  }
  const hidden = num(c, 'hidden_dropout_prob', 0.1);
  return {
    ...common,
    vocabSize: num(c, 'vocab_size'),
    hiddenSize: num(c, 'hidden_size'),
    numLayers: num(c, 'num_hidden_layers'),
    numHeads: num(c, 'num_attention_heads'),
    intermediateSize: num(c, 'intermediate_size'),
    activation: activation(c.hidden_act ?? 'gelu'),
    layerNormEps: num(c, 'layer_norm_eps', 1e-12),
    maxPositionEmbeddings: num(c, 'max_position_embeddings'),
    typeVocabSize: num(c, 'type_vocab_size', 2),
    padTokenId: num(c, 'pad_token_id', kind === 'roberta' ? 1 : 0),
    // BERT/RoBERTa QA heads have no dropout; classification falls back to the hidden rate.
    dropout: {
      hidden,
      attention: num(c, 'attention_probs_dropout_prob', 0.1),
      head: common.head === 'question-answering' ? 0 : num(c, 'classifier_dropout', hidden),
    },
  };
}
