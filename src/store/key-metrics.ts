import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';

/**
 * The metric that ranks a project's models, per task: `pgml.deploy(..., 'best_score')` orders by
 * it and `pgml.tune` auto-deploys by it (PostgresML `api.rs`, reference §3.6).
 */

/** The `pgml.task` enum labels (underscore spelling, as stored in pgml.projects.task). */
export type Task =
  | 'regression'
  | 'classification'
  | 'decomposition'
  | 'clustering'
  | 'question_answering'
  | 'summarization'
  | 'translation'
  | 'text_classification'
  | 'text_generation'
  | 'text2text'
  | 'embedding'
  | 'text_pair_classification'
  | 'conversation';

export interface KeyMetric {
  /** The key in pgml.models.metrics. */
  readonly name: string;
  readonly higherIsBetter: boolean;
}

const higher = (name: string): KeyMetric => ({ name, higherIsBetter: true });

/** `embedding` has none: PostgresML never trains an embedding project. */
const KEY_METRICS: Readonly<Record<Exclude<Task, 'embedding'>, KeyMetric>> = {
  text_classification: higher('f1'),
  classification: higher('f1'),
  question_answering: higher('f1'),
  text_pair_classification: higher('f1'),
  regression: higher('r2'),
  // PostgresML stores translation's key metric as `blue`, a typo we deliberately do not copy.
  translation: higher('bleu'),
  summarization: higher('rouge_ngram_f1'),
  text_generation: { name: 'perplexity', higherIsBetter: false },
  text2text: { name: 'perplexity', higherIsBetter: false },
  clustering: higher('silhouette'),
  decomposition: higher('cumulative_explained_variance'),
  conversation: higher('bleu'),
};

/** `task` as a pgml.task label; the hyphenated spelling (`text-classification`) is accepted too. */
export function keyMetric(task: string): KeyMetric {
  const label = task.replaceAll('-', '_');
  const metric = Object.hasOwn(KEY_METRICS, label) ? KEY_METRICS[label as keyof typeof KEY_METRICS] : undefined;
  if (metric === undefined) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: `task ${task} has no key metric to compare models by`,
      detail: `Key metrics exist for: ${Object.keys(KEY_METRICS).join(', ')}.`,
    });
  }
  return metric;
}

/** A metric value as found; null, undefined and NaN all mean "missing". */
export type MetricValue = number | null | undefined;

function present(value: MetricValue): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/**
 * Whether `value` is strictly better than `other` for the task's key metric. A missing value is
 * the worst of all, so any number beats it and two missing values are a tie (false).
 */
export function isStrictlyBetter(task: string, value: MetricValue, other: MetricValue): boolean {
  const { higherIsBetter } = keyMetric(task);
  if (!present(value)) return false;
  if (!present(other)) return true;
  return higherIsBetter ? value > other : value < other;
}

/**
 * PostgresML's auto-deploy rule: a newly trained model is deployed unless the currently deployed
 * one is strictly better; ties deploy the new one. No deployment at all behaves like a deployed
 * model without the metric (pass undefined): the new model is deployed.
 */
export function shouldAutoDeploy(task: string, candidate: MetricValue, current: MetricValue): boolean {
  return !isStrictlyBetter(task, current, candidate);
}

/** The key metric's value in a pgml.models.metrics document, if it holds a number there. */
export function keyMetricValue(task: string, metrics: JsonValue | undefined): number | undefined {
  if (metrics === null || metrics === undefined || typeof metrics !== 'object' || Array.isArray(metrics)) return undefined;
  const value = (metrics as { readonly [key: string]: JsonValue | undefined })[keyMetric(task).name];
  return typeof value === 'number' && !Number.isNaN(value) ? value : undefined;
}
