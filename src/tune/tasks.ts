/**
 * What differs between the tasks pgml.tune trains: which columns it reads, how the engine
 * loads them (and what the user is told about them), and which fine-tuning runs. Everything else
 * — projects, snapshots, progress, storage, deployment — is run.ts, the same for every task.
 */
import type { DatasetArgs, Hyperparams } from '../../engine/train/hyperparams.js';
import type { SplitRequest } from '../../engine/classify/dataset.js';
import type { TrainedFiles, WorkerEvent } from '../../engine/worker/protocol.js';
import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { TrainingJob } from '../serving/engine-host.js';
import type { Task } from '../store/key-metrics.js';
import { taskName } from '../store/projects.js';
import { labelKind } from './dataset.js';
import { findColumn, labelColumn, targetColumn, textColumn, type Column, type Relation } from './relation.js';

export interface TaskColumns {
  /** Read as text, in this order: what the engine's dataset loader expects. */
  readonly read: readonly Column[];
  /** The y column (recorded in the snapshot). */
  readonly label: Column;
}

export interface LoadedRows {
  readonly rows: number;
  readonly train: number;
  readonly test: number;
  /** What the user should hear about the rows (PostgresML's dataset summary last). */
  readonly notices: readonly string[];
  /** Rows left out for being wrong, not merely empty: sent as WARNING. */
  readonly warnings?: readonly string[];
  readonly analysis: JsonValue;
}

export interface TaskPlan {
  columns(relation: Relation, yColumn: string, dataset: DatasetArgs): TaskColumns;
  load(job: TrainingJob, chunks: readonly Uint8Array[], columns: TaskColumns, split: SplitRequest): Promise<LoadedRows>;
  train(job: TrainingJob, modelFolder: string, hyperparams: Hyperparams, onEvent: (event: WorkerEvent) => void): Promise<TrainedFiles>;
}

const classification: TaskPlan = {
  columns(relation, yColumn, dataset) {
    const label = labelColumn(relation, dataset.classColumn ?? yColumn);
    return { read: [textColumn(relation, label, dataset.textColumn), label], label };
  },
  async load(job, chunks, columns, split) {
    const data = await job.loadTextDataset(chunks, labelKind(columns.label), split);
    const skipped = data.skipped.noLabel + data.skipped.noText > 0
      ? [`left out ${data.skipped.noLabel} rows without a label (NULL or -1) and ${data.skipped.noText} rows without text`] : [];
    return {
      rows: data.rows, train: data.train, test: data.test,
      notices: [...skipped, `TextClassificationDataset { num_distinct_labels: ${data.classes.length}, num_rows: ${data.rows}, num_train_rows: ${data.train}, num_test_rows: ${data.test} }`],
      analysis: { samples: data.rows, train: data.train, test: data.test, labels: data.classes, skipped: data.skipped },
    };
  },
  train: (job, modelFolder, hyperparams, onEvent) => job.tuneClassifier({ modelFolder, training: hyperparams.training, maxLength: hyperparams.dataset.maxLength }, onEvent),
};

/** Translation and summarization: the one other text column in, the y column out. */
function textToText(task: 'translation' | 'summarization'): TaskPlan {
  return {
    columns(relation, yColumn, dataset) {
      const target = targetColumn(relation, yColumn, task);
      return { read: [textColumn(relation, target, dataset.textColumn, task), target], label: target };
    },
    async load(job, chunks, _columns, split) {
      const data = await job.loadPairDataset(chunks, split);
      const skipped = data.skipped.noSource + data.skipped.noTarget > 0
        ? [`left out ${data.skipped.noTarget} rows without a target and ${data.skipped.noSource} rows without an input`] : [];
      return {
        rows: data.rows, train: data.train, test: data.test,
        notices: [...skipped, `TextPairDataset { num_rows: ${data.rows}, num_train_rows: ${data.train}, num_test_rows: ${data.test} }`],
        analysis: { samples: data.rows, train: data.train, test: data.test, skipped: data.skipped },
      };
    },
    train(job, modelFolder, hyperparams, onEvent) {
      const { maxLength, maxInputLength, maxTargetLength } = hyperparams.dataset;
      // max_length bounds both sides; summarization's own names (PostgresML G1) bound one each.
      return job.tuneSeq2Seq({ modelFolder, training: hyperparams.training, maxSourceLength: maxInputLength ?? maxLength, maxTargetLength: maxTargetLength ?? maxLength }, onEvent);
    },
  };
}

/** question, context (names from dataset_args, else those) and the SQuAD `answers` jsonb as y. */
const questionAnswering: TaskPlan = {
  columns(relation, yColumn, dataset) {
    const answers = findColumn(relation, yColumn, 'y_column_name (the answers)');
    if (answers.type !== 'jsonb' && answers.type !== 'json' && answers.kind !== 'text') {
      throw new ProxyError({ severity: 'ERROR', code: '42804', message: `answers column "${yColumn}" of ${relation.qualified} is ${answers.type}; question answering needs SQuAD's {"text": [...], "answer_start": [...]} as jsonb` });
    }
    const question = textOnly(relation, dataset.questionColumn ?? 'question', 'question column (dataset_args.question_column)');
    const context = textOnly(relation, dataset.contextColumn ?? 'context', 'context column (dataset_args.context_column)');
    return { read: [question, context, answers], label: answers };
  },
  async load(job, chunks, _columns, split) {
    const data = await job.loadQaDataset(chunks, split);
    const warnings = data.skipped.mismatched > 0 ? [`left out ${data.skipped.mismatched} rows whose answer_start does not point at the answer's text in the context`] : [];
    const notices = [
      ...(data.skipped.missing > 0 ? [`left out ${data.skipped.missing} rows without a question, context or answers`] : []),
      `QuestionAnsweringDataset { num_rows: ${data.rows}, num_unanswerable: ${data.unanswerable}, num_train_rows: ${data.train}, num_test_rows: ${data.test} }`,
    ];
    return { rows: data.rows, train: data.train, test: data.test, notices, warnings, analysis: { samples: data.rows, train: data.train, test: data.test, unanswerable: data.unanswerable, skipped: data.skipped } };
  },
  train: (job, modelFolder, hyperparams, onEvent) =>
    job.tuneQa({ modelFolder, training: hyperparams.training, maxLength: hyperparams.dataset.maxLength, stride: hyperparams.dataset.stride }, onEvent),
};

function textOnly(relation: Relation, name: string, role: string): Column {
  const column = findColumn(relation, name, role);
  if (column.kind === 'text') return column;
  throw new ProxyError({ severity: 'ERROR', code: '42804', message: `column "${name}" of ${relation.qualified} is ${column.type}; question answering needs text` });
}

const PLANS: Partial<Record<Task, TaskPlan>> = {
  text_classification: classification,
  question_answering: questionAnswering,
  translation: textToText('translation'),
  summarization: textToText('summarization'),
};

export function planFor(task: Task): TaskPlan {
  const plan = PLANS[task];
  if (plan !== undefined) return plan;
  throw new ProxyError({
    severity: 'ERROR',
    code: '0A000',
    message: `pgml.tune does not train ${taskName(task)} models in pgml-proxy`,
    hint: `It fine-tunes ${Object.keys(PLANS).map((t) => taskName(t as Task)).join(', ')} models.`,
  });
}
