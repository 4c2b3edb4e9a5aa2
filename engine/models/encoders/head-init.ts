import type * as tfjs from '@tensorflow/tfjs';
import type { Params } from '../params.js';
import type { EncoderConfig } from './config.js';
import { FAMILIES } from './families.js';
import { expectedWeights } from './weights.js';

/** transformers' `initializer_range` default for BERT, DistilBERT and RoBERTa. */
const INITIALIZER_RANGE = 0.02;

/**
 * Fine-tuning starts from a base checkpoint (`distilbert-base-uncased`) that has no task head.
 * Like transformers' `from_pretrained`, the head's weights are then newly initialised — linear
 * weights from N(0, initializer_range), biases zero — and reported, so the caller can tell the
 * user (a NOTICE). Only head weights are made up: a missing backbone weight stays an error for
 * checkEncoderWeights. Returns the names initialised.
 */
export function initializeMissingHead(tf: typeof tfjs, params: Params, config: EncoderConfig, seed = 42): string[] {
  const backbone = `${FAMILIES[config.family].prefix}.`;
  const initialised: string[] = [];
  for (const [name, shape] of expectedWeights(config)) {
    if (params.has(name)) continue;
    // BERT's pooler is part of the head for this purpose: transformers also initialises it.
    const head = !name.startsWith(backbone) || name.startsWith(`${backbone}pooler.`);
    if (!head) continue;
    const tensor = name.endsWith('.bias')
      ? tf.zeros([...shape])
      : tf.randomNormal([...shape], 0, INITIALIZER_RANGE, 'float32', seed + initialised.length);
    params.add(name, tensor);
    initialised.push(name);
  }
  return initialised;
}
