/**
 * A training worker's jobs: first the rows (decoded, filtered and split here), then the
 * fine-tuning, whose progress goes out as events and whose files go back moved, not copied.
 */
import { splitDataset, textDataset, type SplitRequest, type TextDataset, type LabelKind } from '../classify/dataset.js';
import { fineTuneClassifier, type LabelledTexts } from '../classify/fine-tune.js';
import { pairDataset, splitPairs, type PairDataset } from '../text2text/dataset.js';
import { fineTuneSeq2Seq, type TextPairs } from '../text2text/fine-tune.js';
import { qaDataset, splitQa, type QaDataset, type QaExample } from '../qa/dataset.js';
import { fineTuneQuestionAnswering } from '../qa/fine-tune.js';
import type { FineTuneHooks, FineTuneResult } from '../train/loop.js';
import type { Split } from '../train/split.js';
import type { WorkerEvent, WorkerRequest, WorkerResults, TrainedFiles } from './protocol.js';
import { transferable } from './transfer.js';

export interface Answer<T> {
  readonly value: T;
  readonly transfer: ArrayBuffer[];
}

type Request<K extends WorkerRequest['kind']> = Extract<WorkerRequest, { kind: K }>;

export class TrainingState {
  private texts: { readonly data: TextDataset; readonly split: Split } | null = null;
  private pairs: { readonly data: PairDataset; readonly split: Split } | null = null;
  private questions: { readonly data: QaDataset; readonly split: Split } | null = null;

  constructor(private readonly memoryBudget: number) {}

  loadTextDataset(chunks: readonly Uint8Array[], labelKind: LabelKind, request: SplitRequest): WorkerResults['load-text-dataset'] {
    const data = textDataset(chunks, labelKind);
    const split = splitDataset(data, request);
    this.texts = { data, split };
    return { classes: data.classes, rows: data.texts.length, train: split.train.length, test: split.test.length, read: data.read, skipped: data.skipped };
  }

  loadPairDataset(chunks: readonly Uint8Array[], request: SplitRequest): WorkerResults['load-pair-dataset'] {
    const data = pairDataset(chunks);
    const split = splitPairs(data, request);
    this.pairs = { data, split };
    return { rows: data.sources.length, train: split.train.length, test: split.test.length, read: data.read, skipped: data.skipped };
  }

  loadQaDataset(chunks: readonly Uint8Array[], request: SplitRequest): WorkerResults['load-qa-dataset'] {
    const data = qaDataset(chunks);
    const split = splitQa(data, request);
    this.questions = { data, split };
    return { rows: data.examples.length, train: split.train.length, test: split.test.length, read: data.read, unanswerable: data.unanswerable, skipped: data.skipped };
  }

  async tuneQa(message: Request<'tune-qa'>, emit: (event: WorkerEvent) => void): Promise<Answer<TrainedFiles>> {
    if (this.questions === null) throw new Error('tune-qa needs load-qa-dataset first');
    const { data, split } = this.questions;
    const pick = (rows: readonly number[]): QaExample[] => rows.flatMap((i) => data.examples[i] ?? []);
    const request = { ...message.request, memoryBudget: this.memoryBudget, train: pick(split.train), test: pick(split.test) };
    return trained(await fineTuneQuestionAnswering(request, hooks(emit)));
  }

  async tuneClassifier(message: Request<'tune-classifier'>, emit: (event: WorkerEvent) => void): Promise<Answer<TrainedFiles>> {
    if (this.texts === null) throw new Error('tune-classifier needs load-text-dataset first');
    const { data, split } = this.texts;
    const pick = (rows: readonly number[]): LabelledTexts => ({ texts: rows.map((i) => data.texts[i] ?? ''), labels: rows.map((i) => data.labels[i] ?? 0) });
    const request = { ...message.request, memoryBudget: this.memoryBudget, labels: data.classes, train: pick(split.train), test: pick(split.test) };
    return trained(await fineTuneClassifier(request, hooks(emit)));
  }

  async tuneSeq2Seq(message: Request<'tune-seq2seq'>, emit: (event: WorkerEvent) => void): Promise<Answer<TrainedFiles>> {
    if (this.pairs === null) throw new Error('tune-seq2seq needs load-pair-dataset first');
    const { data, split } = this.pairs;
    const pick = (rows: readonly number[]): TextPairs => ({ sources: rows.map((i) => data.sources[i] ?? ''), targets: rows.map((i) => data.targets[i] ?? '') });
    const request = { ...message.request, memoryBudget: this.memoryBudget, train: pick(split.train), test: pick(split.test) };
    return trained(await fineTuneSeq2Seq(request, hooks(emit)));
  }
}

/** The fine-tuning's events, sent to the proxy as they happen. */
function hooks(emit: (event: WorkerEvent) => void): FineTuneHooks {
  return {
    notice: (message) => emit({ kind: 'notice', message }),
    onStep: (report) => emit({ kind: 'step', report }),
    onLog: (entry) => emit({ kind: 'log', entry }),
    onEvaluation: (entry) => emit({ kind: 'evaluation', entry }),
  };
}

function trained(result: FineTuneResult): Answer<TrainedFiles> {
  const files = [...result.files].map(([name, bytes]) => [name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)] as const);
  const value: TrainedFiles = {
    files,
    metrics: result.metrics,
    steps: result.train.steps,
    trainLoss: result.train.trainLoss,
    runtimeSeconds: result.train.runtimeSeconds,
    samplesPerSecond: result.train.samplesPerSecond,
  };
  return { value, transfer: transferable(files.map(([, bytes]) => bytes)) };
}
