import { decodeDataRow } from '../../proxy/protocol/extended.js';
import type { UpstreamQueries } from '../../proxy/upstream-queries.js';

/**
 * A model's files in pgml.files as ordered bytea chunks (PostgresML's layout: bare file names,
 * parts 0, 1, 2 … reassembled by path then part), so models replicate with the database and any
 * proxy can serve them. Chunks are far below PostgresML's 100 MB so neither PostgreSQL nor the
 * proxy ever holds a huge single value.
 */
export const FILE_CHUNK_BYTES = 16 * 1024 * 1024;

const TEXT = 0;
const BINARY = 1;

export async function writeModelFiles(upstream: UpstreamQueries, modelId: bigint, files: ReadonlyMap<string, Uint8Array>, chunkBytes = FILE_CHUNK_BYTES): Promise<number> {
  let rows = 0;
  for (const [name, bytes] of files) {
    for (let part = 0, start = 0; part === 0 || start < bytes.length; part += 1, start += chunkBytes) {
      const chunk = bytes.subarray(start, start + chunkBytes);
      await upstream.query('INSERT INTO pgml.files (model_id, path, part, data) VALUES ($1::bigint, $2::text, $3::int, $4::bytea)', {
        // bytea goes binary: the raw bytes, no hex doubling.
        parameters: { formats: [TEXT, TEXT, TEXT, BINARY], values: [Buffer.from(String(modelId)), Buffer.from(name), Buffer.from(String(part)), Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)] },
      });
      rows += 1;
    }
  }
  return rows;
}

/**
 * Every file of the model, reassembled; empty when it has none. Each file is its own
 * ArrayBuffer of exactly its size, so it can move to a worker thread without a copy.
 */
export async function readModelFiles(upstream: UpstreamQueries, modelId: bigint): Promise<Map<string, Buffer>> {
  const parts = new Map<string, Buffer[]>();
  await upstream.query('SELECT path, data FROM pgml.files WHERE model_id = $1::bigint ORDER BY path, part', {
    parameters: { formats: [TEXT], values: [Buffer.from(String(modelId))] },
    resultFormats: [TEXT, BINARY],
    onRow: (buf, start, end) => {
      const [path, data] = decodeDataRow(buf, start, end);
      if (path === undefined || path === null || data === undefined || data === null) return;
      const name = path.toString('utf8');
      const own = Buffer.allocUnsafeSlow(data.length);
      data.copy(own);
      const list = parts.get(name);
      if (list === undefined) parts.set(name, [own]);
      else list.push(own);
    },
  });
  return new Map([...parts].map(([name, list]) => [name, list.length === 1 ? (list[0] as Buffer) : concatOwned(list)]));
}

function concatOwned(list: readonly Buffer[]): Buffer {
  const out = Buffer.allocUnsafeSlow(list.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const part of list) at += part.copy(out, at);
  return out;
}
