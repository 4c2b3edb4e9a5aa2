import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ProxyError } from '../../proxy/errors.js';
import { splitOfFile, type SplitFiles } from './splits.js';

/** The data files pgml-proxy reads, by extension. */
export const DATA_FILE = /\.(parquet|csv|jsonl|ndjson|json)$/i;

/** True when `source` names a local file or folder rather than a hub dataset id. */
export function isLocalPath(source: string): boolean {
  return source.startsWith('/') || source.startsWith('./') || source.startsWith('../') || source.startsWith('~/') || source.startsWith('file://');
}

/**
 * A local data file (Parquet, CSV, JSON lines), or a folder of them, as splits: the split comes from the hub's file
 * naming convention (`train-00000-of-00001.parquet`, a `test/` folder), else everything is
 * `train`. The table is named after the file or folder, without extension.
 */
export async function localDataset(source: string): Promise<{ table: string; splits: SplitFiles[] }> {
  const resolved = path.resolve(source.startsWith('file://') ? new URL(source).pathname : source.replace(/^~(?=\/)/, process.env.HOME ?? '~'));
  const info = await stat(resolved).catch(() => null);
  if (info === null) {
    throw new ProxyError({
      severity: 'ERROR',
      code: '58P01',
      message: `could not open "${resolved}": no such file or directory`,
      hint: 'A local path is read by the pgml-proxy process, on the machine it runs on.',
    });
  }
  const files = info.isDirectory() ? (await listFiles(resolved)).filter((f) => DATA_FILE.test(f)).sort() : [resolved];
  if (files.length === 0) {
    throw new ProxyError({ severity: 'ERROR', code: '58P01', message: `no data files (.parquet, .csv, .jsonl) in "${resolved}"` });
  }
  if (!DATA_FILE.test(files[0] ?? '')) {
    throw new ProxyError({ severity: 'ERROR', code: '0A000', message: `cannot load "${resolved}": pgml-proxy reads Parquet (.parquet), CSV (.csv) and JSON lines (.jsonl, .ndjson, .json)` });
  }
  const bySplit = new Map<string, string[]>();
  for (const file of files) {
    const split = splitOfFile(path.relative(info.isDirectory() ? resolved : path.dirname(resolved), file)) ?? 'train';
    bySplit.set(split, [...(bySplit.get(split) ?? []), file]);
  }
  const table = path.basename(resolved).replace(/\.[^.]+$/, '');
  return { table, splits: [...bySplit].map(([split, list]) => ({ split, files: list })) };
}

async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
