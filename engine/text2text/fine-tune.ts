/**
 * Fine-tunes a Marian or BART checkpoint on source/target pairs (translation, summarization):
 * teacher-forced training with the shared loop, then on the test split the teacher-forced
 * eval_loss and generation with the model's own settings, scored with BLEU and ROUGE. Returns the
 * model's files in the Hugging Face layout and the metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { corpusBleu, rouge } from '../metrics/index.js';
import { Dropout } from '../models/layers.js';
import { loadSeq2Seq, seq2seqLoss, type Seq2SeqModel } from '../models/seq2seq/index.js';
import { saveModel } from '../models/save/index.js';
import { loadTokenizer } from '../tokenizers/index.js';
import { chunks } from '../train/batches.js';
import type { TrainingArgs } from '../train/hyperparams.js';
import { noticingMicroBatches, trainLoop, type FineTuneHooks, type FineTuneResult } from '../train/loop.js';
import { microBatchFor, planNotices, seq2seqCheckpointedBytesPerExample, seq2seqTrainBytesPerExample, trainPlan, type Seq2SeqShape } from '../train/memory.js';
import { seq2seqTrainable } from '../train/seq2seq.js';
import { pairBatch, tokenizePairs, type PairExample } from './examples.js';
import { generateFromIds, maxSourceTokens, type Text2Text } from './generate-texts.js';

export interface TextPairs {
  readonly sources: readonly string[];
  readonly targets: readonly string[];
}

export interface Seq2SeqTuneRequest {
  readonly modelFolder: string;
  readonly train: TextPairs;
  readonly test: TextPairs;
  readonly training: TrainingArgs;
  /** Source and target token limits (null: the model's). */
  readonly maxSourceLength: number | null;
  readonly maxTargetLength: number | null;
  readonly memoryBudget: number;
}


export function seq2seqShape(model: Seq2SeqModel, parameters: number): Seq2SeqShape {
  const json = model.configJson;
  const ffn = typeof json.encoder_ffn_dim === 'number' ? json.encoder_ffn_dim : model.config.dModel * 4;
  const { encoderLayers, decoderLayers, dModel, encoderHeads, vocabSize } = model.config;
  return { layers: encoderLayers + decoderLayers, encoderLayers, decoderLayers, vocab: vocabSize, hidden: dModel, intermediate: ffn, heads: encoderHeads, parameters };
}

/** Bytes one pair needs in a training step, sized by the batch's longest source and target (padded). */
function pairBytes(shape: Seq2SeqShape, batch: readonly PairExample[], checkpoint: boolean): number {
  const source = batch.reduce((max, e) => Math.max(max, e.source.length), 0);
  const target = batch.reduce((max, e) => Math.max(max, e.labels.length), 0);
  return (checkpoint ? seq2seqCheckpointedBytesPerExample : seq2seqTrainBytesPerExample)(shape, source, target);
}

export async function fineTuneSeq2Seq(request: Seq2SeqTuneRequest, hooks: FineTuneHooks = {}): Promise<FineTuneResult> {
  const { training } = request;
  const tokenizer = await loadTokenizer(request.modelFolder);
  const loaded = await loadSeq2Seq(request.modelFolder);
  const trainable = seq2seqTrainable(loaded);
  loaded.params.dispose(); // the variables are copies
  try {
    const model: Seq2SeqModel = { ...loaded, params: trainable.params };
    const parts: Text2Text = { model, tokenizer };
    const maxSource = maxSourceTokens(parts, request.maxSourceLength);
    const maxTarget = Math.min(request.maxTargetLength ?? maxSource, model.config.maxPositions);
    const began = performance.now();
    const train = tokenizePairs(tokenizer, request.train.sources, request.train.targets, maxSource, maxTarget);
    const test = tokenizePairs(tokenizer, request.test.sources, request.test.targets, maxSource, maxTarget);
    hooks.notice?.(`tokenized ${train.length + test.length} pairs (sources ≤ ${maxSource}, targets ≤ ${maxTarget} tokens) in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    const parameters = [...trainable.variables.values()].reduce((n, v) => n + v.size, 0);
    const shape = seq2seqShape(model, parameters);
    const plan = trainPlan(shape, (checkpoint) => pairBytes(shape, train, checkpoint), request.memoryBudget, training.gradientCheckpointing);
    for (const message of planNotices(plan, `pair of ${maxSource} + ${maxTarget} tokens`, 'max_input_length or max_summary_length')) hooks.notice?.(message);
    const { checkpoint } = plan;
    const result = await trainLoop(train, {
      trainable,
      loss: (examples: readonly PairExample[], seed: number) => tf.tidy(() => {
        const batch = pairBatch(examples, model.config.padTokenId);
        return seq2seqLoss(trainable.params, model.config, batch.inputIds, batch.attentionMask, batch.labels, new Dropout(true, seed), checkpoint);
      }),
      microBatch: (batch) => microBatchFor(shape, pairBytes(shape, batch, checkpoint), batch.length, request.memoryBudget),
    }, training, {
      ...noticingMicroBatches(hooks, training.perDeviceTrainBatchSize),
      evaluate: (at) => hooks.onEvaluation?.({ eval_loss: evalLoss(model, test, training.perDeviceEvalBatchSize), step: at.step, epoch: at.epoch }),
    });
    const scoring = performance.now();
    const loss = evalLoss(model, test, training.perDeviceEvalBatchSize);
    const generated = generateFromIds(parts, test.map((e) => e.source), {}, training.perDeviceEvalBatchSize);
    const metrics = { ...textMetrics(generated, request.test.targets), eval_loss: loss, fit_time: result.runtimeSeconds, score_time: (performance.now() - scoring) / 1000 };
    const files = await saveModel(trainable.params, { configJson: model.configJson, generationJson: model.generationJson, tokenizerFolder: request.modelFolder });
    return { files, metrics, train: result };
  } finally {
    trainable.dispose();
  }
}

/** PostgresML's names: BLEU (0–100), ROUGE-1 as rouge_ngram_*, ROUGE-2 as rouge_bigram_*. */
export function textMetrics(predictions: readonly string[], references: readonly string[]): Record<string, number> {
  const scores = rouge(predictions, references);
  return {
    bleu: corpusBleu(predictions, references).score,
    rouge_ngram_f1: scores.rouge1.f1,
    rouge_ngram_precision: scores.rouge1.precision,
    rouge_ngram_recall: scores.rouge1.recall,
    rouge_bigram_f1: scores.rouge2.f1,
    rouge_bigram_precision: scores.rouge2.precision,
    rouge_bigram_recall: scores.rouge2.recall,
  };
}

/** Teacher-forced mean loss over the test pairs (per batch, weighted by the batch's label tokens). */
function evalLoss(model: Seq2SeqModel, test: readonly PairExample[], batchSize: number): number {
  let total = 0;
  let tokens = 0;
  for (const batch of chunks(test, batchSize)) {
    const count = batch.reduce((n, e) => n + e.labels.length, 0);
    const value = tf.tidy(() => {
      const { inputIds, attentionMask, labels } = pairBatch(batch, model.config.padTokenId);
      return seq2seqLoss(model.params, model.config, inputIds, attentionMask, labels);
    });
    total += (value.dataSync()[0] ?? 0) * count;
    tokens += count;
    value.dispose();
  }
  return tokens === 0 ? 0 : total / tokens;
}
