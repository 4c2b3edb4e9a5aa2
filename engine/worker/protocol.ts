/**
 * The messages between the proxy and an engine worker thread. Every request carries an id; the
 * worker answers it with any number of events, then exactly one result or error.
 */
import type { LabelKind, SplitRequest } from '../classify/dataset.js';
import type { ClassifierTuneRequest } from '../classify/fine-tune.js';
import type { GenerationOptions } from '../generate/index.js';
import type { Seq2SeqTuneRequest } from '../text2text/fine-tune.js';
import type { QaInput } from '../qa/answer.js';
import type { QaAnswer } from '../qa/decode.js';
import type { QaTuneRequest } from '../qa/fine-tune.js';
import type { LogEntry, StepReport } from '../train/loop.js';

export type WorkerRequest =
  /**
   * The (text, label) rows of a training relation, as the DataRow messages PostgreSQL sent
   * (transferred, not copied): decoded, filtered and split here, kept for tune-classifier.
   */
  | { readonly kind: 'load-text-dataset'; readonly chunks: readonly Uint8Array[]; readonly labelKind: LabelKind; readonly split: SplitRequest }
  /** Trains on the loaded dataset; the worker sets the memory budget of its own backend. */
  | { readonly kind: 'tune-classifier'; readonly request: Omit<ClassifierTuneRequest, 'memoryBudget' | 'labels' | 'train' | 'test'> }
  /** (input, target) rows for translation and summarization, as load-text-dataset. */
  | { readonly kind: 'load-pair-dataset'; readonly chunks: readonly Uint8Array[]; readonly split: SplitRequest }
  | { readonly kind: 'tune-seq2seq'; readonly request: Omit<Seq2SeqTuneRequest, 'memoryBudget' | 'train' | 'test'> }
  /** (question, context, answers) rows for extractive question answering. */
  | { readonly kind: 'load-qa-dataset'; readonly chunks: readonly Uint8Array[]; readonly split: SplitRequest }
  | { readonly kind: 'tune-qa'; readonly request: Omit<QaTuneRequest, 'memoryBudget' | 'train' | 'test'> }
  /** Loads a stored model (its files by name) under a key; its config.json says what it is. */
  | { readonly kind: 'load-model'; readonly key: string; readonly files: readonly (readonly [string, Uint8Array])[] }
  | { readonly kind: 'classify'; readonly key: string; readonly texts: readonly string[]; readonly batchSize: number }
  | { readonly kind: 'generate'; readonly key: string; readonly texts: readonly string[]; readonly options: GenerationOptions; readonly batchSize: number }
  | { readonly kind: 'answer'; readonly key: string; readonly inputs: readonly QaInput[]; readonly settings: AnswerRequest }
  | { readonly kind: 'unload'; readonly key: string }
  | { readonly kind: 'loaded' };

export type WorkerEvent =
  | { readonly kind: 'notice'; readonly message: string }
  | { readonly kind: 'step'; readonly report: StepReport }
  | { readonly kind: 'log'; readonly entry: LogEntry }
  | { readonly kind: 'evaluation'; readonly entry: Readonly<Record<string, number>> };

/** What a stored model is, by its config.json. */
export type LoadedKind = 'classifier' | 'seq2seq' | 'qa';

/** How questions are answered: the pipeline's knobs (the window length is capped at the model's). */
export interface AnswerRequest {
  readonly maxLength: number | null;
  readonly stride: number;
  readonly maxAnswerLength: number;
  readonly allowNoAnswer: boolean;
  readonly batchSize: number;
}

/** A training job's outcome: the model's files (moved, not copied) and its figures. */
export interface TrainedFiles {
  readonly files: readonly (readonly [string, Uint8Array])[];
  readonly metrics: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly trainLoss: number;
  readonly runtimeSeconds: number;
  readonly samplesPerSecond: number;
}

/** What each request resolves to. */
export interface WorkerResults {
  readonly 'tune-classifier': TrainedFiles;
  readonly 'load-model': { readonly kind: LoadedKind; readonly labels: readonly string[] };
  readonly 'load-pair-dataset': {
    readonly rows: number;
    readonly train: number;
    readonly test: number;
    readonly read: number;
    readonly skipped: { readonly noSource: number; readonly noTarget: number };
  };
  readonly 'tune-seq2seq': TrainedFiles;
  readonly 'load-qa-dataset': {
    readonly rows: number;
    readonly train: number;
    readonly test: number;
    readonly read: number;
    readonly unanswerable: number;
    readonly skipped: { readonly missing: number; readonly mismatched: number };
  };
  readonly 'tune-qa': TrainedFiles;
  readonly answer: { readonly answers: readonly QaAnswer[] };
  readonly generate: { readonly texts: readonly string[] };
  readonly 'load-text-dataset': {
    readonly classes: readonly string[];
    readonly rows: number;
    readonly train: number;
    readonly test: number;
    readonly read: number;
    readonly skipped: { readonly noLabel: number; readonly noText: number };
  };
  readonly classify: { readonly probabilities: readonly (readonly number[])[] };
  readonly unload: null;
  readonly loaded: { readonly keys: readonly string[] };
}

export type ToWorker = { readonly id: number } & WorkerRequest;

export type FromWorker =
  | { readonly id: number; readonly type: 'event'; readonly event: WorkerEvent }
  | { readonly id: number; readonly type: 'result'; readonly value: unknown }
  | { readonly id: number; readonly type: 'error'; readonly message: string; readonly errorName: string }
  /** Sent once the worker's TF.js runtime is up. */
  | { readonly id: 0; readonly type: 'ready'; readonly backend: string };
