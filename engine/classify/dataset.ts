/**
 * The rows a text classifier trains on, from the (text, label) rows of the relation in its own
 * order: rows without a label left out (NULL, or -1: Hugging Face's "no label", e.g. imdb's
 * unsupervised split) or without text, labels mapped to class indices, and the train/test split.
 */
import { dataRows } from '../data/data-rows.js';
import { splitRows, type Sampling, type Split } from '../train/split.js';

export type LabelKind = 'integer' | 'text' | 'boolean';

export interface TextDataset {
  readonly texts: readonly string[];
  /** Class index per row. */
  readonly labels: readonly number[];
  /** Class names by index: integer labels in numeric order, others in text order. */
  readonly classes: readonly string[];
  readonly skipped: { readonly noLabel: number; readonly noText: number };
  readonly read: number;
}

export interface SplitRequest {
  readonly testSize: number;
  readonly sampling: Sampling;
  readonly seed: number;
}

/** What makes a dataset unusable for training; the message says what was found. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

/** From DataRow messages of two text-format columns: the text, then the label. */
export function textDataset(chunks: Iterable<Uint8Array>, labelKind: LabelKind): TextDataset {
  const texts: string[] = [];
  const raw: string[] = [];
  let noLabel = 0;
  let noText = 0;
  let read = 0;
  for (const [text, label] of dataRows(chunks)) {
    read += 1;
    if (label === null || label === undefined || (labelKind === 'integer' && label === '-1')) noLabel += 1;
    else if (text === null || text === undefined) noText += 1;
    else {
      texts.push(text);
      raw.push(label);
    }
  }
  const classes = [...new Set(raw)].sort(labelKind === 'integer' ? (a, b) => Number(a) - Number(b) : undefined);
  if (classes.length < 2) {
    const what = classes.length === 0 ? 'no labelled rows to train on' : `a single distinct label (${classes[0] ?? ''}); a classifier needs at least two`;
    throw new DatasetError(`the relation has ${what} (${read} rows read; ${noLabel} without a label, ${noText} without text)`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  return { texts, labels: raw.map((c) => index.get(c) ?? -1), classes, skipped: { noLabel, noText }, read };
}

export function splitDataset(dataset: TextDataset, request: SplitRequest): Split {
  return splitRows(dataset.labels, request.testSize, request.sampling, request.seed);
}
