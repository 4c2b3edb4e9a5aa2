/**
 * The training hyperparameters as one typed, frozen object with transformers' TrainingArguments
 * defaults, read from what users write in `pgml.tune(hyperparams => ...)`: PostgresML's
 * documented flat form (`{"learning_rate": 2e-5, ...}`) or its newer nested form
 * (`{"training_args": {...}, "dataset_args": {...}}`). Keys this engine does not use are
 * reported, never fatal; a known key with a bad value is an error naming the key.
 */

export type SchedulerType = 'linear' | 'constant' | 'constant_with_warmup' | 'cosine';
export type EvaluationStrategy = 'no' | 'steps' | 'epoch';

export interface TrainingArgs {
  readonly learningRate: number;
  readonly numTrainEpochs: number;
  /** > 0 overrides numTrainEpochs, as in transformers. */
  readonly maxSteps: number;
  readonly perDeviceTrainBatchSize: number;
  readonly perDeviceEvalBatchSize: number;
  readonly gradientAccumulationSteps: number;
  readonly weightDecay: number;
  readonly warmupSteps: number;
  readonly warmupRatio: number;
  readonly lrSchedulerType: SchedulerType;
  /** 0 turns clipping off. */
  readonly maxGradNorm: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEpsilon: number;
  readonly evaluationStrategy: EvaluationStrategy;
  /** Steps between evaluations with the 'steps' strategy; a value below 1 is a fraction of all steps. null: loggingSteps. */
  readonly evalSteps: number | null;
  /** Steps between log entries; a value below 1 is a fraction of all steps. */
  readonly loggingSteps: number;
  readonly seed: number;
  /**
   * Recompute activations in the backward pass (engine/models/checkpoint.ts): true always, false
   * never, null (not given) when one example would not fit the backend's memory otherwise.
   */
  readonly gradientCheckpointing: boolean | null;
}

/** How the relation's columns map to a training example, and tokenisation limits. */
export interface DatasetArgs {
  readonly textColumn: string | null;
  readonly classColumn: string | null;
  /** Question answering's columns (default `question` and `context`). */
  readonly questionColumn: string | null;
  readonly contextColumn: string | null;
  /** Tokens per example after truncation; null: the tokenizer's and model's limit. */
  readonly maxLength: number | null;
  /** Sequence-to-sequence: source and target limits (PostgresML G1's summarization names), over maxLength. */
  readonly maxInputLength: number | null;
  readonly maxTargetLength: number | null;
  /** Question answering: context tokens shared by consecutive windows. */
  readonly stride: number | null;
}

export interface Hyperparams {
  readonly training: TrainingArgs;
  readonly dataset: DatasetArgs;
  /** Keys given but not used, as written (`training_args.fp16`), for a NOTICE. */
  readonly unused: readonly string[];
}

