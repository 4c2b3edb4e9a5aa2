import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { copyLine, type ValueKind } from './copy-text.js';
import { CopyChunker, type DataFile } from './data-file.js';
import { datasetColumns, type DatasetColumn } from './parquet-columns.js';

/** An opened Parquet file: its footer is read, its data is read lazily, row group by row group. */
interface ParquetFile {
  readonly path: string;
  readonly metadata: FileMetaData;
  readonly file: AsyncBuffer;
  readonly rows: number;
}

export async function openParquet(path: string, source: string): Promise<DataFile> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const parquet: ParquetFile = { path, metadata, file, rows: Number(metadata.num_rows) };
  const columns = datasetColumns(metadata, source);
  return { path, rows: parquet.rows, columns, copyChunks: (limit, onRows) => copyChunks(parquet, columns, limit, onRows) };
}

/**
 * The file's first `limit` rows (all when null) as COPY text buffers, decoded one row group at a
 * time so memory stays bounded by two row groups, not the file: the next group is read and
 * decompressed while the current one is being sent. `onRows` counts the rows of each buffer.
 */
async function* copyChunks(
  parquet: ParquetFile,
  columns: readonly DatasetColumn[],
  limit: number | null,
  onRows: (rows: number) => void,
): AsyncGenerator<Buffer> {
  const names = columns.map((c) => c.name);
  const kinds: ValueKind[] = columns.map((c) => c.kind);
  const ranges = rowGroupRanges(parquet, limit === null ? parquet.rows : Math.min(limit, parquet.rows));
  const chunker = new CopyChunker(onRows);
  const first = ranges[0];
  let next = first === undefined ? null : readRows(parquet, names, first);
  for (let i = 0; next !== null; i++) {
    const rows = await next;
    const following = ranges[i + 1];
    next = following === undefined ? null : readRows(parquet, names, following);
    // Should the consumer stop early, a prefetched group's failure must not go unhandled.
    next?.catch(() => undefined);
    for (const row of rows) {
      const full = chunker.add(copyLine(kinds, row));
      if (full !== null) yield full;
    }
  }
  const rest = chunker.flush();
  if (rest !== null) yield rest;
}

/** [start, end) row ranges of the row groups, cut at `end`. */
function rowGroupRanges(parquet: ParquetFile, end: number): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  for (const group of parquet.metadata.row_groups) {
    if (start >= end) break;
    const groupEnd = start + Number(group.num_rows);
    ranges.push([start, Math.min(groupEnd, end)]);
    start = groupEnd;
  }
  return ranges;
}

function readRows(parquet: ParquetFile, columns: string[], [rowStart, rowEnd]: [number, number]): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    parquetRead({
      file: parquet.file,
      metadata: parquet.metadata,
      columns,
      rowStart,
      rowEnd,
      rowFormat: 'array',
      // WebAssembly snappy (3× the pure-JS one) and the codecs hyparquet lacks (zstd, gzip, brotli, lz4).
      compressors,
      onComplete: (rows: unknown[][]) => resolve(rows),
    }).catch(reject);
  });
}
