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
const CHUNK_CHARS = 1 << 20;

/**
 * Gathers COPY text lines into buffers of about CHUNK_CHARS characters, so a COPY sends few
 * large CopyData messages, and tells `onRows` how many rows each buffer holds.
 */
export class CopyChunker {
  private text = '';
  private count = 0;

  constructor(private readonly onRows: (rows: number) => void) {}

  /** Adds one line; returns a buffer when one is full. */
  add(line: string): Buffer | null {
    this.text += line;
    this.count++;
    return this.text.length >= CHUNK_CHARS ? this.flush() : null;
  }

  /** What is gathered so far, or null when nothing is. */
  flush(): Buffer | null {
    if (this.count === 0) return null;
    this.onRows(this.count);
    const buffer = Buffer.from(this.text, 'utf8');
    this.text = '';
    this.count = 0;
    return buffer;
  }
}
