import type { Hub } from '../../engine/hub/index.js';
import { fromHub } from '../hub-errors.js';
import { ProxyError } from '../../proxy/errors.js';
import type { JsonValue } from '../../proxy/protocol/pg-types.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import { displayIdent } from '../sql/identifiers.js';
import { hubDataset } from './hub-source.js';
import { loadTable } from './load-table.js';
import { isLocalPath, localDataset } from './local-source.js';
import { openCsv } from './csv-file.js';
import type { DataFile } from './data-file.js';
import { openJsonLines } from './jsonl-file.js';
import type { DatasetColumn } from './parquet-columns.js';
import { openParquet } from './parquet-rows.js';
import { chooseSplits, type SplitFiles } from './splits.js';

export interface LoadDatasetRequest {
  readonly source: string;
  readonly subset: string | null;
  readonly limit: number | null;
  readonly kwargs: Readonly<Record<string, JsonValue | undefined>>;
}

export interface LoadDatasetContext {
  readonly upstream: UpstreamQueries;
  readonly signal: AbortSignal;
  readonly hub: () => Hub;
  notice(message: string): void;
}

/** kwargs keys this loader understands; others are reported, not fatal. */
const KNOWN_KWARGS = new Set(['split', 'lang1', 'lang2', 'table', 'revision', 'name']);

/**
 * pgml.load_dataset: a hub dataset (or a local Parquet file or folder) into `pgml."<name>"`,
 * all splits concatenated in order unless `kwargs.split` names one; `limit` keeps the first rows
 * of train. Returns the table (as it would be written in SQL) and the rows loaded.
 */
export async function loadDataset(request: LoadDatasetRequest, context: LoadDatasetContext): Promise<{ table: string; rows: number }> {
  const { kwargs, limit } = request;
  if (limit !== null && (limit < 0 || !Number.isInteger(limit))) {
    throw new ProxyError({ severity: 'ERROR', code: '22023', message: `limit must be a whole number of rows, not ${limit}` });
  }
  const ignored = Object.keys(kwargs).filter((k) => !KNOWN_KWARGS.has(k));
  if (ignored.length > 0) context.notice(`pgml.load_dataset ignores these kwargs: ${ignored.join(', ')}`);
  const split = text(kwargs, 'split');
  let table: string;
  let splits: SplitFiles[];
  if (isLocalPath(request.source)) {
    const local = await localDataset(request.source);
    table = local.table;
    splits = local.splits;
  } else {
    table = request.source;
    const lang1 = text(kwargs, 'lang1');
    const lang2 = text(kwargs, 'lang2');
    splits = await fromHub('pgml.load_dataset', () => hubDataset(context.hub(), {
      id: request.source,
      revision: text(kwargs, 'revision'),
      config: request.subset ?? text(kwargs, 'name') ?? (lang1 !== null && lang2 !== null ? `${lang1}-${lang2}` : null),
      split: split ?? (limit === null ? null : 'train'),
      signal: context.signal,
      progress: (message) => context.notice(message),
    }));
  }
  const chosen = chooseSplits(request.source, splits, split, limit);
  const files = await openAll(request.source, chosen);
  const columns = sameColumns(request.source, files);
  let budget = limit ?? Number.POSITIVE_INFINITY;
  const plan = files.map((file) => {
    const rows = Math.min(file.rows, budget);
    budget -= rows;
    return { file, rows };
  });
  table = text(kwargs, 'table') ?? table;
  const rows = await loadTable(context.upstream, { table, columns, files: plan }, (m) => context.notice(m), context.signal);
  return { table: `pgml.${displayIdent(table)}`, rows };
}

async function openAll(source: string, splits: readonly SplitFiles[]): Promise<DataFile[]> {
  const files: DataFile[] = [];
  for (const { files: paths } of splits) for (const path of paths) files.push(await openDataFile(path, source));
  return files;
}

function openDataFile(path: string, source: string): Promise<DataFile> {
  if (/\.csv$/i.test(path)) return openCsv(path);
  if (/\.(jsonl|ndjson|json)$/i.test(path)) return openJsonLines(path);
  return openParquet(path, source);
}

/** Every file must have the first file's columns: one table holds all splits. */
function sameColumns(source: string, files: readonly DataFile[]): readonly DatasetColumn[] {
  const first = files[0];
  if (first === undefined) throw new ProxyError({ severity: 'ERROR', code: '22023', message: `dataset ${source} has no rows to load` });
  const columns = first.columns;
  for (const file of files.slice(1)) {
    const other = file.columns;
    if (JSON.stringify(other) !== JSON.stringify(columns)) {
      throw new ProxyError({
        severity: 'ERROR',
        code: '42804',
        message: `the files of dataset ${source} do not share their columns, so they cannot fill one table`,
        detail: `${first.path}: ${describe(columns)}; ${file.path}: ${describe(other)}.`,
        hint: `Load one split at a time with kwargs => '{"split": "...", "table": "..."}'.`,
      });
    }
  }
  return columns;
}

function describe(columns: readonly DatasetColumn[]): string {
  return columns.map((c) => `${c.name} ${c.sqlType}`).join(', ');
}

function text(kwargs: LoadDatasetRequest['kwargs'], key: string): string | null {
  const value = kwargs[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  throw new ProxyError({ severity: 'ERROR', code: '22023', message: `kwargs.${key} must be a string, not ${JSON.stringify(value)}` });
}
