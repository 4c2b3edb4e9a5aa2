/**
 * Fine-tunes an extractive question-answering model (BERT, DistilBERT, RoBERTa with a span head)
 * on SQuAD-style rows: each context cut into overlapping windows, each window labelled with the
 * first gold answer's tokens (or the first token when the answer is absent or elsewhere, SQuAD v2
 * style), trained with the shared loop; on the test split the best span across windows (with a
 * null answer) is scored with SQuAD v2's exact match and F1.
 */
import * as tf from '@tensorflow/tfjs';
import { squadV2 } from '../metrics/index.js';
import { encoderLoss, forward, loadQuestionAnsweringBase } from '../models/encoders/index.js';
import { saveModel } from '../models/save/index.js';
import { loadTokenizer } from '../tokenizers/index.js';
import type { TrainingArgs } from '../train/hyperparams.js';
import { noticingMicroBatches, trainLoop, type FineTuneHooks, type FineTuneResult } from '../train/loop.js';
import { encoderTrainPlan, longest, microBatchFor, planNotices } from '../train/memory.js';
import { makeTrainable } from '../train/trainable.js';
import { shapeOf } from '../classify/predict.js';
import { qaMaxLength, windowInputs, windowLogits, type QaParts } from './answer.js';
import type { QaExample } from './dataset.js';
import { decodeAnswer } from './decode.js';
import { windowLabels } from './labels.js';
import type { Window } from './types.js';
import { qaWindows } from './windows.js';

export interface QaTuneRequest {
  readonly modelFolder: string;
  readonly train: readonly QaExample[];
  readonly test: readonly QaExample[];
  readonly training: TrainingArgs;
  readonly maxLength: number | null;
  readonly stride: number | null;
  readonly memoryBudget: number;
}


/** One training window with its answer positions. */
interface Feature {
  readonly window: Window;
  readonly start: number;
  readonly end: number;
  readonly length: number;
}

export async function fineTuneQuestionAnswering(request: QaTuneRequest, hooks: FineTuneHooks = {}): Promise<FineTuneResult> {
  const { training } = request;
  const tokenizer = await loadTokenizer(request.modelFolder);
  const base = await loadQuestionAnsweringBase(tf, request.modelFolder, training.seed);
  if (base.initialised.length > 0) hooks.notice?.(`newly initialised (not in the checkpoint): ${base.initialised.join(', ')}; they are trained from scratch`);
  const trainable = makeTrainable(base.params);
  base.params.dispose();
  try {
    const parts: QaParts = { config: base.config, params: trainable.params, tokenizer };
    const maxLength = qaMaxLength(base.config, request.maxLength);
    const stride = request.stride ?? 128;
    const windowsOf = (e: QaExample): Window[] => qaWindows(tokenizer, e.question, e.context, { maxLength, stride, fitStride: true });
    const train = request.train.flatMap((example) => features(windowsOf(example), example));
    const testWindows = request.test.map(windowsOf);
    const testFeatures = request.test.flatMap((example, i) => features(testWindows[i] ?? [], example));
    hooks.notice?.(`${request.train.length} training questions make ${train.length} windows of at most ${maxLength} tokens (stride ${stride})`);
    const shape = shapeOf(base.config, trainable.params);
    const plan = encoderTrainPlan(shape, maxLength, request.memoryBudget, training.gradientCheckpointing);
    for (const message of planNotices(plan, `window of ${maxLength} tokens`, 'max_length')) hooks.notice?.(message);
    const result = await trainLoop(train, {
      trainable,
      loss: (batch: readonly Feature[], seed: number) => tf.tidy(() => {
        const output = forward(trainable.params, base.config, windowInputs(batch.map((f) => f.window), base.config, tokenizer.padTokenId), { training: true, seed, checkpoint: plan.checkpoint });
        return encoderLoss(output, { startPositions: batch.map((f) => f.start), endPositions: batch.map((f) => f.end) });
      }),
      microBatch: (batch) => microBatchFor(shape, plan.bytesPerExample(longest(batch)), batch.length, request.memoryBudget),
    }, training, {
      ...noticingMicroBatches(hooks, training.perDeviceTrainBatchSize),
      evaluate: async (at) => hooks.onEvaluation?.({ eval_loss: evalLoss(parts, testFeatures, training.perDeviceEvalBatchSize), ...(await scores(parts, request.test, testWindows, training.perDeviceEvalBatchSize)), step: at.step, epoch: at.epoch }),
    });
    const scoring = performance.now();
    const metrics = {
      ...(await scores(parts, request.test, testWindows, training.perDeviceEvalBatchSize)),
      eval_loss: evalLoss(parts, testFeatures, training.perDeviceEvalBatchSize),
      fit_time: result.runtimeSeconds,
      score_time: (performance.now() - scoring) / 1000,
    };
    const files = await saveModel(trainable.params, { configJson: base.configJson, tokenizerFolder: request.modelFolder });
    return { files, metrics, train: result };
  } finally {
    trainable.dispose();
  }
}

function features(windows: readonly Window[], example: QaExample): Feature[] {
  const labels = windowLabels(windows, example.context, example.answers);
  // Mismatched answers were left out when the rows were loaded.
  if (labels.kind !== 'labels') return [];
  return windows.map((window, i) => ({ window, start: labels.positions[i]?.start ?? 0, end: labels.positions[i]?.end ?? 0, length: window.ids.length }));
}

/** SQuAD v2 metrics (0–100, as the official script), under PostgresML-style names. */
async function scores(parts: QaParts, test: readonly QaExample[], windows: readonly Window[][], batchSize: number): Promise<Record<string, number>> {
  const logits = await windowLogits(parts, windows.flat(), batchSize);
  let at = 0;
  const predictions = test.map((example, i) => {
    const count = windows[i]?.length ?? 0;
    const mine = logits.slice(at, at + count);
    at += count;
    return decodeAnswer(example.context, mine).answer;
  });
  const result = squadV2(predictions, test.map((e) => e.answers.text));
  return {
    exact_match: result.exact,
    f1: result.f1,
    ...(result.HasAns_f1 === undefined ? {} : { has_answer_f1: result.HasAns_f1, has_answer_exact: result.HasAns_exact ?? 0 }),
    ...(result.NoAns_f1 === undefined ? {} : { no_answer_f1: result.NoAns_f1, no_answer_exact: result.NoAns_exact ?? 0 }),
  };
}

/** The span head's mean loss over the test windows. */
function evalLoss(parts: QaParts, test: readonly Feature[], batchSize: number): number {
  let total = 0;
  for (let from = 0; from < test.length; from += batchSize) {
    const batch = test.slice(from, from + batchSize);
    const value = tf.tidy(() => {
      const output = forward(parts.params, parts.config, windowInputs(batch.map((f) => f.window), parts.config, parts.tokenizer.padTokenId), { training: false });
      return encoderLoss(output, { startPositions: batch.map((f) => f.start), endPositions: batch.map((f) => f.end) });
    });
    total += (value.dataSync()[0] ?? 0) * batch.length;
    value.dispose();
  }
  return test.length === 0 ? 0 : total / test.length;
}
