/**
 * A checkpoint made ready for fine-tuning as a sequence classifier, as transformers'
 * AutoModelForSequenceClassification.from_pretrained(..., num_labels, id2label) prepares it: the
 * backbone from the checkpoint, a classification head kept when it has the right shape and
 * newly initialised otherwise, and everything the classifier does not use (an MLM head) left out.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { readCheckpoint, type Weights } from '../../weights/index.js';
import { paramsFromWeights, type Params } from '../params.js';
import { readEncoderConfig, type EncoderConfig, type EncoderFamily } from './config.js';
import { initializeMissingHead } from './head-init.js';
import { checkEncoderWeights, expectedWeights } from './weights.js';

export interface ClassifierBase {
  readonly config: EncoderConfig;
  readonly params: Params;
  /** config.json to save with the fine-tuned model. */
  readonly configJson: Readonly<Record<string, unknown>>;
  /** Head weights made up (not in the checkpoint, or the wrong shape), for a NOTICE. */
  readonly initialised: readonly string[];
  /** Checkpoint weights the classifier does not use (e.g. `vocab_projector.weight`). */
  readonly unused: readonly string[];
}

const ARCHITECTURES: Readonly<Record<EncoderFamily, string>> = {
  bert: 'BertForSequenceClassification',
  distilbert: 'DistilBertForSequenceClassification',
  roberta: 'RobertaForSequenceClassification',
};

export async function loadClassifierBase(tf: typeof tfjs, folder: string, labels: readonly string[], seed: number): Promise<ClassifierBase> {
  const raw = JSON.parse(await readFile(path.join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const configJson: Record<string, unknown> = {
    ...raw,
    architectures: [ARCHITECTURES[readEncoderConfig(raw, 'sequence-classification').family]],
    id2label: Object.fromEntries(labels.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(labels.map((label, i) => [label, i])),
    problem_type: 'single_label_classification',
  };
  delete configJson.num_labels;
  const config = readEncoderConfig(configJson, 'sequence-classification');
  const expected = expectedWeights(config);
  const checkpoint = await readCheckpoint(folder);
  const unused = [...checkpoint.keys()].filter((name) => !expected.has(name));
  // A head trained for another label set cannot be reused (transformers' ignore_mismatched_sizes).
  const mismatched = [...expected].filter(([name, shape]) => {
    const found = checkpoint.get(name);
    return found !== undefined && found.shape.join() !== shape.join();
  }).map(([name]) => name);
  const kept: Weights = new Map([...checkpoint].filter(([name]) => expected.has(name) && !mismatched.includes(name)));
  const params = paramsFromWeights(tf, kept);
  try {
    const initialised = initializeMissingHead(tf, params, config, seed);
    checkEncoderWeights(params, config);
    return { config, params, configJson, initialised, unused };
  } catch (error) {
    params.dispose();
    throw error;
  }
}
