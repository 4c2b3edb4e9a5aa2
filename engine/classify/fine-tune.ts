/**
 * Fine-tunes a sequence classifier from a Hugging Face checkpoint folder: tokenise, train with
 * the shared loop, evaluate on the test split, and return the model's files in the Hugging Face
 * layout with its metrics. Rows in, files and numbers out: no SQL, no sockets.
 */
import * as tf from '@tensorflow/tfjs';
import { classificationMetrics } from '../metrics/classification.js';
import { crossEntropy, forward, loadClassifierBase } from '../models/encoders/index.js';
import { saveModel } from '../models/save/index.js';
import { loadTokenizer } from '../tokenizers/index.js';
import type { TrainingArgs } from '../train/hyperparams.js';
import { noticingMicroBatches, trainLoop, type FineTuneHooks, type FineTuneResult } from '../train/loop.js';
import { encoderTrainPlan, longest, microBatchFor, planNotices } from '../train/memory.js';
import { makeTrainable } from '../train/trainable.js';
import { encoderInputs, maxTokens, tokenize, type TextExample } from './examples.js';
import { classProbabilities, shapeOf, type ClassifierParts } from './predict.js';

export interface LabelledTexts {
  readonly texts: readonly string[];
  /** Class indices into the request's labels. */
  readonly labels: readonly number[];
}

export interface ClassifierTuneRequest {
  /** A local Hugging Face model folder (a hub cache snapshot or a user's path). */
  readonly modelFolder: string;
  /** Class names by index (stored as id2label). */
  readonly labels: readonly string[];
  readonly train: LabelledTexts;
  readonly test: LabelledTexts;
  readonly training: TrainingArgs;
  readonly maxLength: number | null;
  /** Bytes the backend may use (the wasm heap's ceiling). */
  readonly memoryBudget: number;
}

export async function fineTuneClassifier(request: ClassifierTuneRequest, hooks: FineTuneHooks = {}): Promise<FineTuneResult> {
  const { training } = request;
  const tokenizer = await loadTokenizer(request.modelFolder);
  const base = await loadClassifierBase(tf, request.modelFolder, request.labels, training.seed);
  if (base.initialised.length > 0) hooks.notice?.(`newly initialised (not in the checkpoint): ${base.initialised.join(', ')}; they are trained from scratch`);
  const trainable = makeTrainable(base.params);
  base.params.dispose(); // the variables are copies; keeping both would double the weights' memory
  try {
    const model: ClassifierParts = { config: base.config, params: trainable.params, tokenizer };
    const maxLength = maxTokens(base.config, tokenizer, request.maxLength);
    const began = performance.now();
    const train = tokenize(tokenizer, request.train.texts, request.train.labels, maxLength);
    const test = tokenize(tokenizer, request.test.texts, request.test.labels, maxLength);
    hooks.notice?.(`tokenized ${train.length + test.length} texts (at most ${maxLength} tokens each) in ${seconds(began)} s`);
    const shape = shapeOf(base.config, trainable.params);
    const plan = encoderTrainPlan(shape, maxLength, request.memoryBudget, training.gradientCheckpointing);
    for (const message of planNotices(plan, `example of ${maxLength} tokens`, 'max_length')) hooks.notice?.(message);
    const result = await trainLoop(train, {
      trainable,
      loss: (examples: readonly TextExample[], seed: number) => tf.tidy(() => {
        const output = forward(trainable.params, base.config, encoderInputs(examples, tokenizer.padTokenId), { training: true, seed, checkpoint: plan.checkpoint });
        if (output.kind !== 'sequence-classification') throw new Error('expected a sequence-classification head');
        return crossEntropy(output.logits, examples.map((e) => e.label));
      }),
      microBatch: (batch) => microBatchFor(shape, plan.bytesPerExample(longest(batch)), batch.length, request.memoryBudget),
    }, training, {
      ...noticingMicroBatches(hooks, training.perDeviceTrainBatchSize),
      evaluate: (at) => {
        const { metrics } = evaluate(model, test, training, request);
        hooks.onEvaluation?.({ ...prefixed(metrics), step: at.step, epoch: at.epoch });
      },
    });
    const scored = evaluate(model, test, training, request);
    const metrics = { ...scored.metrics, fit_time: result.runtimeSeconds, score_time: scored.seconds };
    const files = await saveModel(trainable.params, { configJson: base.configJson, labels: request.labels, tokenizerFolder: request.modelFolder });
    return { files, metrics, train: result };
  } finally {
    trainable.dispose();
  }
}

/** Metrics on the test split: PostgresML's names, plus transformers' eval_loss. */
function evaluate(model: ClassifierParts, test: readonly TextExample[], training: TrainingArgs, request: ClassifierTuneRequest): { metrics: Record<string, number>; seconds: number } {
  const began = performance.now();
  const probabilities = classProbabilities(model, test, training.perDeviceEvalBatchSize, request.memoryBudget);
  const truth = test.map((e) => e.label);
  // eval_loss is the model's mean cross-entropy, unclipped (log_loss clips at machine epsilon).
  const evalLoss = truth.reduce((sum, label, i) => sum - Math.log(Math.max(probabilities[i]?.[label] ?? 0, 1e-45)), 0) / truth.length;
  const metrics = { ...classificationMetrics(truth, probabilities, request.labels.length), eval_loss: evalLoss };
  return { metrics, seconds: (performance.now() - began) / 1000 };
}

function prefixed(metrics: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key.startsWith('eval_') ? key : `eval_${key}`, value]));
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
