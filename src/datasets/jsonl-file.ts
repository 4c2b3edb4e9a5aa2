import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ProxyError } from '../../proxy/errors.js';
import { copyLine } from './copy-text.js';
import { CopyChunker, type DataFile } from './data-file.js';
import { inferredColumns, kindOfJson, widen, type Inferred } from './text-inference.js';

async function* objects(path: string): AsyncGenerator<Record<string, unknown>> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ProxyError({ severity: 'ERROR', code: '22P02', message: `invalid JSON on line ${line} of "${path}": ${(error as Error).message}` });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ProxyError({ severity: 'ERROR', code: '22P02', message: `line ${line} of "${path}" is not a JSON object` });
    }
    yield value as Record<string, unknown>;
  }
}

/**
 * A JSON-lines file (one object per line). Read twice, streaming both times: once for the
 * columns (every key, in first-seen order) and their types, once to copy.
 */
export async function openJsonLines(path: string): Promise<DataFile> {
  const kinds = new Map<string, Inferred>();
  let rows = 0;
  for await (const object of objects(path)) {
    for (const [key, value] of Object.entries(object)) {
      kinds.set(key, value === null ? (kinds.get(key) ?? 'none') : widen(kinds.get(key) ?? 'none', kindOfJson(value)));
    }
    rows++;
  }
  const names = [...kinds.keys()];
  const columns = inferredColumns(names, [...kinds.values()]);
  const valueKinds = columns.map((c) => c.kind);
  return {
    path,
    rows,
    columns,
    async *copyChunks(limit, onRows) {
      const end = limit ?? rows;
      const chunker = new CopyChunker(onRows);
      let seen = 0;
      for await (const object of objects(path)) {
        if (seen++ >= end) break;
        const full = chunker.add(copyLine(valueKinds, names.map((name) => object[name] ?? null)));
        if (full !== null) yield full;
      }
      const rest = chunker.flush();
      if (rest !== null) yield rest;
    },
  };
}
