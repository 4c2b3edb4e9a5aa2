import type { DatasetColumn } from './parquet-columns.js';

/** One data file of a dataset, whatever its format, ready to stream into COPY. */
export interface DataFile {
  readonly path: string;
  readonly rows: number;
  readonly columns: readonly DatasetColumn[];
  /** The first `limit` rows (all when null) as COPY text buffers; `onRows` counts them. */
  copyChunks(limit: number | null, onRows: (rows: number) => void): AsyncGenerator<Buffer>;
}

/** COPY data goes out in buffers of about this many characters. */
export const CHUNK_CHARS = 1 << 20;
