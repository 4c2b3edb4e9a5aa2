/**
 * The rows a text classifier trains on, read from the relation on the caller's session: the
 * text and the label of every row, rows without a label left out (NULL, or -1: Hugging Face's
 * "no label", e.g. imdb's unsupervised split), labels mapped to class indices.
 */
import { ProxyError } from '../../proxy/errors.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { quoteIdent } from '../sql/identifiers.js';
import { queryText } from '../store/sql.js';
import type { Column } from './relation.js';

export interface TextDataset {
  readonly texts: readonly string[];
  /** Class index per row. */
  readonly labels: readonly number[];
  /** Class names by index: integer labels in numeric order, others in text order. */
  readonly classes: readonly string[];
  readonly skipped: { readonly noLabel: number; readonly noText: number };
}

/** The SELECT that reads the training rows; also what a materialized snapshot copies. */
export function datasetSelect(source: string, text: Column, label: Column): string {
  return `SELECT ${quoteIdent(text.name)}::text AS ${quoteIdent(text.name)}, ${quoteIdent(label.name)}::text AS ${quoteIdent(label.name)} FROM ${source}`;
}

export async function readTextDataset(upstream: UpstreamQueries, source: string, text: Column, label: Column): Promise<TextDataset> {
  const rows = await queryText(upstream, datasetSelect(source, text, label));
  const texts: string[] = [];
  const raw: string[] = [];
  let noLabel = 0;
  let noText = 0;
  for (const [value, labelValue] of rows) {
    if (labelValue === null || labelValue === undefined || (label.kind === 'integer' && labelValue === '-1')) noLabel += 1;
    else if (value === null || value === undefined) noText += 1;
    else {
      texts.push(value);
      raw.push(labelValue);
    }
  }
  const classes = [...new Set(raw)].sort(label.kind === 'integer' ? (a, b) => Number(a) - Number(b) : undefined);
  if (classes.length < 2) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: classes.length === 0
        ? `${source} has no labelled rows to train on`
        : `column "${label.name}" of ${source} has a single distinct label (${classes[0] ?? ''}); a classifier needs at least two`,
      detail: `${rows.length} rows read; ${noLabel} without a label, ${noText} without text.`,
    });
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  return { texts, labels: raw.map((c) => index.get(c) ?? -1), classes, skipped: { noLabel, noText } };
}
