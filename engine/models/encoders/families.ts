/**
 * The three encoder families as data: where each one keeps its weights (the Hugging Face
 * state-dict names) and the few places where their computations differ. The forward pass in
 * encoder.ts is shared; nothing here computes.
 */
import type { EncoderFamily } from './config.js';

/** Weight-name stems (without `.weight`/`.bias`) of one transformer block. */
export interface BlockNames {
  readonly query: string;
  readonly key: string;
  readonly value: string;
  readonly attentionOut: string;
  readonly attentionNorm: string;
  readonly ffnIn: string;
  readonly ffnOut: string;
  readonly ffnNorm: string;
}

export interface FamilySpec {
  /** The backbone's prefix in the checkpoint: `bert`, `distilbert`, `roberta`. */
  readonly prefix: string;
  readonly block: (layer: number) => BlockNames;
  /** RoBERTa numbers positions from padding_idx + 1 and skips pads; the others count from 0. */
  readonly positions: 'absolute' | 'after-padding';
  readonly tokenTypes: boolean;
  /** BERT's self-output applies dropout before the residual; DistilBERT's block does not. */
  readonly dropoutAfterAttention: boolean;
}

function bertBlock(prefix: string): (layer: number) => BlockNames {
  return (layer) => {
    const l = `${prefix}.encoder.layer.${layer}`;
    return {
      query: `${l}.attention.self.query`,
      key: `${l}.attention.self.key`,
      value: `${l}.attention.self.value`,
      attentionOut: `${l}.attention.output.dense`,
      attentionNorm: `${l}.attention.output.LayerNorm`,
      ffnIn: `${l}.intermediate.dense`,
      ffnOut: `${l}.output.dense`,
      ffnNorm: `${l}.output.LayerNorm`,
    };
  };
}

export const FAMILIES: Readonly<Record<EncoderFamily, FamilySpec>> = {
  bert: { prefix: 'bert', block: bertBlock('bert'), positions: 'absolute', tokenTypes: true, dropoutAfterAttention: true },
  roberta: {
    prefix: 'roberta', block: bertBlock('roberta'), positions: 'after-padding', tokenTypes: true, dropoutAfterAttention: true,
  },
  distilbert: {
    prefix: 'distilbert',
    block: (layer) => {
      const l = `distilbert.transformer.layer.${layer}`;
      return {
        query: `${l}.attention.q_lin`,
        key: `${l}.attention.k_lin`,
        value: `${l}.attention.v_lin`,
        attentionOut: `${l}.attention.out_lin`,
        attentionNorm: `${l}.sa_layer_norm`,
        ffnIn: `${l}.ffn.lin1`,
        ffnOut: `${l}.ffn.lin2`,
        ffnNorm: `${l}.output_layer_norm`,
      };
    },
    positions: 'absolute',
    tokenTypes: false,
    dropoutAfterAttention: false,
  },
};
