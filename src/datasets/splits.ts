import { ProxyError } from '../../proxy/errors.js';

/** One split of a dataset and its data files (local paths), in order. */
export interface SplitFiles {
  readonly split: string;
  readonly files: readonly string[];
}

/** The order `datasets` builders declare splits in: train, validation, test, then the rest. */
const FIRST = ['train', 'validation', 'test'];

export function orderSplits<T extends { readonly split: string }>(splits: readonly T[]): T[] {
  const rank = (s: string): number => {
    const i = FIRST.indexOf(s);
    return i < 0 ? FIRST.length : i;
  };
  return [...splits].sort((a, b) => rank(a.split) - rank(b.split) || a.split.localeCompare(b.split));
}

/** Split names the hub recognises in file and folder names without a config (datasets' patterns). */
const KNOWN = /^(train|training|validation|valid|dev|test|testing|eval|evaluation|unsupervised)$/;

/**
 * The split a data file belongs to, from the hub's naming conventions: `train-00000-of-00002.parquet`,
 * `ca_test-00000-of-00001.parquet`, `test.parquet`, `test-reviews.parquet`, or a folder named
 * after a split (`data/validation/part.parquet`, or any name in the hub's conversion layout
 * `ca_test/0000.parquet`). Null when the name says nothing.
 */
export function splitOfFile(path: string): string | null {
  const parts = path.split('/');
  const base = (parts[parts.length - 1] ?? '').replace(/\.[^.]+$/, '');
  const sharded = /^(\w+?)-\d{5}-of-\d{5}$/.exec(base);
  if (sharded?.[1] !== undefined) return sharded[1];
  const head = /^([A-Za-z]+)(?:[-_.]|$)/.exec(base)?.[1];
  if (head !== undefined && KNOWN.test(head)) return head;
  const folder = parts[parts.length - 2];
  if (folder === undefined) return null;
  // The hub's Parquet conversion layout: <split>/0000.parquet, any split name.
  return KNOWN.test(folder) || /^\d+$/.test(base) ? folder : null;
}

/**
 * Keeps the split `kwargs.split` asks for, or all splits in order; with a `limit`, the first rows
 * of `train` only (PostgresML loads `train[:limit]`).
 */
export function chooseSplits(dataset: string, splits: readonly SplitFiles[], split: string | null, limit: number | null): SplitFiles[] {
  const wanted = split ?? (limit === null ? null : 'train');
  if (wanted === null) return orderSplits(splits);
  const found = splits.find((s) => s.split === wanted);
  if (found === undefined) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '22023',
      message: `dataset ${dataset} has no split "${wanted}"`,
      detail: `Its splits are: ${orderSplits(splits).map((s) => s.split).join(', ')}.`,
      hint: split === null ? `With a limit only the train split is read; name another with kwargs => '{"split": "..."}'.` : undefined,
    });
  }
  return [found];
}
