/**
 * The training rows, read on the caller's session and handed to the engine worker as the
 * DataRow messages PostgreSQL sent, packed into large chunks: the proxy's event loop copies bytes
 * and never builds a string per row, so a 100k-row table does not stall other clients (the
 * worker decodes, filters and splits them).
 */
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';
import type { LabelKind } from '../../engine/classify/dataset.js';
import { quoteIdent } from '../sql/identifiers.js';
import type { Column } from './relation.js';

const CHUNK_BYTES = 4 * 1024 * 1024;

/** The SELECT that reads the training columns as text, in the relation's order; also what a materialized snapshot copies. */
export function datasetSelect(source: string, columns: readonly Column[]): string {
  return `SELECT ${columns.map((c) => `${quoteIdent(c.name)}::text AS ${quoteIdent(c.name)}`).join(', ')} FROM ${source}`;
}

export function labelKind(label: Column): LabelKind {
  return label.kind === 'integer' || label.kind === 'boolean' ? label.kind : 'text';
}

/** The rows as whole DataRow messages, in chunks of about CHUNK_BYTES (each its own ArrayBuffer, to be transferred). */
export async function readRowChunks(upstream: UpstreamQueries, source: string, columns: readonly Column[]): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let current = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  let used = 0;
  await upstream.query(datasetSelect(source, columns), {
    onRow: (buf, start, end) => {
      const size = end - start;
      if (used + size > current.length) {
        if (used > 0) chunks.push(current.subarray(0, used));
        current = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, size));
        used = 0;
      }
      buf.copy(current, used, start, end);
      used += size;
    },
  });
  if (used > 0) chunks.push(current.subarray(0, used));
  // Whole buffers move between threads without a copy; trim the last partial chunk to its size.
  return chunks.map((chunk) => (chunk.byteLength === chunk.buffer.byteLength ? chunk : Buffer.from(new Uint8Array(chunk).buffer)));
}
