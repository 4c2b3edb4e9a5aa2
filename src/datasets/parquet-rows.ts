import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { copyLine, type ValueKind } from './copy-text.js';
import { CHUNK_CHARS, type DataFile } from './data-file.js';
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
 * time so memory stays bounded by the largest row group, not the file. `onRows` is told how many
 * rows each buffer holds.
 */
async function* copyChunks(
  parquet: ParquetFile,
  columns: readonly DatasetColumn[],
  limit: number | null,
  onRows: (rows: number) => void,
): AsyncGenerator<Buffer> {
  const names = columns.map((c) => c.name);
  const kinds: ValueKind[] = columns.map((c) => c.kind);
  const end = limit === null ? parquet.rows : Math.min(limit, parquet.rows);
  let groupStart = 0;
  for (const group of parquet.metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const rowEnd = Math.min(groupEnd, end);
    if (rowEnd > groupStart) {
      const rows = await readRows(parquet, names, groupStart, rowEnd);
      let text = '';
      let count = 0;
      for (const row of rows) {
        text += copyLine(kinds, row);
        count++;
        if (text.length >= CHUNK_CHARS) {
          onRows(count);
          yield Buffer.from(text, 'utf8');
          text = '';
          count = 0;
        }
      }
      if (count > 0) {
        onRows(count);
        yield Buffer.from(text, 'utf8');
      }
    }
    groupStart = groupEnd;
    if (groupStart >= end) break;
  }
}

function readRows(parquet: ParquetFile, columns: string[], rowStart: number, rowEnd: number): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    parquetRead({
      file: parquet.file,
      metadata: parquet.metadata,
      columns,
      rowStart,
      rowEnd,
      rowFormat: 'array',
      onComplete: (rows: unknown[][]) => resolve(rows),
    }).catch(reject);
  });
}
