/**
 * A checkpoint made ready for fine-tuning with a task head, as transformers'
 * AutoModelFor{SequenceClassification,QuestionAnswering}.from_pretrained prepares it: the backbone
 * from the checkpoint, the head kept when it has the right shape and newly initialised otherwise,
 * and everything the model does not use (an MLM head, another task's head) left out.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { readCheckpoint, type Weights } from '../../weights/index.js';
import { paramsFromWeights, type Params } from '../params.js';
import { readEncoderConfig, type EncoderConfig, type EncoderFamily, type EncoderHead } from './config.js';
import { initializeMissingHead } from './head-init.js';
import { checkEncoderWeights, expectedWeights } from './weights.js';

export interface EncoderBase {
  readonly config: EncoderConfig;
  readonly params: Params;
  /** config.json to save with the fine-tuned model. */
  readonly configJson: Readonly<Record<string, unknown>>;
  /** Head weights made up (not in the checkpoint, or the wrong shape), for a NOTICE. */
  readonly initialised: readonly string[];
  /** Checkpoint weights the classifier does not use (e.g. `vocab_projector.weight`). */
  readonly unused: readonly string[];
}

const FAMILY_NAMES: Readonly<Record<EncoderFamily, string>> = { bert: 'Bert', distilbert: 'DistilBert', roberta: 'Roberta' };
const HEAD_NAMES: Readonly<Record<EncoderHead, string>> = { 'sequence-classification': 'ForSequenceClassification', 'question-answering': 'ForQuestionAnswering' };

/** A sequence classifier over `labels` (class names by index). */
export function loadClassifierBase(tf: typeof tfjs, folder: string, labels: readonly string[], seed: number): Promise<EncoderBase> {
  return loadEncoderBase(tf, folder, 'sequence-classification', seed, (json) => {
    json.id2label = Object.fromEntries(labels.map((label, i) => [String(i), label]));
    json.label2id = Object.fromEntries(labels.map((label, i) => [label, i]));
    json.problem_type = 'single_label_classification';
    delete json.num_labels;
  });
}

/** An extractive question-answering model (a span head over the tokens). */
export function loadQuestionAnsweringBase(tf: typeof tfjs, folder: string, seed: number): Promise<EncoderBase> {
  return loadEncoderBase(tf, folder, 'question-answering', seed, () => undefined);
}

async function loadEncoderBase(
  tf: typeof tfjs, folder: string, head: EncoderHead, seed: number, adjust: (json: Record<string, unknown>) => void,
): Promise<EncoderBase> {
  const raw = JSON.parse(await readFile(path.join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  const configJson: Record<string, unknown> = { ...raw, architectures: [`${FAMILY_NAMES[readEncoderConfig(raw, head).family]}${HEAD_NAMES[head]}`] };
  adjust(configJson);
  const config = readEncoderConfig(configJson, head);
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