/** A key with a value the engine cannot use; the message names the key and what is allowed. */
export class HyperparamError extends Error {
  override readonly name = 'HyperparamError';
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

/** transformers 4.44 TrainingArguments defaults. */
export const TRAINING_DEFAULTS: TrainingArgs = Object.freeze({
  learningRate: 5e-5,
  numTrainEpochs: 3,
  maxSteps: -1,
  perDeviceTrainBatchSize: 8,
  perDeviceEvalBatchSize: 8,
  gradientAccumulationSteps: 1,
  weightDecay: 0,
  warmupSteps: 0,
  warmupRatio: 0,
  lrSchedulerType: 'linear',
  maxGradNorm: 1,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  evaluationStrategy: 'no',
  evalSteps: null,
  loggingSteps: 500,
  seed: 42,
  gradientCheckpointing: null,
});

type Json = Readonly<Record<string, unknown>>;
type Reader<T> = (key: string, value: unknown) => T;

const positive: Reader<number> = (key, value) => {
  const n = finite(key, value);
  if (n <= 0) throw new HyperparamError(key, `${key} must be greater than 0, not ${n}`);
  return n;
};
const nonNegative: Reader<number> = (key, value) => {
  const n = finite(key, value);
  if (n < 0) throw new HyperparamError(key, `${key} must not be negative, not ${n}`);
  return n;
};
const count: Reader<number> = (key, value) => {
  const n = positive(key, value);
  if (!Number.isInteger(n)) throw new HyperparamError(key, `${key} must be a whole number, not ${n}`);
  return n;
};
const integer: Reader<number> = (key, value) => {
  const n = finite(key, value);
  if (!Number.isInteger(n)) throw new HyperparamError(key, `${key} must be a whole number, not ${n}`);
  return n;
};
/** transformers' logging_steps/eval_steps: a whole number of steps, or a fraction of them below 1. */
const stepsOrRatio: Reader<number> = (key, value) => {
  const n = positive(key, value);
  if (n >= 1 && !Number.isInteger(n)) throw new HyperparamError(key, `${key} must be a whole number of steps, or a fraction of all steps below 1, not ${n}`);
  return n;
};
const unitInterval: Reader<number> = (key, value) => {
  const n = nonNegative(key, value);
  if (n >= 1) throw new HyperparamError(key, `${key} must be in [0, 1), not ${n}`);
  return n;
};
const bool: Reader<boolean> = (key, value) => {
  if (typeof value !== 'boolean') throw new HyperparamError(key, `${key} must be true or false, not ${JSON.stringify(value)}`);
  return value;
};

function oneOf<T extends string>(values: readonly T[]): Reader<T> {
  return (key, value) => {
    const found = values.find((v) => v === value);
    if (found === undefined) throw new HyperparamError(key, `${key} must be one of ${values.join(', ')}, not ${JSON.stringify(value)}`);
    return found;
  };
}
const text: Reader<string> = (key, value) => {
  if (typeof value !== 'string' || value === '') throw new HyperparamError(key, `${key} must be a column name (a string), not ${JSON.stringify(value)}`);
  return value;
};

function finite(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new HyperparamError(key, `${key} must be a number, not ${JSON.stringify(value)}`);
  return value;
}

/** Each TrainingArgs field: its transformers key (and older aliases) and how its value is checked. */
const TRAINING_KEYS: { readonly [K in keyof TrainingArgs]: { readonly keys: readonly string[]; readonly read: Reader<TrainingArgs[K]> } } = {
  learningRate: { keys: ['learning_rate'], read: positive },
  // 0 is allowed here because max_steps may set the length; parseHyperparams checks the pair.
  numTrainEpochs: { keys: ['num_train_epochs'], read: nonNegative },
  maxSteps: { keys: ['max_steps'], read: integer },
  perDeviceTrainBatchSize: { keys: ['per_device_train_batch_size'], read: count },
  perDeviceEvalBatchSize: { keys: ['per_device_eval_batch_size'], read: count },
  gradientAccumulationSteps: { keys: ['gradient_accumulation_steps'], read: count },
  weightDecay: { keys: ['weight_decay'], read: nonNegative },
  warmupSteps: { keys: ['warmup_steps'], read: (key, value) => nonNegative(key, integer(key, value)) },
  warmupRatio: { keys: ['warmup_ratio'], read: unitInterval },
  lrSchedulerType: { keys: ['lr_scheduler_type'], read: oneOf(['linear', 'constant', 'constant_with_warmup', 'cosine'] as const) },
  maxGradNorm: { keys: ['max_grad_norm'], read: nonNegative },
  adamBeta1: { keys: ['adam_beta1'], read: unitInterval },
  adamBeta2: { keys: ['adam_beta2'], read: unitInterval },
  adamEpsilon: { keys: ['adam_epsilon'], read: nonNegative },
  evaluationStrategy: { keys: ['evaluation_strategy', 'eval_strategy'], read: oneOf(['no', 'steps', 'epoch'] as const) },
  evalSteps: { keys: ['eval_steps'], read: stepsOrRatio },
  loggingSteps: { keys: ['logging_steps'], read: stepsOrRatio },
  seed: { keys: ['seed'], read: integer },
  gradientCheckpointing: { keys: ['gradient_checkpointing'], read: bool },
};

const DATASET_DEFAULTS: DatasetArgs = Object.freeze({ textColumn: null, classColumn: null, questionColumn: null, contextColumn: null, maxLength: null, maxInputLength: null, maxTargetLength: null, stride: null });

const DATASET_KEYS: { readonly [K in keyof DatasetArgs]: { readonly keys: readonly string[]; readonly read: Reader<DatasetArgs[K]> } } = {
  textColumn: { keys: ['text_column'], read: text },
  classColumn: { keys: ['class_column'], read: text },
  questionColumn: { keys: ['question_column'], read: text },
  contextColumn: { keys: ['context_column'], read: text },
  maxLength: { keys: ['max_length'], read: count },
  maxInputLength: { keys: ['max_input_length', 'max_source_length'], read: count },
  maxTargetLength: { keys: ['max_summary_length', 'max_target_length'], read: count },
  stride: { keys: ['stride', 'doc_stride'], read: (key, value) => nonNegative(key, integer(key, value)) },
};

/**
 * Keys that describe the call rather than training (PostgresML stores them in the same JSON):
 * accepted silently. Hub tokens are here too; the caller must not store them (see redactSecrets).
 */
const CALL_KEYS = new Set(['model_name', 'project_name', 'token', 'hub_token', 'use_auth_token', 'revision']);

/** Reads hyperparams from the JSON users pass (flat, nested, or both; nested wins). */
export function parseHyperparams(json: unknown): Hyperparams {
  if (json === null || json === undefined) return { training: TRAINING_DEFAULTS, dataset: DATASET_DEFAULTS, unused: [] };
  const root = object('hyperparams', json);
  const unused: string[] = [];
  const nested = (key: string): Json => (root[key] === undefined || root[key] === null ? {} : object(key, root[key]));
  const trainingArgs = nested('training_args');
  const datasetArgs = nested('dataset_args');
  const tokenizerArgs = nested('tokenizer_args');
  const sources: readonly { readonly prefix: string; readonly values: Json }[] = [
    { prefix: '', values: root },
    { prefix: 'training_args.', values: trainingArgs },
    { prefix: 'dataset_args.', values: datasetArgs },
    { prefix: 'tokenizer_args.', values: tokenizerArgs },
  ];
  const training = read<TrainingArgs>(TRAINING_KEYS, TRAINING_DEFAULTS, [sources[0], sources[1]]);
  const dataset = read<DatasetArgs>(DATASET_KEYS, DATASET_DEFAULTS, sources);
  // Training keys are read only from the root and training_args: elsewhere they are unused.
  const knownTraining = new Set([...keysOf(TRAINING_KEYS), ...keysOf(DATASET_KEYS)]);
  const knownDataset = new Set(keysOf(DATASET_KEYS));
  for (const { prefix, values } of sources) {
    const known = prefix === '' || prefix === 'training_args.' ? knownTraining : knownDataset;
    for (const key of Object.keys(values)) {
      const structural = prefix === '' && ['training_args', 'dataset_args', 'tokenizer_args'].includes(key);
      if (!structural && !known.has(key) && !(prefix === '' && CALL_KEYS.has(key))) unused.push(`${prefix}${key}`);
    }
  }
  if (training.maxSteps <= 0 && training.numTrainEpochs <= 0) throw new HyperparamError('num_train_epochs', 'num_train_epochs must be greater than 0 when max_steps is not set');
  return { training: Object.freeze(training), dataset: Object.freeze(dataset), unused };
}

/** The hyperparams to store in pgml.models: everything given, hub tokens replaced. */
export function redactSecrets(json: Json): Json {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (['token', 'hub_token', 'use_auth_token'].includes(key) && value !== null && value !== false) out[key] = '***';
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) out[key] = redactSecrets(value as Json);
    else out[key] = value;
  }
  return out;
}

type Spec<T> = { readonly [K in keyof T]: { readonly keys: readonly string[]; readonly read: Reader<T[K]> } };

function read<T extends object>(spec: Spec<T>, defaults: T, sources: readonly ({ readonly prefix: string; readonly values: Json } | undefined)[]): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const source of sources) {
    if (source === undefined) continue;
    for (const field of Object.keys(spec) as (keyof T & string)[]) {
      for (const key of spec[field].keys) {
        const value = source.values[key];
        if (value === undefined) continue;
        out[field] = value === null ? defaults[field] : spec[field].read(`${source.prefix}${key}`, value);
      }
    }
  }
  return out as T;
}

function keysOf<T>(spec: Spec<T>): string[] {
  return Object.values<{ readonly keys: readonly string[] }>(spec).flatMap((s) => [...s.keys]);
}

function object(key: string, value: unknown): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HyperparamError(key, `${key} must be a JSON object, not ${JSON.stringify(value)}`);
  }
  return value as Json;
}
